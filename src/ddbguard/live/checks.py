"""What the live checks share. Each rule's live adapter (rules/<stem>/live.py) is a pure function
`evaluate(snapshot, config, now)` of a RegionSnapshot; per-table rules judge each table with the
same predicate as templates, on the table's CloudFormation-shaped view."""

from __future__ import annotations

from ddbguard.engines.common import evaluation_of
from ddbguard.live.snapshot import LiveTable, RegionSnapshot, Unknown, as_resource
from ddbguard.model import Evaluation, LiveResource, Problem
from ddbguard.registry import predicate, rule_of


def live_verdict(rule_id: str, snapshot: RegionSnapshot, name: str, arn: str, problems: list[str],
                 unknown: list[str] | None = None) -> Evaluation:
    found = [Problem(m) for m in problems] + [Problem(m, unknown=True) for m in unknown or []]
    return evaluation_of(rule_id, f"{snapshot.account}/{snapshot.region}", name, found, "live",
                         live=LiveResource(snapshot.account, snapshot.region, arn, name))


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
    return evaluations + unaudited_replicas(rule_id, snapshot)


def judge_tables(package: str, snapshot: RegionSnapshot, config, tables=None, *, explain=None,
                 more=None) -> list[Evaluation]:
    """The rule of `package` (rules/<stem>) on each table, through its predicate. `explain(table, problem)`
    may reword a problem for the live context (say which stack deletes the table); `more(table)` adds what
    only a live table shows (a disabled KMS key)."""
    rule = rule_of(package)
    problems_of = predicate(rule)
    evaluations = []
    for table in snapshot.tables if tables is None else tables:
        found = problems_of(as_resource(table), config)
        if explain is not None:
            found = [Problem(explain(table, p), p.path, p.unknown) for p in found]
        if more is not None:
            found += more(table)
        evaluations.append(evaluation_of(rule.id, f"{snapshot.account}/{snapshot.region}", table.name, found, "live",
                                         live=LiveResource(snapshot.account, snapshot.region, table.arn, table.name)))
    return evaluations + unaudited_replicas(rule.id, snapshot)


def unaudited_replicas(rule_id: str, snapshot: RegionSnapshot) -> list[Evaluation]:
    """A global table's replicas in regions the run does not audit: unknown, never silently left out."""
    return [evaluation_of(rule_id, f"{snapshot.account}/{region}", name, [Problem(
        f"a replica of global table {name} is in region {region}, which this audit does not read: add {region} to "
        "--regions", unknown=True)], "live", live=LiveResource(snapshot.account, region, arn, name))
        for name, region, arn in snapshot.replicas_outside]


__all__ = ["LiveTable", "functions_with_roles", "judge_tables", "live_verdict", "per_table"]
