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
        "local_indexes": [], "stream": None, "point_in_time_recovery": False, "deletion_protection": False,
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
