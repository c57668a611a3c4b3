"""`ddbguard inventory`: per-table documentation from templates and from a live (moto) account, as Markdown,
CSV and JSON (validated against schemas/inventory.schema.json)."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import boto3
import jsonschema

from conftest import RULES_DIR, run_ddbguard
from fixtures.live.seed import TABLES, seed_guide_account

SCHEMA = json.loads(resources.files("ddbguard.schemas").joinpath("inventory.schema.json").read_text())


def test_inventory_of_templates_in_every_format():
    good = RULES_DIR / "ddb022_backup_plans" / "fixtures" / "good.yaml"
    data = run_ddbguard("inventory", str(good), "--format", "json").json()
    jsonschema.validate(data, SCHEMA)
    orders = next(t for t in data["tables"] if t["logical_id"] == "Orders")
    assert orders == {
        "account": None, "region": None, "stack": "good", "construct_path": None, "logical_id": "Orders",
        "name": "orders", "arn": None, "type": "AWS::DynamoDB::Table", "key_schema": "id (HASH)",
        "billing_mode": "PROVISIONED", "encryption": "AWS owned key", "kms_key": None, "global_indexes": [],
        "local_indexes": [], "stream": None, "auto_scaling": [], "point_in_time_recovery": False,
        "point_in_time_recovery_days": None, "deletion_protection": False,
        "deletion_policy": "Delete", "update_replace_policy": "Delete", "backups": ["ByArn"], "granted": []}
    assert [t["name"] for t in data["tables"]] == ["drs-groups", "orders", "plans"]
    rows = list(csv.DictReader(io.StringIO(run_ddbguard("inventory", str(good), "--format", "csv").stdout)))
    # the same selections DDB022 reads: by wildcard, by ARN, by tag
    assert [(r["name"], r["backups"]) for r in rows] == [("drs-groups", "ByWildcard"), ("orders", "ByArn"),
                                                        ("plans", "ByTag")]
    markdown = run_ddbguard("inventory", str(good)).stdout
    assert markdown.startswith("# DynamoDB table inventory\n\n## `drs-groups`\n")
    assert "| deletion policy | `Delete` |" in markdown


def test_inventory_of_the_cdk_app_names_who_is_granted_what(cdk_assembly):
    data = run_ddbguard("inventory", str(cdk_assembly), "--format", "json").json()
    jsonschema.validate(data, SCHEMA)
    executions = next(t for t in data["tables"] if t["name"] == "drs-executions-prod")
    assert (executions["stack"], executions["construct_path"], executions["global_indexes"],
            executions["point_in_time_recovery"], executions["deletion_protection"], executions["deletion_policy"]) == (
        "Prod-data", "Prod/data/Executions/Resource", ["StatusIndex", "PlanIndex"], True, True, "Retain")
    assert any(g.startswith("Dev-compute/ReporterServiceRole") and g.endswith(
        "GetItem, BatchGetItem, Query, Scan, ConditionCheckItem") for g in executions["granted"])
    # each data stack's daily plan selects its own tables (the two selections share a logical id)
    assert {t["name"]: t["backups"] for t in data["tables"] if t["name"] and t["name"].startswith("drs-executions")} == {
        "drs-executions-prod": ["DailyBackupsTables3F942C5F"], "drs-executions-shared": ["DailyBackupsTables3F942C5F"]}
    # what a parameter without a value decides is null, never a guess
    sessions = next(t for t in data["tables"] if t["stack"] == "ddbguard-parameterised")
    assert (sessions["deletion_protection"], sessions["encryption"]) == (None, "AWS managed key")


def test_live_inventory_of_a_moto_account(moto):
    seed_guide_account(boto3.Session(), moto)
    result = run_ddbguard("inventory", "--live", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    jsonschema.validate(data, SCHEMA)
    by_name = {t["name"]: t for t in data["tables"]}
    assert set(by_name) == set(TABLES.values())
    executions = by_name[TABLES["executions"]]
    assert (executions["account"], executions["region"], executions["stack"], executions["deletion_policy"],
            executions["point_in_time_recovery"]) == ("123456789012", "us-east-1", "aws-drs-orchestration-test",
                                                      "Delete", True)
    assert sorted(executions["global_indexes"]) == ["PlanIndex", "StatusIndex"]
    assert by_name[TABLES["recovery-plans"]]["stack"] is None  # no stack manages it
    assert executions["granted"] == [  # the execution handler's role has dynamodb:* on every table
        "aws-drs-orchestration-execution-handler-test (aws-drs-orchestration-execution-handler-test-role)",
        "aws-drs-orchestration-query-handler-test (aws-drs-orchestration-query-handler-test-role)"]


def test_inventory_needs_an_input():
    result = run_ddbguard("inventory")
    assert result.code == 2 and "inventory: give templates" in result.stderr


def test_inventory_shows_capacity_scaling_recovery_window_and_dax_of_the_cdk_app(cdk_assembly):
    data = run_ddbguard("inventory", str(cdk_assembly), "--format", "json").json()
    jsonschema.validate(data, SCHEMA)
    by_name = {t["name"]: t for t in data["tables"]}
    assert {name: (by_name[name]["billing_mode"], by_name[name]["auto_scaling"], by_name[name][
        "point_in_time_recovery_days"]) for name in ("drs-carts", "drs-prices", "drs-executions-prod")} == {
        "drs-carts": ("PAY_PER_REQUEST", [], 7), "drs-prices": ("PROVISIONED", ["read capacity"], 35),
        "drs-executions-prod": ("PAY_PER_REQUEST", [], 35)}
    assert by_name["drs-recovery-plans-legacy"]["point_in_time_recovery_days"] is None  # no point-in-time recovery
    assert [(c["stack"], c["logical_id"], c["encryption_at_rest"], c["endpoint_encryption"], c["nodes"])
            for c in data["dax_clusters"]] == [
        ("ddbguard-cache", "CacheNotEncrypted", False, "TLS", 3), ("ddbguard-cache", "CacheOneNode", True, "TLS", 1),
        ("ddbguard-cache", "CacheWithoutTls", True, "NONE", 3)]
    markdown = run_ddbguard("inventory", str(cdk_assembly)).stdout
    assert "# DAX clusters\n\n## `CacheNotEncrypted`\n" in markdown and "| point in time recovery days | `7` |" in markdown


def test_live_inventory_shows_capacity_scaling_recovery_window_and_dax(moto):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    dynamodb.create_table(TableName="prices", BillingMode="PROVISIONED",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    dynamodb.update_continuous_backups(TableName="prices", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 10})
    boto3.client("application-autoscaling", region_name="us-east-1", endpoint_url=moto).register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId="table/prices", ScalableDimension="dynamodb:table:WriteCapacityUnits",
        MinCapacity=5, MaxCapacity=50)
    boto3.client("dax", region_name="us-east-1", endpoint_url=moto).create_cluster(
        ClusterName="cache", NodeType="dax.r5.large", ReplicationFactor=3, IamRoleArn="arn:aws:iam::123456789012:role/d",
        SSESpecification={"Enabled": True}, ClusterEndpointEncryptionType="TLS")
    result = run_ddbguard("inventory", "--live", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    jsonschema.validate(data, SCHEMA)
    prices = next(t for t in data["tables"] if t["name"] == "prices")
    assert (prices["billing_mode"], prices["auto_scaling"], prices["point_in_time_recovery_days"]) == (
        "PROVISIONED", ["write capacity"], 10)
    assert data["dax_clusters"] == [{
        "account": "123456789012", "region": "us-east-1", "stack": None, "logical_id": None, "name": "cache",
        "arn": "arn:aws:dax:us-east-1:123456789012:cache/cache", "encryption_at_rest": True,
        "endpoint_encryption": "TLS", "nodes": 3}]
