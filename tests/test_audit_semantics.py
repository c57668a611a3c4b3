"""The audit judged the way AWS behaves: each case was a false pass or a silent gap before, and each is
tested against the moto server (or, where moto does not model AWS, on responses recorded from the AWS
API reference: AWS Backup recovery points, global table replicas, Environment.Error, table status)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest

from conftest import run_ddbguard
from ddbguard.config import Config
from ddbguard.commands.audit import AuditOptions, audit_evaluations
from ddbguard.model import Unknown

ACCOUNT = "123456789012"
KEY = [{"AttributeName": "id", "KeyType": "HASH"}]
ID = [{"AttributeName": "id", "AttributeType": "S"}]


def judged(moto, config: Config | None = None, **options) -> dict:
    """(rule, resource) -> (status, message) of an in-process audit of the moto account."""
    evaluations, errors = audit_evaluations(AuditOptions(endpoint_url=moto, **{"regions": ["us-east-1"], **options}),
                                            config or Config())
    assert errors == []
    return {(e.rule_id, e.logical_id): (e.status.value, e.message) for e in evaluations}


def table(moto, name: str, region: str = "us-east-1", **extra) -> str:
    client = boto3.client("dynamodb", region_name=region, endpoint_url=moto)
    return client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=KEY, AttributeDefinitions=ID,
                               **extra)["TableDescription"]["TableArn"]


def function(moto, name: str, variables: dict, statements: list, boundary: list | None = None) -> None:
    iam = boto3.client("iam", endpoint_url=moto)
    extra = {}
    if boundary is not None:
        extra["PermissionsBoundary"] = iam.create_policy(
            PolicyName=f"{name}-boundary", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": boundary})
        )["Policy"]["Arn"]
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}", **extra)["Role"]
    iam.put_role_policy(RoleName=f"{name}-role", PolicyName="data",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    from fixtures.live.seed import _zip

    boto3.client("lambda", region_name="us-east-1", endpoint_url=moto).create_function(
        FunctionName=name, Runtime="python3.11", Role=role["Arn"], Handler="index.handler", Code={"ZipFile": _zip()},
        Environment={"Variables": variables})


def resource_policy(moto, arn: str, condition: dict | None) -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": arn}
    if condition is not None:
        statement["Condition"] = condition
    boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto).put_resource_policy(
        ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


# -- DDB013: a * principal pinned by a condition ---------------------------------------------------------
@pytest.mark.parametrize("condition, status, message", [
    ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, "pass", "compliant"),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-trusted0001"}}, "pass", "compliant"),
    ({"StringEquals": {"aws:PrincipalAccount": "999999999999"}}, "fail",
     "the resource policy allows the * principal when aws:PrincipalAccount '999999999999', which is not the table's "
     "own or a trusted account or organization (trusted_accounts, trusted_organizations)"),
    ({"StringEquals": {"aws:PrincipalOrgID": "o-elsewhere01"}}, "fail",
     "the resource policy allows the * principal when aws:PrincipalOrgID 'o-elsewhere01', which is not the table's "
     "own or a trusted account or organization (trusted_accounts, trusted_organizations)"),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}}, "fail",
     "the resource policy allows the * principal when aws:PrincipalArn 'arn:aws:iam::*:role/reader', which is not "
     "the table's own or a trusted account or organization (trusted_accounts, trusted_organizations)"),
    # keys of one condition must all hold: one key pinned to a trusted account is enough
    ({"StringEquals": {"aws:SourceAccount": "999999999999", "aws:PrincipalAccount": ACCOUNT}}, "pass", "compliant"),
    (None, "fail", "the resource policy allows the * principal of any account (no condition pins the caller's "
                   "account or organization)"),
])
def test_a_star_principal_is_judged_by_the_account_or_organization_its_condition_pins(moto, condition, status,
                                                                                       message):
    resource_policy(moto, table(moto, "shared"), condition)
    config = Config(trusted_organizations=("o-trusted0001",))
    assert judged(moto, config)[("DDB013", "shared")] == (status, message)


def test_the_template_side_reads_pinned_conditions_the_same_way(tmp_path):
    template = {"Resources": {"Shared": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "KeySchema": KEY, "AttributeDefinitions": ID, "BillingMode": "PAY_PER_REQUEST",
        "ResourcePolicy": {"PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-elsewhere01"}}}]}}}}}}
    (tmp_path / "t.json").write_text(json.dumps(template))
    report = run_ddbguard("check", str(tmp_path / "t.json"), "--format", "json").json()
    found = next(f for f in report["findings"] if f["rule_id"] == "DDB013")
    assert (found["status"], found["message"]) == ("fail", (
        "the resource policy allows the * principal when aws:PrincipalOrgID 'o-elsewhere01', which is not the "
        "table's own or a trusted account or organization (trusted_accounts, trusted_organizations)"))
    (tmp_path / ".ddbguard.yaml").write_text('trusted_organizations: ["o-elsewhere01"]\n')
    trusted = run_ddbguard("check", str(tmp_path / "t.json"), "--format", "json", "--config",
                           str(tmp_path / ".ddbguard.yaml")).json()
    assert {(f["rule_id"], f["status"]) for f in trusted["findings"] if f["rule_id"] == "DDB013"} == {
        ("DDB013", "pass")}


# -- DDB011: permission boundaries, conditional Deny, ARNs, --table-prefix --------------------------------
def test_a_permission_boundary_limits_what_the_role_may_do(moto):
    orders = table(moto, "orders")
    function(moto, "bounded", {"ORDERS_TABLE": "orders"},
             [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": orders}],
             boundary=[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    function(moto, "within", {"ORDERS_TABLE": "orders"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": orders}],
             boundary=[{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}])
    results = judged(moto)
    assert results[("DDB011", "bounded")] == ("fail", "ORDERS_TABLE names table orders, but role bounded-role may not "
                                                      "use it")
    assert results[("DDB011", "within")] == ("pass", "compliant")


def test_a_deny_with_a_condition_makes_access_unknown_never_allowed(moto):
    orders = table(moto, "orders")
    function(moto, "guarded", {"ORDERS_TABLE": "orders"}, [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": orders},
        {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}])
    assert judged(moto)[("DDB011", "guarded")] == ("unknown", (
        "ORDERS_TABLE names table orders; whether role guarded-role may use it is unknown: a Deny with a Condition in "
        "the role's policies (guarded-role/data) applies to dynamodb:GetItem, and ddbguard cannot evaluate the "
        "condition"))


def test_a_table_arn_is_judged_in_its_own_region(moto):
    table(moto, "orders", region="eu-west-1")
    table(moto, "local")
    arn = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
    function(moto, "reporter", {"ORDERS_TABLE_ARN": arn}, [{"Effect": "Allow", "Action": "dynamodb:Query",
                                                            "Resource": arn}])
    # the function's region alone: the table's region is not read, so unknown (and which region to add)
    assert judged(moto)[("DDB011", "reporter")] == ("unknown", (
        f"ORDERS_TABLE_ARN names table orders in account {ACCOUNT} region eu-west-1, which this audit does not read "
        "(add it with --accounts/--regions)"))
    both = judged(moto, regions=["us-east-1", "eu-west-1"])
    assert both[("DDB011", "reporter")] == ("pass", "compliant")
    # the same name in the function's own region is not the table the ARN names
    function(moto, "misnamed", {"ORDERS_TABLE_ARN": arn.replace("eu-west-1", "us-east-1")},
             [{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}])
    assert judged(moto, regions=["us-east-1", "eu-west-1"])[("DDB011", "misnamed")] == ("fail", (
        f"ORDERS_TABLE_ARN names table orders, which does not exist in account {ACCOUNT} region us-east-1"))


def test_table_prefix_limits_what_is_judged_not_what_exists(moto):
    table(moto, "app-orders")
    table(moto, "shared-config")
    function(moto, "app", {"ORDERS_TABLE": "app-orders", "CONFIG_TABLE": "shared-config"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    results = judged(moto, table_prefix="app-")
    assert results[("DDB011", "app")] == ("pass", "compliant")
    assert {resource for rule, resource in results if rule == "DDB002"} == {"app-orders"}


# -- DDB020: this incarnation's backups, and AWS Backup's recovery points ----------------------------------
def test_a_backup_of_an_earlier_table_of_the_same_name_does_not_count(moto):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    table(moto, "orders")
    dynamodb.create_backup(TableName="orders", BackupName="before-recreation")
    dynamodb.delete_table(TableName="orders")
    table(moto, "orders")
    status, message = judged(moto)[("DDB020", "orders")]
    today = dt.datetime.now(dt.timezone.utc)
    assert (status, message) == ("fail", (
        "table orders has no backup (on-demand or AWS Backup) newer than 7 days; 1 recent backup(s) of an earlier "
        f"table of the same name do not count (the table was re-created on {today:%Y-%m-%d})"))
    dynamodb.create_backup(TableName="orders", BackupName="after-recreation")
    assert judged(moto)[("DDB020", "orders")] == ("pass", "compliant")


def test_aws_backup_recovery_points_count(moto, aws_backup):
    arn = table(moto, "orders")
    table(moto, "stale")
    stale = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/stale"
    now = dt.datetime.now(dt.timezone.utc)
    aws_backup.record(arn, now.timestamp())
    aws_backup.record(stale, (now - dt.timedelta(days=30)).timestamp())  # older than max_backup_age_days
    aws_backup.record(stale, (now - dt.timedelta(days=3)).timestamp())  # recent, but older than this table
    aws_backup.record(stale, now.timestamp(), status="PARTIAL")  # not a usable recovery point
    results = judged(moto)
    assert results[("DDB020", "orders")] == ("pass", "compliant")
    assert results[("DDB020", "stale")] == ("fail", (
        "table stale has no backup (on-demand or AWS Backup) newer than 7 days; 1 recent backup(s) of an earlier "
        f"table of the same name do not count (the table was re-created on {now:%Y-%m-%d})"))


def test_aws_backup_that_cannot_be_asked_is_unknown(moto, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_BACKUP")  # moto does not model AWS Backup: its answer is an error
    table(moto, "orders")
    assert judged(moto)[("DDB020", "orders")] == ("unknown", (
        "DynamoDB lists no recent backup of this table, and AWS Backup cannot be asked: 404 on "
        "backup:ListRecoveryPointsByResource"))


# -- DDB003: a KMS key that cannot be used ------------------------------------------------------------------
@pytest.mark.parametrize("action, state", [("disable_key", "Disabled"), ("schedule_key_deletion", "PendingDeletion")])
def test_a_disabled_or_deleted_customer_key_fails(moto, action, state):
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=moto)
    key = kms.create_key()["KeyMetadata"]
    table(moto, "orders", SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]})
    getattr(kms, action)(KeyId=key["KeyId"])
    assert judged(moto, Config(encryption_level="customer-managed"))[("DDB003", "orders")] == ("fail", (
        f"the table's KMS key {key['Arn']} is {state}: DynamoDB loses access to the data and archives the table; "
        "re-enable the key or cancel its deletion"))


def test_a_table_whose_key_is_inaccessible_fails_on_its_recorded_status():
    from ddbguard.kit.snapshot import LiveTable, RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    recorded = {"TableName": "orders", "TableStatus": "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "SSEDescription": {
        "Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
        "InaccessibleEncryptionDateTime": dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)}}
    snapshot = RegionSnapshot(ACCOUNT, "us-east-1", [LiveTable("orders", "arn:aws:dynamodb:us-east-1:1:table/orders",
                                                               recorded, {}, None)])
    [evaluation] = run_live_rule("DDB003", snapshot, Config(), None)
    assert (evaluation.status.value, evaluation.message) == ("fail", (
        "the table is INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key cannot be used; restore access to the key "
        "within 7 days or DynamoDB archives the table"))


# -- Lambda environments that cannot be read ----------------------------------------------------------------
def test_a_function_whose_environment_cannot_be_read_is_unknown():
    from ddbguard.live.collect import live_function
    from ddbguard.kit.snapshot import LiveRole, RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    # ListFunctions' item when Lambda cannot decrypt the environment (AWS Lambda API reference, EnvironmentResponse)
    recorded = {"FunctionName": "api", "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:api",
                "Role": f"arn:aws:iam::{ACCOUNT}:role/api", "Environment": {"Error": {
                    "ErrorCode": "KMSAccessDeniedException",
                    "Message": "Lambda was unable to decrypt the environment variables because KMS access was denied."}}}
    snapshot = RegionSnapshot(ACCOUNT, "us-east-1", functions=[live_function(recorded, LiveRole("r", "api", []))])
    [evaluation] = run_live_rule("DDB011", snapshot, Config(), None)
    assert (evaluation.status.value, evaluation.message) == ("unknown", (
        "the function's environment cannot be read: KMSAccessDeniedException: Lambda was unable to decrypt the "
        "environment variables because KMS access was denied."))


# -- global tables ---------------------------------------------------------------------------------------
def _replicated(name: str, region: str, replicas: list[str], stack=None):
    from ddbguard.kit.snapshot import LiveTable

    # DescribeTable of a global table (version 2019.11.21), as the DynamoDB API reference documents it
    description = {"TableName": name, "TableStatus": "ACTIVE", "TableArn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}",
                   "Replicas": [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in replicas],
                   "DeletionProtectionEnabled": True}
    found = LiveTable(name, description["TableArn"], description, {}, None, backups=[])
    if stack is not None:
        found.stack, found.template_resource = stack, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    return found


def test_a_replica_belongs_to_the_stack_of_its_global_table_and_unread_regions_are_unknown():
    from ddbguard.live.scope import join_replicas
    from ddbguard.kit.snapshot import RegionSnapshot, Scope
    from ddbguard.engines.live import run_live_rule

    east = RegionSnapshot(ACCOUNT, "us-east-1", [_replicated("orders", "us-east-1", ["eu-west-1", "ap-south-1"],
                                                             stack=("data", "Orders"))])
    west = RegionSnapshot(ACCOUNT, "eu-west-1", [_replicated("orders", "eu-west-1", ["us-east-1", "ap-south-1"])])
    join_replicas(Scope({(ACCOUNT, "us-east-1"): east, (ACCOUNT, "eu-west-1"): west}))
    assert west.tables[0].stack == ("data", "Orders")
    verdicts = {(e.stack, e.status.value, e.message) for snapshot in (east, west)
                for e in run_live_rule("DDB001", snapshot, Config(), None)}
    assert verdicts == {
        (f"{ACCOUNT}/us-east-1", "pass", "compliant"), (f"{ACCOUNT}/eu-west-1", "pass", "compliant"),
        (f"{ACCOUNT}/ap-south-1", "unknown", "a replica of global table orders is in region ap-south-1, which this "
                                             "audit does not read: add ap-south-1 to --regions")}
    # a replica whose owner may be in a region that is not read is unknown to DDB021, not "import it"
    alone = RegionSnapshot(ACCOUNT, "eu-west-1", [_replicated("orders", "eu-west-1", ["us-east-1"])])
    join_replicas(Scope({(ACCOUNT, "eu-west-1"): alone}))
    ddb021 = [(e.status.value, e.message) for e in run_live_rule("DDB021", alone, Config(), None)]
    assert ddb021 == [("unknown", "global table orders may be owned by a stack in us-east-1, which this audit does "
                                  "not read"),
                      ("unknown", "a replica of global table orders is in region us-east-1, which this audit does not "
                                  "read: add us-east-1 to --regions")]


# -- stacks in any state that still exists own their tables --------------------------------------------------
def test_stacks_in_failed_or_rollback_states_still_own_their_tables():
    from botocore.stub import Stubber

    from ddbguard.live.collect import _existing_stacks

    cloudformation = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    states = ["DELETE_FAILED", "UPDATE_FAILED", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
              "UPDATE_ROLLBACK_FAILED", "IMPORT_IN_PROGRESS", "IMPORT_ROLLBACK_FAILED", "DELETE_IN_PROGRESS",
              "DELETE_COMPLETE"]
    summaries = [{"StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/s{i}/uuid{i}", "StackName": f"s{i}",
                  "StackStatus": state, "CreationTime": dt.datetime(2026, 1, 1)} for i, state in enumerate(states)]
    with Stubber(cloudformation) as stub:  # one ListStacks page as recorded from the API
        stub.add_response("list_stacks", {"StackSummaries": summaries}, {})
        assert _existing_stacks(cloudformation) == [s["StackName"] for s in summaries[:-1]]


def test_credentials_of_an_assumed_role_renew_before_they_expire(moto):
    from ddbguard.live.scope import assumed_session

    calls = []
    base = boto3.Session()
    base.events.register("before-call", lambda model, **_: calls.append(model.name))
    sts = base.client("sts", endpoint_url=moto)
    session = assumed_session(sts, "arn:aws:iam::222222222222:role/auditor", "us-east-1", lambda **kw: boto3.Session(**kw))
    dynamodb = session.client("dynamodb", endpoint_url=moto)
    dynamodb.list_tables()
    assert calls == ["AssumeRole"]
    credentials = session._session._credentials
    credentials._expiry_time = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)  # about to expire
    dynamodb.list_tables()
    assert calls == ["AssumeRole", "AssumeRole"]
    assert boto3.client("sts", endpoint_url=moto, aws_access_key_id=credentials.access_key,
                        aws_secret_access_key=credentials.secret_key, aws_session_token=credentials.token
                        ).get_caller_identity()["Account"] == "222222222222"


# -- the template side shares the IAM answers ----------------------------------------------------------------
def _template_with_role(boundary, statements) -> dict:
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "Policies": [
        {"PolicyName": "data", "PolicyDocument": {"Statement": statements}}]}}
    if boundary is not None:
        role["Properties"]["PermissionsBoundary"] = boundary
    return {"Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders", "KeySchema": KEY,
                                                                  "AttributeDefinitions": ID}},
        "Boundary": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}},
        "Role": role,
        "Handler": {"Type": "AWS::Lambda::Function", "Properties": {
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Environment": {"Variables": {"ORDERS_TABLE": {"Ref": "Orders"}}}}},
    }}


@pytest.mark.parametrize("boundary, statements, expected", [
    ({"Ref": "Boundary"}, [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
     ("fail", "ORDERS_TABLE names table orders, which role Role's permissions boundary does not allow")),
    ("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
     ("pass", "compliant")),
    ("arn:aws:iam::123456789012:policy/org-boundary", [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
     ("unknown", "ORDERS_TABLE names table orders; whether role Role may use it is unknown: the permissions boundary "
                 "\"arn:aws:iam::123456789012:policy/org-boundary\" of role Role is neither in the input nor an AWS "
                 "managed policy ddbguard knows, so what it allows is unknown")),
    (None, [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
     ("unknown", "ORDERS_TABLE names table orders; whether role Role may use it is unknown: a Deny with a Condition "
                 "in the role's policies (Role) applies to dynamodb:GetItem, and ddbguard cannot evaluate the condition")),
])
def test_templates_judge_boundaries_and_conditional_denies_like_the_audit(tmp_path, boundary, statements, expected):
    (tmp_path / "t.json").write_text(json.dumps(_template_with_role(boundary, statements)))
    report = run_ddbguard("check", str(tmp_path / "t.json"), "--format", "json").json()
    found = next(f for f in report["findings"] if f["rule_id"] == "DDB011")
    assert (found["status"], found["message"]) == expected


def test_a_stack_deleted_while_the_audit_reads_owns_nothing_and_other_stacks_stay_known(moto):
    cloudformation = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=moto)
    for stack, name in (("data-a", "table-a"), ("data-b", "table-b")):
        cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps({"Resources": {"T": {
            "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"TableName": name, "KeySchema": KEY, "AttributeDefinitions": ID,
                           "BillingMode": "PAY_PER_REQUEST"}}}}))
    deleted = []

    def delete_data_b_while_the_audit_reads(call: str) -> None:
        if call == "cloudformation:ListStackResources" and not deleted:
            deleted.append(cloudformation.delete_stack(StackName="data-b"))  # its table is retained

    results = judged(moto, observer=delete_data_b_while_the_audit_reads)
    assert results[("DDB001", "table-a")] == ("pass", "compliant")
    assert results[("DDB021", "table-a")] == ("pass", "compliant")
    assert results[("DDB021", "table-b")][0] == "fail"  # retained when its stack went: unmanaged now


def test_a_stack_that_cannot_be_read_makes_only_unowned_tables_unknown():
    """Ownership is read stack by stack: a stack whose resources cannot be listed makes the tables that may be
    its own (those in no readable stack) unknown, never the tables another stack owns."""
    from botocore.stub import Stubber

    from ddbguard.live.collect import RegionWork, finish_region, read_stack
    from ddbguard.kit.snapshot import LiveTable, RegionSnapshot

    cloudformation = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    work = RegionWork(RegionSnapshot(ACCOUNT, "us-east-1"), {"cloudformation": cloudformation}, [], {},
                      ["data-a", "data-b"], dt.datetime.now(dt.timezone.utc), "aws-managed")
    with Stubber(cloudformation) as stub:  # ListStackResources and GetTemplate as recorded from the API
        stub.add_response("list_stack_resources", {"StackResourceSummaries": [{
            "LogicalResourceId": "T", "PhysicalResourceId": "table-a", "ResourceType": "AWS::DynamoDB::Table",
            "LastUpdatedTimestamp": dt.datetime(2026, 1, 1), "ResourceStatus": "CREATE_COMPLETE"}]},
            {"StackName": "data-a"})
        stub.add_response("get_template", {"TemplateBody": json.dumps({"Resources": {"T": {
            "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain"}}})}, {"StackName": "data-a"})
        stub.add_client_error("list_stack_resources", "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/"
                              "auditor/x is not authorized to perform: cloudformation:ListStackResources", 403,
                              expected_params={"StackName": "data-b"})
        read_stack(work, "data-a")
        read_stack(work, "data-b")
    tables = [LiveTable(name, f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}", {}, {}, None)
              for name in ("table-a", "by-hand")]
    snapshot = finish_region(work, tables)
    assert [(t.name, t.stack) for t in snapshot.tables] == [
        ("by-hand", Unknown("AccessDenied on cloudformation:ListStackResources: User: arn:aws:sts::123456789012:"
                            "assumed-role/auditor/x is not authorized to perform: cloudformation:ListStackResources "
                            "(data-b)")),
        ("table-a", ("data-a", "T"))]


# -- DDB007: termination protection and stack policies of the stacks that own tables --------------------
def _stack(moto, name: str, logical: str, table_name: str, deletion: object = "Retain", replace: str = "Retain",
           **extra) -> None:
    boto3.client("cloudformation", region_name="us-east-1", endpoint_url=moto).create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": {logical: {
            "Type": "AWS::DynamoDB::Table", "DeletionPolicy": deletion, "UpdateReplacePolicy": replace,
            "Properties": {"TableName": table_name, "KeySchema": KEY, "AttributeDefinitions": ID,
                           "BillingMode": "PAY_PER_REQUEST"}}}}), **extra)


GUARD_TABLES = {"Statement": [
    {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Principal": "*", "Resource": "*",
     "Condition": {"StringEquals": {"ResourceType": ["AWS::DynamoDB::Table"]}}}]}


def _waivers(moto) -> dict:
    """(stack) -> (status, severity, waiver) of the audit's DDB007 evaluations."""
    evaluations, errors = audit_evaluations(AuditOptions(endpoint_url=moto, regions=["us-east-1"]), Config())
    assert errors == []
    return {e.logical_id: (e.status.value, e.severity and e.severity.value, e.waiver is not None)
            for e in evaluations if e.rule_id == "DDB007"}


