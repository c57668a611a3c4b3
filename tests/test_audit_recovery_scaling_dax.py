"""DDB024 (point-in-time recovery window), DDB023 (provisioned capacity scales) and the DAX rules DDB050-DDB052 on
a live account.

Against the moto server, which models what these rules read: DescribeContinuousBackups' RecoveryPeriodInDays
(moto 5.2.5 states it, 35 when UpdateContinuousBackups gave none), Application Auto Scaling's
RegisterScalableTarget/DescribeScalableTargets, and DAX's CreateCluster/DescribeClusters (SSEDescription,
ClusterEndpointEncryptionType, TotalNodes). What moto does not answer the way AWS may (a
DescribeContinuousBackups answer without RecoveryPeriodInDays, as answers made before the window could be set were,
and a DescribeClusters answer missing a field) is a response shaped as the API references document it, handed to
the kit's CloudFormation-shaped view."""

from __future__ import annotations

import datetime as dt

import boto3

from conftest import audit_denied
from ddbguard.commands.audit import AuditOptions, audit_evaluations
from ddbguard.config import Config
from ddbguard.kit.snapshot import LiveTable, as_dax_resource, as_resource
from ddbguard.model import Unknown

ACCOUNT = "123456789012"
KEY = [{"AttributeName": "id", "KeyType": "HASH"}]
ID = [{"AttributeName": "id", "AttributeType": "S"}]
DAX_RULES = ("DDB050", "DDB051", "DDB052")


def judged(moto, config: Config | None = None) -> tuple[dict, list]:
    """(rule, resource) -> (status, message) of an in-process audit of the moto account, and its errors."""
    evaluations, errors = audit_evaluations(AuditOptions(endpoint_url=moto, regions=["us-east-1"]), config or Config())
    return {(e.rule_id, e.logical_id): (e.status.value, e.message) for e in evaluations}, errors


def table(moto, name: str, days: int | None = None, pitr: bool = True) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=KEY, AttributeDefinitions=ID)
    if pitr:
        client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True, **({"RecoveryPeriodInDays": days} if days else {})})


def provisioned(moto, name: str, index: str | None = None) -> None:
    extra = {"GlobalSecondaryIndexes": [{"IndexName": index, "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "ALL"}, "ProvisionedThroughput": {
                                             "ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}]} if index else {}
    boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto).create_table(
        TableName=name, BillingMode="PROVISIONED", KeySchema=KEY,
        AttributeDefinitions=ID + ([{"AttributeName": "kind", "AttributeType": "S"}] if index else []),
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}, **extra)


def scale(moto, resource_id: str, dimension: str) -> None:
    boto3.client("application-autoscaling", region_name="us-east-1", endpoint_url=moto).register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=resource_id, ScalableDimension=dimension, MinCapacity=5,
        MaxCapacity=100)


def cluster(moto, name: str, nodes: int, sse: bool, tls: bool) -> None:
    boto3.client("dax", region_name="us-east-1", endpoint_url=moto).create_cluster(
        ClusterName=name, NodeType="dax.r5.large", ReplicationFactor=nodes,
        IamRoleArn=f"arn:aws:iam::{ACCOUNT}:role/dax", SSESpecification={"Enabled": sse},
        ClusterEndpointEncryptionType="TLS" if tls else "NONE")


def test_the_recovery_window_of_each_table_against_the_configured_minimum(moto):
    table(moto, "orders")  # 35 days: UpdateContinuousBackups without a window
    table(moto, "sessions", days=7)
    table(moto, "audit", days=14)
    table(moto, "scratch", pitr=False)  # DDB002's failure, not DDB024's
    found, errors = judged(moto)
    assert errors == []
    assert {name: found[("DDB024", name)][0] for name in ("orders", "sessions", "audit", "scratch")} == {
        "orders": "pass", "sessions": "fail", "audit": "fail", "scratch": "pass"}
    assert found[("DDB024", "sessions")][1] == (
        "point-in-time recovery keeps 7 days of history (PointInTimeRecoverySpecification.RecoveryPeriodInDays), "
        "fewer than min_pitr_recovery_days (35)")
    assert found[("DDB002", "scratch")][0] == "fail"
    found, _ = judged(moto, Config(min_pitr_recovery_days=14))
    assert {name: found[("DDB024", name)][0] for name in ("orders", "sessions", "audit", "scratch")} == {
        "orders": "pass", "sessions": "fail", "audit": "pass", "scratch": "pass"}


def test_a_window_the_answer_does_not_state_is_unknown_never_the_35_day_default():
    # DescribeContinuousBackups as the DynamoDB API reference shows it, without RecoveryPeriodInDays
    from ddbguard.rules.ddb024_pitr_window.predicate import problems
    from types import SimpleNamespace

    answer = {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {
        "PointInTimeRecoveryStatus": "ENABLED", "EarliestRestorableDateTime": dt.datetime(2026, 1, 1),
        "LatestRestorableDateTime": dt.datetime(2026, 1, 2)}}
    live = LiveTable("orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", {"TableName": "orders"},
                     answer, None)
    found = problems(as_resource(live), SimpleNamespace(min_pitr_recovery_days=35))
    assert [(p.message, p.unknown) for p in found] == [
        ("DescribeContinuousBackups does not state the point-in-time recovery window (RecoveryPeriodInDays)", True)]
    denied = LiveTable("orders", live.arn, {"TableName": "orders"}, Unknown("403 on dynamodb:DescribeContinuousBackups"),
                       None)
    assert [(p.message, p.unknown) for p in problems(as_resource(denied), SimpleNamespace(min_pitr_recovery_days=35))] \
        == [("403 on dynamodb:DescribeContinuousBackups", True)]


