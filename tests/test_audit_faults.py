"""Audits that fail loudly: AWS failing the ways a real endpoint does, injected by a real HTTP proxy on 127.0.0.1
in front of the moto server (fixtures/live/faulty_proxy.py). A call AWS did not answer (reset, closed, 5xx or
throttled beyond the retries, over its deadline) is an error of its account, region and service and exit 2,
whatever --fail-on says; a hanging or dripping endpoint is given up after --call-timeout."""

from __future__ import annotations

import re
import time

import boto3
import pytest

from conftest import run_ddbguard
from fixtures.live.seed import TABLES, seed_guide_account

ACCOUNT = "123456789012"
HERE = f"{ACCOUNT}/us-east-1"


def audit(endpoint: str, *args: str):
    return run_ddbguard("audit", "--endpoint-url", endpoint, "--regions", "us-east-1", "--format", "json", *args)


def verdicts(report: dict, rule: str) -> set:
    return {(f["resource_name"], f["status"]) for f in report["findings"] if f["rule_id"] == rule}


def test_through_the_proxy_without_faults_the_audit_is_the_same(moto, faulty):
    seed_guide_account(boto3.Session(), moto)
    direct, proxied = audit(moto), audit(faulty.url)
    assert (proxied.code, proxied.json()["errors"]) == (1, [])
    key = lambda f: (f["rule_id"], f["resource_name"], f["status"], f["message"])  # noqa: E731
    assert sorted(map(key, proxied.json()["findings"])) == sorted(map(key, direct.json()["findings"]))


def test_an_endpoint_that_resets_mid_audit_is_an_error_of_its_region_whatever_fail_on_says(moto, faulty):
    seed_guide_account(boto3.Session(), moto)
    faulty.fail("dynamodb", "DescribeTable", "reset")  # ListTables answered; then every table read is reset
    result = audit(faulty.url, "--fail-on", "critical", "--call-timeout", "30")
    assert result.code == 2, result.stderr
    report = result.json()
    [error] = report["errors"]
    assert error["file"] == HERE
    assert re.fullmatch(r"dynamodb did not answer 4 of 14 calls, so the checks that needed them were not made: "
                        r"ConnectionClosedError on dynamodb:DescribeTable: Connection was closed before we received a "
                        r'valid response from endpoint URL: "http://127\.0\.0\.1:\d+/"\.', error["message"]), error
    assert verdicts(report, "DDB004") == {(name, "unknown") for name in TABLES.values()}
    assert f"ddbguard: {HERE}: dynamodb did not answer 4 of 14 calls" in result.stderr


def test_a_service_whose_connections_close_is_an_error_and_its_rules_unknown(moto, faulty):
    seed_guide_account(boto3.Session(), moto)
    faulty.fail("cloudformation", None, "close")
    result = audit(faulty.url)
    assert result.code == 2
    report = result.json()
    assert [(e["file"], e["message"].split(":")[0]) for e in report["errors"]] == [
        (HERE, "cloudformation did not answer 1 of 1 calls, so the checks that needed them were not made")]
    assert "ConnectionClosedError on cloudformation:ListStacks" in report["errors"][0]["message"]
    assert {status for _, status in verdicts(report, "DDB001")} == {"unknown"}


def test_throttling_beyond_the_retries_is_an_error_not_just_unknown(moto, faulty):
    seed_guide_account(boto3.Session(), moto)
    faulty.fail("dynamodb", "DescribeContinuousBackups", "throttle")
    result = audit(faulty.url, "--call-timeout", "60")
    assert result.code == 2
    report = result.json()
    assert report["errors"] == [{"file": HERE, "message": (
        "dynamodb did not answer 4 of 14 calls, so the checks that needed them were not made: ThrottlingException on "
        "dynamodb:DescribeContinuousBackups: Rate of requests exceeds the allowed throughput.")}]
    assert verdicts(report, "DDB002") == {(name, "unknown") for name in TABLES.values()}
    assert sum(1 for _, operation, _ in faulty.seen if operation == "DescribeContinuousBackups") >= 4 * 4  # retried


def test_a_global_service_that_answers_503_is_an_error_of_the_account(moto, faulty):
    seed_guide_account(boto3.Session(), moto)
    faulty.fail("iam", None, "unavailable")
    result = audit(faulty.url, "--call-timeout", "60")
    assert result.code == 2
    [error] = result.json()["errors"]
    assert error == {"file": ACCOUNT, "message": (
        "iam did not answer 2 of 2 calls, so the checks that needed them were not made: ServiceUnavailable on "
        "iam:ListRolePolicies: Service is unavailable.")}


