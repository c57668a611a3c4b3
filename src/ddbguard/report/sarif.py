"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers. Passing checks are left out."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ddbguard import __version__
from ddbguard.catalog import load_catalog
from ddbguard.model import Report, Severity, Status

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
# GitHub ranks code-scanning alerts by this number (0-10).
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0", Severity.INFO: "1.0"}


def artifact_uri(file: str) -> str:
    """Relative to the working directory (the repository root in CI) when the file is inside it."""
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix()
    relative = os.path.relpath(path)
    return path.as_uri() if relative.startswith("..") else Path(relative).as_posix()


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
            },
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"security-severity": _SECURITY_SEVERITY[rule.severity],
                           "tags": ["dynamodb", "security"], "guide_sections": list(rule.guide_sections)},
        }
        for rule in (catalog[i] for i in rule_ids)
    ]
    results = []
    for f in report.findings:
        if f.status is Status.PASS:
            continue
        result = {
            "ruleId": f.rule_id,
            "ruleIndex": rule_ids.index(f.rule_id),
            "kind": "fail" if f.status is not Status.UNKNOWN else "review",
            "level": _LEVEL[f.severity] if f.status is not Status.UNKNOWN else "warning",
            "message": {"text": f"{f.message} ({f.stack}/{f.logical_id})" if f.stack else f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(f.file)},
                    "region": {"startLine": max(f.line, 1)},
                },
                "logicalLocations": [{"name": f.logical_id, "fullyQualifiedName": f.cdk_path or f"{f.stack}/{f.logical_id}",
                                      "kind": "resource"}],
            }],
            "properties": {"status": f.status.value, "severity": f.severity.value, "stack": f.stack,
                           "engine": f.engine},
        }
        if f.status is Status.SUPPRESSED:
            result["suppressions"] = [{"kind": "external", "justification": f.suppression_reason or ""}]
        results.append(result)
    notifications = [{"level": "error", "message": {"text": str(error)}} for error in report.errors]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ddbguard", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://pypi.org/project/ddbguard/", "rules": rules}},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"engine": engine},
        }],
    }
    return json.dumps(log, indent=2) + "\n"
