"""DDB030 diff: a table that leaves the deployed stack is deleted with its data unless OLD retains it."""

from __future__ import annotations

import dataclasses
import json

from ddbguard.templates.model import CheckedStack
from ddbguard.kit.subjects import judged
from ddbguard.model import Problem, Subject
from ddbguard.kit.replacement import tables_of
from ddbguard.kit.values import RETAINED

LOCATED_IN = "old"  # a removed table is found in the template it leaves


def removal(stack: CheckedStack, logical_id: str, resource: dict, how: str) -> Subject:
    policy = resource.get("DeletionPolicy", "Delete")
    if policy in RETAINED:
        return judged(stack, logical_id, note=f"{how}; DeletionPolicy {policy} keeps the table and its data")
    return judged(stack, logical_id, [(f"{how}; DeletionPolicy {policy} deletes the table and its data",
                                       ("DeletionPolicy",))])


def evaluate(old: CheckedStack, new: CheckedStack | None, settings=None) -> list[Subject]:
    """Tables of OLD that NEW no longer has; NEW is None when OLD is a nested stack removed with its resource."""
    if new is None:
        return removed_with_nested_stack(old)
    old_tables, new_tables = tables_of(old), tables_of(new)
    by_name = {name: lid for lid, r in new_tables.items() for name in [table_name(r)] if isinstance(name, str)}
    removed = []
    for logical_id, resource in old_tables.items():
        if logical_id in new_tables:
            condition = new.stack.undecided.get(logical_id)
            if condition is not None:  # it stays only if a condition the input cannot decide holds
                removed.append(_maybe_removed(old, logical_id, resource, condition))
            continue
        name = table_name(resource)
        renamed = by_name.get(name) if isinstance(name, str) else None
        how = (f"its logical id changes to {renamed}: CloudFormation creates that table (which fails while the name "
               f"{name} exists) and removes this one") if renamed else "it is no longer in the template"
        removed.append(removal(old, logical_id, resource, how))
    return removed


def _maybe_removed(stack: CheckedStack, logical_id: str, resource: dict, condition: str) -> Subject:
    found = removal(stack, logical_id, resource, f"it stays in the stack only if its Condition {condition} holds, "
                                                 "which cannot be decided statically (give its parameters with "
                                                 "--parameters); if it does not")
    # a deletion that happens only if the condition is false is unknown, not a failure
    return dataclasses.replace(found, problems=tuple(Problem(p.message, p.path, unknown=True) for p in found.problems))


def table_name(resource: dict) -> str | None:
    """The table's name when it is literal text (an unresolved one names no table for sure)."""
    properties = resource.get("Properties")
    name = properties.get("TableName") if isinstance(properties, dict) else None
    return name if isinstance(name, str) else None


def removed_with_nested_stack(stack: CheckedStack) -> list[Subject]:
    """A nested stack whose resource leaves its parent is deleted, and every table in it that is not retained."""
    parent_resource = stack.stack.parent.template["Resources"].get(stack.stack.parent_logical_id) or {}
    if parent_resource.get("DeletionPolicy") in RETAINED:
        return []  # the nested stack itself is retained, and so is everything in it
    how = f"its nested stack {stack.stack.parent_logical_id} is removed from {stack.stack.parent.name}"
    return [removal(stack, logical_id, resource, how) for logical_id, resource in tables_of(stack).items()]


def across(removed: list[Subject], old: list[CheckedStack], new: list[CheckedStack], paired: dict[str, str]):
    """A removed table that NEW defines in another stack, or still uses by name, is a move: say which, and the
    safe path (retain here, then import there); retained and only used by name there, it passes."""
    defined = {name: stack.name for stack in new for name in _names(stack)}
    by_stack = {stack.name: stack for stack in old}
    reworded = []
    for subject in removed:
        resource = by_stack[subject.stack].resolved["Resources"].get(subject.logical_id) or {}
        name = table_name(resource)
        if name is None:
            reworded.append(subject)
            continue
        target = defined.get(name)
        users = [] if target else [stack.name for stack in new if _uses(stack, name)
                                   and stack.name != paired.get(subject.stack)]
        if target and target != paired.get(subject.stack):
            how = (f"table {name} moves to stack {target}: retain it here and deploy, then bring it into {target} with "
                   "`cdk import` (or a resource import change set); a plain deploy of the new stack fails while the "
                   "table exists")
        elif users:
            how = f"table {name} leaves the stack and stack {', '.join(users)} uses it by name (an import)"
        else:
            reworded.append(subject)
            continue
        reworded.append(removal(by_stack[subject.stack], subject.logical_id, resource, how))
    return reworded, []


def _names(stack: CheckedStack) -> list[str]:
    return [n for r in tables_of(stack).values() for n in [table_name(r)] if n is not None]


def _uses(stack: CheckedStack, name: str) -> bool:
    text = json.dumps(stack.resolved["Resources"], default=str)
    return f'"{name}"' in text or f"table/{name}\"" in text or f"table/{name}/" in text