@pytest.mark.parametrize("kind", ["hang", "drip"])
def test_a_hanging_or_dripping_endpoint_is_given_up_after_the_call_timeout(moto, faulty, kind):
    """botocore's read_timeout bounds one socket read: an endpoint that answers one byte every 50 ms never
    trips it (the proxy would take about 35 s per answer). The deadline bounds the whole call."""
    seed_guide_account(boto3.Session(), moto)
    faulty.fail("dynamodb", "DescribeTable", kind)
    started = time.monotonic()
    result = audit(faulty.url, "--call-timeout", "2")
    elapsed = time.monotonic() - started
    assert result.code == 2
    assert result.json()["errors"] == [{"file": HERE, "message": (
        "dynamodb did not answer 4 of 14 calls, so the checks that needed them were not made: CallDeadlineExceeded on "
        "dynamodb:DescribeTable: no complete answer within 2 s (--call-timeout; connect, reads and retries together)")}]
    assert elapsed < 15, elapsed  # four tables read at once: one deadline, plus the start-up of the process
    described = [s for s in faulty.seen if s[1] == "DescribeTable"]
    assert len(described) == 4 if kind == "drip" else len(described) >= 4  # a drip is never retried past its deadline


def test_a_dead_region_costs_a_few_calls_not_one_per_table(moto, faulty):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    for index in range(24):
        dynamodb.create_table(TableName=f"t{index:02}", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    for service in ("cloudformation", "lambda"):  # moto loads a service on its first call, which can take seconds
        getattr(boto3.client(service, region_name="us-east-1", endpoint_url=moto),
                "list_stacks" if service == "cloudformation" else "list_functions")()
    for operation in ("DescribeTable", "DescribeContinuousBackups", "GetResourcePolicy"):  # ListTables answered
        faulty.fail("dynamodb", operation, "reset")
    started = time.monotonic()
    result = audit(faulty.url, "--concurrency", "2", "--call-timeout", "3")
    assert result.code == 2
    [error] = result.json()["errors"]
    found = re.match(r"dynamodb did not answer (\d+) of (\d+) calls; (\d+) more not attempted, so the checks", error["message"])
    assert found, error
    unanswered, calls, skipped = map(int, found.groups())
    assert unanswered + skipped == 24 * 3 and unanswered <= 5 + 2  # five in a row, and the two in flight
    assert time.monotonic() - started < 30  # 72 calls of 3 s each, two at a time, would take 108 s


def test_plan_fails_loudly_when_cloudformation_does_not_answer(faulty, tmp_path):
    template = tmp_path / "orders.yaml"
    template.write_text("Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    DeletionPolicy: Retain\n"
                        "    UpdateReplacePolicy: Retain\n    Properties:\n      TableName: orders\n")
    faulty.fail("cloudformation", None, "reset")
    result = run_ddbguard("plan", str(template), "--stack-name", "orders", "--endpoint-url", faulty.url, "--format", "json",
                          "--call-timeout", "30")
    assert result.code == 2
    errors = result.json()["errors"]
    assert [(e["file"], e["message"].split(",")[0]) for e in errors] == [
        ("us-east-1", "cloudformation did not answer 1 of 1 calls")]
    assert "ConnectionClosedError on cloudformation:DescribeStacks" in errors[0]["message"]


def test_inventory_live_fails_loudly_when_tables_cannot_be_described(moto, faulty):
    seed_guide_account(boto3.Session(), moto)
    faulty.fail("dynamodb", "DescribeTable", "close")
    result = run_ddbguard("inventory", "--live", "--endpoint-url", faulty.url, "--regions", "us-east-1",
                          "--format", "json", "--call-timeout", "30")
    assert result.code == 2
    assert f"ddbguard: {HERE}: dynamodb did not answer 4 of 14 calls" in result.stderr


def test_what_counts_as_not_answered():
    from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

    from ddbguard.aws import CallDeadlineExceeded, unanswered

    def answer(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                           "DescribeTable")

    assert not unanswered(answer("AccessDeniedException", 400))  # an answer: the rule is unknown, saying why
    assert not unanswered(answer("ResourceNotFoundException", 400))
    assert unanswered(answer("ThrottlingException", 400))
    assert unanswered(answer("ProvisionedThroughputExceededException", 400))
    assert unanswered(answer("InternalServerError", 500)) and unanswered(answer("ServiceUnavailable", 503))
    assert unanswered(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    assert unanswered(ReadTimeoutError(endpoint_url="http://127.0.0.1:9"))
    assert unanswered(CallDeadlineExceeded(seconds=2))