def test_stacks_that_own_tables_are_protected_against_deletion_and_replacement(moto):
    _stack(moto, "guarded", "Orders", "orders", "Delete", "Delete", EnableTerminationProtection=True,
           StackPolicyBody=json.dumps(GUARD_TABLES))
    _stack(moto, "open", "Sessions", "sessions", "Delete")
    _stack(moto, "partly", "Audit", "audit", replace="Delete", EnableTerminationProtection=True,
           StackPolicyBody=json.dumps({"Statement": [{"Effect": "Deny", "Action": "Update:Replace", "Principal": "*",
                                                      "Resource": "LogicalResourceId/Audit"}]}))
    results = judged(moto)
    assert results[("DDB007", "guarded")] == ("pass", "compliant")
    assert results[("DDB007", "open")] == ("fail", (
        "termination protection is off for stack open, and one `delete-stack` deletes its table sessions "
        "(DeletionPolicy not Retain or RetainExceptOnCreate); stack open has no stack policy: nothing stops an "
        "update from replacing or deleting sessions (deny Update:Replace and Update:Delete on them)"))
    assert results[("DDB007", "partly")] == ("fail", "the stack policy of partly does not deny Update:Replace and "
                                                     "Update:Delete on audit")


def test_a_stack_whose_tables_are_all_retained_gets_a_low_note_that_they_would_be_orphaned(moto):
    """Retain on delete and on replace, no termination protection, no stack policy: nothing is lost."""
    _stack(moto, "kept", "Sessions", "sessions", "RetainExceptOnCreate")
    assert judged(moto)[("DDB007", "kept")] == ("fail", (
        "termination protection is off for stack kept, but its table sessions is retained: deleting the stack would "
        "orphan it, not lose it; there is no stack policy for stack kept, but its table sessions is retained: an "
        "update that replaces or removes a table would orphan it, not lose it"))
    assert _waivers(moto) == {"kept": ("fail", "low", True)}  # reported without failing the run


