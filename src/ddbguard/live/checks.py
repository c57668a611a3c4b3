"""Live checks: pure functions of a RegionSnapshot, one module per rule (same stem as the rule's
catalog entry, guard rule and checkov check). Each exposes `evaluate(snapshot, config, now)`."""

from __future__ import annotations

from ddbguard.live.snapshot import LiveTable, RegionSnapshot, Unknown
from ddbguard.model import Evaluation, LiveResource, Status


def live_verdict(rule_id: str, snapshot: RegionSnapshot, name: str, arn: str, problems: list[str],
                 unknown: list[str] | None = None) -> Evaluation:
    resource = LiveResource(snapshot.account, snapshot.region, arn, name)
    stack = f"{snapshot.account}/{snapshot.region}"
    if problems:
        return Evaluation(rule_id, stack, name, Status.FAIL, "; ".join(dict.fromkeys(problems)), "live", live=resource)
    if unknown:
        return Evaluation(rule_id, stack, name, Status.UNKNOWN, "; ".join(dict.fromkeys(unknown)), "live", live=resource)
    return Evaluation(rule_id, stack, name, Status.PASS, "compliant", "live", live=resource)


def functions_with_roles(snapshot: RegionSnapshot):
    """The region's functions that have a role. When functions could not be listed there are none here:
    the audit reports that listing as an error of the region instead."""
    if isinstance(snapshot.functions, Unknown):
        return []
    return [f for f in snapshot.functions if f.role is not None]


def per_table(rule_id: str, snapshot: RegionSnapshot, field: str, judge) -> list[Evaluation]:
    """One evaluation per table from one fetched field: Unknown fields are unknown, never judged."""
    evaluations = []
    for table in snapshot.tables:
        value = getattr(table, field)
        if isinstance(value, Unknown):
            evaluations.append(live_verdict(rule_id, snapshot, table.name, table.arn, [], [value.reason]))
        else:
            problems = judge(table, value)
            evaluations.append(live_verdict(rule_id, snapshot, table.name, table.arn, problems))
    return evaluations


__all__ = ["LiveTable", "functions_with_roles", "live_verdict", "per_table"]
