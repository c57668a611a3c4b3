"""`ddbguard plan` against a real moto server: OLD deployed with CloudFormation, NEW planned."""

from __future__ import annotations

import boto3

from conftest import FIXTURES, run_ddbguard
from ddbguard.engines.plan import UNNAMED

PLAN = FIXTURES / "plan"
NAMED = ("--stack-name", f"{PLAN / 'orders-app.yaml'}=orders-app", "--stack-name", f"{PLAN / 'fresh-app.yaml'}=fresh-app")


def deploy_and_seed(moto) -> None:
    cloudformation = boto3.client("cloudformation", endpoint_url=moto)
    cloudformation.create_stack(StackName="orders-app", TemplateBody=(PLAN / "deployed" / "orders-app.yaml").read_text())
    dynamodb = boto3.client("dynamodb", endpoint_url=moto)
    key = {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    dynamodb.create_table(TableName="legacy-customers", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          **key)
    dynamodb.create_table(
        TableName="legacy-invoices",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "d", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "ByDate", "KeySchema": [{"AttributeName": "d", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}], **key)


def test_plan_against_the_deployed_stack(moto):
    deploy_and_seed(moto)
    result = run_ddbguard("plan", str(PLAN / "orders-app.yaml"), str(PLAN / "fresh-app.yaml"), "--endpoint-url", moto,
                          "--format", "json", *NAMED)
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    got = {(f["rule_id"], f["stack"], f["logical_id"], f["status"]) for f in report["findings"]
           if f["rule_id"] >= "DDB030"}
    assert got == {
        ("DDB030", "orders-app", "Orders", "fail"),
        ("DDB031", "orders-app", "Sessions", "pass"),
        ("DDB034", "orders-app", "Sessions", "pass"),
        ("DDB034", "orders-app", "Customers", "fail"),
        ("DDB034", "fresh-app", "Events", "pass"),
        ("DDB031", "fresh-app", "Events", "pass"),  # not deployed yet
        ("DDB032", "orders-app", "Handler", "fail"),
        ("DDB032", "orders-app", "InvoicesAccess", "pass"),
        ("DDB033", "orders-app", "InvoicesAccess", "fail"),
    }
    messages = {(f["rule_id"], f["logical_id"]): f["message"] for f in report["findings"]}
    assert messages[("DDB030", "Orders")] == ("it is no longer in the template; DeletionPolicy Delete deletes the table "
                                               "and its data")
    assert messages[("DDB034", "Customers")].startswith("table legacy-customers already exists in us-east-1 and stack "
                                                         "orders-app does not manage it")
    assert messages[("DDB032", "Handler")] == ("table missing-orders does not exist in us-east-1 (the deploy succeeds, "
                                               "every call fails)")
    assert messages[("DDB033", "InvoicesAccess")] == ("grants on index ByStatus of legacy-invoices, which has no such "
                                                      "index (live: ByDate)")
    removed = next(f for f in report["findings"] if f["rule_id"] == "DDB030")
    assert removed["file"] == "deployed stack orders-app"


def test_nothing_deployed_is_fine(moto):
    result = run_ddbguard("plan", str(PLAN / "fresh-app.yaml"), "--endpoint-url", moto, "--format", "json",
                          "--stack-name", "fresh-app")
    assert result.code == 0, result.stdout
    findings = result.json()["findings"]
    assert {(f["rule_id"], f["status"]) for f in findings if f["rule_id"] >= "DDB030"} == {
        ("DDB031", "pass"), ("DDB034", "pass")}
    assert next(f["message"] for f in findings if f["rule_id"] == "DDB031") == (
        "stack fresh-app is not deployed in us-east-1: nothing to replace")


def test_stack_name_names_the_deployed_stack_of_a_template_file(moto, tmp_path):
    deploy_and_seed(moto)
    renamed = tmp_path / "orders.yaml"  # the file stem is not the stack name
    renamed.write_text((PLAN / "orders-app.yaml").read_text())
    unnamed = run_ddbguard("plan", str(renamed), "--endpoint-url", moto, "--format", "json")
    assert unnamed.code == 1
    # never the file stem as the truth: which stack the file updates is unknown, for every table (DDB031, DDB034)
    assert {(f["rule_id"], f["logical_id"], f["status"], f["message"]) for f in unnamed.json()["findings"]
            if f["rule_id"] in ("DDB030", "DDB031", "DDB034") and f["logical_id"] in ("Sessions", "Customers")} == {
        (rule, table, "unknown", UNNAMED) for rule in ("DDB031", "DDB034") for table in ("Sessions", "Customers")}
    named = run_ddbguard("plan", str(renamed), "--stack-name", "orders-app", "--endpoint-url", moto, "--format", "json")
    assert ("DDB030", "Orders", "fail") in {(f["rule_id"], f["logical_id"], f["status"]) for f in named.json()["findings"]}
    both = run_ddbguard("plan", str(renamed), str(PLAN / "fresh-app.yaml"), "--stack-name", "x", "--endpoint-url", moto)
    assert both.code == 2 and "--stack-name x names one stack, but the input has 2 (use TEMPLATE=NAME)" in both.stdout
    pairs = run_ddbguard("plan", str(renamed), str(PLAN / "fresh-app.yaml"), "--stack-name", f"{renamed}=orders-app",
                         "--stack-name", f"{PLAN / 'fresh-app.yaml'}=fresh-app", "--endpoint-url", moto, "--format",
                         "json")
    assert {(f["rule_id"], f["stack"], f["logical_id"], f["status"]) for f in pairs.json()["findings"]
            if f["rule_id"] in ("DDB030", "DDB031")} == {
        ("DDB030", "orders", "Orders", "fail"), ("DDB031", "orders", "Sessions", "pass"),
        ("DDB031", "fresh-app", "Events", "pass")}


def plan_with_cloudformation_only(moto, *args: str):
    """`ddbguard plan` as a user allowed CloudFormation and nothing else (every DynamoDB look-up denied)."""
    import json

    from moto import settings

    iam = boto3.client("iam", endpoint_url=moto)
    iam.create_user(UserName="planner")
    iam.put_user_policy(UserName="planner", PolicyName="plan", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="planner")["AccessKey"]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        return run_ddbguard("plan", *args, "--endpoint-url", moto, "--format", "json",
                            env={"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")


def test_denied_lookups_are_unknown(moto):
    deploy_and_seed(moto)
    result = plan_with_cloudformation_only(moto, str(PLAN / "orders-app.yaml"), "--stack-name", "orders-app")
    got = {(f["rule_id"], f["logical_id"], f["status"]) for f in result.json()["findings"] if f["rule_id"] >= "DDB032"}
    assert got == {("DDB034", "Sessions", "unknown"), ("DDB034", "Customers", "unknown"),
                   ("DDB032", "Handler", "unknown"), ("DDB032", "InvoicesAccess", "unknown")}
    assert result.code == 1


def test_plan_reads_a_table_moving_to_another_stack_as_a_move(moto, tmp_path):
    import json

    table = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
             "Properties": {"TableName": "moving-orders", "BillingMode": "PAY_PER_REQUEST",
                            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}
    boto3.client("cloudformation", endpoint_url=moto).create_stack(
        StackName="legacy-data", TemplateBody=json.dumps({"Resources": {"Orders": table}}))
    (tmp_path / "legacy-data.json").write_text(json.dumps({"Resources": {}}))
    (tmp_path / "shared-data.json").write_text(json.dumps({"Resources": {"Orders": table}}))
    report = run_ddbguard("plan", str(tmp_path / "legacy-data.json"), str(tmp_path / "shared-data.json"),
                          "--endpoint-url", moto, "--format", "json",
                          *(f"--stack-name={tmp_path / name}.json={name}" for name in ("legacy-data", "shared-data"))
                          ).json()
    moved = next(f for f in report["findings"] if f["rule_id"] == "DDB030")
    assert (moved["stack"], moved["logical_id"], moved["status"], moved["message"]) == (
        "legacy-data", "Orders", "pass",
        "table moving-orders moves to stack shared-data: retain it here and deploy, then bring it into shared-data "
        "with `cdk import` (or a resource import change set); a plain deploy of the new stack fails while the table "
        "exists; DeletionPolicy Retain keeps the table and its data; it leaves the stack retained, managed by no "
        "stack: to bring it back, import it (`cdk import`, or `aws cloudformation create-change-set --change-set-type "
        "IMPORT --resources-to-import` with ResourceType AWS::DynamoDB::Table and TableName moving-orders as its "
        "identifier; guide: Use Cases > 3. Stack Recreation)")
    assert (moved["severity"], moved.get("notice")) == ("info", True)


def deploy_customers_app(moto, tmp_path):
    """Stack customers-app is deployed using legacy-customers by name (an imported table); the input creates it."""
    import json

    deployed = {"Resources": {"Reader": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/legacy-customers"}}]}}}}}
    boto3.client("cloudformation", endpoint_url=moto).create_stack(StackName="customers-app",
                                                                  TemplateBody=json.dumps(deployed))
    boto3.client("dynamodb", endpoint_url=moto).create_table(
        TableName="legacy-customers", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    creating = {"Resources": {**deployed["Resources"], "Customers": {
        "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"TableName": "legacy-customers", "BillingMode": "PAY_PER_REQUEST",
                       "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                       "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}}}
    (tmp_path / "customers-app.json").write_text(json.dumps(creating))
    return str(tmp_path / "customers-app.json")


def _ddb034(report: dict) -> list:
    return [(f["logical_id"], f["status"], f["engine"], f["message"]) for f in report["findings"]
            if f["rule_id"] == "DDB034"]


def test_plan_reports_ddb034_once_when_the_deployed_stack_imports_the_name(moto, tmp_path):
    """The offline check (diff rules against the deployed template) and the look-up both fail it: plan reports it
    once, with the look-up's words."""
    template = deploy_customers_app(moto, tmp_path)
    report = run_ddbguard("plan", template, "--endpoint-url", moto, "--format", "json",
                          "--stack-name", "customers-app").json()
    assert _ddb034(report) == [(
        "Customers", "fail", "plan", "table legacy-customers already exists in us-east-1 and stack customers-app does "
        "not manage it: creating it fails the deploy (import it instead)")]


def test_a_denied_lookup_does_not_hide_the_offline_ddb034_failure(moto, tmp_path):
    """DescribeTable is denied (the look-up is unknown), but the deployed template shows the name is an imported
    table's: the graver verdict, the offline failure, is the one reported."""
    template = deploy_customers_app(moto, tmp_path)
    report = plan_with_cloudformation_only(moto, template, "--stack-name", "customers-app").json()
    assert _ddb034(report) == [(
        "Customers", "fail", "diff", "table legacy-customers exists: OLD (what is deployed) uses it as an imported "
        "table (customers-app/Reader) and no stack of OLD defines it; creating it by name fails the deploy (the name is "
        "taken): import it into the stack instead (`cdk import`, or a resource import change set)")]


def test_a_renamed_table_has_one_verdict_the_offline_failure(moto, tmp_path):
    """The deployed stack manages the table (the look-up's pass), but under another logical id: the create of the
    new one fails while the name exists. One DDB034 verdict, the graver."""
    table = ("    Type: AWS::DynamoDB::Table\n    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n"
             "    Properties:\n      TableName: renamed-orders\n      BillingMode: PAY_PER_REQUEST\n"
             "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
             "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n")
    boto3.client("cloudformation", endpoint_url=moto).create_stack(
        StackName="renamed-app", TemplateBody="Resources:\n  Orders:\n" + table)
    planned = tmp_path / "renamed-app.yaml"
    planned.write_text("Resources:\n  OrdersRenamed:\n" + table)
    result = run_ddbguard("plan", str(planned), "--endpoint-url", moto, "--format", "json",
                          "--stack-name", "renamed-app")
    assert result.code == 1, result.stdout
    assert [(f["logical_id"], f["status"], f["message"]) for f in result.json()["findings"]
            if f["rule_id"] == "DDB034"] == [("OrdersRenamed", "fail", (
                "NEW creates table renamed-orders as renamed-app/OrdersRenamed, but OLD's renamed-app/Orders has that "
                "name: the table exists, so the create fails (CloudFormation creates it before it removes the old "
                "resource); import it instead (cdk import / IMPORT change set): retain it in OLD's resource, deploy "
                "its removal, then import it as the new resource"))]