def test_termination_protection_is_judged_on_delete_and_the_stack_policy_on_replace_too(moto):
    """DeletionPolicy Retain but UpdateReplacePolicy Delete: deleting the stack orphans the table (a note), but a
    replacement loses it, so the missing stack policy fails."""
    _stack(moto, "replaceable", "Sessions", "sessions", replace="Delete")
    assert judged(moto)[("DDB007", "replaceable")] == ("fail", (
        "stack replaceable has no stack policy: nothing stops an update from replacing or deleting sessions (deny "
        "Update:Replace and Update:Delete on them)"))
    assert _waivers(moto) == {"replaceable": ("fail", None, False)}


def test_a_deployed_template_that_cannot_be_read_leaves_the_stake_unknown(moto, faulty):
    """GetTemplate answers 503 on every retry: the table's policies are unknown, never taken as retained."""
    _stack(moto, "unread", "Sessions", "sessions")
    faulty.fail("cloudformation", "GetTemplate", "unavailable")
    evaluations, _ = audit_evaluations(AuditOptions(endpoint_url=faulty.url, regions=["us-east-1"]), Config())
    [verdict] = [e for e in evaluations if e.rule_id == "DDB007"]
    assert (verdict.logical_id, verdict.status.value) == ("unread", "unknown")
    assert verdict.message.startswith("sessions: ") and "cloudformation:GetTemplate" in verdict.message


