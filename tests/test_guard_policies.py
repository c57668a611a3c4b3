"""The cfn-guard rules, tested by cfn-guard itself, and kept in step with the Python side."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import RULES_DIR
from ddbguard.actions import (CONTROL_PLANE_ACTIONS, CONTROL_PLANE_MESSAGE, DANGEROUS_ACTIONS, control_plane_guard_regex,
                              dynamodb_actions, may_reach_control_plane)

POLICIES = sorted(RULES_DIR.glob("*/rule.guard"))


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.parent.name)
def test_cfn_guard_test_passes(guard_bin, policy):
    tests = policy.parent / "rule_tests.yaml"
    completed = subprocess.run([guard_bin, "test", "-r", str(policy), "-t", str(tests)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "FAIL" not in completed.stdout.replace("Expected = FAIL", "").replace("-> FAIL", "")


def test_guard_control_plane_regex_and_message_are_the_generated_ones():
    text = (RULES_DIR / "ddb005_resource_policy" / "rule.guard").read_text()
    regexes = set(re.findall(r"Action\[\*\] != /(.*)/", text))
    assert regexes == {control_plane_guard_regex()}
    assert f"<<{CONTROL_PLANE_MESSAGE}>>" in text


def test_every_dangerous_action_is_a_dynamodb_action_with_a_reason():
    actions = dynamodb_actions()
    for dangerous in DANGEROUS_ACTIONS:
        assert dangerous.action in actions and dangerous.reason, dangerous


@pytest.mark.parametrize("pattern, reaches", [
    ("*", True), ("dynamodb:*", True), ("dyn*", True), ("DynamoDB:Delete*", True), ("dynamodb:deletetable", True),
    ("dynamodb:RestoreTableFromAwsBackup", True), ("dynamodb:Put*", True), ("dynamodb:U?dateTable", True),
    ("dynamodb:*Item", True),  # judged by the text before the first wildcard, on purpose
    ("dynamodb:UpdateTimeToLive", True), ("dynamodb:ExportTableToPointInTime", True), ("dynamodb:Exp*", True),
    ("dynamodb:EnableKinesisStreamingDestination", True), ("dynamodb:Untag*", True), ("dynamodb:GetRecords", False),
    ("dynamodb:DescribeTimeToLive", False), ("dynamodb:ListTagsOfResource", False),
    ("dynamodb:Get*", False), ("dynamodb:GetItem", False), ("dynamodb:Query", False), ("s3:*", False),
    ("dynamodb:PutItem", False), ("dynamodb:DescribeTable", False),
])
def test_python_and_guard_regex_decide_alike(pattern, reaches):
    assert may_reach_control_plane(pattern) is reaches
    assert bool(re.match(control_plane_guard_regex(), pattern)) is reaches


def test_every_control_plane_action_and_its_prefix_wildcards_are_caught():
    for action in CONTROL_PLANE_ACTIONS:
        for cut in range(len(action) + 1):
            pattern = action[:cut] + "*"
            assert may_reach_control_plane(pattern) and re.match(control_plane_guard_regex(), pattern)
