"""Environment profiles: rule overrides by stack or table name, for every command, named on each finding."""

from __future__ import annotations

import json

import boto3

from conftest import run_ddbguard

PROFILES = """
profiles:
  production:
    match: ["*-prod"]
    rules:
      DDB002: {enabled: true, severity: critical}
  everything:
    match: ["*"]
    rules:
      DDB002: {enabled: false}
      DDB004: {enabled: false}
      DDB018: {enabled: true}
"""
TABLE = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
         "Properties": {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "SSESpecification": {"SSEEnabled": True},
                        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}


def test_profiles_apply_by_stack_name_and_say_so(tmp_path):
    config = tmp_path / ".ddbguard.yaml"
    config.write_text(PROFILES)
    for stack in ("orders-prod", "orders-dev"):
        (tmp_path / f"{stack}.json").write_text(json.dumps({"Resources": {"Orders": TABLE}}))
    report = run_ddbguard("check", str(tmp_path / "orders-prod.json"), str(tmp_path / "orders-dev.json"),
                          "--config", str(config), "--format", "json").json()
    got = {(f["stack"], f["rule_id"], f["status"], f["severity"], f.get("profile")) for f in report["findings"]
           if f["rule_id"] in ("DDB002", "DDB004", "DDB018")}
    assert got == {
        # production: PITR required and critical; deletion protection as by default; DDB018 only where turned on
        ("orders-prod", "DDB002", "fail", "critical", "production"),
        ("orders-prod", "DDB004", "fail", "high", "production"),
        # everything else: PITR and deletion protection not required, the monitoring rule turned on
        ("orders-dev", "DDB018", "fail", "low", "everything")}
    text = run_ddbguard("check", str(tmp_path / "orders-prod.json"), "--config", str(config)).stdout
    assert "    FAIL orders-prod/Orders  (profile production)\n" in text


def test_a_profile_that_names_an_unknown_rule_is_a_config_error(tmp_path):
    config = tmp_path / ".ddbguard.yaml"
    config.write_text("profiles:\n  prod:\n    match: ['*']\n    rules: {DDB999: {enabled: true}}\n")
    (tmp_path / "t.json").write_text(json.dumps({"Resources": {"Orders": TABLE}}))
    result = run_ddbguard("check", str(tmp_path / "t.json"), "--config", str(config))
    assert result.code == 2 and "unknown rule DDB999" in result.stderr


def test_profiles_apply_to_the_audit_by_table_name(moto, tmp_path):
    config = tmp_path / ".ddbguard.yaml"
    config.write_text(PROFILES)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    for name in ("orders-prod", "orders-dev"):
        dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    report = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--config", str(config),
                          "--format", "json").json()
    got = {(f["resource_name"], f["rule_id"], f["severity"], f.get("profile")) for f in report["findings"]
           if f["rule_id"] in ("DDB002", "DDB004")}
    assert got == {("orders-prod", "DDB002", "critical", "production"), ("orders-prod", "DDB004", "high", "production")}