def test_a_stack_policy_condition_that_cannot_be_judged_is_unknown():
    from ddbguard.rules.ddb007_stack_protection.live import denies_changes

    conditional = {"Statement": [{"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:SourceIp": "10.0.0.1"}}}]}
    assert isinstance(denies_changes(conditional, "Orders"), Unknown)
    assert denies_changes(GUARD_TABLES, "Orders") is True
    assert denies_changes({"Statement": [{"Effect": "Deny", "NotAction": "Update:Modify", "Principal": "*",
                                          "Resource": "LogicalResourceId/Orders"}]}, "Orders") is True
    assert denies_changes({"Statement": []}, "Orders") is False


# -- DDB040 and DDB019 live ---------------------------------------------------------------------------------
def test_a_dev_function_that_may_use_a_prod_table_fails_environment_isolation(moto):
    prod = table(moto, "orders-prod")
    function(moto, "orders-api-dev", {"ORDERS_TABLE": "orders-prod"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": prod}])
    function(moto, "orders-api-prod", {"ORDERS_TABLE": "orders-prod"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": prod}])
    results = judged(moto)
    assert results[("DDB040", "orders-api-dev")] == ("fail", (
        "function orders-api-dev (environment dev) may use table orders-prod of environment prod through role "
        "orders-api-dev-role"))
    assert results[("DDB040", "orders-api-prod")] == ("pass", "compliant")


def test_the_table_half_of_a_cross_account_grant_is_judged_when_both_accounts_are_audited(moto):
    other = "222222222222"
    issued = boto3.client("sts", endpoint_url=moto).assume_role(
        RoleArn=f"arn:aws:iam::{other}:role/auditor", RoleSessionName="seed")["Credentials"]
    partner = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto,
                           aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretAccessKey"],
                           aws_session_token=issued["SessionToken"])
    arn = partner.create_table(TableName="partner-orders", BillingMode="PAY_PER_REQUEST", KeySchema=KEY,
                               AttributeDefinitions=ID)["TableDescription"]["TableArn"]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/reporter-role"
    partner.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "dynamodb:GetItem", "Resource": arn}]}))
    function(moto, "reporter", {"ORDERS_TABLE_ARN": arn},
             [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": arn}])
    table(moto, "local")
    results = judged(moto, accounts=[ACCOUNT, other], role_name="auditor")
    assert results[("DDB019", "partner-orders")] == ("fail", (
        f"role {role_arn} is granted dynamodb:Query on this table, but its resource policy does not allow it "
        "(cross-account access needs both halves)"))


# -- DDB022 live: AWS Backup recovery points that new and that old -----------------------------------------
def test_backup_plan_coverage_live_reads_each_tables_recovery_points_once(moto, aws_backup):
    orders = table(moto, "orders")
    table(moto, "bare")
    aws_backup.record(orders, dt.datetime.now(dt.timezone.utc).timestamp())
    calls = []
    results = judged(moto, Config(), observer=calls.append)
    assert results[("DDB022", "orders")] == ("pass", "compliant")
    assert results[("DDB022", "bare")] == ("fail", "AWS Backup keeps no recovery point of table bare: it is in no "
                                                   "backup plan")
    assert calls.count("backup:ListRecoveryPointsByResource") == 2  # once per table, shared with DDB020


@pytest.mark.parametrize("oldest_days, expected", [
    (40, ("pass", "compliant")),
    (10, ("fail", "the oldest AWS Backup recovery point of table orders is from {oldest}: the backup plan keeps them "
                  "less than min_backup_retention_days (30)"))])
def test_a_plan_that_keeps_recovery_points_too_briefly_fails(oldest_days, expected):
    from ddbguard.kit.snapshot import LiveTable, RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    now = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
    points = [{"created": now - dt.timedelta(days=days), "table_id": None, "source": "AWS Backup recovery point"}
              for days in (oldest_days, 1)]
    recorded = {"TableName": "orders", "CreationDateTime": now - dt.timedelta(days=100)}  # DescribeTable, abridged
    live = LiveTable("orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", recorded, {}, None,
                     recovery_points=points)
    [evaluation] = run_live_rule("DDB022", RegionSnapshot(ACCOUNT, "us-east-1", [live]), Config(), now)
    oldest = f"{now - dt.timedelta(days=oldest_days):%Y-%m-%d}"
    assert (evaluation.status.value, evaluation.message) == (expected[0], expected[1].format(oldest=oldest))


def _legacy_replica_table(replica_policy: dict):
    """The table `orders` (retained) of stack `data`, with its legacy replica in eu-west-1 as the deployed template
    (GetTemplate's body, as CDK synthesizes a Table with replicationRegions) has it: moto cannot run the replica
    provider's custom resources, so the template is recorded here."""
    from ddbguard.live.collect import legacy_replicas
    from ddbguard.kit.snapshot import LiveTable

    deployed = {"Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                   "Properties": {"TableName": "orders"}},
        "OrdersReplicaeuwest1": {"Type": "Custom::DynamoDBReplica", **replica_policy, "Properties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider", "TableName": {"Ref": "Orders"},
            "Region": "eu-west-1"}}}}
    replicas = legacy_replicas(deployed, "Orders")
    assert replicas == {"eu-west-1": deployed["Resources"]["OrdersReplicaeuwest1"]}
    return LiveTable("orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", {"TableName": "orders"}, {},
                     None, stack=("data", "Orders"), template_resource=deployed["Resources"]["Orders"],
                     legacy_replicas=replicas)


