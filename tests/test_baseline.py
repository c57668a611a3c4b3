"""Baselines: adopt ddbguard on an existing codebase, fail only on what is new; keys survive line moves."""

from __future__ import annotations

import json

import boto3

from conftest import run_ddbguard
from fixtures.live.seed import seed_guide_account

KEY = {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
       "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}


def table(name: str) -> dict:
    return {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": name, **KEY}}


def function(variables: dict) -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Environment": {"Variables": variables}}}


ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "Policies": [
    {"PolicyName": "p", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": ["Orders", "Arn"]}}]}}]}}


def write(path, resources: dict, indent=None) -> None:
    path.write_text(("\n\n\n" if indent else "") + json.dumps({"Resources": resources}, indent=indent))


def check(path, *args, cwd=None):
    # run where the template is: outside a git repository, that directory is the root identities are relative to
    return run_ddbguard("check", str(path), "--format", "json", *args, cwd=cwd or path.parent)


def test_a_baseline_suppresses_known_failures_survives_line_moves_and_fails_on_new_ones(tmp_path):
    template, baseline = tmp_path / "app.json", tmp_path / "baseline.json"
    resources = {"Orders": table("orders"), "Audit": table("audit"), "Role": ROLE,
                 "Handler": function({"ORDERS_TABLE": {"Ref": "Orders"}, "AUDIT_TABLE": {"Ref": "Audit"}})}
    write(template, resources)
    recorded = check(template, "--write-baseline", str(baseline))
    assert recorded.code == 0, recorded.stderr
    failing = {(f["rule_id"], f["logical_id"]) for f in recorded.json()["findings"] if f["status"] == "fail"}
    entries = json.loads(baseline.read_text())["entries"]
    assert len(entries) == len(failing) and [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    assert "DDB011|app.json|Handler||AUDIT_TABLE names table audit" in [e["id"] for e in entries]

    # the same template, reformatted and reordered: nothing new
    write(template, dict(reversed(list(resources.items()))), indent=3)
    again = check(template, "--baseline", str(baseline))
    assert again.code == 0, again.stderr
    report = again.json()
    suppressed = {(f["rule_id"], f["logical_id"]): f["suppression_reason"] for f in report["findings"]
                  if f["status"] == "suppressed"}
    assert {key for key, reason in suppressed.items() if reason == "baseline"} == failing
    # DDB022 said without failing (the input defines no backup plan): never a baseline entry
    assert {key for key, reason in suppressed.items() if reason != "baseline"} == {("DDB022", "Orders"),
                                                                                   ("DDB022", "Audit")}
    assert report["baseline"] == {"file": str(baseline), "matched": len(entries), "stale": []}

    # a new table without the guide's settings fails; a fixed one leaves a stale entry to remove
    resources["Sessions"] = table("sessions")
    resources["Audit"]["Properties"]["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    write(template, resources)
    changed = check(template, "--baseline", str(baseline))
    assert changed.code == 1
    assert {f["logical_id"] for f in changed.json()["findings"] if f["status"] == "fail"} == {"Sessions"}
    assert changed.json()["baseline"]["stale"] == ["DDB002|app.json|Audit"]
    assert "1 baseline entries match nothing now (fixed: remove them with --write-baseline" in changed.stderr

    # rewriting keeps the order of the entries it keeps: new ones are appended, fixed ones dropped
    reordered = list(reversed(entries))
    baseline.write_text(json.dumps({"ddbguard_baseline": 2, "entries": reordered}))
    rewritten = check(template, "--write-baseline", str(baseline))
    assert "entries (" in rewritten.stderr and "removed)" in rewritten.stderr
    ids = [e["id"] for e in json.loads(baseline.read_text())["entries"]]
    kept = [e["id"] for e in reordered if e["id"] != "DDB002|app.json|Audit"]
    assert ids[:len(kept)] == kept
    assert all(identity.split("|")[2] == "Sessions" for identity in ids[len(kept):])


def test_a_baseline_of_one_service_suppresses_nothing_in_another_of_a_monorepo(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root
    for service in ("svc-a", "svc-b"):
        (tmp_path / service).mkdir()
        write(tmp_path / service / "template.json", {"Orders": table(f"{service}-orders")})
    baseline = tmp_path / "baseline.json"
    recorded = check(tmp_path / "svc-a" / "template.json", "--write-baseline", str(baseline), cwd=tmp_path / "svc-a")
    assert recorded.code == 0
    ids = [e["id"] for e in json.loads(baseline.read_text())["entries"]]
    assert "DDB001|svc-a/template.json|Orders" in ids and json.loads(baseline.read_text())["ddbguard_baseline"] == 2
    # pre-commit passes only svc-b's template: its failures are its own
    other = check(tmp_path / "svc-b" / "template.json", "--baseline", str(baseline), cwd=tmp_path)
    assert other.code == 1
    assert {f["status"] for f in other.json()["findings"] if f["rule_id"] == "DDB001"} == {"fail"}
    assert sorted(other.json()["baseline"]["stale"]) == sorted(ids)
    same = check(tmp_path / "svc-a" / "template.json", "--baseline", str(baseline), cwd=tmp_path)
    assert same.code == 0


def test_a_format_1_baseline_is_not_applied_to_template_files_and_says_so(tmp_path):
    template, baseline = tmp_path / "template.json", tmp_path / "baseline.json"
    write(template, {"Orders": table("orders")})
    baseline.write_text(json.dumps({"ddbguard_baseline": 1, "entries": [
        {"id": "DDB001|template|Orders"}, {"id": "DDB002|template|Orders"}, {"id": "DDB001|gone|Table"}]}))
    result = check(template, "--baseline", str(baseline))
    assert result.code == 1
    assert {f["status"] for f in result.json()["findings"] if f["rule_id"] in ("DDB001", "DDB002")} == {"fail"}
    assert result.json()["warnings"] == [{"file": str(baseline), "message": (
        "baseline format 1 names template files by their file stem, which another template of the same name also "
        "matches, so 2 entries are not applied: DDB001|template|Orders, DDB002|template|Orders; rewrite it with "
        f"--write-baseline {baseline} (format 2 names them by their path in the repository)")}]
    assert f"ddbguard: warning: {baseline}: baseline format 1 names template files" in result.stderr
    assert result.json()["baseline"]["stale"] == ["DDB001|gone|Table"]
    rewritten = check(template, "--write-baseline", str(baseline))
    assert rewritten.code == 0
    assert [e["id"] for e in json.loads(baseline.read_text())["entries"]][:2] == [
        "DDB001|template.json|Orders", "DDB002|template.json|Orders"]


def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path):
    template, baseline = tmp_path / "app.json", tmp_path / "baseline.json"
    write(template, {"Orders": table("orders")})
    baseline.write_text('{"entries": []}')
    result = check(template, "--baseline", str(baseline))
    assert result.code == 2
    assert result.stderr.startswith(f"ddbguard: {baseline}: not a ddbguard baseline")


def test_an_audit_baseline_is_keyed_by_account_region_and_resource(moto, tmp_path):
    seed_guide_account(boto3.Session(), moto)
    baseline = tmp_path / "baseline.json"
    first = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json",
                         "--write-baseline", str(baseline))
    assert first.code == 0, first.stderr
    ids = [e["id"] for e in json.loads(baseline.read_text())["entries"]]
    assert all(identity.count("|") == 3 and "|123456789012|us-east-1|" in identity for identity in ids)
    second = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json",
                          "--baseline", str(baseline))
    assert second.code == 0
    assert {f["status"] for f in second.json()["findings"]} == {"pass", "suppressed"}
