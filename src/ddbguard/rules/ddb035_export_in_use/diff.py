"""DDB035 diff: an export OLD defines and NEW removes (or renames) is still imported by a stack of NEW."""

from __future__ import annotations

from ddbguard.templates.model import CheckedStack
from ddbguard.kit.subjects import judged
from ddbguard.model import Subject
from ddbguard.kit.values import import_values

LOCATED_IN = "old"  # evaluate() judges no single stack pair; across() reports at the importing resource in NEW


def evaluate(old: CheckedStack, new: CheckedStack | None, settings=None) -> list[Subject]:
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


def across(removed: list[Subject], old: list[CheckedStack], new: list[CheckedStack], paired: dict[str, str],
           settings=None):
    kept = {name for stack in new for name in _exports(stack)}
    gone = {name: stack.name for stack in old for name in _exports(stack) if name not in kept}
    subjects = []
    for stack in new:
        for logical_id, resource in stack.resolved["Resources"].items():
            imported = [(name, path) for name, path in import_values(resource) if isinstance(name, str) and name in gone]
            if imported:
                names = sorted({name for name, _ in imported})
                subjects.append(judged(stack, logical_id, [(
                    f"imports {', '.join(names)}, which stack {gone[names[0]]} no longer exports: CloudFormation "
                    "refuses to remove an export in use (the exporting stack's deploy fails), or this stack loses "
                    "its table when deployed first", ())]))
    return removed, subjects
