"""`--since PREVIOUS.json`: what changed since the previous run, so a nightly job notifies on change.

A finding is the same finding when its rule and resource are (for the audit: account, region and
resource name; for templates: stack and logical id), whatever its message or line says now.
"""

from __future__ import annotations

from ddbguard.model import Finding, Report, Status

NOT_PASSING = ("fail", "unknown")


def finding_key(rule_id: str, live: tuple | None, stack: str, logical_id: str) -> str:
    return "|".join((rule_id, *live) if live else (rule_id, stack, logical_id))


def _key(finding: Finding) -> str:
    live = (finding.live.account, finding.live.region, finding.live.resource_name) if finding.live else None
    return finding_key(finding.rule_id, live, finding.stack, finding.logical_id)


def _previous_key(item: dict) -> str:
    live = (item["account"], item["region"], item["resource_name"]) if "account" in item else None
    return finding_key(item["rule_id"], live, item["stack"], item["logical_id"])


def compare(previous: dict, report: Report) -> dict:
    """new: not passing now, and passing or absent before; fixed: not passing before, passing now;
    still: not passing both times; gone: not passing before and not reported now (out of scope, or deleted:
    never counted as fixed)."""
    before = {_previous_key(item): item["status"] for item in previous["findings"]}
    now = {_key(f): f for f in report.findings}
    failing_now = {key for key, f in now.items() if f.status.value in NOT_PASSING}
    failing_before = {key for key, status in before.items() if status in NOT_PASSING}
    return {
        "new": sorted(failing_now - failing_before),
        "fixed": sorted(key for key in failing_before if key in now and now[key].status is Status.PASS),
        "still_failing": len(failing_now & failing_before),
        "gone": sorted(key for key in failing_before if key not in now),
    }


def change_lines(changes: dict) -> list[str]:
    """The lines the text and markdown reports lead with."""
    lines = [f"Since the previous run: {len(changes['new'])} new, {len(changes['fixed'])} fixed, "
             f"{changes['still_failing']} still failing, {len(changes['gone'])} no longer reported"]
    for label in ("new", "fixed", "gone"):
        lines += [f"  {label}: {key.replace('|', ' ')}" for key in changes[label]]
    return lines
