"""`ddbguard stack-policy`: the policy DDB007's audit asks for, written from the template. It round-trips: applied
to a stack on a real moto server with `SetStackPolicy`, the audit's DDB007 passes that stack; what the template
cannot tell is protected or said (a warning, exit 1), never silently left out. The template's tables are lost on
replacement (UpdateReplacePolicy Delete), so DDB007 asks for the policy (of retained tables it would only note
that they would be orphaned)."""

from __future__ import annotations

import json

import boto3

from conftest import run_ddbguard

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Delete
    Properties:
      TableName: sp-orders
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: sp-queue}
  Sessions:
    Type: AWS::DynamoDB::Table
    Condition: IsProd
    DeletionPolicy: Retain
    UpdateReplacePolicy: Delete
    Properties:
      TableName: sp-sessions
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
"""


def policy_of(*resources: str) -> dict:
    return {"Statement": [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Principal": "*",
         "Resource": [f"LogicalResourceId/{r}" for r in resources]}]}


def ddb007(moto: str) -> dict:
    report = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json").json()
    return {f["resource_name"]: (f["status"], f["message"]) for f in report["findings"] if f["rule_id"] == "DDB007"}


def test_the_stack_policy_round_trips_through_ddb007_on_moto(moto, tmp_path):
    template = tmp_path / "app.yaml"
    template.write_text(TEMPLATE)
    written = tmp_path / "policy.json"
    result = run_ddbguard("stack-policy", str(template), "--output", str(written))
    assert (result.code, result.stdout) == (0, "")
    assert json.loads(written.read_text()) == policy_of("Orders", "Sessions")
    assert result.stderr == ("ddbguard: note: Sessions (table) is behind Condition IsProd: protected whether or not "
                             "it holds\n"
                             "ddbguard: stack policy of app: denies Update:Replace and Update:Delete on Orders, "
                             f"Sessions; allows Update:* on the rest; written to {written}\n")
    assert run_ddbguard("stack-policy", str(template)).stdout == written.read_text()  # the same on standard output

    cloudformation = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=moto)
    cloudformation.create_stack(StackName="sp-app", TemplateBody=TEMPLATE, EnableTerminationProtection=True)
    assert ddb007(moto) == {"sp-app": ("fail", "stack sp-app has no stack policy: nothing stops an update from "
                                               "replacing or deleting sp-orders, sp-sessions (deny Update:Replace "
                                               "and Update:Delete on them)")}
    # one table left out: the audit names it
    cloudformation.set_stack_policy(StackName="sp-app", StackPolicyBody=json.dumps(policy_of("Orders")))
    assert ddb007(moto) == {"sp-app": ("fail", "the stack policy of sp-app does not deny Update:Replace and "
                                               "Update:Delete on sp-sessions")}
    # the policy ddbguard wrote, as the recipe of docs/integrations.md sets it
    cloudformation.set_stack_policy(StackName="sp-app", StackPolicyBody=written.read_text())
    assert cloudformation.get_stack_policy(StackName="sp-app")["StackPolicyBody"] == written.read_text()
    assert ddb007(moto)["sp-app"][0] == "pass"


def test_a_cloud_assembly_stack_protects_its_nested_stacks_through_their_resource(cdk_assembly):
    manifest = json.loads((cdk_assembly / "manifest.json").read_text())
    template = json.loads((cdk_assembly / manifest["artifacts"]["ddbguard-data"]["properties"]["templateFile"])
                          .read_text())
    tables = [lid for lid, r in template["Resources"].items() if r["Type"].startswith("AWS::DynamoDB::")]
    nested = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert len(tables) == 3 and len(nested) == 1
    result = run_ddbguard("stack-policy", str(cdk_assembly), "--stack", "ddbguard-data")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == policy_of(*tables, *nested)
    assert result.stderr.splitlines()[0] == (
        f"ddbguard: note: nested stack {nested[0]} (ddbguard-data/Audit) owns tables AuditLogA5B7094E: this policy "
        "stops its replacement or removal; an update inside it is stopped only by its own stack policy (`ddbguard "
        "stack-policy ... --stack ddbguard-data/Audit`)")
    inside = run_ddbguard("stack-policy", str(cdk_assembly), "--stack", "ddbguard-data/Audit")
    assert (inside.code, json.loads(inside.stdout)) == (0, policy_of("AuditLogA5B7094E"))
    # a stage's stack by CloudFormation's name or ddbguard's
    assert run_ddbguard("stack-policy", str(cdk_assembly), "--stack", "Prod-data").stdout == run_ddbguard(
        "stack-policy", str(cdk_assembly), "--stack", "Prod/data").stdout
    # a CDK Table's legacy replicas: deleting one deletes that region's replica
    multi = json.loads(run_ddbguard("stack-policy", str(cdk_assembly), "--stack", "ddbguard-multi-region").stdout)
    assert multi == policy_of("Sessions8896A56D", "SessionsReplicaeuwest1D38BA754", "SessionsReplicaapsouth18796BFF2")
    several = run_ddbguard("stack-policy", str(cdk_assembly))
    assert (several.code, several.stdout) == (2, "")
    assert several.stderr.startswith("ddbguard: the input holds 12 stacks: name one with --stack (Dev/compute, "
                                     "Prod/data, ddbguard-cache, ddbguard-compliant,")


def test_what_the_template_cannot_tell_is_protected_or_said(tmp_path):
    template = tmp_path / "app.yaml"
    template.write_text("""\
