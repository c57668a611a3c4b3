"""Cross-resource rules on whole inputs: nested stacks from S3 URLs, SAM applications, several stacks."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, run_ddbguard

NESTED = FIXTURES / "templates" / "nested"


def not_passing(report: dict, rules=None) -> set:
    return {(f["rule_id"], f["stack"], f["logical_id"], f["status"]) for f in report["findings"]
            if f["status"] != "pass" and (rules is None or f["rule_id"] in rules)}


def test_nested_stacks_from_s3_urls_receive_their_parameters():
    result = run_ddbguard("check", str(NESTED / "main.yaml"), "--template-root", str(NESTED), "--format", "json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    assert {f["stack"] for f in report["findings"]} == {"main/DataStack", "main/ComputeStack"}
    assert not_passing(report) == {
        ("DDB010", "main/ComputeStack", "HandlerRole", "fail"),
        ("DDB011", "main/ComputeStack", "Handler", "fail"),
        ("DDB022", "main/DataStack", "Orders", "suppressed"),  # no backup plan in the input: said, not failed
    }
    messages = {f["rule_id"]: f["message"] for f in report["findings"] if f["status"] == "fail"}
    # the data stack's Environment parameter came from the parent, its output reached the compute stack
    assert messages["DDB011"] == "AUDIT_TABLE names table audit-test, but role HandlerRole may use only: orders-prod"
    assert messages["DDB010"].startswith("role HandlerRole may Query/Scan table orders-prod but not its index ByStatus")
    finding = next(f for f in report["findings"] if f["rule_id"] == "DDB011")
    assert (finding["file"], finding["line"]) == (str(NESTED / "cfn" / "compute.yaml"), 27)


def test_nested_template_given_alone_cannot_be_verified():
    # Without its parent the compute stack's parameters have no values: unknown, never a pass.
    result = run_ddbguard("check", str(NESTED / "cfn" / "compute.yaml"), "--format", "json")
    assert result.code == 1
    assert not_passing(result.json(), {"DDB011"}) == {("DDB011", "compute", "Handler", "unknown")}


def test_s3_urls_are_found_next_to_the_parent_or_under_template_root(tmp_path):
    elsewhere = tmp_path / "main.yaml"
    elsewhere.write_text((NESTED / "main.yaml").read_text())
    alone = run_ddbguard("check", str(elsewhere), "--format", "json")
    # a nested stack whose template is not found is an input error, never a silent skip
    assert alone.code == 2
    assert {(e["file"], e["message"]) for e in alone.json()["errors"]} == {
        (str(elsewhere), f"nested stack {logical_id}: template https://s3.amazonaws.com/${{SourceBucket}}/cfn/"
                         f"{name}.yaml not found locally (pass the folder that holds it with --template-root)")
        for logical_id, name in (("DataStack", "data"), ("ComputeStack", "compute"))}
    rooted = run_ddbguard("check", str(elsewhere), "--template-root", str(NESTED), "--format", "json")
    assert not_passing(rooted.json()) == {("DDB010", "main/ComputeStack", "HandlerRole", "fail"),
                                          ("DDB011", "main/ComputeStack", "Handler", "fail"),
                                          ("DDB022", "main/DataStack", "Orders", "suppressed")}
    beside = run_ddbguard("check", str(NESTED / "main.yaml"), "--format", "json")
    assert not_passing(beside.json()) == not_passing(rooted.json())


def test_sam_application_is_expanded_before_checking():
    path = FIXTURES / "templates" / "sam" / "app.yaml"
    result = run_ddbguard("check", str(path), "--format", "json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert not_passing(report) == {
        ("DDB011", "app", "Reports", "fail"),
        ("DDB015", "app", "ReportsRole", "fail"),
        ("DDB012", "app", "AdminRole", "fail"),
        ("DDB013", "app", "AdminRole", "fail"),  # AmazonDynamoDBFullAccess: Resource "*" reaches every account
        ("DDB022", "app", "Orders", "suppressed"),
    }
    passing = {(f["rule_id"], f["logical_id"]) for f in report["findings"] if f["status"] == "pass"}
    assert {("DDB011", "OrdersApi"), ("DDB012", "OrdersApiRole"), ("DDB015", "OrdersApiRole"),
            ("DDB011", "Auditor"), ("DDB012", "AuditorReadOrdersPolicy")} <= passing
    reports = next(f for f in report["findings"] if f["rule_id"] == "DDB011" and f["status"] == "fail")
    assert reports["message"] == "REPORTS_TABLE names table reports-prod, but role ReportsRole may use only: orders-prod"
    # SAM-generated resources are located at the resource they came from
    admin = next(f for f in report["findings"] if f["rule_id"] == "DDB012" and f["status"] == "fail")
    lines = path.read_text().splitlines()
    assert lines[admin["line"] - 1] == "  Admin:"


def test_broken_sam_template_is_an_input_error(tmp_path):
    path = tmp_path / "sam.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    "    Properties: {Runtime: 7}\n")
    result = run_ddbguard("check", str(path))
    assert result.code == 2
    assert f"  {path}: AWS SAM template could not be expanded: " in result.stdout


@pytest.mark.parametrize("exports, expected", [
    ({}, {("DDB014", "compute", "Handler", "fail"), ("DDB014", "compute", "Role", "fail"),
          ("DDB011", "compute", "Handler", "unknown")}),
    ({"data-OrdersTable": "orders"}, set()),
])
def test_imports_resolve_across_templates_given_together(tmp_path, exports, expected):
    data = tmp_path / "data.yaml"
    data.write_text("Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties: {TableName: orders}\n"
                    "Outputs:\n  Name:\n    Value: !Ref Orders\n    Export: {Name: data-OrdersTable}\n")
    compute = tmp_path / "compute.yaml"
    compute.write_text(
        "Resources:\n"
        "  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}\n"
        "      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n"
        "              - Effect: Allow\n                Action: dynamodb:GetItem\n"
        "                Resource: !Sub ['arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${T}',"
        " {T: !ImportValue data-OrdersTable}]\n"
        "  Handler:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt Role.Arn\n"
        "      Environment: {Variables: {ORDERS_TABLE: !ImportValue data-OrdersTable}}\n")
    inputs = [str(compute)] if not exports else [str(compute), str(data)]
    report = run_ddbguard("check", *inputs, "--format", "json").json()
    assert not_passing(report, {"DDB011", "DDB014"}) == expected


def test_a_grant_that_spells_a_partition_a_template_file_leaves_open_is_unknown_until_the_region_is_given(tmp_path):
    """A template file names no region, so its tables' partition is open: a grant on `arn:aws:...` reaches them
    only in the aws partition. With AWS::Region from --parameters it is known (and the grant works)."""
    template = tmp_path / "app.yaml"
    template.write_text(
        "Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties: {TableName: orders}\n"
        "  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}\n"
        "      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n"
        "              - {Effect: Allow, Action: dynamodb:GetItem, "
        "Resource: !Sub 'arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders'}\n"
        "  Handler:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt Role.Arn\n"
        "      Environment: {Variables: {ORDERS_TABLE: !Ref Orders}}\n")
    report = run_ddbguard("check", str(template), "--format", "json").json()
    [finding] = [f for f in report["findings"] if f["rule_id"] == "DDB011"]
    assert (finding["status"], finding["message"]) == ("unknown", (
        "ORDERS_TABLE names table orders; whether role Role may use it is unknown: it is granted table orders as "
        "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders, and whether that is the table's partition, "
        "region and account (arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders) cannot "
        "be resolved statically (a template file names no region or account: give AWS::Region and AWS::AccountId "
        "with --parameters)"))
    params = tmp_path / "params.json"
    params.write_text('{"AWS::Region": "us-east-1", "AWS::AccountId": "111111111111"}')
    report = run_ddbguard("check", str(template), "--parameters", str(params), "--format", "json").json()
    assert [f["status"] for f in report["findings"] if f["rule_id"] == "DDB011"] == ["pass"]


def test_aws_backups_service_role_may_read_every_table_but_a_function_role_may_not(tmp_path):
    """AWSBackupServiceRolePolicyForBackup grants on table/*: by design for a role only AWS Backup can assume."""
    def role(service: str) -> dict:
        return {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                                        "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"]}}

    template = tmp_path / "backups.json"
    template.write_text(json.dumps({"Resources": {"BackupRole": role("backup.amazonaws.com"),
                                                  "FunctionRole": role("lambda.amazonaws.com")}}))
    report = run_ddbguard("check", str(template), "--format", "json").json()
    assert {(f["logical_id"], f["status"]) for f in report["findings"] if f["rule_id"] == "DDB012"} == {
        ("FunctionRole", "fail")}


COMPLIANT_TABLE = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                   "Properties": {"TableName": "orders", "BillingMode": "PAY_PER_REQUEST", "DeletionProtectionEnabled": True,
                                  "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                                  "SSESpecification": {"SSEEnabled": True},
                                  "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}
DAILY_PLAN = {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {
    "BackupPlanName": "daily", "BackupPlanRule": [{"RuleName": "daily", "TargetBackupVault": "Default",
                                                   "Lifecycle": {"DeleteAfterDays": 35}}]}}}


def test_an_input_without_backup_plans_says_so_at_low_severity_without_failing(tmp_path):
    # organization backup policies are common: a table the input cannot show a plan for is reported, not failed
    template = tmp_path / "table.json"
    template.write_text(json.dumps({"Resources": {"Orders": COMPLIANT_TABLE}}))
    result = run_ddbguard("check", str(template), "--format", "json")
    assert result.code == 0, result.stdout
    [finding] = [f for f in result.json()["findings"] if f["rule_id"] == "DDB022"]
    assert (finding["status"], finding["severity"], finding["message"]) == (
        "suppressed", "low", "no backup plan selects table orders: the input defines no AWS Backup plan (an "
                             "organization backup policy may apply: `ddbguard audit` judges it)")
    assert finding["suppression_reason"].startswith("the input defines no backup plan, so an organization backup "
                                                    "policy may cover the table")
    assert not_passing(result.json()) == {("DDB022", "table", "Orders", "suppressed")}

    # once the input defines a plan, a table it does not select fails at the rule's severity
    template.write_text(json.dumps({"Resources": {"Orders": COMPLIANT_TABLE, "Plan": DAILY_PLAN}}))
    result = run_ddbguard("check", str(template), "--format", "json")
    assert result.code == 1
    [finding] = [f for f in result.json()["findings"] if f["rule_id"] == "DDB022"]
    assert (finding["status"], finding["severity"], finding["message"]) == (
        "fail", "medium", "no backup plan of the input selects table orders")


def test_a_users_suppression_of_ddb022_keeps_its_own_reason(tmp_path):
    template = tmp_path / "table.json"
    template.write_text(json.dumps({"Resources": {"Orders": COMPLIANT_TABLE}}))
    (tmp_path / ".ddbguard.yaml").write_text(
        "suppressions:\n  - {rule: DDB022, resource: Orders, reason: the org backup policy daily-35 covers it}\n")
    report = run_ddbguard("check", str(template), "--format", "json", cwd=tmp_path).json()
    [finding] = [f for f in report["findings"] if f["rule_id"] == "DDB022"]
    assert (finding["status"], finding["suppression_reason"]) == ("suppressed", "the org backup policy daily-35 covers it")


EVERYTHING_BUT_SCRATCH = {"Type": "AWS::Backup::BackupSelection", "Properties": {
    "BackupPlanId": {"Ref": "Plan"}, "BackupSelection": {
        "SelectionName": "all", "IamRoleArn": "arn:aws:iam::111111111111:role/backup", "Resources": ["*"],
        "Conditions": {"StringNotEquals": [{"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "scratch"}]}}}}


@pytest.mark.parametrize("changes, expected", [
    # CloudFormation would reject these shapes: never read as a plan that keeps points forever, never a crash
    ({"Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanRule": [
        {"RuleName": "r", "TargetBackupVault": "Default", "Lifecycle": "35 days"}]}}}},
     ("unknown", "whether a backup plan keeps table orders is unknown: the retention of backup plan Plan cannot be "
                 "resolved statically")),
    ({"Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": "daily"}}},
     ("unknown", "whether a backup plan keeps table orders is unknown: backup plan Plan has no rule that can be read")),
    ({"Everything": {"Type": "AWS::Backup::BackupSelection", "Properties": {
        "BackupPlanId": {"Ref": "Plan"}, "BackupSelection": {"Resources": ["*"], "Conditions": {"StringEquals": "x"}}}}},
     ("unknown", "whether a backup plan keeps table orders is unknown: backup selection Everything does not have the "
                 "shape CloudFormation requires")),
    # tags that do not resolve could be env=scratch: a StringNotEquals selection cannot tell
    ({"Orders": {**COMPLIANT_TABLE, "Properties": {**COMPLIANT_TABLE["Properties"], "Tags": {"Ref": "Tags"}}}},
     ("unknown", "whether a backup plan keeps table orders is unknown: a backup selection's tag condition or the "
                 "table's tags cannot be resolved statically")),
    # AWS Backup documents `*` for StringLike, not `?`
    ({"Everything": {"Type": "AWS::Backup::BackupSelection", "Properties": {
        "BackupPlanId": {"Ref": "Plan"}, "BackupSelection": {"Resources": ["*"], "Conditions": {"StringLike": [
            {"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "pro?"}]}}}}},
     ("unknown", "whether a backup plan keeps table orders is unknown: backup selection Everything has a `?` in a "
                 "StringLike pattern, whose meaning AWS Backup does not document")),
    ({}, ("pass", "compliant")),
])
def test_backup_resources_that_cannot_be_read_leave_ddb022_unknown(tmp_path, changes, expected):
    template = tmp_path / "backups.json"
    resources = {"Orders": COMPLIANT_TABLE, "Plan": DAILY_PLAN, "Everything": EVERYTHING_BUT_SCRATCH, **changes}
    template.write_text(json.dumps({"Parameters": {"Tags": {"Type": "String"}}, "Resources": resources}))
    result = run_ddbguard("check", str(template), "--format", "json")
    assert "Traceback" not in result.stderr and result.json()["errors"] == []
    [finding] = [f for f in result.json()["findings"] if f["rule_id"] == "DDB022"]
    assert (finding["status"], finding["message"]) == expected
