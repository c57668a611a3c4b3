"""What the live checks share. Each rule's live adapter (rules/<stem>/live.py) is a pure function
`evaluate(snapshot, config, now)` of a RegionSnapshot; per-table rules judge each table with the
same predicate as templates, on the table's CloudFormation-shaped view."""

from __future__ import annotations

import dataclasses

from ddbguard.engines.common import evaluation_of
from ddbguard.live.snapshot import LiveTable, RegionSnapshot, Unknown, as_resource
from ddbguard.model import Evaluation, LiveResource, Problem, Status
from ddbguard.registry import predicate, rule_of

# DescribeTable's TableStatus (DynamoDB API reference, TableDescription): only ACTIVE describes a table in use.
TABLE_STATES = {
    "CREATING": "being created",
    "UPDATING": "being updated: its settings may be changing",
    "DELETING": "being deleted",
    "INACCESSIBLE_ENCRYPTION_CREDENTIALS": "unusable: its KMS key cannot be used",
    "ARCHIVING": "being archived: its KMS key was inaccessible for more than seven days",
    "ARCHIVED": "archived: its data is only in the backup DynamoDB made when it archived it",
    "REPLICATION_NOT_AUTHORIZED": "a global table replica that is not authorized to replicate",
}


def table_state(table: LiveTable) -> str | None:
    """Why a table's description is not that of a table in use (its status), or None when it is ACTIVE (or
    could not be read at all: its rules are unknown already)."""
    if not isinstance(table.description, dict):
        return None
    status = table.description.get("TableStatus")
    if status == "ACTIVE":
        return None
    if status in TABLE_STATES:
        return f"table {table.name} is {status} ({TABLE_STATES[status]})"
    return f"DescribeTable gives table {table.name} the status {status!r}, which ddbguard does not know"


def judge_region(snapshot: RegionSnapshot, checks, config, now) -> list[Evaluation]:
    """Every live check on one region. A verdict on a table that is not ACTIVE says the table's state and is
    never a pass: a pass becomes unknown, other verdicts keep their status and name the state."""
    evaluations = [e for check in checks for e in check.evaluate(snapshot, config, now)]
    states = {t.arn: (t.description["TableStatus"], state) for t in snapshot.tables if (state := table_state(t))}
    settled = []
    for evaluation in evaluations:
        status, state = states.get(evaluation.live.arn if evaluation.live else None, (None, None))
        if state is None or (evaluation.status is not Status.PASS and str(status) in evaluation.message):
            settled.append(evaluation)
        elif evaluation.status is Status.PASS:
            settled.append(dataclasses.replace(evaluation, status=Status.UNKNOWN, message=(
                f"{state}: its description cannot be judged as a table in use; run the audit again once it is "
                "ACTIVE")))
        else:
            settled.append(dataclasses.replace(evaluation, message=f"{evaluation.message} (the table is {status})"))
    return settled


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


__all__ = ["TABLE_STATES", "LiveTable", "functions_with_roles", "judge_region", "judge_tables", "live_verdict",
           "per_table", "table_state"]
