"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per failure or unknown,
on the file and line when the finding has a place in the repository (live findings: on the run).

Text from templates and AWS is escaped for a terminal first (report/escape/terminal.py: no line ending, no
`##[`), then as GitHub escapes a command's message and properties, so it can neither start another command
nor add a property."""

from __future__ import annotations

from ddbguard.model import Report, Severity, Status
from ddbguard.report.escape.terminal import terminal_text
from ddbguard.report.locations import place, repository_root

_COMMAND = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
            Severity.LOW: "notice", Severity.INFO: "notice"}


def _data(text: str) -> str:
    # GitHub's escaping for a command's message (line endings are escapes already)
    return terminal_text(text).replace("%", "%25")


def _property(text: str) -> str:
    # ... and for a property value, where ':' and ',' separate properties
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, *, engine: str) -> str:
    root = repository_root()
    lines = []
    for f in report.findings:
        if f.status not in (Status.FAIL, Status.UNKNOWN):
            continue
        command = _COMMAND[f.severity] if f.status is Status.FAIL else "warning"
        properties = []
        where = place(f, report, root)
        if where is not None:
            properties += [f"file={_property(where[0])}", f"line={where[1]}"]
        status = "unknown" if f.status is Status.UNKNOWN else f.severity.value
        properties.append(f"title={_property(f'{f.rule_id} ({status}) {f.title}')}")
        where = f.live.arn if f.live else f.cdk_path or f"{f.stack}/{f.logical_id}"
        lines.append(f"::{command} {','.join(properties)}::{_data(f'{where}: {f.message}. Fix: {f.remediation}')}")
    lines += [f"::error title=ddbguard input error::{_data(str(error))}" for error in report.errors]
    return "\n".join(lines) + ("\n" if lines else "")
