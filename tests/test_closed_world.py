"""The closed world: every construct of a template is modelled, declared irrelevant with a reason, or reported as
not modelled, and what ddbguard does not model is never a pass.

Walks every resource type of the CloudFormation registry schemas that cfn-lint ships and every intrinsic function
cfn-lint knows; then checks, end to end, what a template file cannot know (its stack name, account, region) and
what only a cloud assembly or --parameters tells.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path

import pytest

from conftest import COMPLIANT, ROOT, run_ddbguard
from ddbguard.commands.check import CheckOptions, run_check
from ddbguard.config import parse_config
from ddbguard.templates import modelled
from ddbguard.templates.modelled import (
    INTRINSICS, IRRELEVANT, IRRELEVANT_SERVICES, IRRELEVANT_TYPES, MODELLED, MODELLED_TYPES, NOT_MODELLED,
    NOT_MODELLED_TYPES, SENSITIVE_SERVICES, classify, service_of,
)


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "tools" / "generate_cloudformation_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_cloudformation_data_is_current():
    assert modelled.cloudformation_data() == _generator().generate(), "run tools/generate_cloudformation_data.py"


def test_replacement_comes_from_the_schemas_and_the_resource_reference():
    assert modelled.replacement_properties("AWS::DynamoDB::Table") == (
        "ImportSourceSpecification", "KeySchema", "LocalSecondaryIndexes", "TableName")
    assert modelled.replacement_properties("AWS::DynamoDB::GlobalTable") == (
        "KeySchema", "LocalSecondaryIndexes", "TableName")


def test_every_registry_type_is_modelled_irrelevant_or_not_modelled_on_purpose():
    """No type falls through: a sensitive service's types are each declared; every other service is declared
    irrelevant as a whole (a new service in the schemas fails here until someone decides)."""
    schemas = _generator().schemas()
    assert len(schemas) > 1000
    undeclared = []
    for kind in schemas:
        classification = classify(kind)
        assert classification.kind in (MODELLED, IRRELEVANT, NOT_MODELLED) and classification.reason, kind
        if service_of(kind) in SENSITIVE_SERVICES:
            declared = kind in MODELLED_TYPES or kind in NOT_MODELLED_TYPES or kind in IRRELEVANT_TYPES or \
                kind.startswith("AWS::Serverless::") or kind == "AWS::CloudFormation::CustomResource"
        else:
            declared = service_of(kind) in IRRELEVANT_SERVICES
        if not declared:
            undeclared.append(kind)
    assert undeclared == []
    assert set(IRRELEVANT_SERVICES).isdisjoint(SENSITIVE_SERVICES)
    assert set(MODELLED_TYPES) | set(NOT_MODELLED_TYPES) | set(IRRELEVANT_TYPES) <= set(schemas)


@pytest.mark.parametrize("kind, expected", [
    ("AWS::DynamoDB::Table", MODELLED), ("AWS::EC2::VPC", IRRELEVANT), ("AWS::IAM::User", MODELLED),
    ("AWS::CloudFormation::CustomResource", NOT_MODELLED), ("Custom::Anything", NOT_MODELLED),
    ("Custom::DynamoDBReplica", MODELLED), ("Acme::Data::Tables::MODULE", NOT_MODELLED),
    ("Acme::DynamoDB::Table", NOT_MODELLED), ("AWS::EC2::TypeFromTheFuture", NOT_MODELLED),
    ("AWS::ServiceCatalog::CloudFormationProvisionedProduct", NOT_MODELLED),
    ("AWS::Serverless::SimpleTable", MODELLED),
])
def test_classification_of_some_types(kind, expected):
    assert classify(kind).kind == expected


def test_every_intrinsic_function_is_declared():
    from cfnlint.helpers import CONDITION_FUNCTIONS, FUNCTIONS

    from ddbguard.templates import decode_yaml

    names = {name.replace("::[a-zA-Z0-9]+", "") for name in FUNCTIONS} | set(CONDITION_FUNCTIONS)
    names |= {"Fn::And", "Fn::Equals", "Fn::Not", "Fn::Or", "Condition"}
    shipped = Path(__import__("cfnlint").__file__).parent / "data" / "schemas" / "other" / "functions"
    names |= {f"Fn::{path.stem}" for path in shipped.glob("*.json")} - {"Fn::ref", "Fn::condition"}
    declared = {name.lower() for name in INTRINSICS}
    assert {name for name in names if name.lower() not in declared} == set()
    # and every short form the decoder reads is one of them
    assert set(decode_yaml.SHORT_FORMS.values()) <= set(INTRINSICS)


# -- pseudo parameters ------------------------------------------------------------------------------------------
STACK_NAME_TEMPLATE = """\
Transform: AWS::LanguageExtensions
Conditions:
  IsProdStack: !Equals [!Ref AWS::StackName, prod-data]
  InEurope: !Equals [!Select [0, !Split ["-", !Ref AWS::Region]], eu]
  InChina: !Equals [!Ref AWS::Partition, aws-cn]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: !If [IsProdStack, Retain, Delete]
    UpdateReplacePolicy: Retain
    Properties:
      TableName: !Sub "${AWS::StackName}-orders"
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: !If [InEurope, true, false]}
      SSESpecification: {SSEEnabled: !If [InChina, false, true]}
      DeletionProtectionEnabled: true
