"""DDB034 plan: a table the input creates with an explicit name must not exist outside its stack (Issue 4)."""

from __future__ import annotations

import json

from ddbguard.kit.subjects import judged
from ddbguard.model import Subject
from ddbguard.templates.resolve import TABLE_TYPES



def evaluate(context, settings=None) -> list[Subject]:
    subjects = []
    for stack in context.top_level:
        owned = None
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") not in TABLE_TYPES:
                continue
            properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
            name = properties.get("TableName")
            path = ("Properties", "TableName")
            if name is None:
                continue  # CloudFormation generates a name that no table has yet
            if not isinstance(name, str) or "${" in name:
                shown = name if isinstance(name, str) else json.dumps(name, separators=(",", ":"))
                subjects.append(judged(stack, logical_id, unknown=[(
                    f"TableName is {shown}, which cannot be resolved statically, so whether a table of that name "
                    "exists cannot be looked up (give its parameters with --parameters)", path)]))
                continue
            live = context.lookups.table(name)
            if isinstance(live, str):
                subjects.append(judged(stack, logical_id, unknown=[(live, path)]))
                continue
            if live is None:
                subjects.append(judged(stack, logical_id, note="the name is free"))
                continue
            owned = context.lookups.stack_tables(stack.stack.stack_name) if owned is None else owned
            if isinstance(owned, str):
                subjects.append(judged(stack, logical_id, unknown=[(owned, path)]))
            elif name in owned:
                subjects.append(judged(stack, logical_id,
                                          note=f"{name} exists and stack {stack.stack.stack_name} manages it"))
            else:
                subjects.append(judged(stack, logical_id, [(
                    f"table {name} already exists in {context.lookups.region} and stack {stack.stack.stack_name} does "
                    "not manage it: creating it fails the deploy (import it instead)", path)]))
    return subjects
