"""The AWS managed policies ddbguard knows: generated from the real policy documents moto ships,
and every action they keep is a real DynamoDB action."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources

from conftest import ROOT
from ddbguard.actions import dynamodb_actions
from ddbguard.iam import action_matches, aws_managed_policy_arns, aws_managed_statements


def shipped() -> dict:
    return json.loads(resources.files("ddbguard.data").joinpath("aws_managed_policies.json").read_text())


def test_the_shipped_table_is_current():
    spec = importlib.util.spec_from_file_location("update", ROOT / "tools" / "update_managed_policies.py")
    update = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(update)
    assert shipped() == update.generate(), "run tools/update_managed_policies.py"


def test_every_kept_action_is_a_real_dynamodb_action():
    actions = dynamodb_actions()
    for name, policy in shipped().items():
        for statement in policy["statements"]:
            for pattern in statement.get("Action", []):
                assert any(action_matches(pattern, action) for action in actions), (name, pattern)
            assert set(statement) <= {"Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


def test_the_policies_that_touch_dynamodb_are_known_by_their_statements():
    policies = shipped()
    assert policies["AdministratorAccess"]["statements"] == [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]
    assert policies["PowerUserAccess"]["statements"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]
    assert {"dynamodb:*"} <= set(policies["AmazonDynamoDBFullAccess"]["statements"][0]["Action"])
    assert policies["AWSLambdaDynamoDBExecutionRole"]["statements"] == [{
        "Effect": "Allow", "Resource": "*", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                                                       "dynamodb:GetShardIterator", "dynamodb:ListStreams"]}]
    for name in ("AmazonDynamoDBFullAccess_v2", "AmazonDynamoDBReadOnlyAccess", "ReadOnlyAccess"):
        assert policies[name]["statements"], name
    assert policies["AWSLambdaBasicExecutionRole"]["statements"] == []  # known, and touches no table


def test_arns_are_read_with_any_partition_and_path():
    name, statements = aws_managed_statements("arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
                                              source="Role", path=("Properties", "ManagedPolicyArns", 0))
    assert name == "AWSLambdaDynamoDBExecutionRole" and statements[0].path == ("Properties", "ManagedPolicyArns", 0)
    assert aws_managed_statements("arn:aws:iam::123456789012:policy/Custom", source="R", path=()) is None
    assert aws_managed_statements("arn:aws:iam::aws:policy/NotARealPolicy2099", source="R", path=()) is None
    assert aws_managed_policy_arns()["AWSLambdaDynamoDBExecutionRole"] == (
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole")