"""


def _verdicts(report) -> dict[str, str]:
    return {f.rule_id: f.status.value for f in report.findings if f.rule_id in ("DDB001", "DDB002", "DDB003")}


def _check(paths, parameters=None):
    return run_check(CheckOptions(paths=[str(p) for p in paths], parameters=parameters, today=dt.date(2026, 1, 1)),
                     parse_config({}, source="test"))


def test_a_template_file_knows_no_stack_name_account_region_or_partition(tmp_path):
    path = tmp_path / "prod-data.yaml"  # named like the stack, which proves nothing
    path.write_text(STACK_NAME_TEMPLATE)
    report = _check([path])
    assert _verdicts(report) == {"DDB001": "fail", "DDB002": "fail", "DDB003": "fail"}
    message = next(f.message for f in report.findings if f.rule_id == "DDB001")
    assert message == (
        'cannot be verified statically: DeletionPolicy is {"Fn::If":["IsProdStack","Retain","Delete"]}, which depends '
        "on AWS::StackName, decided when the stack is deployed (a template file names no stack, account or region; a "
        'cloud assembly does): give the value in --parameters, for example {"AWS::StackName": "..."}')
    # --parameters gives them, as it gives any parameter
    given = _check([path], {"AWS::StackName": "prod-data", "AWS::Region": "eu-west-1"})
    assert _verdicts(given) == {"DDB001": "pass", "DDB002": "pass", "DDB003": "pass"}
    china = _check([path], {"AWS::StackName": "test-data", "AWS::Region": "cn-north-1"})
    assert _verdicts(china) == {"DDB001": "fail", "DDB002": "fail", "DDB003": "fail"}


def test_a_cloud_assembly_names_its_stack_account_and_region(tmp_path):
    assembly = tmp_path / "cdk.out"
    assembly.mkdir()
    (assembly / "data.template.yaml").write_text(STACK_NAME_TEMPLATE)
    (assembly / "manifest.json").write_text(json.dumps({"version": "41.0.0", "artifacts": {"Data": {
        "type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1",
        "properties": {"templateFile": "data.template.yaml", "stackName": "prod-data"}}}}))
    report = _check([assembly])
    assert _verdicts(report) == {"DDB001": "pass", "DDB002": "pass", "DDB003": "pass"}
    assert report.not_modelled == []


def test_a_nested_stack_has_a_name_of_its_own(tmp_path):
    (tmp_path / "child.yaml").write_text(STACK_NAME_TEMPLATE)
    (tmp_path / "parent.yaml").write_text("Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
                                          "    Properties: {TemplateURL: child.yaml}\n")
    report = _check([tmp_path / "parent.yaml"], {"AWS::StackName": "prod-data", "AWS::Region": "eu-west-1"})
    # CloudFormation names it prod-data-Child-<random>: not prod-data; the region is its parent's
    assert _verdicts(report) == {"DDB001": "fail", "DDB002": "pass", "DDB003": "pass"}


# -- every report says what was not modelled ---------------------------------------------------------------------
MACRO = "Transform: AcmeMacro\n" + COMPLIANT


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "sarif"])
def test_every_report_says_what_was_not_modelled(tmp_path, fmt):
    path = tmp_path / "macro.yaml"
    path.write_text(MACRO)
    result = run_ddbguard("check", str(path), "--format", fmt)
    assert result.code == 1
    effect = ("a macro: CloudFormation runs it on the template before deploying, and what it makes of the stack is "
              "not modelled")
    if fmt == "json":
        assert result.json()["not_modelled"] == [{"construct": "Transform AcmeMacro", "stack": "macro",
                                                  "file": str(path), "line": 1, "location": "Transform",
                                                  "effect": effect}]
        assert {(f["rule_id"], f["status"]) for f in result.json()["findings"] if f["logical_id"] == "Table"} == {
            ("DDB001", "unknown"), ("DDB002", "unknown"), ("DDB003", "unknown"), ("DDB004", "unknown"),
            ("DDB005", "unknown"), ("DDB022", "suppressed"), ("DDB023", "unknown"), ("DDB024", "unknown")}
    elif fmt == "sarif":
        import jsonschema

        schema = ROOT / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / "sarif-2.1.0-rtm.5.json"
        jsonschema.Draft4Validator(json.loads(schema.read_text())).validate(json.loads(result.stdout))
        notes = json.loads(result.stdout)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        assert [(n["level"], n["message"]["text"]) for n in notes] == [
            ("note", f"not modelled: Transform AcmeMacro (macro/Transform): {effect}")]
    elif fmt == "text":
        assert (f"NOT MODELLED (1): the verdicts these could change are unknown, never pass (DDB009)\n"
                f"  {path}:1 macro/Transform: Transform AcmeMacro\n") in result.stdout
    else:
        assert "### Not modelled (1)" in result.stdout and "Transform AcmeMacro" in result.stdout


def test_a_suppression_declares_a_construct_harmless(tmp_path):
    path = tmp_path / "macro.yaml"
    path.write_text(MACRO)
    config = tmp_path / ".ddbguard.yaml"
    config.write_text("suppressions:\n  - {rule: DDB009, resource: 'macro/Transform', reason: 'AcmeMacro only adds "
                      "cost-centre tags'}\n")
    result = run_ddbguard("check", str(path), "--format", "json", "--config", str(config))
    assert result.code == 0, result.stdout
    assert {(f["rule_id"], f["status"]) for f in result.json()["findings"]} == {
        ("DDB001", "pass"), ("DDB002", "pass"), ("DDB003", "pass"), ("DDB004", "pass"), ("DDB005", "pass"),
        ("DDB022", "suppressed"), ("DDB009", "suppressed"), ("DDB023", "pass"), ("DDB024", "pass")}
    assert [entry["construct"] for entry in result.json()["not_modelled"]] == ["Transform AcmeMacro"]


def test_a_macro_also_makes_its_nested_stacks_unknown(tmp_path):
    (tmp_path / "child.yaml").write_text(MACRO.removeprefix("Transform: AcmeMacro\n"))
    (tmp_path / "parent.yaml").write_text("Transform: AcmeMacro\nResources:\n  Child:\n"
                                          "    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: child.yaml}\n")
    report = _check([tmp_path / "parent.yaml"])
    assert {(f.stack, f.rule_id, f.status.value) for f in report.findings if f.rule_id in ("DDB001", "DDB009")} == {
        ("parent/Child", "DDB001", "unknown"), ("parent", "DDB009", "unknown")}


def test_top_level_include_is_expanded(tmp_path):
    # the snippet is inserted at the top level: here the condition that decides the table's DeletionPolicy
    (tmp_path / "conditions.yaml").write_text("Conditions:\n  Keep: !Equals [prod, prod]\n")
    (tmp_path / "main.yaml").write_text(
        "Transform:\n  - Name: AWS::Include\n    Parameters: {Location: conditions.yaml}\n  - AWS::LanguageExtensions\n"
        + MACRO.removeprefix("Transform: AcmeMacro\n").replace("DeletionPolicy: Retain", "DeletionPolicy: !If [Keep, Retain, Delete]"))
    report = _check([tmp_path / "main.yaml"])
    assert report.errors == [] and report.not_modelled == []
    assert _verdicts(report) == {"DDB001": "pass", "DDB002": "pass", "DDB003": "pass"}
    (tmp_path / "conditions.yaml").write_text("Resources: {}\n")  # a key both sides have: CloudFormation refuses
    clash = _check([tmp_path / "main.yaml"])
    assert [e.message for e in clash.errors] == [
        "AWS::Include 'conditions.yaml': Resources is both in the snippet and beside it"]


def test_a_stack_sets_template_url_is_read_like_a_nested_stacks(tmp_path):
    (tmp_path / "elsewhere" / "stacksets").mkdir(parents=True)
    (tmp_path / "elsewhere" / "stacksets" / "instance.yaml").write_text(
        MACRO.removeprefix("Transform: AcmeMacro\n").replace("Retain", "Delete"))
    (tmp_path / "org.yaml").write_text(
        "Resources:\n  Everywhere:\n    Type: AWS::CloudFormation::StackSet\n    Properties:\n"
        "      StackSetName: data\n      PermissionModel: SERVICE_MANAGED\n"
        "      TemplateURL: https://s3.amazonaws.com/templates-bucket/stacksets/instance.yaml\n")
    unread = _check([tmp_path / "org.yaml"])
    assert [(r.logical_id, r.construct) for r in unread.not_modelled] == [
        ("Everywhere", "type AWS::CloudFormation::StackSet")]
    assert "not found locally" in unread.not_modelled[0].effect
    read = run_check(CheckOptions(paths=[str(tmp_path / "org.yaml")], template_roots=(str(tmp_path / "elsewhere"),)),
                     parse_config({}, source="test"))
    assert read.not_modelled == [] and read.errors == []
    assert {(f.stack, f.status.value) for f in read.findings if f.rule_id == "DDB001"} == {
        ("org/Everywhere", "fail")}


def test_a_stack_sets_template_body_built_with_functions_is_not_modelled(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text("Parameters:\n  Body: {Type: String}\nResources:\n  Everywhere:\n"
                    "    Type: AWS::CloudFormation::StackSet\n    Properties:\n      StackSetName: data\n"
                    "      PermissionModel: SELF_MANAGED\n      TemplateBody: !Ref Body\n")
    report = _check([path])
    assert [(f.rule_id, f.logical_id, f.status.value) for f in report.findings] == [
        ("DDB009", "Everywhere", "unknown")]
    assert re.search(r'its TemplateBody is \{"Ref": "Body"\}, not the template\'s text', report.findings[0].message)


def test_a_serverless_repository_application_is_not_modelled(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Shared:\n    Type: AWS::Serverless::Application\n"
                    "    Properties:\n      Location: {ApplicationId: 'arn:aws:serverlessrepo:us-east-1:123456789012:"
                    "applications/tables', SemanticVersion: 1.0.0}\n")
    report = _check([path])
    assert report.errors == []
    assert [(r.logical_id, r.construct) for r in report.not_modelled] == [("Shared", "type AWS::CloudFormation::Stack")]
    assert "Serverless Application Repository" in report.not_modelled[0].effect

