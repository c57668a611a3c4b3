"""deploy/: the nightly audit an organization deploys. The member role's policy is generated from the one
source (iam/ddbguard-audit-policy.json); cfn-lint and ddbguard pass on the templates; and the ddbguard
commands the schedule runs are docs/live-audit.md's, run here against moto as the builds would run them (moto's
CloudFormation cannot create CodeBuild projects or topic and bucket policies: the template's security settings
are read from the template itself, exactly)."""

from __future__ import annotations

import glob
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import boto3

from conftest import ROOT, run_ddbguard

DEPLOY = ROOT / "deploy"


def _buildspec_commands() -> list[str]:
    from ddbguard.templates.decode import decode_text

    template = decode_text((DEPLOY / "audit-account.yaml").read_text())
    buildspec = template["Resources"]["Audit"]["Properties"]["Source"]["BuildSpec"]
    return [re.split(r"\s+\|\|", line.strip())[0] for line in buildspec.splitlines()
            if line.strip().startswith("ddbguard ")]


def test_the_member_role_is_generated_from_the_audit_policy():
    sys.path.insert(0, str(ROOT / "tools"))
    from generate_member_role import render

    assert (DEPLOY / "member-role.json").read_text() == render(), "run `make export`"
    policy = json.loads((ROOT / "iam" / "ddbguard-audit-policy.json").read_text())
    role = json.loads(render())["Resources"]["AuditRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert role["Statement"] == [s for s in policy["Statement"] if s["Sid"] == "DdbguardAuditReadOnly"]


def test_cfn_lint_and_ddbguard_pass_on_the_deploy_templates():
    templates = sorted(str(p) for p in DEPLOY.iterdir() if p.suffix in (".yaml", ".json"))
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), *templates], capture_output=True, text=True,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    report = run_ddbguard("check", str(DEPLOY), "--format", "json")
    assert report.code == 0, report.stderr
    assert {(f["rule_id"], f["logical_id"], f["status"]) for f in report.json()["findings"]} == {
        ("DDB012", "AuditRole", "suppressed"), ("DDB013", "AuditRole", "suppressed")}


def test_the_schedule_runs_the_documented_commands():
    commands = _buildspec_commands()
    assert [c.split()[1] for c in commands] == ["audit", "merge", "merge", "merge"]
    page = (ROOT / "docs" / "live-audit.md").read_text()
    for command in commands:
        assert command in page, command