def test_provisioned_tables_scale_read_and_write_of_the_table_and_each_index(moto):
    table(moto, "on-demand", pitr=False)
    provisioned(moto, "scaled", index="KindIndex")
    for dimension in ("table:ReadCapacityUnits", "table:WriteCapacityUnits"):
        scale(moto, "table/scaled", f"dynamodb:{dimension}")
    for dimension in ("index:ReadCapacityUnits", "index:WriteCapacityUnits"):
        scale(moto, "table/scaled/index/KindIndex", f"dynamodb:{dimension}")
    provisioned(moto, "index-left-out", index="KindIndex")
    scale(moto, "table/index-left-out", "dynamodb:table:ReadCapacityUnits")
    scale(moto, "table/index-left-out", "dynamodb:table:WriteCapacityUnits")
    provisioned(moto, "fixed")
    scale(moto, "table/fixed-archive", "dynamodb:table:ReadCapacityUnits")  # another table's target
    found, errors = judged(moto)
    assert errors == []
    assert {name: found[("DDB023", name)][0] for name in ("on-demand", "scaled", "index-left-out", "fixed")} == {
        "on-demand": "pass", "scaled": "pass", "index-left-out": "fail", "fixed": "fail"}
    assert found[("DDB023", "index-left-out")][1] == (
        "table index-left-out is in PROVISIONED capacity mode, but Application Auto Scaling does not scale its read "
        "capacity of index KindIndex, write capacity of index KindIndex: a burst beyond the provisioned capacity is "
        "throttled")


def test_scalable_targets_that_cannot_be_read_make_provisioned_tables_unknown(moto):
    table(moto, "on-demand", pitr=False)
    provisioned(moto, "fixed")
    result = audit_denied(moto, "application-autoscaling:DescribeScalableTargets")
    found = {f["resource_name"]: (f["status"], f["message"]) for f in result.json()["findings"]
             if f["rule_id"] == "DDB023"}
    assert found["on-demand"][0] == "pass"
    assert found["fixed"][0] == "unknown"
    assert found["fixed"][1].startswith("table fixed is in PROVISIONED capacity mode, and whether it scales is "
                                        "unknown: 403 on application-autoscaling:DescribeScalableTargets")


def test_dax_clusters_are_judged_for_encryption_tls_and_nodes(moto):
    table(moto, "orders")
    cluster(moto, "compliant", nodes=3, sse=True, tls=True)
    cluster(moto, "plain", nodes=1, sse=False, tls=False)
    found, errors = judged(moto)
    assert errors == []
    assert {(rule, name): found[(rule, name)][0] for rule in DAX_RULES for name in ("compliant", "plain")} == {
        ("DDB050", "compliant"): "pass", ("DDB050", "plain"): "fail",
        ("DDB051", "compliant"): "pass", ("DDB051", "plain"): "fail",
        ("DDB052", "compliant"): "pass", ("DDB052", "plain"): "fail"}
    assert found[("DDB052", "plain")][1] == (
        "the DAX cluster has 1 node (ReplicationFactor), fewer than 3: it cannot span three availability zones")


def test_a_dax_answer_without_a_field_is_unknown():
    # DescribeClusters' Cluster as the DAX API reference documents it, without SSEDescription and the endpoint's
    # encryption (a cluster made before either existed)
    from ddbguard.rules.ddb050_dax_encryption_at_rest.predicate import problems as at_rest
    from ddbguard.rules.ddb051_dax_tls.predicate import problems as tls

    described = {"ClusterName": "legacy", "ClusterArn": f"arn:aws:dax:us-east-1:{ACCOUNT}:cache/legacy",
                 "TotalNodes": 3, "Status": "available"}
    resource = as_dax_resource(described)
    assert [(p.message, p.unknown) for p in at_rest(resource) + tls(resource)] == [
        ("DescribeClusters does not state SSEDescription of DAX cluster legacy", True),
        ("DescribeClusters does not state ClusterEndpointEncryptionType of DAX cluster legacy", True)]


def test_denied_dax_clusters_are_an_error_of_the_region_never_a_clean_run(moto):
    table(moto, "orders")
    cluster(moto, "plain", nodes=1, sse=False, tls=False)
    result = audit_denied(moto, "dax:DescribeClusters")
    report = result.json()
    assert result.code == 2
    assert not [f for f in report["findings"] if f["rule_id"] in DAX_RULES]
    dax = [e["message"] for e in report["errors"] if e["message"].startswith("DAX clusters not checked")]
    assert dax == ["DAX clusters not checked: 403 on dax:DescribeClusters: User: arn:aws:iam::123456789012:user/"
                   "auditor is not authorized to perform: dax:DescribeClusters"]


def test_dax_is_not_read_when_no_dax_rule_runs(moto):
    from ddbguard.config import parse_config

    rules = {rule: {"enabled": False} for rule in DAX_RULES}
    table(moto, "orders")
    calls: set[str] = set()
    audit_evaluations(AuditOptions(endpoint_url=moto, regions=["us-east-1"], observer=calls.add),
                      parse_config({"rules": rules}, source="test"))
    assert "dax:DescribeClusters" not in calls
    audit_evaluations(AuditOptions(endpoint_url=moto, regions=["us-east-1"], observer=calls.add), Config())
    assert "dax:DescribeClusters" in calls