def test_legacy_replicas_are_read_from_the_deployed_template():
    from ddbguard.kit.snapshot import RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    table_ = _legacy_replica_table({"DeletionPolicy": "Delete"})
    [evaluation] = run_live_rule("DDB006", RegionSnapshot(ACCOUNT, "us-east-1", [table_]), Config(), None)
    assert (evaluation.status.value, evaluation.message) == ("fail", (
        "stack data makes the replicas of table orders in eu-west-1 with Custom::DynamoDBReplica resources: they have "
        "no point-in-time recovery or deletion protection of their own and are deleted with their custom resource; "
        "use TableV2 (AWS::DynamoDB::GlobalTable) with replicas"))


@pytest.mark.parametrize("replica_policy, expected", [
    ({"DeletionPolicy": "Delete"}, ("fail", (
        "termination protection is off for stack data, and one `delete-stack` deletes its table orders's replica in "
        "eu-west-1 (DeletionPolicy not Retain or RetainExceptOnCreate)"))),
    ({}, ("fail", (  # no DeletionPolicy: CloudFormation deletes it
        "termination protection is off for stack data, and one `delete-stack` deletes its table orders's replica in "
        "eu-west-1 (DeletionPolicy not Retain or RetainExceptOnCreate)"))),
    ({"DeletionPolicy": "Retain"}, ("fail", (
        "termination protection is off for stack data, but its tables orders, orders's replica in eu-west-1 are "
        "retained: deleting the stack would orphan them, not lose them"))),
    ({"DeletionPolicy": {"Ref": "Policy"}}, ("unknown", (
        "orders's replica in eu-west-1: its DeletionPolicy is "
        '{"Ref":"Policy"}, which has no value here (an intrinsic function or a parameter without a value): whether '
        "the table survives is unknown"))),
])
def test_a_stack_deletion_that_deletes_a_legacy_replica_needs_termination_protection(replica_policy, expected):
    """The table is retained, but deleting the stack deletes its replica custom resource, and with it the
    replica's data, unless the custom resource is retained. The stack policy protects the table."""
    from ddbguard.kit.snapshot import LiveStack, RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    policy = {"Statement": [{"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Principal": "*",
                             "Resource": "LogicalResourceId/Orders"}]}
    stack = LiveStack("data", "arn:aws:cloudformation:us-east-1:123456789012:stack/data/1", {"Orders": "orders"},
                      False, policy)
    snapshot = RegionSnapshot(ACCOUNT, "us-east-1", [_legacy_replica_table(replica_policy)], stacks=[stack])
    [evaluation] = run_live_rule("DDB007", snapshot, Config(), None)
    assert (evaluation.status.value, evaluation.message) == expected


