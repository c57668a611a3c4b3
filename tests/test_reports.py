"""Every report format, validated against its schema: JSON (ours), SARIF 2.1.0 (OASIS), JUnit (XSD)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest
import xmlschema

from conftest import ROOT, RULES_DIR, SARIF_SCHEMA, run_ddbguard
from ddbguard.catalog import load_catalog
from ddbguard.model import Finding, InputError, Report, Severity, Status
from ddbguard.report import exit_code, render



def finding(status: Status, logical_id: str, rule_id="DDB002", severity=Severity.HIGH,
            file="cdk.out/app.template.json", **extra) -> Finding:
    return Finding(rule_id=rule_id, title="DynamoDB tables have point-in-time recovery enabled on every replica",
                   severity=severity, status=status, message=f"{logical_id} message | with pipe", stack="app",
                   logical_id=logical_id, resource_type="AWS::DynamoDB::Table", cdk_path=f"app/{logical_id}/Resource",
                   file=file, line=7, engine="guard", remediation="turn it on", **extra)


@pytest.fixture
def report() -> Report:
    return Report(
        findings=[
            finding(Status.PASS, "Good"),
            finding(Status.FAIL, "Bad"),
            finding(Status.UNKNOWN, "Unsure"),
            finding(Status.SUPPRESSED, "Waived", rule_id="DDB004", severity=Severity.MEDIUM,
                    suppression_reason="scratch data"),
        ],
        errors=[InputError("broken.yaml", "invalid YAML: line 3: mapping values are not allowed here")],
    )


def json_schema() -> dict:
    return json.loads(resources.files("ddbguard.schemas").joinpath("report.schema.json").read_text())


def test_json_report_contract(report):
    data = json.loads(render(report, "json", engine="guard"))
    jsonschema.validate(data, json_schema())
    assert data["schema_version"] == 1
    assert data["tool"] == {"name": "ddbguard", "version": "0.1.0", "engine": "guard"}
    assert data["summary"] == {"resources": 4, "evaluations": 4, "pass": 1, "fail": 1, "unknown": 1, "suppressed": 1,
                               "errors": 1, "failed_by_severity": {"critical": 0, "high": 1, "medium": 0, "low": 0,
                                                                   "info": 0}}
    assert [(f["logical_id"], f["status"], f["cdk_path"]) for f in data["findings"]] == [
        ("Good", "pass", "app/Good/Resource"), ("Bad", "fail", "app/Bad/Resource"),
        ("Unsure", "unknown", "app/Unsure/Resource"), ("Waived", "suppressed", "app/Waived/Resource")]
    assert data["findings"][3]["suppression_reason"] == "scratch data"
    assert data["errors"] == [{"file": "broken.yaml", "message": "invalid YAML: line 3: mapping values are not allowed here"}]


def test_sarif_report_is_valid_sarif_2_1_0(report):
    data = json.loads(render(report, "sarif", engine="guard"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(data)
    run = data["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(load_catalog())
    results = [(r["ruleId"], r["kind"], r["level"], r["locations"][0]["logicalLocations"][0]["name"],
                "suppressions" in r) for r in run["results"]]
    assert results == [("DDB002", "fail", "error", "Bad", False), ("DDB002", "review", "warning", "Unsure", False),
                       ("DDB004", "fail", "warning", "Waived", True)]
    assert run["results"][2]["suppressions"] == [{"kind": "external", "justification": "scratch data"}]
    assert run["results"][0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "cdk.out/app.template.json", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 7}}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}
    assert run["automationDetails"] == {"id": "ddbguard/check/"}
    assert run["invocations"][0]["executionSuccessful"] is False
    assert_github_accepts(data)


def assert_github_accepts(data: dict) -> None:
    """What GitHub code scanning documents for SARIF uploads (beyond the schema)."""
    assert len(data["runs"]) <= 20
    for run in data["runs"]:
        rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
        assert run["tool"]["driver"]["name"] and len(run["results"]) <= 25000
        for rule in rules.values():
            assert 0 <= float(rule["properties"]["security-severity"]) <= 10
            assert rule["help"]["text"] and rule["shortDescription"]["text"]
        for result in run["results"]:
            assert result["ruleId"] in rules and result["message"]["text"]
            assert result["partialFingerprints"] and 1 <= len(result["locations"]) <= 10
            for location in result["locations"]:
                physical = location.get("physicalLocation")
                if physical is None:
                    assert location["logicalLocations"]
                    continue
                artifact = physical["artifactLocation"]
                assert artifact["uriBaseId"] == "%SRCROOT%" and physical["region"]["startLine"] >= 1
                assert ":" not in artifact["uri"] and not artifact["uri"].startswith(("/", "..")), artifact
                assert " " not in artifact["uri"] and "arn%3A" not in artifact["uri"]


def test_junit_report_is_valid_against_xsd(report):
    xml = render(report, "junit", engine="guard")
    xmlschema.XMLSchema(str(resources.files("ddbguard.schemas").joinpath("junit.xsd"))).validate(xml)
    root = ET.fromstring(xml)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "2")
    cases = {(case.get("classname"), case.get("name")): [child.tag for child in case] for case in root.iter("testcase")}
    assert cases == {("DDB002", "app/Good"): [], ("DDB002", "app/Bad"): ["failure"], ("DDB002", "app/Unsure"): ["error"],
                     ("DDB004", "app/Waived"): ["skipped"], ("input", "broken.yaml"): ["error"]}


def test_markdown_report(report):
    text = render(report, "markdown", engine="guard")
    assert "**1 failed**, 1 unknown, 1 suppressed, 1 passed (4 resources, engine: guard)." in text
    assert "| high | 1 | 1 | 0 |\n| medium | 0 | 0 | 1 |" in text
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == ["### Failures: high (1)", "### Unknown: high (1)", "### Suppressed: medium (1)",
                        "### Inputs that could not be checked"]
    assert ("| DDB002 DynamoDB tables have point-in-time recovery enabled on every replica | `app/Bad`<br>"
            "`app/Bad/Resource` | `cdk.out/app.template.json:7` | `Bad message \\| with pipe` |") in text
    assert "(suppressed: `scratch data`)" in text
    assert "- `broken.yaml`: `invalid YAML: line 3: mapping values are not allowed here`" in text
    assert "Good" not in text


def test_text_report_groups_by_severity(report):
    text = render(report, "text", engine="guard")
    assert text.index("HIGH (2)") < text.index("MEDIUM (1)") < text.index("ERRORS (1)")
    assert "    UNKNOWN app/Unsure  [app/Unsure/Resource]\n      at cdk.out/app.template.json:7\n" in text
    assert "      suppressed: scratch data\n" in text


def test_exit_codes(report):
    assert exit_code(report, None) == 2  # an input could not be checked
    report.errors.clear()
    assert exit_code(report, None) == 1
    assert exit_code(report, Severity.CRITICAL) == 0
    report.findings = [f for f in report.findings if f.status is not Status.FAIL]
    assert exit_code(report, None) == 1  # unknown is never a pass
    assert exit_code(report, None, unknown_fails=False) == 0  # ddbguard audit without --fail-on-unknown
    report.findings = [f for f in report.findings if f.status is not Status.UNKNOWN]
    assert exit_code(report, None) == 0


def test_github_annotations(report):
    lines = render(report, "github", engine="guard").splitlines()
    assert lines == [
        "::error file=cdk.out/app.template.json,line=7,title=DDB002 (high) DynamoDB tables have point-in-time recovery "
        "enabled on every replica::app/Bad/Resource: Bad message | with pipe. Fix: turn it on",
        "::warning file=cdk.out/app.template.json,line=7,title=DDB002 (unknown) DynamoDB tables have point-in-time "
        "recovery enabled on every replica::app/Unsure/Resource: Unsure message | with pipe. Fix: turn it on",
        "::error title=ddbguard input error::broken.yaml: invalid YAML: line 3: mapping values are not allowed here"]
    from ddbguard.report.github import _data, _property

    # a line ending in the input is shown as an escape (it is no line of the annotation's either)
    assert (_data("50%\nnext\x1b[0m"), _property("a:b,c")) == ("50%25\\nnext\\x1b[0m", "a%3Ab%2Cc")


def test_gitlab_code_quality(report):
    from ddbguard.report.identity import fingerprint

    issues = json.loads(render(report, "gitlab", engine="guard"))
    # GitLab's documented Code Quality fields: description, check_name, fingerprint, severity, location.path/lines
    assert issues == [
        {"type": "issue", "check_name": "DDB002", "description": "DDB002 Bad message | with pipe (app/Bad)",
         "content": {"body": "turn it on"}, "categories": ["Security"], "severity": "critical",
         "fingerprint": fingerprint(report.findings[1]),
         "location": {"path": "cdk.out/app.template.json", "lines": {"begin": 7}}},
        {"type": "issue", "check_name": "DDB002", "description": "DDB002 unknown: Unsure message | with pipe (app/Unsure)",
         "content": {"body": "turn it on"}, "categories": ["Security"], "severity": "minor",
         "fingerprint": fingerprint(report.findings[2]),
         "location": {"path": "cdk.out/app.template.json", "lines": {"begin": 7}}}]
    assert all(issue["severity"] in ("info", "minor", "major", "critical", "blocker") for issue in issues)


def test_locations_are_repository_relative_percent_encoded_and_never_arns(tmp_path, monkeypatch):
    from ddbguard.model import LiveResource

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "cdk out").mkdir()
    monkeypatch.chdir(repo / "cdk out")  # run from a subdirectory: paths are still from the repository root
    live = LiveResource("123456789012", "us-east-1", "arn:aws:dynamodb:us-east-1:123456789012:table/t", "t")
    findings = [finding(Status.FAIL, "Spaced", file=str(repo / "cdk out" / "a b.template.json")),
                finding(Status.FAIL, "Outside", file=str(tmp_path / "elsewhere.json")),
                finding(Status.FAIL, "Compared", file=str(tmp_path / "main" / "cdk out" / "a b.template.json")),
                finding(Status.FAIL, "Live", live=live)]
    report = Report(findings=findings, command="diff",
                    path_aliases={str(tmp_path / "main" / "cdk out"): str(repo / "cdk out")})
    data = json.loads(render(report, "sarif", engine="diff"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(data)
    assert_github_accepts(data)
    run = data["runs"][0]
    uris = [r["locations"][0].get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            for r in run["results"]]
    assert uris == ["cdk%20out/a%20b.template.json", None, "cdk%20out/a%20b.template.json", None]
    assert run["results"][3]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == live.arn
    assert run["automationDetails"] == {"id": "ddbguard/diff/"}


def test_fingerprints_survive_line_moves_and_reformatting(tmp_path):
    source = next((RULES_DIR / "ddb002_pitr_enabled" / "fixtures").glob("bad*"))
    from ddbguard.templates.decode import decode_text

    template = decode_text(source.read_text())
    compact, spread = tmp_path / "compact" / "t.json", tmp_path / "spread" / "t.json"
    for path, text in ((compact, json.dumps(template)), (spread, "\n\n" + json.dumps(template, indent=7))):
        path.parent.mkdir()
        path.write_text(text)

    def fingerprints(path):
        data = json.loads(run_ddbguard("check", str(path), "--format", "sarif", cwd=path.parent).stdout)
        return sorted((r["ruleId"], r["partialFingerprints"]["ddbguardFindingIdentity/v1"],
                       r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in data["runs"][0]["results"])

    before, after = fingerprints(compact), fingerprints(spread)
    assert [(rule, print_) for rule, print_, _ in before] == [(rule, print_) for rule, print_, _ in after]
    assert [line for *_, line in before] != [line for *_, line in after]  # the lines did move


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "markdown", "text", "gitlab", "github"])
def test_every_format_from_the_command_line(fmt, tmp_path):
    template = RULES_DIR / "ddb005_resource_policy" / "fixtures" / "bad.yaml"
    out = tmp_path / f"report.{fmt}"
    result = run_ddbguard("check", str(template), "--format", fmt, "--output", str(out))
    assert result.code == 1
    text = out.read_text()
    if fmt == "json":
        jsonschema.validate(json.loads(text), json_schema())
    elif fmt == "sarif":
        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(json.loads(text))
    elif fmt == "junit":
        xmlschema.XMLSchema(str(resources.files("ddbguard.schemas").joinpath("junit.xsd"))).validate(text)
    assert "StarPrincipal" in text


def test_diff_findings_in_the_comparison_checkout_map_to_the_same_repository_path(tmp_path):
    repo, main = tmp_path / "repo", tmp_path / "main-checkout"
    (repo / ".git").mkdir(parents=True)
    for root in (repo, main):
        (root / "infra").mkdir(parents=True)
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}
    (main / "infra" / "data.json").write_text(json.dumps({"Resources": {"Orders": table, "Old": table}}))
    (repo / "infra" / "data.json").write_text(json.dumps({"Resources": {"Orders": table}}))
    result = run_ddbguard("diff", str(main / "infra"), "infra", "--format", "sarif", cwd=repo)
    assert result.code == 1, result.stderr
    run = json.loads(result.stdout)["runs"][0]
    removed = next(r for r in run["results"] if r["ruleId"] == "DDB030")
    assert removed["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "infra/data.json", "uriBaseId": "%SRCROOT%"}
    assert run["automationDetails"] == {"id": "ddbguard/diff/"}
    assert_github_accepts(json.loads(result.stdout))
