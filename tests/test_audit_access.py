"""The live audit judges access as AWS decides it (issue 18): every ARN spelling, accounts, the dangerous actions, stream
policies and customer managed keys. Against the moto server; where moto does not model AWS (stream resource policies,
the AWS managed DynamoDB key), on responses shaped as the DynamoDB and KMS API references document them."""

from __future__ import annotations

import json

import boto3
import pytest

from ddbguard.config import Config
from ddbguard.iam import parse_statements
from ddbguard.kit.snapshot import LiveFunction, LiveRole, LiveTable, RegionSnapshot, Scope
from ddbguard.model import Unknown
from ddbguard.engines.live import run_live_rule
from test_audit_semantics import ACCOUNT, function, judged, table

OTHER = "222222222222"


# -- ARN spellings and accounts, on moto -------------------------------------------------------------------------------
def test_every_spelling_that_reaches_every_table_is_judged_so(moto):
    orders = table(moto, "orders-prod")
    function(moto, "orders-api-dev", {"ORDERS_TABLE": "orders-prod"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:*"}])
    function(moto, "reports-prod", {"ORDERS_TABLE": "orders-prod"},
             [{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:*"}])
    function(moto, "named-prod", {"ORDERS_TABLE": "orders-prod"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": orders.replace("arn:aws:", "arn:*:")}])
    results = judged(moto)
    # the table-wide spellings reach the table (DDB011 passes), and every other table too (DDB012 fails)
    assert results[("DDB011", "orders-api-dev")] == ("pass", "compliant")
    assert results[("DDB012", "orders-api-dev")] == ("fail", (
        f"orders-api-dev-role/data: grants DynamoDB actions on arn:aws:dynamodb:us-east-1:{ACCOUNT}:*: every table "
        "in the account"))
    assert results[("DDB040", "orders-api-dev")] == ("fail", (
        "function orders-api-dev (environment dev) may use table orders-prod of environment prod through role "
        "orders-api-dev-role"))
    assert results[("DDB012", "reports-prod")] == ("fail", (
        "reports-prod-role/data: grants DynamoDB actions on arn:aws:dynamodb:*: every table in every account"))
    assert results[("DDB013", "reports-prod")] == ("fail", (
        "role reports-prod-role: grants on arn:aws:dynamodb:*, which reaches tables in every account (its account is "
        "'*'; name the account, or pin it with an aws:ResourceAccount condition)"))
    # a wildcard partition still names one table of the account
    assert [results[(rule, "named-prod")] for rule in ("DDB011", "DDB012", "DDB013")] == [("pass", "compliant")] * 3


def test_a_wildcard_account_reaches_every_account_unless_a_condition_pins_it(moto):
    table(moto, "orders")
    any_account = "arn:aws:dynamodb:us-east-1:*:table/orders"
    function(moto, "open", {"ORDERS_TABLE": "orders"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": any_account}])
    function(moto, "pinned", {"ORDERS_TABLE": "orders"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": any_account,
               "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}}])
    results = judged(moto)
    assert results[("DDB013", "open")][0] == "fail"
    assert results[("DDB013", "pinned")] == ("unknown", (
        f"role pinned-role: grants on {any_account} in any account, and a condition pins the table's account to "
        "trusted ones, which ddbguard does not evaluate"))
    assert results[("DDB011", "open")] == results[("DDB011", "pinned")] == ("pass", "compliant")


def test_a_table_name_is_the_functions_own_accounts_table(moto):
    """The name alone reaches the function's own account: a grant on another account's same-named table does not
    make it usable (cross-account access needs the ARN)."""
    table(moto, "orders")
    function(moto, "reporter", {"ORDERS_TABLE": "orders"},
             [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": f"arn:aws:dynamodb:us-east-1:{OTHER}:table/orders"}])
    assert judged(moto)[("DDB011", "reporter")] == (
        "fail", "ORDERS_TABLE names table orders, but role reporter-role may not use it")


# -- the dangerous actions, on moto --------------------------------------------------------------------------------------
def test_a_function_role_may_not_hold_an_action_that_loses_or_exposes_data(moto):
    orders = table(moto, "orders")
    function(moto, "sweeper", {"ORDERS_TABLE": "orders"},
             [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateTimeToLive"], "Resource": orders}])
    boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto).put_resource_policy(
        ResourceArn=orders, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/analytics"},
             "Action": "dynamodb:ExportTableToPointInTime", "Resource": orders}]}))
    results = judged(moto)
    assert results[("DDB012", "sweeper")] == ("fail", (
        "sweeper-role/data: a function role may dynamodb:UpdateTimeToLive, which turns on TTL, which deletes items "
        "whatever DeletionPolicy and deletion protection say"))
    assert results[("DDB005", "orders")][0] == "fail"
    assert "ExportTableToPointInTime" in results[("DDB005", "orders")][1]


# -- stream resource policies: moto does not model them ------------------------------------------------------------------
def test_moto_answers_no_stream_policy_so_the_audit_says_unknown_never_pass(moto):
    """moto takes the stream's ARN for a table name and answers ResourceNotFoundException; AWS answers the policy, or
    PolicyNotFoundException. Whatever cannot be read is unknown."""
    table(moto, "events", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    status, message = judged(moto)[("DDB005", "events")]
    assert status == "unknown"
    assert message.startswith("ResourceNotFoundException on dynamodb:GetResourcePolicy (of the table's stream)")


STREAM = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/events/stream/2026-01-01T00:00:00.000"


def _stream_policy(response):
    """collect._stream_policy on a client whose GetResourcePolicy answers as the DynamoDB API reference documents."""
    from botocore.stub import Stubber

    from ddbguard.live.collect import _stream_policy

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    described = {"TableName": "events", "LatestStreamArn": STREAM,
                 "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
    with Stubber(dynamodb) as stub:
        if isinstance(response, str):
            stub.add_client_error("get_resource_policy", service_error_code=response, http_status_code=400,
                                  expected_params={"ResourceArn": STREAM})
        else:
            stub.add_response("get_resource_policy", response, {"ResourceArn": STREAM})
        return _stream_policy(dynamodb, described)


def _events(stream_policy) -> RegionSnapshot:
    events = LiveTable("events", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/events",
                       {"TableName": "events", "LatestStreamArn": STREAM}, {}, None, stream_policy=stream_policy)
    return RegionSnapshot(ACCOUNT, "us-east-1", [events])


def _verdicts(rule: str, snapshot, config=None) -> list[tuple[str, str]]:
    return [(e.status.value, e.message) for e in run_live_rule(rule, snapshot, config or Config(), None)
            if e.logical_id == "events"]


def test_a_stream_without_a_policy_is_judged_like_a_table_without_one():
    assert _stream_policy("PolicyNotFoundException") is None
    assert _verdicts("DDB005", _events(None)) == [("pass", "compliant")]
    assert _verdicts("DDB013", _events(None)) == []  # no resource policy at all: nothing to judge


def test_a_stream_policy_open_to_everyone_fails_ddb005_and_ddb013():
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
         "Resource": STREAM}]}
    read = _stream_policy({"Policy": json.dumps(policy), "RevisionId": "1700000000000"})
    assert read == policy
    assert _verdicts("DDB005", _events(read)) == [("fail", (
        "an Allow statement grants the * principal without a condition that pins the caller's organization or "
        "account"))]
    assert _verdicts("DDB013", _events(read)) == [("fail", (
        "the resource policy allows the * principal of any account (no condition pins the caller's account or "
        "organization) (stream policy)"))]


def test_a_stream_policy_that_cannot_be_read_is_unknown():
    unreadable = _stream_policy("AccessDeniedException")
    assert isinstance(unreadable, Unknown)
    assert _verdicts("DDB005", _events(unreadable)) == [("unknown", unreadable.reason)]
    assert _verdicts("DDB013", _events(unreadable)) == [("unknown", unreadable.reason)]


@pytest.mark.parametrize("policy, expected", [
    (None, ("fail", f"role arn:aws:iam::{OTHER}:role/consumer is granted dynamodb:GetRecords on this table, but its "
                    "resource policy does not allow it (cross-account access needs both halves)")),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:role/consumer"},
                                              "Action": "dynamodb:GetRecords", "Resource": STREAM}]},
     ("pass", "compliant")),
])
def test_a_cross_account_stream_read_needs_the_streams_policy(policy, expected):
    """DDB019 live: a role of another audited account granted the stream's records; the stream's policy is its half."""
    here = _events(policy)
    statements, _ = parse_statements({"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetRecords",
         "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/events/stream/*"}]}, source="consumer/events")
    consumer = LiveRole(f"arn:aws:iam::{OTHER}:role/consumer", "consumer", statements)
    there = RegionSnapshot(OTHER, "us-east-1", functions=[LiveFunction(
        "consumer", f"arn:aws:lambda:us-east-1:{OTHER}:function:consumer", consumer, {})])
    here.audited = there.audited = Scope({(ACCOUNT, "us-east-1"): here, (OTHER, "us-east-1"): there})
    assert _verdicts("DDB019", here) == [expected]


# -- customer managed means customer managed ---------------------------------------------------------------------------
def test_the_aws_managed_key_is_not_a_customer_managed_key():
    """DescribeKey of DynamoDB's AWS managed key (aws/dynamodb) says KeyManager AWS (KMS API reference, KeyMetadata).
    moto creates its default DynamoDB key with KeyManager CUSTOMER, so this is judged on the recorded answer."""
    key = {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "KeyManager": "AWS", "KeyState": "Enabled",
           "Arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    described = {"TableName": "orders", "TableStatus": "ACTIVE",
                 "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key["Arn"]}}
    orders = LiveTable("orders", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders", described, {}, None,
                       kms_key=key)
    [evaluation] = run_live_rule("DDB003", RegionSnapshot(ACCOUNT, "us-east-1", [orders]),
                                                             Config(encryption_level="customer-managed"), None)
    assert (evaluation.status.value, evaluation.message) == (
        "fail", "customer-managed encryption is required but the key alias/aws/dynamodb is an AWS managed key")
    orders.kms_key = {**key, "KeyManager": "CUSTOMER"}
    [evaluation] = run_live_rule("DDB003", RegionSnapshot(ACCOUNT, "us-east-1", [orders]),
                                                             Config(encryption_level="customer-managed"), None)
    assert evaluation.status.value == "pass"
