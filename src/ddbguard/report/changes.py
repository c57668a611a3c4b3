"""`--since PREVIOUS.json`: what changed since the previous run, so a nightly job notifies on change.
Findings are matched by their identity (report/identity.py), whatever line or message they have now.
"""

from __future__ import annotations

from collections.abc import Callable

from ddbguard.model import Report, Status
from ddbguard.report.identity import dict_identity, finding_identity

NOT_PASSING = ("fail", "unknown")


def compare(previous: dict, report: Report) -> dict:
    """new: not passing now, and passing or absent before; fixed: not passing before, passing now;
    still: not passing both times; gone: not passing before and not reported now (out of scope, or deleted:
    never counted as fixed)."""
    before = {dict_identity(item): item["status"] for item in previous["findings"]}
    now = {finding_identity(f): f for f in report.findings}
    failing_now = {key for key, f in now.items() if f.status.value in NOT_PASSING}
    failing_before = {key for key, status in before.items() if status in NOT_PASSING}
    return {
        "new": sorted(failing_now - failing_before),
        "fixed": sorted(key for key in failing_before if key in now and now[key].status is Status.PASS),
        "still_failing": len(failing_now & failing_before),
        "gone": sorted(key for key in failing_before if key not in now),
    }


def change_lines(changes: dict, shown: Callable[[str], str]) -> list[str]:
    """The lines the text and markdown reports lead with; `shown` escapes a finding's identity for the format."""
    lines = [f"Since the previous run: {len(changes['new'])} new, {len(changes['fixed'])} fixed, "
             f"{changes['still_failing']} still failing, {len(changes['gone'])} no longer reported"]
    for label in ("new", "fixed", "gone"):
        lines += [f"  {label}: {shown(key.replace('|', ' '))}" for key in changes[label]]
    return lines
