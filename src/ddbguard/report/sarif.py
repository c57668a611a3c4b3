"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers. Passing checks are left out.

Artifact URIs are relative to the repository root (`uriBaseId: %SRCROOT%`) and percent-encoded; a
live finding (an ARN) or a file outside the repository has logical locations only. Results carry
`partialFingerprints` from the finding's identity, so an alert survives line moves and reformatting,
and `automationDetails.id` names the command, so `check` and `audit` uploads do not close each other's
alerts.
"""

from __future__ import annotations

from ddbguard import __version__
from ddbguard.catalog import load_catalog
from ddbguard.model import Report, Severity, Status
from ddbguard.report import not_modelled_entries
from ddbguard.report.escape.json import json_document
from ddbguard.report.identity import fingerprint
from ddbguard.report.locations import place, relative_path, repository_path, repository_root, uri

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
# GitHub ranks code-scanning alerts by this number (0-10).
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0", Severity.INFO: "1.0"}


def _message(text: str) -> str:
    # SARIF 3.11.6: in plain text, `[text](target)` is an embedded link, which viewers turn into a link;
    # a literal bracket is written \[ or \]
    return text.replace("[", "\\[").replace("]", "\\]")


def _physical(relative: str, line: int) -> dict:
    return {"artifactLocation": {"uri": uri(relative), "uriBaseId": "%SRCROOT%"}, "region": {"startLine": line}}


def render_sarif(report: Report, *, engine: str) -> str:
    catalog = load_catalog()
    rule_ids = sorted(catalog)
    rules = [
        {
            "id": rule.id,
            "name": rule.stem,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.rationale},
            "help": {
                "text": f"Compliant when: {rule.compliant_when}\nCloudFormation: {rule.remediation.cloudformation}\n"
                        f"CDK: {rule.remediation.cdk}\nCLI: {rule.remediation.cli}",
                "markdown": f"**Compliant when:** {rule.compliant_when}\n\n"
                            f"- CloudFormation: {rule.remediation.cloudformation}\n- CDK: {rule.remediation.cdk}\n"
                            f"- CLI: {rule.remediation.cli}\n\nGuide: {'; '.join(rule.guide_sections)}",
            },
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"security-severity": _SECURITY_SEVERITY[rule.severity], "precision": "high",
                           "tags": ["dynamodb", "security"], "guide_sections": list(rule.guide_sections)},
        }
        for rule in (catalog[i] for i in rule_ids)
    ]
    root = repository_root()
    results = []
    for f in report.findings:
        if f.status is Status.PASS and not f.notice:  # a notice is a pass to show: an informational note
            continue
        location: dict = {"logicalLocations": [{
            "name": f.logical_id,
            "fullyQualifiedName": f.live.arn if f.live else f.cdk_path or f"{f.stack}/{f.logical_id}",
            "kind": "resource"}]}
        where = place(f, report, root)
        if where is not None:
            location["physicalLocation"] = _physical(*where)
        result = {
            "ruleId": f.rule_id,
            "ruleIndex": rule_ids.index(f.rule_id),
            "kind": "informational" if f.notice else "fail" if f.status is not Status.UNKNOWN else "review",
            "level": "note" if f.notice else _LEVEL[f.severity] if f.status is not Status.UNKNOWN else "warning",
            "message": {"text": _message(f"{f.message} ({f.stack}/{f.logical_id})" if f.stack else f.message)},
            "locations": [location],
            "partialFingerprints": {"ddbguardFindingIdentity/v1": fingerprint(f)},
            "properties": {"status": f.status.value, "severity": f.severity.value, "stack": f.stack,
                           "engine": f.engine, "origin": f.origin, **({"profile": f.profile} if f.profile else {})},
        }
        template = repository_path(f, report, root)
        if where is not None and template is not None and where[0] != template:  # placed in the CDK app's code
            result["relatedLocations"] = [{"id": 1, "physicalLocation": _physical(template, max(f.line, 1)),
                                           "message": {"text": "the synthesized template"}}]
        if f.status is Status.SUPPRESSED:
            result["suppressions"] = [{"kind": "external", "justification": f.suppression_reason or ""}]
        results.append(result)
    notifications = [{"level": "error", "message": {"text": _message(str(error))}} for error in report.errors]
    notifications += [{"level": "warning", "message": {"text": _message(str(warning))}} for warning in report.warnings]
    for entry in not_modelled_entries(report):  # what the run did not model: a note each, where it is
        note: dict = {"level": "note", "descriptor": {"id": "DDB009"},
                      "message": {"text": _message(f"not modelled: {entry['construct']} ({entry['stack']}/"
                                                   f"{entry['location']}): {entry['effect']}")}}
        relative = relative_path(entry["file"], report, root)
        if relative is not None:
            note["locations"] = [{"physicalLocation": _physical(relative, max(entry["line"], 1))}]
        notifications.append(note)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ddbguard", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://pypi.org/project/ddbguard/", "rules": rules}},
            "automationDetails": {"id": f"ddbguard/{report.command}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"engine": engine},
        }],
    }
    return json_document(log, indent=2) + "\n"