def test_the_scheduled_commands_audit_an_organization_on_moto(moto, tmp_path, monkeypatch):
    """Shards, then the merge with --since and Security Hub, exactly as the builds run them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)  # every client of the scheduled commands goes to moto
    organizations = boto3.client("organizations", endpoint_url=moto)
    organizations.create_organization(FeatureSet="ALL")
    members = [organizations.create_account(Email=f"team{i}@example.com", AccountName=f"team{i}")[
        "CreateAccountStatus"]["AccountId"] for i in range(3)]
    sts = boto3.client("sts", endpoint_url=moto)
    tables = []
    for index, account in enumerate(members):
        issued = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/ddbguard-audit", RoleSessionName="seed")[
            "Credentials"]
        tables.append(boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto,
                                   aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretAccessKey"],
                                   aws_session_token=issued["SessionToken"]))
        tables[-1].create_table(TableName=f"orders-{index}", BillingMode="PAY_PER_REQUEST",
                                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    audit, *merges = _buildspec_commands()
    sns, sqs = (boto3.client(service, region_name="us-east-1", endpoint_url=moto) for service in ("sns", "sqs"))
    topic, inbox = _subscribed_inbox(sns, sqs)
    variables = {"MEMBER_ROLE": "ddbguard-audit", "REGIONS": "us-east-1", "RUN_ID": "nightly-1", "TOPIC": topic,
                 "BUCKET": "reports"}

    def run(command: str, **extra) -> object:
        values = {**variables, **extra}
        expanded = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], command)
        words = []
        for word in shlex.split(expanded):
            words += sorted(glob.glob(str(tmp_path / word))) if "*" in word else [word]
        return run_ddbguard(*words[1:], cwd=tmp_path)

    def shards() -> None:
        (tmp_path / "shards").mkdir(exist_ok=True)
        for shard in ("1/2", "2/2"):
            assert run(audit, SHARD=shard).code == 1
            (tmp_path / "shard.json").replace(tmp_path / "shards" / f"shard-{shard[0]}.json")

    shards()
    for command in merges:
        assert run(command, since="").code == 1
    first = json.loads((tmp_path / "report.json").read_text())
    assert first["errors"] == []
    assert {f["account"] for f in first["findings"]} == set(members)  # the management account has no table
    assert (first["audit"]["shards"], first["audit"]["run_id"]) == (2, "nightly-1")
    subject, message = _received(sqs, inbox)
    failing = sum(1 for f in first["findings"] if f["status"] in ("fail", "unknown"))
    assert subject == "ddbguard: %d new findings, 0 errors of run nightly-1" % failing
    assert message.splitlines()[-1] == ("Full report: https://console.aws.amazon.com/s3/object/reports?prefix=runs/"
                                        "nightly-1/report.md")
    assert (tmp_path / "report.sarif").exists() and (tmp_path / "report.md").read_text().startswith("## ddbguard")
    hub = boto3.client("securityhub", region_name="us-east-1", endpoint_url=moto)
    assert len(hub.get_findings(MaxResults=100)["Findings"]) == len(first["findings"])
    # the next night: one table now has point-in-time recovery; the merge says what changed
    tables[0].update_continuous_backups(TableName="orders-0",
                                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    (tmp_path / "report.json").rename(tmp_path / "previous.json")
    shards()
    variables["RUN_ID"] = "nightly-2"
    for command in merges:
        assert run(command, since="--since previous.json").code == 1
    second = json.loads((tmp_path / "report.json").read_text())
    assert _received(sqs, inbox) is None  # nothing new, no error: no notification
    assert second["changes"] == {"new": [], "fixed": [f"DDB002|{members[0]}|us-east-1|orders-0"],
                                 "still_failing": second["changes"]["still_failing"], "gone": []}
    assert (tmp_path / "report.md").read_text().splitlines()[4].startswith("**Since the previous run: 0 new, 1 fixed")


def _subscribed_inbox(sns, sqs) -> tuple[str, str]:
    """An SNS topic with an SQS queue subscribed, to read what the topic was sent (moto delivers it)."""
    topic = sns.create_topic(Name="ddbguard-nightly")["TopicArn"]
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, inbox


def _received(sqs, inbox) -> tuple[str, str] | None:
    messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) <= 1
    if not messages:
        return None
    sqs.delete_message(QueueUrl=inbox, ReceiptHandle=messages[0]["ReceiptHandle"])
    envelope = json.loads(messages[0]["Body"])
    return envelope.get("Subject"), envelope["Message"]


def _failing_shard(path: Path, index: int, count: int, tables: int) -> None:
    """A real JSON report of an audit shard in which every table fails DDB002."""
    from ddbguard.model import Finding, LiveResource, Report, Severity, Status
    from ddbguard.report.json_report import render_json

    account = f"{index:012d}"
    findings = [Finding("DDB002", "Point-in-time recovery is enabled", Severity.HIGH, Status.FAIL,
                        "point-in-time recovery is not enabled (PointInTimeRecoveryEnabled is not true)",
                        f"{account}/us-east-1", f"orders-{n:05}", "AWS::DynamoDB::Table", None, "", 0, "live",
                        remediation="Enable point-in-time recovery on the table.",
                        live=LiveResource(account, "us-east-1", f"arn:aws:dynamodb:us-east-1:{account}:table/orders-"
                                                                f"{n:05}", f"orders-{n:05}"))
                for n in range(tables)]
    path.write_text(render_json(Report(findings, audit={
        "run_id": "big", "regions": ["us-east-1"], "table_prefix": None, "version": "0.1.0",
        "started_at": "2026-12-01T03:00:00Z", "shard": [index, count], "accounts_digest": "d" * 64}), engine="live"))


def test_the_notification_of_a_large_run_fits_sns_and_links_to_the_report(moto, tmp_path):
    """SNS refuses a message over 256 KB (moto enforces it too): the Markdown report of 4,000 failures is far
    larger, the notification is a summary with the link."""
    sns, sqs = (boto3.client(service, region_name="us-east-1", endpoint_url=moto) for service in ("sns", "sqs"))
    topic, inbox = _subscribed_inbox(sns, sqs)
    for index in (1, 2):
        _failing_shard(tmp_path / f"shard-{index}.json", index, 2, 2000)
    shards = [str(tmp_path / "shard-1.json"), str(tmp_path / "shard-2.json")]
    markdown = run_ddbguard("merge", *shards, "--format", "markdown").stdout
    assert len(markdown.encode()) > 262144
    try:
        sns.publish(TopicArn=topic, Message=markdown)
        raise AssertionError("SNS took a message over 256 KB")
    except sns.exceptions.InvalidParameterException:
        pass
    result = run_ddbguard("merge", *shards, "--format", "json", "--output", str(tmp_path / "report.json"),
                          "--endpoint-url", moto, "--sns-topic", topic, "--report-url", "s3://reports/runs/big/report.md")
    assert result.code == 1, result.stderr
    subject, message = _received(sqs, inbox)
    assert subject == "ddbguard: 4000 new findings, 0 errors of run big"
    lines = message.splitlines()
    assert lines[:4] == ["ddbguard merge of run big, started 2026-12-01T03:00:00Z, regions us-east-1",
                         "4000 new findings not passing, 4000 failing and 0 unknown in all, 0 errors", "",
                         "Findings not passing:"]
    assert lines[4] == ("- DDB002 high fail 000000000001/us-east-1 orders-00000: point-in-time recovery is not enabled "
                        "(PointInTimeRecoveryEnabled is not true)")
    assert lines[-3:] == ["- ... and 3980 more in the full report", "", "Full report: s3://reports/runs/big/report.md"]
    assert len(message.encode()) < 16 * 1024


def test_a_notification_that_cannot_be_sent_fails_the_run(moto, tmp_path):
    _failing_shard(tmp_path / "shard-1.json", 1, 1, 3)
    missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
    result = run_ddbguard("merge", str(tmp_path / "shard-1.json"), "--format", "json", "--endpoint-url", moto,
                          "--sns-topic", missing)
    assert result.code == 2
    assert result.json()["errors"] == [{"file": "sns", "message": (
        "the notification was not sent: NotFound on sns:Publish: Endpoint does not exist")}]  # moto's words


def test_the_deploy_lock_pins_every_runtime_dependency_with_hashes():
    """deploy/requirements.lock is what the builds install: each runtime dependency of pyproject (and the build
    backend) at the version the test suite runs on, with the sha256 of its wheel."""
    sys.path.insert(0, str(ROOT / "tools"))
    from lock_deploy_requirements import closure, read_lock, runtime_requirements

    locked = read_lock((DEPLOY / "requirements.lock").read_text())
    assert {name: version for name, (version, _) in locked.items()} == closure(), \
        "run .venv/bin/python tools/lock_deploy_requirements.py"
    assert all(hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes) for _, hashes in locked.values())
    for requirement in runtime_requirements():
        name = requirement.name.lower().replace("_", "-")
        assert requirement.specifier.contains(locked[name][0], prereleases=True), requirement
    from ddbguard.templates.decode import decode_text

    buildspec = decode_text((DEPLOY / "audit-account.yaml").read_text())["Resources"]["Audit"]["Properties"][
        "Source"]["BuildSpec"]
    assert decode_text(buildspec)["phases"]["install"]["commands"] == [
        "pip install --quiet --require-hashes -r deploy/requirements.lock",
        "pip install --quiet --no-deps --no-build-isolation ."]


def test_the_deployed_run_is_watched_and_its_channels_are_its_own():
    from ddbguard.templates.decode import decode_text

    resources = decode_text((DEPLOY / "audit-account.yaml").read_text())["Resources"]
    topic_policy = resources["NotificationsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert topic_policy == [
        {"Sid": "TheMergeBuildPublishes", "Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": ["BuildRole", "Arn"]}},
         "Action": "sns:Publish", "Resource": {"Ref": "Notifications"}},
        {"Sid": "RunFailuresArePublished", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sns:Publish", "Resource": {"Ref": "Notifications"},
         "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["RunFailed", "Arn"]}}}},
        {"Sid": "NoOtherPublisher", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
         "Resource": {"Ref": "Notifications"}, "Condition": {"ArnNotEquals": {
             "aws:PrincipalArn": {"Fn::GetAtt": ["BuildRole", "Arn"]},
             "aws:SourceArn": {"Fn::GetAtt": ["RunFailed", "Arn"]}}}}]
    watched = resources["RunFailed"]["Properties"]
    assert watched["EventPattern"] == {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                                       "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"],
                                                  "stateMachineArn": [{"Ref": "Nightly"}]}}
    assert [t["Arn"] for t in watched["Targets"]] == [{"Ref": "Notifications"}]
    assert resources["Nightly"]["Properties"]["Definition"]["TimeoutSeconds"] == 6 * 3600
    assert resources["Reports"]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": "AccessLogs"}, "LogFilePrefix": "reports/"}
    [delivery, _] = resources["AccessLogsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (delivery["Principal"], delivery["Condition"]["ArnLike"]) == (
        {"Service": "logging.s3.amazonaws.com"}, {"aws:SourceArn": {"Fn::GetAtt": ["Reports", "Arn"]}})
    statements = resources["BuildRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assume = next(s for s in statements if s["Action"] == "sts:AssumeRole")
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}
    member = json.loads((DEPLOY / "member-role.json").read_text())["Resources"]["AuditRole"]["Properties"]
    assert member["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}
    script = decode_text(resources["Audit"]["Properties"]["Source"]["BuildSpec"])["phases"]["build"]["commands"][0]
    assert script.splitlines()[0] == "set -eu"  # a failed upload or publish fails the build
