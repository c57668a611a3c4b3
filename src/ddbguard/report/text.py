"""Plain text for a terminal or a CI log: what failed, where, and how to fix it. Text from templates and
AWS (and a merged report's own words, read from files) is escaped (report/escape/terminal.py)."""

from __future__ import annotations

from ddbguard import __version__
from ddbguard.model import CDK_FRAMEWORK, Report, Status
from ddbguard.report import by_severity, not_modelled_entries, summary
from ddbguard.report.changes import change_lines
from ddbguard.report.escape.terminal import terminal_text as shown

_MARK = {Status.FAIL: "FAIL", Status.UNKNOWN: "UNKNOWN", Status.SUPPRESSED: "SUPPRESSED"}


def render_text(report: Report, *, engine: str) -> str:
    counts = summary(report)
    lines = [
        f"ddbguard {__version__} ({shown(engine)}): {counts['resources']} resources, "
        f"{counts['evaluations']} checks: {counts['fail']} failed, {counts['unknown']} unknown, {counts['suppressed']} suppressed, "
        f"{counts['pass']} passed",
    ]
    if report.changes is not None:
        lines += change_lines(report.changes, shown)
    if report.baseline is not None:
        lines.append(f"Baseline {shown(report.baseline['file'])}: {report.baseline['matched']} known failures "
                     f"suppressed, {len(report.baseline['stale'])} entries match nothing now")
        lines += [f"  stale: {shown(entry)}" for entry in report.baseline["stale"]]
    listed = [f for f in report.findings if f.status is not Status.PASS or f.notice]  # a notice is a pass to show
    for severity, findings in by_severity(listed):
        lines += ["", f"{severity.value.upper()} ({len(findings)})"]
        by_rule: dict[str, list] = {}
        for f in findings:
            by_rule.setdefault(f.rule_id, []).append(f)
        for rule_id in sorted(by_rule):
            of_rule = sorted(by_rule[rule_id], key=lambda f: (f.file, f.line))
            lines.append(f"  {rule_id} {shown(of_rule[0].title)}")
            for f in of_rule:
                where = f"{shown(f.stack)}/{shown(f.logical_id)}" if f.stack else shown(f.logical_id)
                mark = "NOTE" if f.notice else _MARK[f.status]
                lines.append(f"    {mark} {where}" + (f"  [{shown(f.cdk_path)}]" if f.cdk_path else "")
                             + (f"  (profile {shown(f.profile)})" if f.profile else "")
                             + ("  (CDK framework)" if f.origin == CDK_FRAMEWORK else ""))
                lines.append(f"      at {shown(f.live.arn)}" if f.live else f"      at {shown(f.file)}:{f.line}")
                lines.append(f"      {shown(f.message)}")
                if f.status is Status.SUPPRESSED:
                    lines.append(f"      suppressed: {shown(f.suppression_reason or '')}")
            fixes = {shown(fix) for fix in {f.remediation for f in of_rule if f.status in (Status.FAIL, Status.UNKNOWN)}}
            lines += [f"    fix: {fix}" for fix in sorted(fixes)]
    if report.not_modelled:
        lines += ["", f"NOT MODELLED ({len(report.not_modelled)}): the verdicts these could change are unknown, "
                      "never pass (DDB009)"]
        lines += [f"  {shown(e['file'])}:{e['line']} {shown(e['stack'])}/{shown(e['location'])}: "
                  f"{shown(e['construct'])}" for e in not_modelled_entries(report)]
    if report.warnings:
        lines += ["", f"WARNINGS ({len(report.warnings)}): context that could not be read"]
        lines += [f"  {shown(str(warning))}" for warning in report.warnings]
    if report.errors:
        lines += ["", f"ERRORS ({len(report.errors)}): these inputs were not checked"]
        lines += [f"  {shown(str(error))}" for error in report.errors]
    if not any(f.status in (Status.FAIL, Status.UNKNOWN) for f in listed) and not report.errors:
        lines.append("No failures.")
    return "\n".join(lines) + "\n"