def test_on_demand_backups_of_a_table_younger_than_the_retention_count(moto, aws_backup):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    table(moto, "orders")
    table(moto, "bare")
    dynamodb.create_backup(TableName="orders", BackupName="nightly")
    calls = []
    results = judged(moto, Config(), observer=calls.append)
    # a recent backup, and the table is younger than min_backup_retention_days: nothing older can exist yet
    assert results[("DDB022", "orders")] == ("pass", "compliant")
    assert results[("DDB022", "bare")][0] == "fail"
    assert calls.count("dynamodb:ListBackups") == 1  # the region's recent backups only: no table is old enough


def test_an_old_tables_on_demand_backups_are_read_before_the_retention(moto, aws_backup):
    """The older backups are listed for a table old enough whose only recent backups are on-demand. moto cannot
    make a table or a backup in the past, so the audit's clock is moved 30 days on instead: the table and its
    backup, both made now, are then 30 days old."""
    from ddbguard.live.collect import AccountCache, finish_region, open_region, read_table
    from ddbguard.engines.live import run_live_rule

    boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto).create_backup(
        TableName=table(moto, "orders").rpartition("/")[2], BackupName="monthly")
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30, minutes=5)
    from ddbguard.aws import Clients

    work = open_region(boto3.Session(), ACCOUNT, "us-east-1", clients=Clients(moto), table_prefix=None,
                       encryption_level="aws-managed", backup_since=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7),
                       account_cache=AccountCache(), recovery_points=True,
                       old_backups_before=now - dt.timedelta(days=30))
    live = read_table(work, "orders")
    assert [b["source"] for b in live.old_backups] == ["DynamoDB user backup"]
    [evaluation] = run_live_rule("DDB022", finish_region(work, [live]), Config(), now)
    assert (evaluation.status.value, evaluation.message) == ("pass", "compliant")


