"""`pytest --ddbguard PATH` (the pytest11 entry point ddbguard.pytest_plugin), run as a user runs it, on the
synthesized example app: one test per rule and resource with the verdict `ddbguard check` gives, in JUnit XML,
with -k, -x, --ddbguard-allow-unknown, pytest-xdist, a configuration, and an input that cannot be checked."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import run_ddbguard

OUTCOME = {"fail": "failed", "unknown": "failed", "suppressed": "skipped", "pass": "passed"}


def run_pytest(cwd, *args: str):
    """pytest in a fresh directory (no conftest, no ini): its JUnit XML as {(classname, name): (outcome, text)}."""
    junit = cwd / "junit.xml"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf", f"--junitxml={junit}", *args], cwd=cwd,
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    cases = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        verdict = next(iter(case), None)
        outcome = {None: "passed", "failure": "failed", "skipped": "skipped", "error": "error"}[
            None if verdict is None else verdict.tag]
        text = "" if verdict is None else verdict.get("message", "") if outcome == "skipped" else verdict.text or ""
        cases[(case.get("classname"), case.get("name"))] = (outcome, text)
    return completed, cases


@pytest.fixture(scope="module")
def expected(cdk_assembly):
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json").json()
    return {(f"ddbguard.{f['rule_id']}", f"{f['stack']}/{f['logical_id']}"): OUTCOME[f["status"]]
            for f in report["findings"]}


@pytest.fixture(scope="module")
def full_run(cdk_assembly, tmp_path_factory):
    return run_pytest(tmp_path_factory.mktemp("pytest-run"), f"--ddbguard={cdk_assembly}")


def test_one_test_per_rule_and_resource_with_the_verdict_of_check(full_run, expected):
    completed, cases = full_run
    assert completed.returncode == 1, completed.stdout[-2000:]
    assert {key: outcome for key, (outcome, _) in cases.items()} == expected
    failure = cases[("ddbguard.DDB001", "ddbguard-legacy/RecoveryPlans62927E19")][1]
    assert failure.splitlines()[:2] == [
        "DDB001 (critical) DynamoDB tables are retained when their stack deletes or replaces them: FAIL",
        "ddbguard-legacy/RecoveryPlans62927E19  [ddbguard-legacy/RecoveryPlans/Resource]"]
    assert failure.splitlines()[2].endswith("/ddbguard-legacy.template.json:43")
    assert failure.splitlines()[3].startswith("DeletionPolicy is not Retain or RetainExceptOnCreate: ")
    assert failure.splitlines()[4] == ("fix: Pass `removalPolicy: RemovalPolicy.RETAIN` to the Table/TableV2 (or call "
                                       "`table.applyRemovalPolicy(RemovalPolicy.RETAIN)`).")
    unknown = cases[("ddbguard.DDB011", "ddbguard-compute-broken/AuditHandlerD2AD8C41")][1]
    assert unknown.splitlines()[0] == (
        "DDB011 (high) Function environment variables name tables the function's role may use: UNKNOWN (ddbguard "
        "cannot judge it statically; --ddbguard-allow-unknown skips it)")
    assert cases[("ddbguard.DDB002", "ddbguard-legacy/ScratchF72D2ED6")] == (
        "skipped", "suppressed: acknowledged in CDK (ddbguard-legacy/Scratch): scratch data: nothing to recover")
    assert cases[("ddbguard.DDB004", "ddbguard-legacy/ScratchF72D2ED6")] == (
        "skipped", "suppressed: scratch data, recreated nightly")
    # the short summary names the node id: ddbguard::<rule>::<stack>/<logical id>
    assert "\nFAILED ddbguard::DDB001::ddbguard-legacy/RecoveryPlans62927E19 - DDB001" in completed.stdout


def test_select_stop_and_allow_unknown(cdk_assembly, tmp_path, full_run, expected):
    completed, cases = run_pytest(tmp_path, f"--ddbguard={cdk_assembly}", "-k", "DDB011", "--ddbguard-allow-unknown")
    assert completed.returncode == 1
    audit = ("ddbguard.DDB011", "ddbguard-compute-broken/AuditHandlerD2AD8C41")
    assert {key: outcome for key, (outcome, _) in cases.items()} == {
        **{key: outcome for key, outcome in expected.items() if key[0] == "ddbguard.DDB011"}, audit: "skipped"}
    assert cases[audit][1] == (
        'unknown (--ddbguard-allow-unknown): AUDIT_TABLE is {"Fn::ImportValue":"ddbguard-data-AuditTableName"}, which '
        "cannot be resolved statically (no value from --parameters, a parameter Default or an export in the input)")
    # -x: the tests up to the first failure, in the order of a full run, and no further
    completed, cases = run_pytest(tmp_path, f"--ddbguard={cdk_assembly}", "-x")
    order = list(full_run[1])
    first_failure = next(i for i, key in enumerate(order) if full_run[1][key][0] == "failed")
    assert list(cases) == order[:first_failure + 1]


def test_with_pytest_xdist(cdk_assembly, tmp_path, expected):
    completed, cases = run_pytest(tmp_path, f"--ddbguard={cdk_assembly}", "-n", "2")
    assert completed.returncode == 1
    assert {key: outcome for key, (outcome, _) in cases.items()} == expected


def test_configuration_and_an_input_that_cannot_be_checked(tmp_path):
    (tmp_path / "orders.yaml").write_text(
        "Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    DeletionPolicy: Retain\n"
        "    UpdateReplacePolicy: Retain\n    Properties: {BillingMode: PAY_PER_REQUEST, SSESpecification: {SSEEnabled: "
        "true}}\n")
    (tmp_path / "broken.yaml").write_text("Resources: [\n")
    (tmp_path / "ddbguard.yaml").write_text("rules:\n  DDB004: {enabled: false}\n")
    completed, cases = run_pytest(tmp_path, "--ddbguard", "orders.yaml", "--ddbguard", "broken.yaml",
                                  "--ddbguard-config", "ddbguard.yaml")
    assert completed.returncode == 1
    assert {key: outcome for key, (outcome, _) in cases.items()} == {
        ("ddbguard.DDB001", "orders/Orders"): "passed",
        ("ddbguard.DDB002", "orders/Orders"): "failed",
        ("ddbguard.DDB003", "orders/Orders"): "passed",
        ("ddbguard.DDB005", "orders/Orders"): "passed",
        ("ddbguard.DDB022", "orders/Orders"): "skipped",
        ("ddbguard.DDB023", "orders/Orders"): "passed",
        ("ddbguard.DDB024", "orders/Orders"): "passed",
        ("ddbguard.input-error", str(tmp_path / "broken.yaml")): "failed",
    }
    assert cases[("ddbguard.input-error", str(tmp_path / "broken.yaml"))][1] == (
        f"ddbguard could not check it: {tmp_path / 'broken.yaml'}: invalid YAML: line 2: did not find expected node "
        "content")
    completed, _ = run_pytest(tmp_path, "--ddbguard", "orders.yaml", "--ddbguard-config", "missing.yaml")
    assert completed.returncode == 4  # a usage error
    assert f"--ddbguard-config: {tmp_path / 'missing.yaml'}: cannot read configuration" in completed.stderr
