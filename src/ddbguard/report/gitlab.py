"""GitLab Code Quality (a JSON array of issues), for the merge request widget.

Failures and unknowns with a place in the repository; suppressed findings and passes are left out, and
so are live findings (they have no file). Each issue's fingerprint is the finding's identity, so GitLab
follows an issue across line moves.
"""

from __future__ import annotations

from ddbguard.model import Report, Severity, Status
from ddbguard.report.escape.json import json_document
from ddbguard.report.identity import fingerprint
from ddbguard.report.locations import place, repository_root

_SEVERITY = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.MEDIUM: "major",
             Severity.LOW: "minor", Severity.INFO: "info"}


def render_gitlab(report: Report, *, engine: str) -> str:
    root = repository_root()
    issues = []
    for f in report.findings:
        where = place(f, report, root)
        if f.status not in (Status.FAIL, Status.UNKNOWN) or where is None:
            continue
        prefix = "unknown: " if f.status is Status.UNKNOWN else ""
        issues.append({
            "type": "issue",
            "check_name": f.rule_id,
            "description": f"{f.rule_id} {prefix}{f.message} ({f.stack}/{f.logical_id})",
            "content": {"body": f.remediation},
            "categories": ["Security"],
            "severity": _SEVERITY[f.severity] if f.status is Status.FAIL else "minor",
            "fingerprint": fingerprint(f),
            "location": {"path": where[0], "lines": {"begin": where[1]}},
        })
    return json_document(issues, indent=2) + "\n"
