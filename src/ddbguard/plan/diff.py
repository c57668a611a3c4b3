"""What a change from OLD to NEW does to each table: the diff rules (rules/<stem>/diff.py) on a stack pair,
and what they share (the tables of a stack, the property changes that force replacement)."""

from __future__ import annotations

import json

from ddbguard.engines.common import CheckedStack
from ddbguard.model import Evaluation
from ddbguard.registry import implementation, select_rules
from ddbguard.templates.resolve import TABLE_TYPES


def tables_of(stack: CheckedStack) -> dict[str, dict]:
    return {lid: r for lid, r in stack.resolved["Resources"].items() if r.get("Type") in TABLE_TYPES}


def _short(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str) if value is not None else "(none)"


def replacement_changes(old: dict, new: dict) -> list[str]:
    """The property changes that make CloudFormation replace the table, as 'what: old -> new'."""
    old_p, new_p = old.get("Properties") or {}, new.get("Properties") or {}
    changes = []
    for key in ("TableName", "KeySchema", "LocalSecondaryIndexes"):
        if old_p.get(key) != new_p.get(key):
            changes.append(f"{key}: {_short(old_p.get(key))} -> {_short(new_p.get(key))}")
    keys = {k.get("AttributeName") for k in (old_p.get("KeySchema") or []) + (new_p.get("KeySchema") or [])
            if isinstance(k, dict)}
    for index in (old_p.get("LocalSecondaryIndexes") or []) + (new_p.get("LocalSecondaryIndexes") or []):
        keys |= {k.get("AttributeName") for k in (index.get("KeySchema") or []) if isinstance(k, dict)}

    def types(properties):
        return {a.get("AttributeName"): a.get("AttributeType") for a in properties.get("AttributeDefinitions") or []
                if isinstance(a, dict) and a.get("AttributeName") in keys}

    old_types, new_types = types(old_p), types(new_p)
    for name in sorted(n for n in keys if n and n in old_types and n in new_types and old_types[n] != new_types[n]):
        changes.append(f"type of key attribute {name}: {old_types[name]} -> {new_types[name]}")
    return changes


def diff_rules(config) -> list:
    """The selected diff rules' modules (rules/<stem>/diff.py)."""
    return [implementation(rule.id, "diff") for rule in select_rules(config, ("diff",))]


def across_stacks(removed: list[Evaluation], old: list[CheckedStack], new: list[CheckedStack], paired: dict[str, str],
                  config) -> tuple[list[Evaluation], list[Evaluation]]:
    """What only the whole change shows (a table moving to another stack, an export another stack still
    imports): each diff rule's optional `across(removed, old, new, paired)` (paired: OLD stack name -> the NEW
    stack it became) may reword the removals it knows about and add evaluations; returns (the removals, the
    added evaluations located in NEW)."""
    added: list[Evaluation] = []
    for rule in diff_rules(config):
        if hasattr(rule, "across"):
            removed, more = rule.across(removed, old, new, paired)
            added += more
    return removed, added


def diff_stacks(old: CheckedStack, new: CheckedStack | None, config) -> tuple[list[Evaluation], list[Evaluation]]:
    """(evaluations located in OLD: removed tables, evaluations located in NEW: changed tables). NEW is None
    for a nested stack whose resource leaves its parent: the stack is deleted with everything in it."""
    located: dict[str, list[Evaluation]] = {"old": [], "new": []}
    for rule in diff_rules(config):
        located[rule.LOCATED_IN] += rule.evaluate(old, new)
    return located["old"], located["new"]
