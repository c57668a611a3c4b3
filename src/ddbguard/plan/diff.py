"""Deploy-time rules on a pair of templates: what the change from OLD to NEW does to each table.

DDB030: a table that leaves the template is deleted with its data unless OLD says Retain.
DDB031: a change that forces replacement recreates the table empty (and deletes the old one unless
OLD says UpdateReplacePolicy Retain); a Retain -> Delete flip is reported too, as high.
"""

from __future__ import annotations

import json

from ddbguard.engines.common import CheckedStack
from ddbguard.model import Evaluation, Severity, Status
from ddbguard.rules.ddb001_retain.predicate import RETAINED  # one definition of "retained" for DDB001 and diff
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


def removal(stack: CheckedStack, logical_id: str, resource: dict, how: str) -> Evaluation:
    """DDB030 for a table that leaves the deployed stack: deleted unless its DeletionPolicy retains it."""
    policy = resource.get("DeletionPolicy", "Delete")
    if policy in RETAINED:
        return Evaluation("DDB030", stack.name, logical_id, Status.PASS,
                          f"{how}; DeletionPolicy {policy} keeps the table and its data", "diff")
    return Evaluation("DDB030", stack.name, logical_id, Status.FAIL,
                      f"{how}; DeletionPolicy {policy} deletes the table and its data", "diff", ("DeletionPolicy",))


def diff_stacks(old: CheckedStack, new: CheckedStack) -> tuple[list[Evaluation], list[Evaluation]]:
    """(evaluations located in OLD: removed tables, evaluations located in NEW: changed tables)."""
    old_tables, new_tables = tables_of(old), tables_of(new)
    by_name = {(r.get("Properties") or {}).get("TableName"): lid for lid, r in new_tables.items()}
    removed, changed = [], []
    for logical_id, resource in old_tables.items():
        if logical_id in new_tables:
            continue
        name = (resource.get("Properties") or {}).get("TableName")
        renamed = by_name.get(name) if isinstance(name, str) else None
        how = (f"its logical id changes to {renamed}: CloudFormation creates that table (which fails while the name "
               f"{name} exists) and removes this one") if renamed else "it is no longer in the template"
        removed.append(removal(old, logical_id, resource, how))
    for logical_id, resource in new_tables.items():
        before = old_tables.get(logical_id)
        if before is None:
            continue
        problems, flips = [], []
        if before.get("Type") != resource.get("Type"):
            changed.append(Evaluation(
                "DDB031", new.name, logical_id, Status.FAIL,
                f"Type changes from {before.get('Type')} to {resource.get('Type')}: CloudFormation cannot update a "
                "table into another type. Safe path: set DeletionPolicy Retain, remove the resource from the stack, "
                "then import the table as the new type (resource import / `cdk import`)", "diff", ("Type",)))
            continue
        changes = replacement_changes(before, resource)
        if changes and before.get("UpdateReplacePolicy", "Delete") != "Retain":
            problems.append(f"{'; '.join(changes)} forces replacement: the table is recreated empty and the old one is "
                            f"deleted (UpdateReplacePolicy is {before.get('UpdateReplacePolicy', 'Delete')})")
        for attribute, kept in (("DeletionPolicy", RETAINED), ("UpdateReplacePolicy", ("Retain",))):
            if before.get(attribute) in kept and resource.get(attribute) not in kept:
                flips.append(f"{attribute} changes from {before.get(attribute)} to {resource.get(attribute, 'Delete')}")
        if problems:
            changed.append(Evaluation("DDB031", new.name, logical_id, Status.FAIL, "; ".join(problems + flips), "diff",
                                      ("Properties",)))
        elif flips:
            changed.append(Evaluation("DDB031", new.name, logical_id, Status.FAIL, "; ".join(flips), "diff",
                                      ("DeletionPolicy",), severity=Severity.HIGH))
        else:
            note = f"{'; '.join(changes)}; UpdateReplacePolicy Retain keeps the old table" if changes else "no replacement"
            changed.append(Evaluation("DDB031", new.name, logical_id, Status.PASS, note, "diff"))
    return removed, changed