@pytest.mark.parametrize("old_backups, expected", [
    ([{"days": 40}], ("pass", "compliant")),
    ([], ("fail", "table orders has recent on-demand backups but none older than min_backup_retention_days (30) and no "
                  "AWS Backup recovery point: its backups are not kept that long")),
    ([{"days": 40, "earlier_table": True}], ("fail", "table orders has recent on-demand backups but none older than "
                                                     "min_backup_retention_days (30) and no AWS Backup recovery point: "
                                                     "its backups are not kept that long")),
    (Unknown("AccessDeniedException on dynamodb:ListBackups: denied"), (
        "unknown", "whether the on-demand backups of table orders are kept 30 days is unknown: AccessDeniedException on "
                   "dynamodb:ListBackups: denied"))])
def test_how_long_an_old_tables_on_demand_backups_are_kept(old_backups, expected):
    """ListBackups with TimeRangeUpperBound, as the DynamoDB API reference describes it (recorded shapes)."""
    from ddbguard.kit.snapshot import LiveTable, RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    now = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)

    def backup(days: int, earlier_table: bool = False) -> dict:
        return {"created": now - dt.timedelta(days=days), "table_id": "old-id" if earlier_table else "orders-id",
                "source": "DynamoDB user backup"}

    recorded = {"TableName": "orders", "TableId": "orders-id", "CreationDateTime": now - dt.timedelta(days=100)}
    live = LiveTable("orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", recorded, {}, None,
                     backups=[backup(1)], recovery_points=[],
                     old_backups=old_backups if isinstance(old_backups, Unknown) else [backup(**b) for b in old_backups])
    [evaluation] = run_live_rule("DDB022", RegionSnapshot(ACCOUNT, "us-east-1", [live]), Config(), now)
    assert (evaluation.status.value, evaluation.message) == expected


