"""DDB034 plan: a table the input creates with an explicit name must not exist outside its stack (Issue 4)."""

from __future__ import annotations

import json

from ddbguard.model import Evaluation, Status
from ddbguard.registry import rule_of
from ddbguard.templates.resolve import TABLE_TYPES

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(context) -> list[Evaluation]:
    evaluations = []
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
                evaluations.append(Evaluation(RULE.id, stack.name, logical_id, Status.UNKNOWN,
                                              f"TableName is {shown}, which cannot be resolved statically, so whether a "
                                              "table of that name exists cannot be looked up (give its parameters "
                                              "with --parameters)", "plan", path))
                continue
            live = context.lookups.table(name)
            if isinstance(live, str):
                evaluations.append(Evaluation(RULE.id, stack.name, logical_id, Status.UNKNOWN, live, "plan", path))
                continue
            if live is None:
                evaluations.append(Evaluation(RULE.id, stack.name, logical_id, Status.PASS, "the name is free", "plan"))
                continue
            owned = context.lookups.stack_tables(stack.stack.stack_name) if owned is None else owned
            if isinstance(owned, str):
                evaluations.append(Evaluation(RULE.id, stack.name, logical_id, Status.UNKNOWN, owned, "plan", path))
            elif name in owned:
                evaluations.append(Evaluation(RULE.id, stack.name, logical_id, Status.PASS,
                                              f"{name} exists and stack {stack.stack.stack_name} manages it", "plan"))
            else:
                evaluations.append(Evaluation(
                    RULE.id, stack.name, logical_id, Status.FAIL,
                    f"table {name} already exists in {context.lookups.region} and stack {stack.stack.stack_name} does "
                    "not manage it: creating it fails the deploy (import it instead)", "plan", path))
    return evaluations
