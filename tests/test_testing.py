"""ddbguard.testing.assert_compliant, on template dicts, paths and a cloud assembly; and in a real CDK unit test
(`Template.from_stack(stack).to_json()` and `app.synth()` of the real aws-cdk-lib, run by pytest)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from conftest import COMPLIANT, ROOT
from ddbguard.testing import assert_compliant

GOOD = yaml.safe_load(COMPLIANT)
PITR = "point-in-time recovery is not enabled (PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not true)"
RETAIN = ("DeletionPolicy is not Retain or RetainExceptOnCreate: deleting the stack or removing the resource deletes "
          "the table and its data")


def without_pitr(name: str = "Orders") -> dict:
    template = copy.deepcopy(GOOD)
    table = template["Resources"].pop("Table")
    del table["Properties"]["PointInTimeRecoverySpecification"]
    template["Resources"][name] = table
    return template


def test_a_compliant_template_dict_passes():
    assert assert_compliant(GOOD) is None


def test_each_failing_rule_resource_and_message_is_listed_escaped():
    template = without_pitr("Orders")
    template["Resources"]["Orders"]["DeletionPolicy"] = "Delete"
    template["Resources"]["Orders"]["Properties"]["TableName"] = "orders\x1b]0;owned\x07"
    with pytest.raises(AssertionError) as raised:
        assert_compliant(template)
    assert str(raised.value) == "\n  ".join([
        "ddbguard: 2 findings fail:",
        f"DDB001 template/Orders (fail): {RETAIN}",
        f"DDB002 template/Orders (fail): {PITR}",
    ])


def test_an_unknown_fails_and_rules_select_what_is_asserted():
    template = copy.deepcopy(GOOD)
    template["Parameters"] = {"KeyId": {"Type": "String"}}
    template["Resources"]["Table"]["Properties"]["SSESpecification"] = {
        "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "KeyId"}}
    with pytest.raises(AssertionError) as raised:
        assert_compliant(template)
    assert str(raised.value) == (
        'ddbguard: 1 finding fails:\n  DDB008 template/Table (unknown): KMSMasterKeyId is {"Ref": "KeyId"}, which '
        "cannot be resolved statically, so whether the input deletes the key cannot be told")
    assert assert_compliant(template, rules=["DDB001", "DDB002"]) is None
    with pytest.raises(AssertionError, match=r"^ddbguard: 1 finding fails:\n  DDB008 template/Table \(unknown\)"):
        assert_compliant(template, rules="DDB008")
    with pytest.raises(ValueError, match=r"^assert_compliant: unknown rules DDB999, ddb001 \(see `ddbguard rules`\)$"):
        assert_compliant(GOOD, rules=["DDB999", "ddb001"])
    with pytest.raises(ValueError, match=r"^assert_compliant: rules is empty \(None checks every rule\)$"):
        assert_compliant(GOOD, rules=[])


def test_configuration_as_a_file_or_a_dict(tmp_path):
    assert assert_compliant(without_pitr(), config={"rules": {"DDB002": {"enabled": False}}}) is None
    config = tmp_path / "ddbguard.yaml"
    config.write_text("suppressions:\n  - {rule: DDB002, resource: Orders, reason: scratch data}\n")
    assert assert_compliant(without_pitr(), config=config) is None
    with pytest.raises(AssertionError, match=r"^ddbguard: 1 finding fails:\n  DDB002 template/Orders \(fail\)"):
        assert_compliant(without_pitr(), config={})


def test_a_path_is_checked_as_ddbguard_check_checks_it(tmp_path):
    (tmp_path / "orders.json").write_text(json.dumps(without_pitr()))
    with pytest.raises(AssertionError) as raised:
        assert_compliant(tmp_path / "orders.json")
    assert str(raised.value) == f"ddbguard: 1 finding fails:\n  DDB002 orders/Orders (fail): {PITR}"
    (tmp_path / "broken.yaml").write_text("Resources: [\n")
    with pytest.raises(AssertionError) as raised:
        assert_compliant(str(tmp_path))
    assert str(raised.value).splitlines()[1:] == [
        f"  DDB002 orders/Orders (fail): {PITR}",
        f"  input error: {tmp_path / 'broken.yaml'}: invalid YAML: line 2: did not find expected node content"]
    with pytest.raises(TypeError, match="^assert_compliant: expected a path, a cloud assembly"):
        assert_compliant(["orders.json"])


def test_a_template_dict_never_reads_what_it_names_outside(tmp_path):
    """Its nested stack and include name real files next to it (and a secret further up): none is read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "nested.json").write_text(json.dumps(without_pitr("OutsideTable")))
    (outside / "include.json").write_text(json.dumps({"Type": "AWS::DynamoDB::Table", "Properties": {}}))
    for resources in (
        {"Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": str(outside / "nested.json")}}},
        {"Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "../outside/nested.json"}}},
        {"Included": {"Fn::Transform": {"Name": "AWS::Include",
                                        "Parameters": {"Location": str(outside / "include.json")}}}},
    ):
        with pytest.raises(AssertionError) as raised:
            assert_compliant({"Resources": resources})
        lines = str(raised.value).splitlines()
        assert lines[0] == "ddbguard: 1 finding fails:"
        assert lines[1].startswith("  input error: ") and "resolves outside the template roots" in lines[1], lines
        assert "OutsideTable" not in str(raised.value)


def test_in_a_cdk_unit_test_with_the_real_aws_cdk_lib(tmp_path):
    """What a CDK project's own test file does: a stack's Template, then the whole app's cloud assembly."""
    (tmp_path / "test_stack.py").write_text(textwrap.dedent('''
        import aws_cdk as cdk
        import pytest
        from aws_cdk import aws_dynamodb as dynamodb
        from aws_cdk.assertions import Template

        from ddbguard.testing import assert_compliant

        def build(outdir):
            app = cdk.App(outdir=outdir, context={"aws:cdk:enable-path-metadata": True})
            stack = cdk.Stack(app, "orders", termination_protection=True)
            table = dynamodb.Table(stack, "Orders", partition_key=dynamodb.Attribute(
                name="id", type=dynamodb.AttributeType.STRING), deletion_protection=True,
                encryption=dynamodb.TableEncryption.AWS_MANAGED, billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST)
            return app, stack, table

        def test_template_of_a_stack(tmp_path):
            app, stack, _ = build(str(tmp_path))
            with pytest.raises(AssertionError) as raised:
                assert_compliant(Template.from_stack(stack).to_json())
            print("TEMPLATE:", repr(str(raised.value)))

        def test_cloud_assembly_with_an_acknowledgement(tmp_path):
            app, stack, table = build(str(tmp_path))
            cdk.Validations.of(table).acknowledge(cdk.Acknowledgment(id="ddbguard::DDB002", reason="scratch data"))
            assert_compliant(app.synth())
    '''))
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_stack.py"], cwd=tmp_path,
        capture_output=True, text=True, check=False, env={
            **os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(ROOT / "build" / "jsii-cache")})
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    [said] = [line for line in completed.stdout.splitlines() if "TEMPLATE: " in line]
    assert said.split("TEMPLATE: ", 1)[1] == repr(
        f"ddbguard: 1 finding fails:\n  DDB002 template/OrdersA9B65338 (fail): {PITR}")
