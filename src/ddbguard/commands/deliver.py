"""What every report command does with its report after the run, before it is rendered: record or apply a
baseline, compare with a previous report (--since), import into Security Hub, publish a notification."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ddbguard.model import InputError, Report


class DeliveryError(Exception):
    """A step that cannot be done (an unreadable baseline or previous report): one line, exit code 2."""


@dataclass
class Delivery:
    write_baseline: str | None = None
    baseline: str | None = None
    since: str | None = None
    security_hub: bool = False
    security_hub_region: str | None = None
    sns_topic: str | None = None
    report_url: str | None = None
    profile: str | None = None  # the AWS profile, endpoint and timeout of Security Hub and SNS
    endpoint_url: str | None = None
    call_timeout: float | None = None  # None: the default (aws.DEFAULT_CALL_TIMEOUT)


def deliver(report: Report, delivery: Delivery, say: Callable[[str], None]) -> None:
    """Apply each step asked for to `report`; `say` is told what a person should read on standard error. An AWS
    step that fails is an error of the report (exit 2); a file that cannot be read or written raises."""
    if delivery.write_baseline:
        from ddbguard.baseline import write_baseline
        from ddbguard.report.output import OutputError

        try:
            entries, added, removed = write_baseline(report, delivery.write_baseline)
        except OutputError as exc:
            raise DeliveryError(f"{delivery.write_baseline}: cannot write baseline: {exc}") from None
        say(f"baseline {delivery.write_baseline}: {entries} entries ({added} added, {removed} removed)")
    if delivery.baseline:
        from ddbguard.baseline import BaselineError, apply_baseline, read_baseline

        try:
            apply_baseline(report, read_baseline(delivery.baseline), delivery.baseline)
        except BaselineError as exc:
            raise DeliveryError(str(exc)) from None
    if delivery.since:
        from ddbguard.report.changes import compare
        from ddbguard.report.json_report import ReportFileError, read_report, report_schema

        try:
            report.changes = compare(read_report(delivery.since, report_schema()), report)
        except ReportFileError as exc:
            raise DeliveryError(f"--since {exc}") from None
    if delivery.security_hub:
        report.errors += _send_to_security_hub(report, delivery, say)
    if delivery.sns_topic:
        report.errors += _notify(report, delivery)


def _send_to_security_hub(report: Report, delivery: Delivery, say) -> list[InputError]:
    """Import the report into Security Hub; what could not be imported is an error of the run (exit 2)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import DEFAULT_CALL_TIMEOUT, Clients, CredentialsError, error_reason, open_session

    clients = Clients(delivery.endpoint_url, delivery.call_timeout or DEFAULT_CALL_TIMEOUT)
    try:
        session = open_session(delivery.profile)
        region = delivery.security_hub_region or session.region_name or "us-east-1"
        account = clients.client(session, "sts", region, scope="security-hub").get_caller_identity()["Account"]
        securityhub = clients.client(session, "securityhub", region, scope="security-hub")
    except CredentialsError as exc:
        return [InputError("security-hub", str(exc))]
    except (ClientError, BotoCoreError) as exc:
        return [InputError("security-hub", error_reason(exc, "sts:GetCallerIdentity"))]
    problems = send_to_security_hub(report, securityhub, account, region)
    if not problems:
        sent = sum(1 for f in report.findings if f.live)
        say(f"{sent} findings imported into Security Hub ({account}, {region})")
    return [InputError("security-hub", problem) for problem in problems]


def _notify(report: Report, delivery: Delivery) -> list[InputError]:
    """Publish the run's summary to the SNS topic (in the topic's region); a failed publish is an error (exit 2)."""
    from ddbguard.aws import DEFAULT_CALL_TIMEOUT, Clients, CredentialsError, open_session

    try:
        session = open_session(delivery.profile)
    except CredentialsError as exc:
        return [InputError("sns", str(exc))]
    clients = Clients(delivery.endpoint_url, delivery.call_timeout or DEFAULT_CALL_TIMEOUT)
    sns = clients.client(session, "sns", delivery.sns_topic.split(":")[3], scope="sns")
    return [InputError("sns", problem) for problem in publish(report, sns, delivery.sns_topic, delivery.report_url)]


def send_to_security_hub(report: Report, securityhub, account: str, region: str, *, attempts: int = 3) -> list[str]:
    """Import the report's live findings, 100 per call; findings Security Hub refuses are retried, then named.
    Returns the problems (empty when everything was imported)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import error_reason
    from ddbguard.report.asff import BATCH, asff_findings

    findings = asff_findings(report, account=account, region=region)
    problems = []
    for start in range(0, len(findings), BATCH):
        pending = findings[start:start + BATCH]
        for attempt in range(attempts):
            try:
                answer = securityhub.batch_import_findings(Findings=pending)
            except (ClientError, BotoCoreError) as exc:
                problems.append(error_reason(exc, "securityhub:BatchImportFindings"))
                return problems
            failed = {f["Id"]: f for f in answer.get("FailedFindings") or []}
            pending = [f for f in pending if f["Id"] in failed]
            if not pending:
                break
            time.sleep(0.5 * 2 ** attempt)
        problems += [f"Security Hub refused finding {f['Id']}: {failed[f['Id']].get('ErrorCode')} "
                     f"{failed[f['Id']].get('ErrorMessage', '')}".rstrip() for f in pending]
    return problems


def publish(report: Report, sns, topic_arn: str, report_url: str | None) -> list[str]:
    """Publish the notification when the run needs one; the problems (empty when it was sent or not needed)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import error_reason
    from ddbguard.report.notification import needs_notice, notification

    if not needs_notice(report):
        return []
    subject, message = notification(report, report_url)
    try:
        sns.publish(TopicArn=topic_arn, Subject=subject, Message=message)
    except (ClientError, BotoCoreError) as exc:
        return [f"the notification was not sent: {error_reason(exc, 'sns:Publish')}"]
    return []
