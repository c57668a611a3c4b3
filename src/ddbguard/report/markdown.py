"""Markdown, for a pull-request comment or a job summary. Text from templates and AWS is a code span
(report/escape/markdown.py), so it renders as the literal text."""

from __future__ import annotations

from ddbguard import __version__
from ddbguard.model import CDK_FRAMEWORK, Report, Severity, Status
from ddbguard.report import by_severity, not_modelled_entries, summary
from ddbguard.report.changes import change_lines
from ddbguard.report.escape.markdown import markdown_cell, markdown_code, markdown_words


def render_markdown(report: Report, *, engine: str) -> str:
    counts = summary(report)
    lines = [
        f"## ddbguard {__version__}",
        "",
        f"**{counts['fail']} failed**, {counts['unknown']} unknown, {counts['suppressed']} suppressed, "
        f"{counts['pass']} passed ({counts['resources']} resources, engine: {markdown_words(engine)}).",
    ]
    if report.changes is not None:
        first, *listed = change_lines(report.changes, markdown_code)
        lines += ["", f"**{first}**", ""] + [f"- {line.strip()}" for line in listed]
    lines += ["", "| Severity | Failed | Unknown | Suppressed |", "|---|---:|---:|---:|"]
    for severity in sorted(Severity, key=lambda s: -s.rank):
        of = [f for f in report.findings if f.severity is severity]
        lines.append(f"| {severity.value} | {sum(f.status is Status.FAIL for f in of)} | "
                     f"{sum(f.status is Status.UNKNOWN for f in of)} | {sum(f.status is Status.SUPPRESSED for f in of)} |")
    # failures first (gravest first), then what could not be judged, then what was waived, then notices (passes
    # the user should know of, as the text report's NOTE entries)
    groups = [(heading, [f for f in report.findings if f.status is status]) for status, heading in (
        (Status.FAIL, "Failures"), (Status.UNKNOWN, "Unknown"), (Status.SUPPRESSED, "Suppressed"))]
    groups.append(("Notices", [f for f in report.findings if f.status is Status.PASS and f.notice]))
    for heading, of_status in groups:
        for severity, findings in by_severity(of_status):
            lines += ["", f"### {heading}: {severity.value} ({len(findings)})", "",
                      "| Rule | Resource | Location | Message |", "|---|---|---|---|"]
            for f in sorted(findings, key=lambda f: (f.rule_id, f.file, f.line)):
                resource = markdown_cell(f"{f.stack}/{f.logical_id}") + (
                    f"<br>{markdown_cell(f.cdk_path)}" if f.cdk_path else "") + (
                    " (CDK framework)" if f.origin == CDK_FRAMEWORK else "")
                where = markdown_cell(f.live.arn if f.live else f"{f.file}:{f.line}")
                message = markdown_cell(f.message) + (
                    f" (suppressed: {markdown_cell(f.suppression_reason)})" if f.suppression_reason else "")
                lines.append(f"| {f.rule_id} {markdown_words(f.title, cell=True)} | {resource} | {where} | {message} |")
    if report.not_modelled:
        lines += ["", f"### Not modelled ({len(report.not_modelled)})", "",
                  "The verdicts these could change are unknown, never pass (DDB009).", ""]
        for e in not_modelled_entries(report):
            where, what = f"{e['file']}:{e['line']}", f"{e['stack']}/{e['location']}"
            lines.append(f"- {markdown_code(where)} {markdown_code(what)}: {markdown_code(e['construct'])}: "
                         f"{markdown_code(e['effect'])}")
    if report.warnings:
        lines += ["", "### Context that could not be read", ""]
        lines += [f"- {markdown_code(w.file)}: {markdown_code(w.message)}" for w in report.warnings]
    if report.errors:
        lines += ["", "### Inputs that could not be checked", ""]
        lines += [f"- {markdown_code(e.file)}: {markdown_code(e.message)}" for e in report.errors]
    return "\n".join(lines) + "\n"
