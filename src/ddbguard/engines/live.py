"""The live engine: each rule's live adapter (rules/<stem>/live.py), a pure function `evaluate(snapshot,
settings, now)` of a RegionSnapshot that returns Subjects, on every audited region; per-table rules judge
each table with the same predicate as templates, on the table's CloudFormation-shaped view
(kit/snapshot.py)."""

from __future__ import annotations

import dataclasses

from ddbguard.catalog import load_catalog
from ddbguard.engines.common import live_evaluations_of
from ddbguard.kit.snapshot import LiveTable, RegionSnapshot
from ddbguard.model import Evaluation, Status
from ddbguard.registry import implementation, settings_for

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


def judge_region(snapshot: RegionSnapshot, rules, config, now) -> list[Evaluation]:
    """Every live rule on one region. A verdict on a table that is not ACTIVE says the table's state and is
    never a pass: a pass becomes unknown, other verdicts keep their status and name the state."""
    evaluations = [e for rule in rules for e in run_live_rule(rule.id, snapshot, config, now)]
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


def run_live_rule(rule_id: str, snapshot: RegionSnapshot, config, now) -> list[Evaluation]:
    """One rule's live adapter on one region, as evaluations (what the rule found, made verdicts here)."""
    rule = load_catalog()[rule_id]
    found = implementation(rule_id, "live").evaluate(snapshot, settings_for(rule, config), now)
    return live_evaluations_of(rule_id, found, snapshot.account, snapshot.region)
