"""The report as CDK's policy-validation plugin report (`ddbguard check --format cdk-validation`).

Both CDK plugins hand this to CDK: the Python one (ddbguard.cdk.DdbguardValidator) converts it to jsii
structs, the npm package @ddbguard/cdk-validator returns it as it is. Built once, here, so that both report
the same violations for the same cloud assembly. The JSON has the shape of aws-cdk-lib's
`PolicyValidationPluginReport` (camelCase keys; ruleMetadata values are strings).

Severities: critical and high failures are CDK errors (synth fails), medium ones warnings, low and info
ones info; an unknown is a warning that says why. CDK applies its own acknowledgements (and lists them as
suppressed violations), so the findings ddbguard suppressed because CDK acknowledged them are handed over
too. A finding its rule reports without failing (DDB022 when the input defines no backup plan) is CDK info,
with the reason. An input ddbguard could not check is an error (never a pass). Every text is escaped for
the terminal or CI log that prints CDK's report.
"""

from __future__ import annotations

from ddbguard import __version__
from ddbguard.model import ACKNOWLEDGED, Finding, Report, Severity, Status
from ddbguard.report.escape.json import json_document
from ddbguard.report.escape.terminal import terminal_text

CDK_SEVERITY = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                Severity.LOW: "info", Severity.INFO: "info"}


def plugin_report(report: Report) -> dict:
    violations = [violation(f) for f in report.findings if handed_to_cdk(f)]
    for error in report.errors:
        violations.append({"ruleName": "input-error", "description": terminal_text(str(error)), "severity": "error",
                           "fix": "ddbguard check the cloud assembly for the details", "violatingResources": []})
    return {"success": not any(v["severity"] == "error" for v in violations), "violations": violations,
            "pluginVersion": __version__}


def handed_to_cdk(finding: Finding) -> bool:
    acknowledged = finding.status is Status.SUPPRESSED and (finding.suppression_reason or "").startswith(ACKNOWLEDGED)
    return finding.status in (Status.FAIL, Status.UNKNOWN) or acknowledged or finding.waived


def violation(finding: Finding) -> dict:
    unknown = finding.status is Status.UNKNOWN
    said = f" ({finding.suppression_reason})" if finding.waived else ""
    resource = {"resourceLogicalId": terminal_text(finding.logical_id), "templatePath": finding.file,
                "locations": []}
    if finding.cdk_path:
        resource["constructPath"] = terminal_text(finding.cdk_path)
    return {
        "ruleName": finding.rule_id,
        "description": terminal_text(f"{finding.title}: {'unknown: ' if unknown else ''}{finding.message}{said}"),
        "fix": terminal_text(finding.remediation),
        "severity": "warning" if unknown else "info" if finding.waived else CDK_SEVERITY[finding.severity],
        "ruleMetadata": {"severity": finding.severity.value, "status": finding.status.value, "engine": finding.engine,
                         "origin": finding.origin},
        "violatingResources": [resource],
    }


def render_cdk_validation(report: Report, *, engine: str) -> str:
    return json_document(plugin_report(report), indent=1) + "\n"
