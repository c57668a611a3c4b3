"""What a change from OLD to NEW replaces: the tables of a stack, and the property changes of a table that
force CloudFormation to replace it (create-only properties of the registry schemas and the resource
reference's "Replacement" ones). Shared by the diff and plan rules."""

from __future__ import annotations

import json

from ddbguard.templates.modelled import replacement_properties
from ddbguard.templates.model import CheckedStack
from ddbguard.templates.resolve import TABLE_TYPES, has_symbol, has_unresolved, is_intrinsic


def tables_of(stack: CheckedStack) -> dict[str, dict]:
    return {lid: r for lid, r in stack.resolved["Resources"].items() if r.get("Type") in TABLE_TYPES}


def _short(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str) if value is not None else "(none)"


def replacement_changes(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(changes that make CloudFormation replace the table, changes whose effect cannot be told), each as
    'what: old -> new'. The properties come from the registry schemas' createOnlyProperties and the resource
    reference (templates/closed_world.replacement_properties); a value that did not resolve on either side
    (unless both sides are the same expression) cannot be told."""
    old_p, new_p = _properties(old), _properties(new)
    changes, unknown = [], []
    for key in replacement_properties(str(new.get("Type"))):
        before, after = old_p.get(key), new_p.get(key)
        if before == after:
            continue
        change = f"{key}: {_short(before)} -> {_short(after)}"
        (unknown if has_unresolved(before) or has_unresolved(after) or has_symbol(before) or has_symbol(after)
         else changes).append(change)
    keys = {k.get("AttributeName") for k in _items(old_p.get("KeySchema")) + _items(new_p.get("KeySchema"))}
    for index in _items(old_p.get("LocalSecondaryIndexes")) + _items(new_p.get("LocalSecondaryIndexes")):
        keys |= {k.get("AttributeName") for k in _items(index.get("KeySchema"))}

    def types(properties):
        return {a.get("AttributeName"): a.get("AttributeType") for a in _items(properties.get("AttributeDefinitions"))
                if isinstance(a.get("AttributeName"), str) and a.get("AttributeName") in keys}

    old_types, new_types = types(old_p), types(new_p)
    for name in sorted(n for n in keys if isinstance(n, str) and n in old_types and n in new_types
                       and old_types[n] != new_types[n]):
        change = f"type of key attribute {name}: {old_types[name]} -> {new_types[name]}"
        (unknown if has_unresolved(old_types[name]) or has_unresolved(new_types[name]) else changes).append(change)
    return changes, unknown


def _properties(resource: dict) -> dict:
    properties = resource.get("Properties")
    return properties if isinstance(properties, dict) and not is_intrinsic(properties) else {}


def _items(value: object) -> list[dict]:
    """The mappings of a list value (an unresolved list, or items that are not mappings, give none)."""
    return [item for item in value if isinstance(item, dict) and not is_intrinsic(item)] \
        if isinstance(value, list) else []
