"""Report formatters: each renders a finished Report and decides nothing."""

from __future__ import annotations

from ddbguard.model import ExitCode, Report, Severity, Status

FORMATS = ("text", "json", "sarif", "junit", "markdown", "gitlab", "github", "asff")


def render(report: Report, fmt: str, *, engine: str) -> str:
    if fmt == "text":
        from ddbguard.report.text import render_text as renderer
    elif fmt == "json":
        from ddbguard.report.json_report import render_json as renderer
    elif fmt == "sarif":
        from ddbguard.report.sarif import render_sarif as renderer
    elif fmt == "junit":
        from ddbguard.report.junit import render_junit as renderer
    elif fmt == "markdown":
        from ddbguard.report.markdown import render_markdown as renderer
    elif fmt == "gitlab":
        from ddbguard.report.gitlab import render_gitlab as renderer
    elif fmt == "github":
        from ddbguard.report.github import render_github as renderer
    elif fmt == "asff":
        from ddbguard.report.asff import render_asff as renderer
    else:
        raise ValueError(f"unknown format {fmt}")
    return renderer(report, engine=engine)


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
    return {
        "resources": len({(f.stack, f.logical_id) for f in report.findings if f.stack}),
        "evaluations": len(report.findings),
        **{status.value: report.count(status) for status in Status},
        "errors": len(report.errors),
        "failed_by_severity": {s.value: sum(1 for f in report.findings if f.status is Status.FAIL and f.severity is s)
                               for s in Severity},
    }
