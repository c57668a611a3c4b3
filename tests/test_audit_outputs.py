"""Where the nightly audit's results go: ASFF and Security Hub (moto's, over HTTP), and `--since`."""

from __future__ import annotations

import json

import boto3

from conftest import run_ddbguard
from fixtures.live.seed import TABLES, seed_guide_account

ACCOUNT = "123456789012"


def test_asff_output_meets_the_security_hub_api_shape(moto):
    from botocore.validate import ParamValidator

    seed_guide_account(boto3.Session(), moto)
    result = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "asff")
    findings = json.loads(result.stdout)["Findings"]
    # botocore's own model of BatchImportFindings: every required member, every type and enum value
    operation = boto3.client("securityhub", region_name="us-east-1").meta.service_model.operation_model(
        "BatchImportFindings")
    report = ParamValidator().validate({"Findings": findings}, operation.input_shape)
    assert not report.has_errors(), report.generate_report()
    pitr = next(f for f in findings if f["Id"] == f"ddbguard/DDB002/arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/"
                                                 f"{TABLES['recovery-plans']}")
    assert (pitr["Compliance"], pitr["Severity"], pitr["Workflow"], pitr["Resources"][0]["Type"], pitr["AwsAccountId"],
            pitr["ProductArn"]) == (
        {"Status": "FAILED", "SecurityControlId": "DynamoDB.2", "RelatedRequirements": ["DynamoDB.2"]},
        {"Label": "HIGH"}, {"Status": "NEW"}, "AwsDynamoDbTable", ACCOUNT,
        f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default")
    # the Security Hub control of each rule's catalog entry, and none where no control checks the same
    controls = {(f["GeneratorId"], f["Compliance"].get("SecurityControlId"), tuple(f["Compliance"].get(
        "RelatedRequirements", ()))) for f in findings}
    assert {c for c in controls if c[0] in ("ddbguard/DDB001", "ddbguard/DDB002", "ddbguard/DDB004",
                                            "ddbguard/DDB022")} == {
        ("ddbguard/DDB001", None, ()), ("ddbguard/DDB002", "DynamoDB.2", ("DynamoDB.2",)),
        ("ddbguard/DDB004", "DynamoDB.6", ("DynamoDB.6",)), ("ddbguard/DDB022", "DynamoDB.4", ("DynamoDB.4",))}
    assert len({f["Id"] for f in findings}) == len(findings)


def test_security_hub_import_is_batched_and_a_second_run_updates_instead_of_adding(moto):
    seed_guide_account(boto3.Session(), moto)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    for index in range(30):  # with the guide account, more than 100 findings: two batches at least
        dynamodb.create_table(TableName=f"bulk-{index:02d}", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    first = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json",
                         "--security-hub")
    live = [f for f in first.json()["findings"] if "account" in f]
    assert len(live) > 200
    assert f"ddbguard: {len(live)} findings imported into Security Hub ({ACCOUNT}, us-east-1)" in first.stderr
    hub = boto3.client("securityhub", region_name="us-east-1", endpoint_url=moto)

    def imported() -> dict:
        pages = hub.get_paginator("get_findings").paginate()
        return {f["Id"]: f for page in pages for f in page["Findings"]}

    assert len(imported()) == len(live)
    dynamodb.update_continuous_backups(TableName=TABLES["recovery-plans"],
                                       PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    second = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json",
                          "--security-hub")
    assert second.code == 1, second.stderr
    after = imported()
    assert len(after) == len(live)  # the same ids: updated, not duplicated
    fixed = after[f"ddbguard/DDB002/arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLES['recovery-plans']}"]
    assert (fixed["Compliance"], fixed["Workflow"]) == (
        {"Status": "PASSED", "SecurityControlId": "DynamoDB.2", "RelatedRequirements": ["DynamoDB.2"]},
        {"Status": "RESOLVED"})


def test_findings_security_hub_refuses_are_retried_then_named():
    from botocore.stub import Stubber

    from ddbguard.model import Finding, LiveResource, Report, Severity, Status
    from ddbguard.commands.deliver import send_to_security_hub

    findings = [Finding("DDB002", "PITR", Severity.HIGH, Status.FAIL, "m", f"{ACCOUNT}/us-east-1", f"t{i}", None,
                        None, "", 0, "live", "fix",
                        live=LiveResource(ACCOUNT, "us-east-1", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{i}",
                                          f"t{i}"))
                for i in range(101)]
    hub = boto3.client("securityhub", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    ids = [f"ddbguard/DDB002/arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{i}" for i in range(101)]
    refused = {"Id": ids[7], "ErrorCode": "InvalidInput", "ErrorMessage": "try again"}
    with Stubber(hub) as stub:  # BatchImportFindings answers as the API reference documents them
        stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 99, "FailedFindings": [refused]})
        stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []})
        stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
            {**refused, "Id": ids[100]}]})
        stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
            {**refused, "Id": ids[100]}]})
        problems = send_to_security_hub(Report(findings), hub, ACCOUNT, "us-east-1", attempts=2)
        stub.assert_no_pending_responses()
    assert problems == [f"Security Hub refused finding {ids[100]}: InvalidInput try again"]


def test_since_a_previous_report_leads_with_what_changed(moto, tmp_path):
    seed_guide_account(boto3.Session(), moto)
    previous = tmp_path / "previous.json"
    run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json", "-o", str(previous))
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    dynamodb.update_continuous_backups(TableName=TABLES["recovery-plans"],
                                       PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    dynamodb.update_table(TableName=TABLES["protection-groups"], DeletionProtectionEnabled=False)
    report = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json",
                          "--since", str(previous)).json()
    assert report["changes"] == {
        "new": [f"DDB004|{ACCOUNT}|us-east-1|{TABLES['protection-groups']}"],
        "fixed": [f"DDB002|{ACCOUNT}|us-east-1|{TABLES['recovery-plans']}"],
        "still_failing": report["changes"]["still_failing"], "gone": []}
    assert report["changes"]["still_failing"] == sum(1 for f in report["findings"] if f["status"] in ("fail", "unknown")) - 1
    text = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--since", str(previous)).stdout
    assert text.splitlines()[1:4] == [
        f"Since the previous run: 1 new, 1 fixed, {report['changes']['still_failing']} still failing, 0 no longer "
        "reported",
        f"  new: DDB004 {ACCOUNT} us-east-1 {TABLES['protection-groups']}",
        f"  fixed: DDB002 {ACCOUNT} us-east-1 {TABLES['recovery-plans']}"]
    markdown = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "markdown",
                            "--since", str(previous)).stdout
    assert markdown.splitlines()[4] == (f"**Since the previous run: 1 new, 1 fixed, {report['changes']['still_failing']} "
                                        "still failing, 0 no longer reported**")
    bad = run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--since", str(tmp_path / "none.json"))
    assert bad.code == 2 and bad.stderr.startswith(f"ddbguard: --since {tmp_path / 'none.json'}: cannot read report")
