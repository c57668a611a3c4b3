"""DDB035 diff: an export OLD defines and NEW removes (or renames) is still imported by a stack of NEW."""

from __future__ import annotations

from ddbguard.engines.common import CheckedStack
from ddbguard.model import Evaluation, Status
from ddbguard.registry import rule_of
from ddbguard.rules.ddb014_cross_stack_imports.graph import import_values

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog
LOCATED_IN = "old"  # evaluate() judges no single stack pair; across() reports at the importing resource in NEW


def evaluate(old: CheckedStack, new: CheckedStack | None) -> list[Evaluation]:
    return []  # only the whole change shows it: see across()


def _exports(stack: CheckedStack) -> dict[str, str]:
    """export name -> output logical id."""
    outputs = stack.resolved.get("Outputs") or {}
    found = {}
    for logical_id, output in outputs.items() if isinstance(outputs, dict) else []:
        name = ((output or {}).get("Export") or {}).get("Name") if isinstance(output, dict) else None
        if isinstance(name, str):
            found[name] = logical_id
    return found


def across(removed: list[Evaluation], old: list[CheckedStack], new: list[CheckedStack], paired: dict[str, str]):
    kept = {name for stack in new for name in _exports(stack)}
    gone = {name: stack.name for stack in old for name in _exports(stack) if name not in kept}
    evaluations = []
    for stack in new:
        for logical_id, resource in stack.resolved["Resources"].items():
            imported = [(name, path) for name, path in import_values(resource) if isinstance(name, str) and name in gone]
            if imported:
                names = sorted({name for name, _ in imported})
                evaluations.append(Evaluation(
                    RULE.id, stack.name, logical_id, Status.FAIL,
                    f"imports {', '.join(names)}, which stack {gone[names[0]]} no longer exports: CloudFormation "
                    "refuses to remove an export in use (the exporting stack's deploy fails), or this stack loses "
                    "its table when deployed first", "diff"))
    return removed, evaluations
