"""DDB015 for every principal that uses a role (state machines, AppSync, API Gateway, Pipes, EventBridge), and the
shared role reported per principal. The verdicts per type are the rule's fixtures; here the exact words, and a
real CDK synthesis of a Step Functions DynamoPutItem task and an AppSync DynamoDB data source."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import FIXTURES, ROOT, run_ddbguard

RULE_FIXTURES = ROOT / "src" / "ddbguard" / "rules" / "ddb015_unused_grants" / "fixtures"


def _ddb015(report: dict) -> set:
    return {(f["logical_id"], f["status"], f["severity"], f["message"]) for f in report["findings"]
            if f["rule_id"] == "DDB015"}


def test_a_shared_role_is_split_per_principal_and_an_unnamed_grant_stays_the_roles_failure():
    report = run_ddbguard("check", str(RULE_FIXTURES / "shared.yaml"), "--format", "json").json()
    assert _ddb015(report) == {
        ("SharedRole", "pass", "low", "compliant"),
        ("Writer", "fail", "low", "split the role: Writer uses SharedRole, which also grants invoices that only Machine "
                                  "names"),
        ("Machine", "fail", "low", "split the role: Machine uses SharedRole, which also grants orders that only Writer "
                                   "names"),
        ("LeftoverRole", "fail", "low", "role LeftoverRole may use table archive, which no principal using it "
                                        "(Reporter, Auditor) names"),
        ("Reporter", "pass", "low", "shares role LeftoverRole, which grants it no table that only the others name"),
        ("Auditor", "pass", "low", "shares role LeftoverRole, which grants it no table that only the others name"),
    }
    writer = next(f for f in report["findings"] if f["rule_id"] == "DDB015" and f["logical_id"] == "Writer")
    assert writer["resource_type"] == "AWS::Lambda::Function"


def test_what_a_principal_names_that_cannot_be_read_is_unknown_with_the_reason():
    report = run_ddbguard("check", str(RULE_FIXTURES / "principals.yaml"), "--format", "json").json()
    by_id = {f["logical_id"]: f for f in report["findings"] if f["rule_id"] == "DDB015"}
    assert by_id["PathRole"]["message"] == (
        "role PathRole may use table invoices, which no principal using it (PathMachine) surely names: PathMachine's "
        "task arn:aws:states:::dynamodb:getItem TableName is the path $.table, which is read at run time")
    assert by_id["RuleRole"]["message"] == "role RuleRole may use table orders, which no principal using it (Rule) names"
    more = run_ddbguard("check", str(RULE_FIXTURES / "principals_more.yaml"), "--format", "json").json()
    by_id = {f["logical_id"]: f for f in more["findings"] if f["rule_id"] == "DDB015"}
    assert by_id["TaskRole"]["message"] == (
        "role TaskRole may use table invoices, which no principal using it (TaskFn) surely names: "
        "AWS::ECS::TaskDefinition Task refers to the role, and which tables it uses is not read")
    assert by_id["VtlRole"]["message"] == (
        "role VtlRole may use table invoices, which no principal using it (VtlMethod) surely names: the request "
        "template of VtlMethod takes its TableName from $input.path('$.table'), which is decided at run time")
    # Fn::Sub put the generated name of Ledger in at deploy time: the method names that table
    assert (by_id["SubRole"]["status"], by_id["SubRole"]["message"]) == ("pass", "compliant")
    assert by_id["OpenFnRole"]["message"] == (
        "role OpenFnRole may use table orders, which no principal using it (OpenFn) surely names: OpenFn's variable "
        'ORDERS_TABLE is {"Ref":"TableParam"}, which names no table ddbguard can resolve')


def test_cdk_state_machine_and_appsync_data_source_roles(tmp_path):
    """Real aws-cdk-lib: DynamoPutItem's table is a Ref inside the DefinitionString's Fn::Join; the data source's
    role is CDK's own, granted the table it serves."""
    out = tmp_path / "cdk.out"
    completed = subprocess.run(
        [sys.executable, str(FIXTURES / "cdk_principals" / "app.py")], capture_output=True, text=True, check=False,
        env={**os.environ, "CDK_OUTDIR": str(out), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
             "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(ROOT / "build" / "jsii-cache")})
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = run_ddbguard("check", str(out), "--format", "json").json()
    assert report["errors"] == []
    assert {(f["cdk_path"], f["status"], f["message"]) for f in report["findings"] if f["rule_id"] == "DDB015"} == {
        ("ddbguard-principals/OrderFlow/Role/Resource", "fail",
         "role OrderFlowRole6DABD30D may use table principals-invoices, which no principal using it (OrderFlowA028A46E) "
         "names"),
        ("ddbguard-principals/Api/OrdersSource/ServiceRole/Resource", "pass", "compliant"),
    }


def test_a_hostile_definition_string_is_unknown_not_a_crash(tmp_path):
    """A DefinitionString nested far deeper than a template may be (the walk over its states recurses)."""

    template = {"Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "Policies": [{
            "PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem",
                                                                 "Resource": {"Fn::GetAtt": ["Orders", "Arn"]}}]}}]}},
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}, "DefinitionString": "[" * 5000 + "]" * 5000}}}}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(template))
    report = run_ddbguard("check", str(path), "--format", "json").json()
    assert _ddb015(report) == {("Role", "unknown", "low", (
        "role Role may use table orders, which no principal using it (Machine) surely names: the DefinitionString of "
        "Machine is no JSON ddbguard can read (a value that cannot be resolved statically, or nested too deep)"))}


def test_the_split_message_agrees_with_how_many_principals_name_the_table(tmp_path):
    def function(variables: dict) -> dict:
        return {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.11", "Handler": "index.handler", "Role": {"Fn::GetAtt": ["Shared", "Arn"]},
            "Code": {"ZipFile": "def handler(e, c): return {}"}, "Environment": {"Variables": variables}}}

    grants = [{"Fn::GetAtt": ["Orders", "Arn"]}, {"Fn::GetAtt": ["Invoices", "Arn"]}]
    template = {"Parameters": {"Name": {"Type": "String"}}, "Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}},
        "Invoices": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "invoices"}},
        "Shared": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {
                "Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "data", "PolicyDocument": {"Statement": [{
                "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": grants}]}}]}},
        "Taker": function({"ORDERS_TABLE": {"Ref": "Orders"}}),
        "Biller": function({"INVOICES_TABLE": {"Ref": "Invoices"}}),
        "Payer": function({"INVOICES_TABLE": "invoices"}),
        "Open": function({"ORDERS_TABLE": {"Ref": "Name"}})}}
    path = tmp_path / "shared.json"
    path.write_text(json.dumps(template))
    found = {(f["logical_id"], f["status"], f["message"]) for f in run_ddbguard(
        "check", str(path), "--format", "json").json()["findings"] if f["rule_id"] == "DDB015" and f["logical_id"]
        in ("Taker", "Biller", "Open")}
    assert found == {
        ("Taker", "fail", "split the role: Taker uses Shared, which also grants invoices that only Biller and Payer "
                          "name"),
        ("Biller", "fail", "split the role: Biller uses Shared, which also grants orders that only Taker names"),
        ("Open", "unknown", "Open uses Shared, which also grants invoices, orders that Taker, Biller and Payer name; "
                            'whether it names them too is unknown: Open\'s variable ORDERS_TABLE is {"Ref":"Name"}, '
                            "which names no table ddbguard can resolve")}
