"""`ddbguard audit` against a real moto server: every live rule, two accounts, two regions, denied calls,
shards and merge, the shipped IAM policy, and no secrets in the output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from conftest import ROOT, audit_denied, run_ddbguard
from fixtures.live.seed import FUNCTIONS, TABLES, seed_guide_account

ACCOUNT = "123456789012"
OTHER = "222222222222"


def statuses(report: dict) -> set:
    return {(f["rule_id"], f["resource_name"], f["status"]) for f in report["findings"]}


def audit(moto, *args):
    return run_ddbguard("audit", "--endpoint-url", moto, "--format", "json", *args)


EXPECTED = {
    ("DDB001", TABLES["protection-groups"], "pass"), ("DDB001", TABLES["executions"], "fail"),
    ("DDB002", TABLES["protection-groups"], "pass"), ("DDB002", TABLES["executions"], "pass"),
    ("DDB002", TABLES["recovery-plans"], "fail"), ("DDB002", TABLES["target-accounts"], "pass"),
    ("DDB003", TABLES["protection-groups"], "pass"), ("DDB003", TABLES["executions"], "pass"),
    ("DDB003", TABLES["recovery-plans"], "fail"), ("DDB003", TABLES["target-accounts"], "pass"),
    ("DDB004", TABLES["protection-groups"], "pass"), ("DDB004", TABLES["executions"], "pass"),
    ("DDB004", TABLES["recovery-plans"], "fail"), ("DDB004", TABLES["target-accounts"], "pass"),
    ("DDB005", TABLES["protection-groups"], "pass"), ("DDB005", TABLES["executions"], "pass"),
    ("DDB005", TABLES["recovery-plans"], "pass"), ("DDB005", TABLES["target-accounts"], "fail"),
    ("DDB013", TABLES["target-accounts"], "fail"), ("DDB013", FUNCTIONS[0], "pass"),
    ("DDB013", FUNCTIONS[1], "fail"),  # dynamodb:* on Resource "*": tables of every account
    ("DDB020", TABLES["protection-groups"], "pass"), ("DDB020", TABLES["executions"], "pass"),
    ("DDB020", TABLES["recovery-plans"], "fail"), ("DDB020", TABLES["target-accounts"], "pass"),
    ("DDB021", TABLES["protection-groups"], "pass"), ("DDB021", TABLES["executions"], "pass"),
    ("DDB021", TABLES["recovery-plans"], "fail"), ("DDB021", TABLES["target-accounts"], "fail"),
    # AWS Backup keeps no recovery point of any table; a recent on-demand backup of a table younger than
    # min_backup_retention_days is all there can be
    ("DDB022", TABLES["protection-groups"], "pass"), ("DDB022", TABLES["executions"], "pass"),
    ("DDB022", TABLES["recovery-plans"], "fail"), ("DDB022", TABLES["target-accounts"], "pass"),
    # moto states the 35-day window of every table with point-in-time recovery; recovery-plans has none (DDB002)
    ("DDB024", TABLES["protection-groups"], "pass"), ("DDB024", TABLES["executions"], "pass"),
    ("DDB024", TABLES["recovery-plans"], "pass"), ("DDB024", TABLES["target-accounts"], "pass"),
    # every table of the guide is on-demand
    ("DDB023", TABLES["protection-groups"], "pass"), ("DDB023", TABLES["executions"], "pass"),
    ("DDB023", TABLES["recovery-plans"], "pass"), ("DDB023", TABLES["target-accounts"], "pass"),
    ("DDB010", FUNCTIONS[0], "fail"),
    ("DDB011", FUNCTIONS[0], "pass"), ("DDB011", FUNCTIONS[1], "fail"),
    ("DDB012", FUNCTIONS[0], "pass"), ("DDB012", FUNCTIONS[1], "fail"),
    ("DDB007", "aws-drs-orchestration-test", "fail"),  # no termination protection, no stack policy
    ("DDB040", FUNCTIONS[0], "pass"), ("DDB040", FUNCTIONS[1], "pass"),  # -test functions, -test tables
}


def test_every_live_rule_passes_and_fails_on_the_guide_account(moto):
    seed_guide_account(boto3.Session(), moto)
    result = audit(moto, "--regions", "us-east-1")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    assert statuses(report) == EXPECTED
    finding = next(f for f in report["findings"] if f["rule_id"] == "DDB011" and f["status"] == "fail")
    assert (finding["account"], finding["region"], finding["arn"]) == (
        ACCOUNT, "us-east-1", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTIONS[1]}")
    assert finding["message"] == (f"EXECUTIONS_TABLE names table aws-drs-orchestration-executions-prod, which does "
                                  f"not exist in account {ACCOUNT} region us-east-1")
    index = next(f for f in report["findings"] if f["rule_id"] == "DDB010")
    assert index["message"] == (f"role {FUNCTIONS[0]}-role may Query/Scan table {TABLES['executions']} but not its "
                                "indexes PlanIndex, StatusIndex")  # sorted, as on the template side


def test_no_secret_from_the_environment_is_printed(moto):
    seed_guide_account(boto3.Session(), moto)
    for fmt in ("json", "text", "sarif", "junit", "markdown"):
        result = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", fmt)
        assert "s3cr3t" not in result.stdout + result.stderr
        assert "API_TOKEN" not in result.stdout


def test_two_accounts_through_assume_role_and_two_regions(moto):
    seed_guide_account(boto3.Session(), moto)
    credentials = boto3.client("sts", endpoint_url=moto).assume_role(
        RoleArn=f"arn:aws:iam::{OTHER}:role/auditor", RoleSessionName="seed")["Credentials"]
    other = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                          aws_secret_access_key=credentials["SecretAccessKey"],
                          aws_session_token=credentials["SessionToken"])
    other.client("dynamodb", region_name="eu-west-1", endpoint_url=moto).create_table(
        TableName="partner-orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    result = audit(moto, "--accounts", f"{ACCOUNT},{OTHER}", "--role-name", "auditor",
                   "--regions", "us-east-1,eu-west-1", "--concurrency", "4")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    where = {(f["account"], f["region"], f["resource_name"]) for f in report["findings"]}
    assert (OTHER, "eu-west-1", "partner-orders") in where
    assert (ACCOUNT, "us-east-1", TABLES["executions"]) in where
    assert {f["account"] for f in report["findings"]} == {ACCOUNT, OTHER}
    assert {(f["rule_id"], f["status"]) for f in report["findings"] if f["resource_name"] == "partner-orders"} == {
        ("DDB002", "fail"), ("DDB003", "fail"), ("DDB004", "fail"), ("DDB005", "pass"), ("DDB020", "fail"),
        ("DDB021", "fail"), ("DDB022", "fail"), ("DDB023", "pass"), ("DDB024", "pass")}


def test_other_account_without_role_name_is_an_error_and_the_rest_completes(moto):
    seed_guide_account(boto3.Session(), moto)
    result = audit(moto, "--accounts", f"{ACCOUNT},{OTHER}", "--regions", "us-east-1")
    assert result.code == 2
    report = result.json()
    assert report["errors"] == [{"file": OTHER, "message": "another account needs --role-name to assume a role in it"}]
    assert statuses(report) == EXPECTED


def test_a_denied_call_is_unknown_never_pass_or_fail(moto):
    seed_guide_account(boto3.Session(), moto)
    result = audit_denied(moto, "dynamodb:DescribeContinuousBackups")
    report = result.json()
    pitr = {(f["resource_name"], f["status"]) for f in report["findings"] if f["rule_id"] in ("DDB002", "DDB024")}
    assert pitr == {(name, "unknown") for name in TABLES.values()}  # both rules read DescribeContinuousBackups
    reason = next(f["message"] for f in report["findings"] if f["rule_id"] == "DDB002")
    # AWS's own message is part of the reason: it names the action the audit role is missing
    assert reason == ("403 on dynamodb:DescribeContinuousBackups: User: arn:aws:iam::123456789012:user/auditor is not "
                      "authorized to perform: dynamodb:DescribeContinuousBackups")
    # every other table rule is still judged
    table_rules = {s for s in statuses(report) if s[0] not in ("DDB002", "DDB024") and s[1] in TABLES.values()}
    assert table_rules == {s for s in EXPECTED if s[0] not in ("DDB002", "DDB024") and s[1] in TABLES.values()}
    # moto's Lambda refuses IAM users altogether: a listing that is denied is an error, never a silent pass
    assert report["errors"] == [{"file": f"{ACCOUNT}/us-east-1",
                                 "message": "Lambda functions not checked: 403 on lambda:ListFunctions: The request "
                                            "signature we calculated does not match the signature you provided. Check "
                                            "your AWS Secret Access Key and signing method. Consult the service "
                                            "documentation for details."}]
    assert result.code == 2


def test_unreachable_endpoint_is_one_line_per_region_and_exit_2(moto):
    result = run_ddbguard("audit", "--endpoint-url", "http://127.0.0.1:9", "--regions", "us-east-1")
    assert result.code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "  credentials: EndpointConnectionError on sts:GetCallerIdentity: " in result.stdout


def test_missing_credentials(moto):
    result = run_ddbguard("audit", "--endpoint-url", moto, env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert result.code == 2
    assert "  credentials: no AWS credentials found" in result.stdout


def test_shards_split_accounts_and_merge_puts_them_back(moto, tmp_path):
    seed_guide_account(boto3.Session(), moto)
    accounts = f"{ACCOUNT},{OTHER},333333333333"
    whole = audit(moto, "--accounts", accounts, "--role-name", "auditor", "--regions", "us-east-1")
    parts = []
    for shard in ("1/2", "2/2"):
        out = tmp_path / f"shard-{shard.replace('/', '-')}.json"
        result = run_ddbguard("audit", "--endpoint-url", moto, "--accounts", accounts, "--role-name", "auditor",
                              "--regions", "us-east-1", "--shard", shard, "--run-id", "split", "--format", "json",
                              "--output", str(out))
        assert result.code in (0, 1), result.stderr
        parts.append(out)
    shard_accounts = [{f["account"] for f in json.loads(p.read_text())["findings"]} for p in parts]
    assert shard_accounts[0] & shard_accounts[1] == set()
    merged = run_ddbguard("merge", *map(str, parts), "--format", "json")
    assert merged.code == 1
    key = lambda f: (f["account"], f["region"], f["rule_id"], f["resource_name"], f["status"])  # noqa: E731
    assert sorted(map(key, merged.json()["findings"])) == sorted(map(key, whole.json()["findings"]))
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 2}')
    assert run_ddbguard("merge", str(bad)).stderr.startswith(f"ddbguard: {bad}: not a ddbguard JSON report:")


def test_merge_refuses_mixed_runs_and_reports_missing_or_repeated_shards(moto, tmp_path):
    seed_guide_account(boto3.Session(), moto)
    config = tmp_path / ".ddbguard.yaml"  # an expired suppression: a DDB000 finding every shard makes
    config.write_text("suppressions:\n  - rule: DDB002\n    resource: x\n    reason: a waiver that ran out\n    expires: 2020-01-01\n")
    accounts = f"{ACCOUNT},{OTHER},333333333333"

    def shard(spec: str, accounts: str = accounts) -> str:
        out = tmp_path / f"{spec.replace('/', '-')}-{len(accounts)}.json"
        result = run_ddbguard("audit", "--endpoint-url", moto, "--accounts", accounts, "--role-name", "auditor",
                              "--regions", "us-east-1", "--shard", spec, "--run-id", "nightly", "--format", "json",
                              "--output", str(out), "--config", str(config))
        assert result.code in (0, 1), result.stderr
        return str(out)

    first, second, third = shard("1/3"), shard("2/3"), shard("3/3")
    audit_scope = json.loads(Path(first).read_text())["audit"]
    assert audit_scope["shard"] == [1, 3] and audit_scope["accounts"] == 1 and len(audit_scope["accounts_digest"]) == 64
    whole = run_ddbguard("merge", first, second, third, "--format", "json").json()
    assert whole["errors"] == []
    assert whole["audit"] == {"shard": None, "shards": 3, "accounts_digest": audit_scope["accounts_digest"],
                              "run_id": "nightly", "regions": ["us-east-1"], "table_prefix": None,
                              "version": audit_scope["version"], "started_at": min(
                                  json.loads(Path(s).read_text())["audit"]["started_at"] for s in (first, second, third))}
    assert [f["rule_id"] for f in whole["findings"]].count("DDB000") == 1
    missing = run_ddbguard("merge", first, third, "--format", "json")
    assert missing.code == 2
    assert missing.json()["errors"] == [{"file": "merge", "message": "shard 2/3 is missing: its accounts are not in "
                                                                      "this report"}]
    repeated = run_ddbguard("merge", first, second, third, second, "--format", "json")
    assert repeated.json()["errors"] == [{"file": "merge", "message": f"shard 2/3 is given more than once ({second}, "
                                                                       f"{second})"}]
    other_run = shard("2/3", f"{ACCOUNT},{OTHER}")
    mixed = run_ddbguard("merge", first, other_run, third)
    assert mixed.code == 2
    assert mixed.stderr.startswith("ddbguard: the reports audited different account lists (")


def test_the_quick_finding_check_agrees_with_jsonschema():
    import copy

    import jsonschema

    from ddbguard.report.json_report import finding_checker, report_schema

    schema = report_schema()
    definition = schema["$defs"]["finding"]
    validator = jsonschema.Draft202012Validator({**definition, "$defs": schema["$defs"]})
    good = {"rule_id": "DDB001", "title": "t", "status": "fail", "severity": "high", "message": "m", "stack": "s",
            "logical_id": "l", "resource_type": None, "cdk_path": None, "file": "f", "line": 3, "engine": "live",
            "remediation": "r", "suppression_reason": None, "account": "1", "region": "r", "arn": "a",
            "resource_name": "n"}
    mutations = [lambda f: f, lambda f: f.pop("rule_id"), lambda f: f.update(rule_id="X1"),
                 lambda f: f.update(status="ok"), lambda f: f.update(line=-1), lambda f: f.update(line=True),
                 lambda f: f.update(line="3"), lambda f: f.update(extra=1), lambda f: f.pop("arn"),
                 lambda f: f.update(status="suppressed"), lambda f: f.update(status="suppressed", suppression_reason=""),
                 lambda f: f.update(status="suppressed", suppression_reason="baseline"),
                 lambda f: f.update(cdk_path=3), lambda f: f.update(resource_type="AWS::DynamoDB::Table"),
                 lambda f: f.update(severity="urgent"), lambda f: f.update(title=None),
                 lambda f: f.update(line=3.0), lambda f: f.update(message=True), lambda f: f.update(cdk_path=None)]
    for mutate in mutations:
        finding = copy.deepcopy(good)
        mutate(finding)
        assert (finding_checker(definition)(finding) is None) == validator.is_valid(finding), finding


@pytest.mark.parametrize("shard", ["0/2", "3/2", "x"])
def test_bad_shard_is_a_usage_error(moto, shard):
    assert run_ddbguard("audit", "--endpoint-url", moto, "--shard", shard).code == 2


def test_every_api_call_is_in_the_shipped_read_only_policy(moto):
    """Run the audit in-process, record every call it makes, and compare with the shipped policy."""
    from ddbguard.config import Config
    from ddbguard.commands.audit import AuditOptions, audit_evaluations

    seed_guide_account(boto3.Session(), moto)
    calls: set[str] = set()
    config = Config(encryption_level="customer-managed")  # also exercises kms:DescribeKey
    _, errors = audit_evaluations(AuditOptions(regions=["us-east-1"], accounts=[ACCOUNT, OTHER], role_name="auditor",
                                       endpoint_url=moto, observer=calls.add), config)
    evaluations, more_errors = audit_evaluations(AuditOptions(regions=["all"], endpoint_url=moto, observer=calls.add), Config())
    assert errors == [] and more_errors == []
    assert {e.live.region for e in evaluations} == {"us-east-1"}  # "all" regions were audited; only one has tables
    assert "ec2:DescribeRegions" in calls
    policy = json.loads((ROOT / "iam" / "ddbguard-audit-policy.json").read_text())
    allowed = {action.lower() for statement in policy["Statement"] for action in statement["Action"]}
    assert {call.lower() for call in calls} <= allowed, sorted(c for c in calls if c.lower() not in allowed)
    assert "dynamodb:describecontinuousbackups" in {c.lower() for c in calls}
    assert not any(a.endswith("*") or ":put" in a or ":delete" in a or ":update" in a or ":create" in a
                   for a in allowed)


def _function_with_grants(session, moto, name: str, variables: dict, statements: list) -> None:
    iam = session.client("iam", endpoint_url=moto)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))["Role"]
    iam.put_role_policy(RoleName=f"{name}-role", PolicyName="data",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    from fixtures.live.seed import _zip

    session.client("lambda", region_name="us-east-1", endpoint_url=moto).create_function(
        FunctionName=name, Runtime="python3.11", Role=role["Arn"], Handler="index.handler", Code={"ZipFile": _zip()},
        Environment={"Variables": variables})


def test_index_grants_and_cross_account_grants_of_functions(moto, tmp_path):
    session = boto3.Session()
    session.client("dynamodb", region_name="us-east-1", endpoint_url=moto).create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "s", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "ByStatus", "KeySchema": [{"AttributeName": "s", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    orders = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    _function_with_grants(session, moto, "orders-api", {"ORDERS_TABLE": "orders"}, [
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [orders, f"{orders}/index/*"]},
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "arn:aws:dynamodb:us-east-1:999999999999:table/partner"},
    ])
    report = audit(moto, "--regions", "us-east-1").json()
    functions = {(f["rule_id"], f["status"]) for f in report["findings"] if f["resource_name"] == "orders-api"}
    assert functions == {("DDB010", "pass"), ("DDB011", "pass"), ("DDB012", "pass"), ("DDB013", "fail")}
    message = next(f["message"] for f in report["findings"] if f["rule_id"] == "DDB013")
    assert message == "role orders-api-role: grants on table partner in account 999999999999, which is not in trusted_accounts"
    config = tmp_path / ".ddbguard.yaml"
    config.write_text('trusted_accounts: ["999999999999"]\n')
    trusted = audit(moto, "--regions", "us-east-1", "--config", str(config)).json()
    assert {(f["rule_id"], f["status"]) for f in trusted["findings"] if f["resource_name"] == "orders-api"} == {
        ("DDB010", "pass"), ("DDB011", "pass"), ("DDB012", "pass"), ("DDB013", "pass")}


def test_organization_lists_the_accounts(moto):
    organizations = boto3.client("organizations", endpoint_url=moto)
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(Email="data@example.com", AccountName="data")["CreateAccountStatus"]
    member_id = organizations.describe_create_account_status(CreateAccountRequestId=member["Id"])[
        "CreateAccountStatus"]["AccountId"]
    seed_guide_account(boto3.Session(), moto)
    result = audit(moto, "--organization", "--role-name", "auditor", "--regions", "us-east-1")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    assert {f["account"] for f in report["findings"]} == {ACCOUNT}  # the member account has no table yet
    second = sorted([ACCOUNT, member_id])[1]  # the accounts of shard 2/2
    shard = audit(moto, "--organization", "--role-name", "auditor", "--regions", "us-east-1", "--shard", "2/2")
    assert {f["account"] for f in shard.json()["findings"]} == ({ACCOUNT} if second == ACCOUNT else set())


@pytest.mark.parametrize("ci, shown", [("", True), ("true", False)])
def test_progress_on_a_terminal_and_quiet_in_ci(moto, ci, shown):
    import os
    import shlex
    import subprocess
    import sys

    seed_guide_account(boto3.Session(), moto)
    command = shlex.join([sys.executable, "-m", "ddbguard", "audit", "--endpoint-url", moto, "--regions", "us-east-1"])
    env = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": ci} if ci else {})
    # `script` gives the command a real pseudo-terminal, as a person at a shell would have
    completed = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=env,
                               cwd=ROOT, check=False)
    assert completed.returncode == 1
    assert ("ddbguard audit: 4/4 tables (123456789012/us-east-1)" in completed.stdout) is shown


def test_table_prefix_limits_the_scope(moto):
    seed_guide_account(boto3.Session(), moto)
    report = audit(moto, "--regions", "us-east-1", "--table-prefix", TABLES["recovery-plans"]).json()
    tables = {f["resource_name"] for f in report["findings"] if ":table/" in f["arn"]}
    assert tables == {TABLES["recovery-plans"]}


def test_unknown_profile_is_one_line_and_exit_2(moto):
    result = run_ddbguard("audit", "--endpoint-url", moto, "--profile", "no-such-profile")
    assert result.code == 2
    assert "  credentials: The config profile (no-such-profile) could not be found" in result.stdout


def test_local_secondary_indexes_are_covered_too(moto):
    session = boto3.Session()
    session.client("dynamodb", region_name="us-east-1", endpoint_url=moto).create_table(
        TableName="events", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "at", "AttributeType": "S"},
                              {"AttributeName": "kind", "AttributeType": "S"}],
        LocalSecondaryIndexes=[{"IndexName": "ByKind", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"},
                                                                     {"AttributeName": "kind", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}])
    events = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/events"
    _function_with_grants(session, moto, "events-api", {"EVENTS_TABLE": "events"}, [
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [events]}])
    report = audit(moto, "--regions", "us-east-1").json()
    index = next(f for f in report["findings"] if f["rule_id"] == "DDB010" and f["resource_name"] == "events-api")
    assert (index["status"], index["message"]) == (
        "fail", "role events-api-role may Query/Scan table events but not its index ByKind")


def test_organization_accounts_are_read_from_state_then_status():
    from ddbguard.live.scope import active_accounts

    # ListAccounts as AWS answers while it moves from Status to State (recorded shapes; moto only sends Status)
    listed = [{"Id": "111111111111", "State": "ACTIVE", "Status": "ACTIVE"},
              {"Id": "222222222222", "State": "SUSPENDED", "Status": "ACTIVE"},
              {"Id": "333333333333", "State": "ACTIVE"},
              {"Id": "444444444444", "Status": "ACTIVE"},
              {"Id": "555555555555", "State": "PENDING_CLOSURE"}]
    assert active_accounts(listed) == ["111111111111", "333333333333", "444444444444"]


def test_an_empty_scope_is_exit_2_never_a_green_run(moto):
    empty = audit(moto, "--regions", "us-east-1")  # nothing seeded
    assert empty.code == 2
    assert empty.json()["errors"] == [{"file": "scope", "message": "no DynamoDB table in 1 account(s) x 1 region(s)"}]
    seed_guide_account(boto3.Session(), moto)
    mistyped = audit(moto, "--regions", "us-east-1", "--table-prefix", "aws-drs-orchestraton")
    assert mistyped.code == 2
    assert mistyped.json()["errors"] == [{"file": "scope", "message": "no DynamoDB table whose name starts with "
                                          "'aws-drs-orchestraton' in 1 account(s) x 1 region(s)"}]


def test_a_resource_policy_that_cannot_be_found_for_its_table_is_unknown(moto):
    """GetResourcePolicy answers ResourceNotFoundException for a table that is not ACTIVE: unknown, not "no policy"."""
    from ddbguard.config import Config
    from ddbguard.commands.audit import AuditOptions, audit_evaluations

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    dynamodb.create_table(TableName="leaving", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    def delete_before_the_policy_is_read(call: str) -> None:
        if call == "dynamodb:GetResourcePolicy":  # the table goes away between DescribeTable and GetResourcePolicy
            dynamodb.delete_table(TableName="leaving")

    evaluations, errors = audit_evaluations(AuditOptions(regions=["us-east-1"], endpoint_url=moto,
                                                         observer=delete_before_the_policy_is_read), Config())
    assert errors == []
    policy = next(e for e in evaluations if e.rule_id == "DDB005")
    assert (policy.logical_id, policy.status.value, policy.message) == (
        "leaving", "unknown",
        "ResourceNotFoundException on dynamodb:GetResourcePolicy: Requested resource not found: Table: leaving not found")


# -- merge: one run, one scope, one verdict per finding ----------------------------------------------------
def _shard(moto, tmp_path, spec: str, *extra: str, name: str | None = None) -> str:
    out = tmp_path / (name or f"shard-{spec.replace('/', '-')}.json")
    result = run_ddbguard("audit", "--endpoint-url", moto, "--accounts", f"{ACCOUNT},{OTHER}", "--role-name", "auditor",
                          "--shard", spec, "--format", "json", "--output", str(out), *extra)
    assert result.code in (0, 1), result.stderr
    return str(out)


def test_an_audit_report_carries_its_scope(moto, tmp_path):
    from ddbguard import __version__

    seed_guide_account(boto3.Session(), moto)
    scope = json.loads(Path(_shard(moto, tmp_path, "1/2", "--regions", "us-east-1,eu-west-1", "--run-id", "nightly-7",
                                   "--table-prefix", "aws-drs")).read_text())["audit"]
    assert scope.pop("started_at").endswith("Z")
    assert scope == {"run_id": "nightly-7", "regions": ["eu-west-1", "us-east-1"], "table_prefix": "aws-drs",
                     "version": __version__, "shard": [1, 2], "accounts": 1, "accounts_digest": scope["accounts_digest"]}
    generated = json.loads(Path(_shard(moto, tmp_path, "2/2", "--regions", "us-east-1", name="g.json")).read_text())
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", generated["audit"]["run_id"])  # a run id when none is given
    assert generated["audit"]["table_prefix"] is None


@pytest.mark.parametrize("second, message", [
    (("--regions", "us-east-1", "--run-id", "other"),
     "the reports are not of one run: run id nightly-7 in {first}, other in {second}: merge the shards of one run"),
    (("--regions", "eu-west-1", "--run-id", "nightly-7"),
     "the reports are not of one run: regions us-east-1 in {first}, eu-west-1 in {second}: merge the shards of one "
     "run"),
    (("--regions", "us-east-1", "--run-id", "nightly-7", "--table-prefix", "aws"),
     "the reports are not of one run: table prefix none in {first}, aws in {second}: merge the shards of one run"),
])
def test_merge_refuses_shards_of_other_runs_or_scopes_in_one_line(moto, tmp_path, second, message):
    seed_guide_account(boto3.Session(), moto)
    first = _shard(moto, tmp_path, "1/2", "--regions", "us-east-1", "--run-id", "nightly-7")
    other = _shard(moto, tmp_path, "2/2", *second)
    result = run_ddbguard("merge", first, other, "--format", "json")
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"ddbguard: {message.format(first=first, second=other)}\n"


def test_merge_refuses_reports_of_different_ddbguard_versions(moto, tmp_path):
    seed_guide_account(boto3.Session(), moto)
    first = _shard(moto, tmp_path, "1/2", "--regions", "us-east-1", "--run-id", "r")
    second = Path(_shard(moto, tmp_path, "2/2", "--regions", "us-east-1", "--run-id", "r"))
    data = json.loads(second.read_text())
    data["audit"]["version"] = data["tool"]["version"] = "0.0.9"
    second.write_text(json.dumps(data))
    result = run_ddbguard("merge", first, str(second))
    assert result.code == 2
    assert result.stderr.startswith("ddbguard: the reports are not of one run: ddbguard version ")


def test_merge_of_one_run_keeps_the_failure_when_two_reports_of_a_table_disagree(moto, tmp_path):
    """A later duplicate that passes must never hide the failure: Security Hub would show the table RESOLVED."""
    seed_guide_account(boto3.Session(), moto)
    run = ("--regions", "us-east-1", "--run-id", "nightly-8", "--format", "json")
    failing = tmp_path / "first.json"
    assert audit(moto, *run[:-2], "--output", str(failing)).code == 1
    boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto).update_continuous_backups(
        TableName=TABLES["recovery-plans"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    passing = tmp_path / "again.json"
    assert audit(moto, *run[:-2], "--output", str(passing)).code == 1
    merged = run_ddbguard("merge", str(failing), str(passing), "--format", "json").json()
    pitr = [(f["resource_name"], f["status"]) for f in merged["findings"] if f["rule_id"] == "DDB002"]
    assert sorted(pitr) == sorted({(name, "fail" if name == TABLES["recovery-plans"] else "pass")
                                   for name in TABLES.values()})
    asff = json.loads(run_ddbguard("merge", str(passing), str(failing), "--format", "asff").stdout)["Findings"]
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLES['recovery-plans']}"
    assert [f["Compliance"]["Status"] for f in asff if f["Id"] == f"ddbguard/DDB002/{arn}"] == ["FAILED"]
