"""The CDK policy-validation plugin (ddbguard.cdk.DdbguardValidator), in a real synthesis of the fixture app:
synth fails with ddbguard's findings in CDK's own report (the same as `ddbguard check` of the assembly),
CDK acknowledgements move findings to suppressed, nothing in the assembly is changed, and a compliant
app synthesizes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, cdk_report_rows, cdk_validation_rows, run_ddbguard

CDK_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "info", "info": "info"}


def synth(tmp_path, **env):
    out = tmp_path / "cdk.out"
    completed = subprocess.run(
        [sys.executable, str(FIXTURES / "cdk_app" / "app.py")], capture_output=True, text=True, check=False,
        env={**os.environ, "CDK_OUTDIR": str(out), "DDBGUARD_CDK_PLUGIN": "1",
             "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
             "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(ROOT / "build" / "jsii-cache"), **env})
    return completed, out


def synth_app(tmp_path, tables: str):
    """A one-file app with the plugin set on the App (`policy_validation_beta1`), its tables given as code."""
    app = tmp_path / "app.py"
    app.write_text("import os\nimport aws_cdk as cdk\nfrom aws_cdk import aws_dynamodb as dynamodb\n"
                   "from ddbguard.cdk import DdbguardValidator\n\n"
                   "app = cdk.App(outdir=os.environ['CDK_OUTDIR'], policy_validation_beta1=[DdbguardValidator()])\n"
                   f"{tables}\napp.synth()\n")
    return subprocess.run([sys.executable, str(app)], capture_output=True, text=True, check=False, env={
        **os.environ, "CDK_OUTDIR": str(tmp_path / "cdk.out"), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(ROOT / "build" / "jsii-cache")})


@pytest.fixture(scope="module")
def failed_synth(tmp_path_factory):
    return synth(tmp_path_factory.mktemp("plugin"))


def test_synth_fails_with_the_findings_of_ddbguard_check(failed_synth):
    completed, out = failed_synth
    assert completed.returncode != 0
    # CDK names its report file relative to the working directory
    assert "ValidationFailed" in completed.stderr and "validation-report.json" in completed.stderr
    assert "Acknowledge with 'ddbguard::DDB001'" in completed.stderr  # CDK's own report, CDK's own hints
    [plugin] = json.loads((out / "validation-report.json").read_text())["pluginReports"]
    assert (plugin["pluginName"], plugin["pluginVersion"], plugin["conclusion"]) == ("ddbguard", "0.1.0", "failure")
    reported = {(v["ruleName"], c["constructPath"], v["severity"], v["ruleMetadata"]["status"])
                for v in plugin["violations"] for c in v["violatingConstructs"]}
    # the very findings `ddbguard check cdk.out` reports, with CDK's severities (an unknown is a warning)
    check = run_ddbguard("check", str(out), "--format", "json").json()
    expected = {(f["rule_id"], f["cdk_path"], "warning" if f["status"] == "unknown" else CDK_SEVERITY[f["severity"]],
                 f["status"]) for f in check["findings"] if f["status"] in ("fail", "unknown")}
    # and what a rule reports without failing, as CDK info: DDB007's note on the stacks whose tables are all retained
    # (not the multi-region stack: deleting it deletes its table's legacy replicas, a failure, so in `expected`)
    expected |= {("DDB007", f"{stack}/Resource", "info", "suppressed") for stack in (
        "ddbguard-create-new/ProtectionGroupsTable", "ddbguard-parameterised/Sessions")}
    assert reported == expected
    assert ("DDB011", "ddbguard-compute-broken/AuditHandler/Resource", "warning", "unknown") in reported
    violation = next(v for v in plugin["violations"] if v["ruleName"] == "DDB001")
    assert violation["description"].startswith("DynamoDB tables are retained when their stack deletes or replaces "
                                                "them: DeletionPolicy is not Retain")
    assert violation["suggestedFix"].startswith("Pass `removalPolicy: RemovalPolicy.RETAIN`")


def test_the_report_is_that_of_check_format_cdk_validation(failed_synth):
    """What the npm package @ddbguard/cdk-validator hands CDK as it is (tests/test_cdk_validator_npm.py): one engine."""
    _, out = failed_synth
    [plugin] = json.loads((out / "validation-report.json").read_text())["pluginReports"]
    check = run_ddbguard("check", str(out), "--format", "cdk-validation")
    assert cdk_report_rows(plugin) == cdk_validation_rows(check.json())


def test_cdk_acknowledgements_move_findings_to_suppressed_in_cdk_and_in_check(failed_synth):
    _, out = failed_synth
    [plugin] = json.loads((out / "validation-report.json").read_text())["pluginReports"]
    suppressed = [(v["ruleName"], c["constructPath"], v["acknowledgedId"], v["reason"])
                  for v in plugin["suppressedViolations"] for c in v["violatingConstructs"]]
    assert suppressed == [("DDB002", "ddbguard-legacy/Scratch/Resource", "ddbguard::DDB002",
                           "scratch data: nothing to recover")]
    check = run_ddbguard("check", str(out), "--format", "json").json()
    scratch = next(f for f in check["findings"] if f["rule_id"] == "DDB002" and f["logical_id"].startswith("Scratch"))
    assert (scratch["status"], scratch["suppression_reason"]) == (
        "suppressed", "acknowledged in CDK (ddbguard-legacy/Scratch): scratch data: nothing to recover")


def test_a_compliant_app_synthesizes(tmp_path):
    completed, out = synth(tmp_path, DDBGUARD_CDK_APP="compliant")
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads((out / "validation-report.json").read_text())["pluginReports"] == []
    assert (out / "ddbguard-compliant.template.json").is_file()


def test_the_app_level_setting_works_too(tmp_path):
    """`cdk.App(policy_validation_beta1=[DdbguardValidator()])`, the other way CDK documents."""
    completed = synth_app(tmp_path, (
        "dynamodb.Table(cdk.Stack(app, 'orders'), 'Orders',\n"
        "               partition_key=dynamodb.Attribute(name='id', type=dynamodb.AttributeType.STRING))\n"
    ))
    assert completed.returncode != 0
    [plugin] = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())["pluginReports"]
    # CDK's Table is PROVISIONED by default, without auto scaling: DDB023
    assert sorted(v["ruleName"] for v in plugin["violations"]) == ["DDB002", "DDB003", "DDB004", "DDB007", "DDB022",
                                                                    "DDB023"]
    # the app defines no backup plan: said as CDK info, with why it does not fail
    [backups] = [v for v in plugin["violations"] if v["ruleName"] == "DDB022"]
    assert (backups["severity"], backups["ruleMetadata"]["status"]) == ("info", "suppressed")
    assert backups["description"].startswith(
        "Each table is in an AWS Backup plan that keeps recovery points long enough: no backup plan selects table "
        "Orders")
    assert "(the input defines no backup plan, so an organization backup policy may cover the table" in (
        backups["description"])


def test_a_table_without_a_backup_plan_alone_does_not_fail_synth(tmp_path):
    completed = synth_app(tmp_path, (
        "dynamodb.Table(cdk.Stack(app, 'orders', termination_protection=True), 'Orders', table_name='orders',\n"
        "               partition_key=dynamodb.Attribute(name='id', type=dynamodb.AttributeType.STRING),\n"
        "               removal_policy=cdk.RemovalPolicy.RETAIN, deletion_protection=True,\n"
        "               encryption=dynamodb.TableEncryption.AWS_MANAGED,\n"
        "               billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,\n"
        "               point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(\n"
        "                   point_in_time_recovery_enabled=True))\n"
    ))
    assert completed.returncode == 0, completed.stderr[-2000:]
    [plugin] = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())["pluginReports"]
    assert [(v["ruleName"], v["severity"]) for v in plugin["violations"]] == [("DDB022", "info")]
    assert "no backup plan selects table orders" in completed.stderr  # CDK prints its report
