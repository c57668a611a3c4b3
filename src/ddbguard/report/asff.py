"""AWS Security Finding Format (ASFF), and sending it to Security Hub with BatchImportFindings.

Each live finding becomes one ASFF finding whose `Id` is stable (rule, resource ARN): importing the next
night's run updates the same findings instead of adding new ones, and a fixed table turns PASSED.
Findings that name no AWS resource (template findings, configuration findings) have no place in ASFF
and are left out; the caller says how many.
"""

from __future__ import annotations

import datetime as dt

from ddbguard.catalog import load_catalog
from ddbguard.model import Finding, Report, Status
from ddbguard.report.escape.json import json_document

SCHEMA_VERSION = "2018-10-08"
_COMPLIANCE = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.UNKNOWN: "NOT_AVAILABLE",
               Status.SUPPRESSED: "FAILED"}
_LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW", "info": "INFORMATIONAL"}
BATCH = 100  # BatchImportFindings takes at most 100 findings per call


def finding_id(finding: Finding) -> str:
    return f"ddbguard/{finding.rule_id}/{finding.live.arn}"


def asff_finding(finding: Finding, *, now: str, account: str | None = None, region: str | None = None) -> dict:
    """One live finding in ASFF. `account`/`region`: the Security Hub that imports it (BatchImportFindings
    with the default product takes findings of the calling account only); else the resource's own."""
    live = finding.live
    account, region = account or live.account, region or live.region
    partition = live.arn.split(":")[1] if live.arn.count(":") >= 5 else "aws"
    kind = "AwsDynamoDbTable" if ":dynamodb:" in live.arn else "AwsLambdaFunction" if ":lambda:" in live.arn else "Other"
    result = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(finding),
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": f"ddbguard/{finding.rule_id}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": _LABEL[finding.severity.value]},
        "Title": f"{finding.rule_id} {finding.title}"[:256],
        "Description": finding.message[:1024] or finding.title,
        "Remediation": {"Recommendation": {"Text": (finding.remediation or finding.title)[:512]}},
        "ProductFields": {"ddbguard/RuleId": finding.rule_id, "ddbguard/Status": finding.status.value,
                          "ddbguard/Account": live.account, "ddbguard/Region": live.region},
        "Resources": [{"Type": kind, "Id": live.arn, "Partition": partition, "Region": live.region}],
        "Compliance": compliance(finding),
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "SUPPRESSED" if finding.status is Status.SUPPRESSED else
                     "RESOLVED" if finding.status is Status.PASS else "NEW"},
    }
    if finding.suppression_reason:
        result["Note"] = {"Text": f"suppressed: {finding.suppression_reason}"[:512], "UpdatedBy": "ddbguard",
                          "UpdatedAt": now}
    return result


def compliance(finding: Finding) -> dict:
    """PASSED/FAILED/NOT_AVAILABLE, and the Security Hub control that checks the same where there is one (the
    catalog's `security_hub_control`), so that a filter on the control finds ddbguard's finding beside Security
    Hub's own."""
    result = {"Status": _COMPLIANCE[finding.status]}
    rule = load_catalog().get(finding.rule_id)  # a merged report may name a rule this version does not have
    if rule is not None and rule.security_hub_control:
        result["SecurityControlId"] = rule.security_hub_control
        result["RelatedRequirements"] = [rule.security_hub_control]
    return result


def asff_findings(report: Report, *, account: str | None = None, region: str | None = None) -> list[dict]:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    kept: dict[str, Finding] = {}  # one per Id: of two verdicts on one resource the gravest, never a later pass
    for finding in report.findings:
        if finding.live:
            other = kept.get(finding_id(finding))
            if other is None or finding.status.gravity > other.status.gravity:
                kept[finding_id(finding)] = finding
    return [asff_finding(f, now=now, account=account, region=region) for f in kept.values()]


def render_asff(report: Report, *, engine: str) -> str:
    # the shape `aws securityhub batch-import-findings --cli-input-json` reads (in batches of 100)
    return json_document({"Findings": asff_findings(report)}) + "\n"
