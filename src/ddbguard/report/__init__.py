"""Report formatters: each renders a finished Report and decides nothing."""

from __future__ import annotations

import importlib
from collections import Counter

from ddbguard.model import ExitCode, Report, Severity, Status

# Each format's module and renderer, imported only when used (a run renders one or two formats).
RENDERERS = {
    "text": ("ddbguard.report.text", "render_text"),
    "json": ("ddbguard.report.json_report", "render_json"),
    "sarif": ("ddbguard.report.sarif", "render_sarif"),
    "junit": ("ddbguard.report.junit", "render_junit"),
    "markdown": ("ddbguard.report.markdown", "render_markdown"),
    "gitlab": ("ddbguard.report.gitlab", "render_gitlab"),
    "github": ("ddbguard.report.github", "render_github"),
    "asff": ("ddbguard.report.asff", "render_asff"),
    "cdk-validation": ("ddbguard.report.cdk_validation", "render_cdk_validation"),  # the CDK plugins' report
    "html": ("ddbguard.report.html", "render_html"),
}
FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str, *, engine: str) -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown format {fmt}")
    module, function = RENDERERS[fmt]
    return getattr(importlib.import_module(module), function)(report, engine=engine)


def blocking_findings(report: Report, fail_on: Severity | None, *, unknown_fails: bool = True) -> list:
    """Failures (and unknowns, unless told otherwise) at or above the --fail-on severity."""
    threshold = fail_on.rank if fail_on else Severity.INFO.rank
    blocking = (Status.FAIL, Status.UNKNOWN) if unknown_fails else (Status.FAIL,)
    return [f for f in report.findings if f.status in blocking and f.severity.rank >= threshold]


def exit_code(report: Report, fail_on: Severity | None, *, unknown_fails: bool = True) -> ExitCode:
    if report.errors:
        return ExitCode.USAGE_OR_INPUT_ERROR
    return ExitCode.FAILURES if blocking_findings(report, fail_on, unknown_fails=unknown_fails) else ExitCode.OK


def not_modelled_entries(report: Report) -> list[dict]:
    """What the run did not model, one entry each: the construct, where it is, and what it could change."""
    return [{"construct": r.construct, "stack": r.stack, "file": r.file, "line": r.line, "location": r.logical_id,
             "effect": r.effect} for r in report.not_modelled]


def by_severity(findings: list) -> list[tuple[Severity, list]]:
    order = sorted(Severity, key=lambda s: -s.rank)
    return [(severity, [f for f in findings if f.severity is severity]) for severity in order
            if any(f.severity is severity for f in findings)]


def summary(report: Report) -> dict:
    by_status = Counter(f.status for f in report.findings)  # one pass each, not one per status and severity
    failed = Status.FAIL
    failed_by_severity = Counter(f.severity for f in report.findings if f.status is failed)
    return {
        "resources": len({(f.stack, f.logical_id) for f in report.findings if f.stack}),
        "evaluations": len(report.findings),
        **{status.value: by_status[status] for status in Status},
        "errors": len(report.errors),
        "failed_by_severity": {s.value: failed_by_severity[s] for s in Severity},
    }