Parameters:
  Stage: {Type: String}
Conditions:
  Wanted: !Equals [!Ref Stage, prod]
Resources:
  Orders: {Type: AWS::DynamoDB::Table, Properties: {TableName: orders}}
  Maybe: {Type: AWS::DynamoDB::GlobalTable, Condition: Wanted, Properties: {TableName: maybe}}
  Data:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: "https://s3.amazonaws.com/bucket/cfn/data-stack.yaml"}
  Maker:
    Type: Custom::TableMaker
    Properties: {ServiceToken: "arn:aws:lambda:us-east-1:111111111111:function:maker"}
""")
    result = run_ddbguard("stack-policy", str(template))
    assert result.code == 1
    assert json.loads(result.stdout) == policy_of("Orders", "Maybe", "Data")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"ddbguard: {template}: nested stack Data: ")  # the input error, as `check` says it
    assert lines[1] == ("ddbguard: warning: nested stack Data: its template is not in the input; it is protected "
                        "through its resource, but what it owns cannot be told, and needs a stack policy of its own")
    assert lines[2].startswith("ddbguard: warning: type Custom::TableMaker (Maker) is not modelled: ")
    assert lines[2].endswith("; a table it creates has no logical id here that the policy could name")
    assert lines[3] == ("ddbguard: note: Maybe (table) is behind Condition Wanted: protected whether or not it "
                        "holds")
    assert lines[4] == ("ddbguard: stack policy of app: denies Update:Replace and Update:Delete on Orders, Maybe, "
                        "Data; allows Update:* on the rest")
    assert len(lines) == 5


def test_a_stack_without_tables_gets_a_policy_that_allows_everything_and_a_missing_stack_none(tmp_path):
    template = tmp_path / "queue.yaml"
    template.write_text("Resources:\n  Queue: {Type: AWS::SQS::Queue}\n")
    result = run_ddbguard("stack-policy", str(template))
    assert (result.code, json.loads(result.stdout)) == (0, {"Statement": [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]})
    assert result.stderr == ("ddbguard: stack policy of queue: denies Update:Replace and Update:Delete on nothing "
                             "(the stack owns no table); allows Update:* on the rest\n")
    missing = run_ddbguard("stack-policy", str(template), "--stack", "orders")
    assert (missing.code, missing.stdout, missing.stderr) == (
        2, "", "ddbguard: no stack orders in the input (its stacks: queue)\n")
    unwritable = run_ddbguard("stack-policy", str(template), "--output", str(tmp_path / "no" / "policy.json"))
    assert unwritable.code == 2 and "cannot write stack policy" in unwritable.stderr
