"""The three engines agree on generated tables: every combination of what the per-resource rules read.

Each example is a template of a few tables (Table or GlobalTable) drawn from the settings those rules
read (retain policies, PITR and its recovery window on the table or its replicas, SSE types and keys, deletion
protection, resource policies with principals, conditions and actions, on the table, its stream and every replica and
replica stream; customer and AWS managed key ids), and of DAX clusters (encryption at rest, endpoint encryption,
nodes); builtin, cfn-guard and checkov must give every resource the same verdict for every rule, at the encryption
level (and minimum recovery window) drawn for the example.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import catalog_rules
from ddbguard.catalog import load_catalog
from ddbguard.commands.check import CheckOptions, run_check
from ddbguard.config import parse_config

PER_TABLE = set(catalog_rules("builtin", also_off_by_default=True))  # each turned on below
CATALOG = load_catalog()

# What CloudFormation reads as a boolean (cfn-lint's set), and values it does not: 1 is not true in any engine.
BOOLEANS = st.sampled_from([True, False, "true", "false", "True", "TRUE", "False", 1, 0, "1", "yes", 1.0, None])


def optional(key: str, strategy) -> st.SearchStrategy[dict]:
    return st.one_of(st.just({}), strategy.map(lambda value: {key: value}))


CONDITION = st.sampled_from([
    None, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, {"StringLike": {"aws:PrincipalAccount": "*"}},
    {"StringLike": {"aws:PrincipalAccount": ["111111111111", "?*"]}}, {"Bool": {"aws:SecureTransport": "true"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/*"}},
])
STATEMENT = st.builds(
    lambda effect, principal, action, condition: {
        "Effect": effect, "Principal": principal, "Action": action, "Resource": "*",
        **({"Condition": condition} if condition else {})},
    st.sampled_from(["Allow", "Deny"]),
    st.sampled_from(["*", {"AWS": "arn:aws:iam::111111111111:role/reader"}, {"AWS": ["111111111111", "*"]},
                     {"Service": "lambda.amazonaws.com"}, {"Federated": "cognito-identity.amazonaws.com"}]),
    st.sampled_from(["dynamodb:GetItem", ["dynamodb:Query", "dynamodb:Scan"], "dynamodb:*", "dynamodb:DeleteTable",
                     "dynamodb:Delete*", "*", "dynamodb:UpdateTimeToLive", "dynamodb:Exp*", "dynamodb:GetRecords"]),
    CONDITION,
)
RESOURCE_POLICY = st.lists(STATEMENT, min_size=1, max_size=2).map(
    lambda statements: {"PolicyDocument": {"Version": "2012-10-17", "Statement": statements}})
# CloudFormation's integers, their digits as text, and what is neither (a boolean, a fraction, words, out of range)
DAYS = st.sampled_from([1, 7, 14, 35, 36, 0, "7", "35", "035", "36", True, 7.5, "seven", ""])
PITR = st.builds(lambda enabled, days: {**enabled, **days}, optional("PointInTimeRecoveryEnabled", BOOLEANS),
                 optional("RecoveryPeriodInDays", DAYS))
NODES = st.sampled_from([1, 2, 3, 5, "3", "1", 3.0, True, "three"])
# the minimum recovery window (min_pitr_recovery_days) of each encryption level's run
MIN_PITR_DAYS = {"aws-owned": 35, "aws-managed": 14, "customer-managed": 1}
KEY = st.sampled_from(["alias/orders", "arn:aws:kms:us-east-1:111111111111:key/1234", "alias/aws/dynamodb",
                       "arn:aws:kms:us-east-1:111111111111:alias/aws/dynamodb", ""])
STREAM = optional("ResourcePolicy", RESOURCE_POLICY).map(lambda policy: {"StreamViewType": "NEW_IMAGE", **policy})


@st.composite
def table(draw) -> dict:
    is_global = draw(st.booleans())
    resource: dict = {"Type": "AWS::DynamoDB::GlobalTable" if is_global else "AWS::DynamoDB::Table"}
    resource.update(draw(optional("DeletionPolicy", st.sampled_from(["Retain", "RetainExceptOnCreate", "Delete",
                                                                     "Snapshot"]))))
    resource.update(draw(optional("UpdateReplacePolicy", st.sampled_from(["Retain", "Delete", "Snapshot"]))))
    properties: dict = {}
    properties.update(draw(optional("SSESpecification", st.builds(
        lambda enabled, kind, key: {"SSEEnabled": enabled, **kind, **key},
        BOOLEANS, optional("SSEType", st.just("KMS")), optional("KMSMasterKeyId", KEY) if not is_global else
        st.just({})))))
    if is_global:
        replica = st.builds(lambda pitr, protection, policy, sse, stream: {"Region": "us-east-1", **pitr, **protection,
                                                                             **policy, **sse, **stream},
                            optional("PointInTimeRecoverySpecification", PITR),
                            optional("DeletionProtectionEnabled", BOOLEANS),
                            optional("ResourcePolicy", RESOURCE_POLICY),
                            optional("SSESpecification", KEY.map(lambda key: {"KMSMasterKeyId": key})),
                            optional("ReplicaStreamSpecification", RESOURCE_POLICY.map(
                                lambda policy: {"ResourcePolicy": policy})))
        properties["Replicas"] = draw(st.lists(replica, min_size=1, max_size=2))
    else:
        properties.update(draw(optional("PointInTimeRecoverySpecification", PITR)))
        properties.update(draw(optional("DeletionProtectionEnabled", BOOLEANS)))
        properties.update(draw(optional("ResourcePolicy", RESOURCE_POLICY)))
    properties.update(draw(optional("StreamSpecification", STREAM)))
    resource["Properties"] = properties
    return resource


@st.composite
def dax_cluster(draw) -> dict:
    properties: dict = {"NodeType": "dax.r5.large", "IAMRoleARN": "arn:aws:iam::111111111111:role/dax"}
    properties.update(draw(optional("ReplicationFactor", NODES)))
    properties.update(draw(optional("SSESpecification", optional("SSEEnabled", BOOLEANS))))
    properties.update(draw(optional("ClusterEndpointEncryptionType", st.sampled_from(["TLS", "NONE", "tls", ""]))))
    return {"Type": "AWS::DAX::Cluster", "Properties": properties}


@pytest.mark.parametrize("level", ["aws-owned", "aws-managed", "customer-managed"])
def test_builtin_guard_and_checkov_agree_on_generated_tables(level, tmp_path, guard_bin, monkeypatch):
    monkeypatch.setenv("CFN_GUARD_BIN", guard_bin)
    config = parse_config({"encryption_level": level, "min_pitr_recovery_days": MIN_PITR_DAYS[level],
                           "rules": {rule: {"enabled": True} for rule in PER_TABLE}}, source="generated")
    path = tmp_path / "generated.json"

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(table(), min_size=1, max_size=5), st.lists(dax_cluster(), max_size=2))
    def agree(tables, clusters):
        tables = tables + clusters  # every per-resource rule judges the resources of its types
        path.write_text(json.dumps({"Resources": {f"Table{i}": t for i, t in enumerate(tables)}}))
        verdicts = {}
        for engine in ("builtin", "guard", "checkov"):
            report = run_check(CheckOptions(paths=[str(path)], engine=engine, today=dt.date(2026, 1, 1)), config)
            assert report.errors == [], report.errors
            verdicts[engine] = {(f.rule_id, f.logical_id): f.status for f in report.findings if f.rule_id in PER_TABLE}
        applicable = {(rule, f"Table{i}") for rule in PER_TABLE for i, t in enumerate(tables)
                      if t["Type"] in CATALOG[rule].resource_types}
        assert set(verdicts["builtin"]) == applicable  # every rule judged every table of its types
        assert verdicts["builtin"] == verdicts["guard"] == verdicts["checkov"]

    agree()
