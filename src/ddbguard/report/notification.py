"""A notification of a run that fits its channel: an SNS message (SNS takes at most 256 KB; people read the
first lines of an email) that summarises the run and links to the full report, never the report itself.

It is sent when there is something to do: errors (checks that were not made), or findings that are not
passing and are new since `--since` (every one of them without `--since`).
"""

from __future__ import annotations

import re

from ddbguard.model import Report, Status
from ddbguard.report.identity import finding_identity

MAX_ITEMS = 20  # errors and new findings listed; the rest are counted
MAX_LINE = 300
SNS_SUBJECT = 100  # SNS: at most 100 ASCII characters, no line breaks
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def new_findings(report: Report) -> list:
    """The findings not passing now that are new since the previous report (all of them without one)."""
    failing = [f for f in report.findings if f.status in (Status.FAIL, Status.UNKNOWN)]
    if report.changes is None:
        return failing
    new = set(report.changes["new"])
    return [f for f in failing if finding_identity(f) in new]


def needs_notice(report: Report) -> bool:
    return bool(report.errors or new_findings(report))


def notification(report: Report, report_url: str | None) -> tuple[str, str]:
    """(subject, message) of the run: counts, the first errors and new findings, and the link."""
    new = new_findings(report)
    counts = (f"{_count(len(new), 'new finding')} not passing, {report.count(Status.FAIL)} failing and "
              f"{report.count(Status.UNKNOWN)} unknown in all, {_count(len(report.errors), 'error')}")
    scope = report.audit or {}
    run = f" of run {scope['run_id']}" if scope.get("run_id") else ""
    subject = _ascii(f"ddbguard: {_count(len(new), 'new finding')}, {_count(len(report.errors), 'error')}{run}")
    heading = f"ddbguard {report.command}{run}"
    if scope.get("started_at"):
        heading += f", started {scope['started_at']}"
    if scope.get("regions"):
        heading += f", regions {', '.join(scope['regions'])}"
    lines = [heading, counts, ""]
    if report.errors:
        lines.append("Errors: these checks were not made, so the run is incomplete:")
        lines += _items([str(e) for e in report.errors])
    if new:
        lines.append("New findings not passing:" if report.changes is not None else "Findings not passing:")
        lines += _items([f"{f.rule_id} {f.severity.value} {f.status.value} {_where(f)}: {f.message}"
                         for f in sorted(new, key=lambda f: (-f.severity.rank, f.rule_id))])
    lines.append(f"Full report: {report_url}" if report_url else "The full report is where the run wrote it.")
    return subject[:SNS_SUBJECT], "\n".join(lines) + "\n"


def _where(finding) -> str:
    live = finding.live
    return f"{live.account}/{live.region} {live.resource_name}" if live else f"{finding.stack} {finding.logical_id}"


def _items(texts: list[str]) -> list[str]:
    shown = [f"- {_line(text)}" for text in texts[:MAX_ITEMS]]
    if len(texts) > MAX_ITEMS:
        shown.append(f"- ... and {len(texts) - MAX_ITEMS} more in the full report")
    return shown + [""]


def _line(text: str) -> str:
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 3] + "..."


def _ascii(text: str) -> str:
    return _CONTROL.sub(" ", text).encode("ascii", "replace").decode()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