# -- tables that are not ACTIVE --------------------------------------------------------------------------------
def _read_recorded_table(status: str, **more) -> tuple:
    """One table read by the collector from DescribeTable, DescribeContinuousBackups, GetResourcePolicy and AWS
    Backup answers recorded as the API references document them (botocore's Stubber): moto cannot put a table
    in most of these states. Then every live check on its region, as the audit judges it."""
    from botocore.stub import Stubber

    from ddbguard.engines.live import judge_region
    from ddbguard.live.collect import RegionWork, finish_region, read_table
    from ddbguard.kit.snapshot import RegionSnapshot
    from ddbguard.registry import select_rules

    def client(service: str):
        return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")

    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    created = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    now = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
    description = {"TableName": "orders", "TableArn": arn, "TableId": "id-1", "TableStatus": status,
                   "CreationDateTime": created, "DeletionProtectionEnabled": True, "KeySchema": KEY,
                   "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                   "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS",
                                      "KMSMasterKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"}, **more}
    dynamodb, backup = client("dynamodb"), client("backup")
    work = RegionWork(RegionSnapshot(ACCOUNT, "us-east-1", table_names={"orders"}),
                      {"dynamodb": dynamodb, "backup": backup}, ["orders"],
                      {"orders": [{"created": now - dt.timedelta(days=1), "table_id": "id-1", "table_arn": arn,
                                   "source": "DynamoDB user backup"}]}, ["data"], now - dt.timedelta(days=7),
                      "aws-managed", recovery_points=True)
    work.owners["orders"] = ("data", "Orders", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    with Stubber(dynamodb) as dynamo, Stubber(backup) as aws_backup:
        dynamo.add_response("describe_table", {"Table": description}, {"TableName": "orders"})
        dynamo.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {
                "PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 35}}}, {"TableName": "orders"})
        dynamo.add_client_error("get_resource_policy", "PolicyNotFoundException", "no policy", 400,
                                expected_params={"ResourceArn": arn})
        aws_backup.add_response("list_recovery_points_by_resource", {"RecoveryPoints": [
            {"RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:1", "Status": "COMPLETED",
             "CreationDate": now - dt.timedelta(days=d)} for d in (1, 40)]}, {"ResourceArn": arn})
        snapshot = finish_region(work, [read_table(work, "orders")])
    rules = select_rules(Config(), ("live",))
    return {e.rule_id: (e.status.value, e.message) for e in judge_region(snapshot, rules, Config(), now)}


def test_an_active_table_read_from_recorded_answers_passes():
    assert {rule: status for rule, (status, _) in _read_recorded_table("ACTIVE").items()} == {
        "DDB001": "pass", "DDB002": "pass", "DDB003": "pass", "DDB004": "pass", "DDB005": "pass", "DDB020": "pass",
        "DDB021": "pass", "DDB022": "pass", "DDB023": "pass", "DDB024": "pass"}


@pytest.mark.parametrize("status, meaning", [
    ("CREATING", "being created"), ("UPDATING", "being updated: its settings may be changing"),
    ("DELETING", "being deleted"),
    ("REPLICATION_NOT_AUTHORIZED", "a global table replica that is not authorized to replicate")])
def test_a_table_in_transition_is_unknown_never_a_pass(status, meaning):
    verdicts = _read_recorded_table(status)
    assert verdicts == {rule: ("unknown", f"table orders is {status} ({meaning}): its description cannot be judged "
                                          "as a table in use; run the audit again once it is ACTIVE")
                        for rule in ("DDB001", "DDB002", "DDB003", "DDB004", "DDB005", "DDB020", "DDB021", "DDB022",
                                     "DDB023", "DDB024")}


@pytest.mark.parametrize("status, more, failure", [
    ("INACCESSIBLE_ENCRYPTION_CREDENTIALS", {}, (
        "the table is INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key cannot be used; restore access to the key "
        "within 7 days or DynamoDB archives the table")),
    ("ARCHIVING", {"ArchivalSummary": {"ArchivalDateTime": dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc),
                                       "ArchivalReason": "INACCESSIBLE_ENCRYPTION_CREDENTIALS"}}, (
        "the table is ARCHIVING: it is being archived (INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key was "
        "inaccessible for more than seven days) and cannot be used; its data is in the backup DynamoDB made when it "
        "archived it: restore it from there")),
    ("ARCHIVED", {"ArchivalSummary": {
        "ArchivalDateTime": dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc),
        "ArchivalReason": "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        "ArchivalBackupArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/backup/01700000000000-abcdefgh"}}, (
        "the table is ARCHIVED: it was archived (INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key was inaccessible for "
        "more than seven days) and cannot be used; its data is in backup "
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/backup/01700000000000-abcdefgh: restore it from there"))])
def test_a_table_that_cannot_be_used_fails_encryption_and_nothing_else_passes(status, more, failure):
    verdicts = _read_recorded_table(status, **more)
    assert verdicts.pop("DDB003") == ("fail", failure)
    meaning = {"INACCESSIBLE_ENCRYPTION_CREDENTIALS": "unusable: its KMS key cannot be used",
               "ARCHIVING": "being archived: its KMS key was inaccessible for more than seven days",
               "ARCHIVED": "archived: its data is only in the backup DynamoDB made when it archived it"}[status]
    assert verdicts == {rule: ("unknown", f"table orders is {status} ({meaning}): its description cannot be judged "
                                          "as a table in use; run the audit again once it is ACTIVE")
                        for rule in ("DDB001", "DDB002", "DDB004", "DDB005", "DDB020", "DDB021", "DDB022", "DDB023",
                                     "DDB024")}


def test_a_status_ddbguard_does_not_know_is_unknown_and_a_failure_says_the_state():
    verdicts = _read_recorded_table("RESTORING", DeletionProtectionEnabled=False)
    assert verdicts.pop("DDB004") == ("fail", "deletion protection is not enabled (DeletionProtectionEnabled is not true) "
                                              "(the table is RESTORING)")
    assert {status for status, _ in verdicts.values()} == {"unknown"}
    assert verdicts["DDB002"][1] == ("DescribeTable gives table orders the status 'RESTORING', which ddbguard does not "
                                     "know: its description cannot be judged as a table in use; run the audit again "
                                     "once it is ACTIVE")
