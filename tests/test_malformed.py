"""Malformed templates never crash a run: generated shapes in every slot a rule reads.

Each example writes one template whose slots hold random shapes (null, numbers, text, lists,
mappings, intrinsic functions), checks it together with a good template, and requires a documented
exit code, no internal error or traceback, and the good template's findings still reported.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import COMPLIANT, good_table_verdicts
from ddbguard.cli import main

# Every place a rule, the resolver or the loader reads, as a path into BASE.
BASE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Env": {"Type": "String", "Default": "prod"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Mappings": {"ByEnv": {"prod": {"Pitr": True}}},
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Condition": "IsProd",
            "Metadata": {"ddbguard": {"suppress": [{"id": "DDB002", "reason": "r"}]}},
            "Properties": {
                "TableName": {"Fn::Sub": "orders-${Env}"},
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": {"Fn::FindInMap": ["ByEnv", "prod", "Pitr"]}},
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/k"},
                "DeletionProtectionEnabled": True,
                "Tags": [{"Key": "backup", "Value": "daily"}],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "GlobalSecondaryIndexes": [{"IndexName": "ByDate", "KeySchema": [{"AttributeName": "d", "KeyType": "HASH"}]}],
                "LocalSecondaryIndexes": [{"IndexName": "Local"}],
                "ResourcePolicy": {"PolicyDocument": {"Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                    "Action": ["dynamodb:GetItem"], "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]}},
            },
        },
        "Global": {
            "Type": "AWS::DynamoDB::GlobalTable", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Replicas": [{"Region": "us-east-1", "DeletionProtectionEnabled": True,
                              "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                              "ResourcePolicy": {"PolicyDocument": {"Statement": {"Effect": "Allow", "Principal": "*",
                                                                                 "Action": "dynamodb:Query"}}}}],
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": "handler",
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess", {"Ref": "Policy"}],
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{
                    "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": ["Table", "Arn"]}}]}}],
            },
        },
        "Policy": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": {
                "Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}}},
        },
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]},
                           "Environment": {"Variables": {"ORDERS_TABLE": {"Ref": "Table"}}}},
        },
        "Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"BackupPlanName": "daily",
            "BackupPlanRule": [{"RuleName": "daily", "TargetBackupVault": "Default", "Lifecycle": {"DeleteAfterDays": 35}}]}}},
        "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {
            "BackupPlanId": {"Ref": "Plan"}, "BackupSelection": {
                "SelectionName": "tables", "IamRoleArn": "arn:aws:iam::111111111111:role/backup",
                "Resources": [{"Fn::GetAtt": ["Table", "Arn"]}], "NotResources": ["arn:aws:dynamodb:*:*:table/tmp-*"],
                "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}],
                "Conditions": {"StringLike": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "d*"}]}}}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Dimensions": [{"Name": "TableName",
                                                                                    "Value": {"Ref": "Table"}}]}},
    },
    "Outputs": {"Name": {"Value": {"Ref": "Table"}, "Export": {"Name": "orders-name"}}},
}


def _slots(node: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _slots(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _slots(value, (*path, index))
    return found


SLOTS = _slots(BASE)[1:]
NAMES = st.sampled_from(["Table", "Role", "Env", "IsProd", "Arn", "AWS::NoValue", "AWS::Region", "*", "", "Retain",
                         "true", "prod", "dynamodb:*", "arn:aws:dynamodb:*:*:table/*"])
FUNCTIONS = ["Ref", "Fn::GetAtt", "Fn::If", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::FindInMap", "Fn::ImportValue",
             "Fn::Equals", "Fn::Split", "Fn::Length", "Fn::ToJsonString", "Fn::Transform", "Condition", "Fn::Not"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16), NAMES,
                    st.text(max_size=6))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(NAMES, inner, max_size=3),
        st.builds(lambda f, a: {f: a}, st.sampled_from(FUNCTIONS), inner),
    ),
    max_leaves=8,
)


def _replace(template: dict, path: tuple, value: object) -> None:
    node = template
    for step in path[:-1]:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return  # an earlier replacement changed the shape above this slot
    if isinstance(node, (dict, list)) and (isinstance(node, dict) or (isinstance(path[-1], int) and path[-1] < len(node))):
        node[path[-1]] = value


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def good_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.yaml"
    path.write_text(COMPLIANT)
    return path


@pytest.mark.parametrize("engine, examples", [("guard", 150), ("checkov", 30)])
def test_malformed_templates_are_input_errors_or_verdicts_never_crashes(engine, examples, good_template, tmp_path,
                                                                        guard_bin, monkeypatch):
    monkeypatch.setenv("CFN_GUARD_BIN", guard_bin)
    bad = tmp_path / "bad.json"

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(st.tuples(st.sampled_from(SLOTS), VALUES), min_size=1, max_size=4))
    def check(replacements):
        template = copy.deepcopy(BASE)
        for path, value in replacements:
            _replace(template, path, value)
        bad.write_text(json.dumps(template))
        code, out, err = _run(["check", str(bad), str(good_template), "--format", "json", "--engine", engine])
        assert code in (0, 1, 2), (code, err)
        assert "internal error" not in err and "Traceback" not in err, err
        report = json.loads(out)
        good = {(f["rule_id"], f["status"]) for f in report["findings"] if f["stack"] == "good"}
        # DDB022 of the good table depends on the backup plans of the whole input, the broken one's included
        assert {v for v in good if v[0] != "DDB022"} == good_table_verdicts() - {("DDB022", "suppressed")}, (
            good, report["errors"])
        assert len([v for v in good if v[0] == "DDB022"]) == 1, good
        assert all(e["file"] != str(good_template) for e in report["errors"])

    check()
