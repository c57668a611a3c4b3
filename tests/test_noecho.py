"""`NoEcho` parameters: CloudFormation shows their values as `****` wherever it describes a stack, and so does
ddbguard. A value given with `--parameters` (or a NoEcho parameter's Default) never appears in any output of
any command, in any form the messages quote it (as it is, JSON-escaped, or one item of a list parameter)."""

from __future__ import annotations

import json

import boto3
import pytest

from conftest import run_ddbguard
from ddbguard.report import FORMATS

SECRET = 's3cr3t-Ü"v'
KEYS = "pk-hidden,sk-hidden"
DEFAULT_TOKEN = "default-token-value"
TEMPLATE = """\
Parameters:
  Secret: {Type: String, NoEcho: true}
  Keys: {Type: CommaDelimitedList, NoEcho: "true"}
  Token: {Type: String, NoEcho: true, Default: default-token-value}
  Visible: {Type: String, Default: shown-value}
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "orders-${Secret}"
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: !Select [0, !Ref Keys], KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: !Select [0, !Ref Keys], AttributeType: S}]
  Audit:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "audit-${Token}-${Visible}"
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  HandlerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: orders
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:GetItem, dynamodb:Query]
                Resource: !Sub "arn:aws:dynamodb:us-east-1:111111111111:table/orders-${Secret}"
"""


def forms(value: str) -> set[str]:
    """Every way a message quotes a value: as it is, JSON-escaped (ASCII or not), as a Python repr."""
    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]}


HIDDEN = forms(SECRET) | forms("pk-hidden") | forms("sk-hidden") | forms(DEFAULT_TOKEN)


def assert_hidden(*outputs: str) -> None:
    for output in outputs:
        for form in HIDDEN:
            assert form not in output, form


@pytest.fixture
def inputs(tmp_path):
    (tmp_path / "app.yaml").write_text(TEMPLATE)
    (tmp_path / "params.json").write_text(json.dumps([{"ParameterKey": "Secret", "ParameterValue": SECRET},
                                                      {"ParameterKey": "Keys", "ParameterValue": KEYS}]))
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_never_shows_a_noecho_value(inputs, fmt):
    result = run_ddbguard("check", "app.yaml", "--parameters", "params.json", "--format", fmt, "--output",
                          "report.out", "--write-baseline", "baseline.json", cwd=inputs)
    assert result.code == 0, result.stderr  # recording a baseline
    report = (inputs / "report.out").read_text()
    assert_hidden(result.stdout, result.stderr, report, (inputs / "baseline.json").read_text())
    if fmt == "json":
        messages = {(f["rule_id"], f["logical_id"]): f["message"] for f in json.loads(report)["findings"]}
        # the values were there to hide: the table names quote them
        assert messages[("DDB013", "HandlerRole")] == (
            "grants on table orders-**** in account 111111111111, which is not in trusted_accounts (the stack's own "
            "account is not known: list it there too)")
        assert messages[("DDB022", "Audit")] == ("no backup plan selects table audit-****-shown-value: the input "
                                                 "defines no AWS Backup plan (an organization backup policy may "
                                                 "apply: `ddbguard audit` judges it)")


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json"])
def test_inventory_never_shows_a_noecho_value(inputs, fmt):
    result = run_ddbguard("inventory", "app.yaml", "--parameters", "params.json", "--format", fmt, cwd=inputs)
    assert result.code == 0, result.stderr
    assert_hidden(result.stdout, result.stderr)
    if fmt == "json":
        tables = {t["logical_id"]: t for t in json.loads(result.stdout)["tables"]}
        assert (tables["Orders"]["name"], tables["Orders"]["key_schema"], tables["Audit"]["name"]) == (
            "orders-****", "**** (HASH)", "audit-****-shown-value")


def test_diff_never_shows_a_noecho_value(inputs):
    # renaming the table replaces it: DDB031 names both names
    (inputs / "new.yaml").write_text(TEMPLATE.replace('"orders-${Secret}"', '"orders-v2-${Secret}"', 1))
    result = run_ddbguard("diff", "app.yaml", "new.yaml", "--parameters", "params.json", "--format", "json", cwd=inputs)
    assert result.code == 1, result.stderr
    assert_hidden(result.stdout, result.stderr)
    replaced = next(f for f in result.json()["findings"] if f["rule_id"] == "DDB031" and f["logical_id"] == "Orders")
    assert replaced["status"] == "fail" and "orders-****" in replaced["message"]


def test_plan_never_shows_a_noecho_value(inputs, moto):
    # a table of that name exists and no stack manages it: DDB034 names it
    secret = "plan.s3cr3t"
    (inputs / "params.json").write_text(json.dumps({"Secret": secret, "Keys": KEYS}))
    boto3.client("dynamodb", endpoint_url=moto).create_table(
        TableName=f"orders-{secret}", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    result = run_ddbguard("plan", "app.yaml", "--stack-name", "app", "--parameters", "params.json", "--endpoint-url", moto,
                          "--format", "json", cwd=inputs)
    assert result.code == 1, result.stderr
    for form in forms(secret) | HIDDEN - forms(SECRET):
        assert form not in result.stdout + result.stderr, form
    exists = next(f for f in result.json()["findings"] if f["rule_id"] == "DDB034" and f["logical_id"] == "Orders")
    assert exists["status"] == "fail" and exists["message"].startswith("table orders-**** already exists in us-east-1")
