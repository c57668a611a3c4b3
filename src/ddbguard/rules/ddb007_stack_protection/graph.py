"""DDB007 (cloud assemblies): a stack that owns tables, itself or through nested stacks, has termination
protection. Reported at its first table (or the nested stack holding them), naming the stack."""

from __future__ import annotations

from ddbguard.kit.graph import Graph
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged
from ddbguard.templates.resolve import TABLE_TYPES



def message(stack: str, tables: list[str]) -> str:
    return (f"termination protection is off for stack {stack}, which owns table{'s' if len(tables) > 1 else ''} "
            f"{', '.join(tables)}: one `delete-stack` deletes every table of it that is not retained")


def evaluate(graph: Graph, settings) -> list[Subject]:
    checked = {id(c.stack): c for c in graph.stacks}
    owners: dict[int, tuple] = {}  # top stack -> (its CheckedStack, tables, where to report)
    for checked_stack in graph.stacks:
        tables = sorted(logical_id for logical_id, resource in checked_stack.resolved["Resources"].items()
                        if resource.get("Type") in TABLE_TYPES)
        if not tables:
            continue
        top, holder = checked_stack.stack, tables[0]
        while top.parent is not None:  # a nested stack: the root stack is the one that can be protected
            holder, top = top.parent_logical_id, top.parent
        entry = owners.setdefault(id(top), (checked[id(top)], [], holder if top is checked_stack.stack else None))
        resolver = graph.model.resolver(checked_stack.stack)
        entry[1].extend(name if "${" not in name else t for t in tables for name in [resolver.table_name(t)])
        if entry[2] is None:
            owners[id(top)] = (entry[0], entry[1], holder)
    subjects = []
    for top, tables, holder in owners.values():
        if top.stack.termination_protection is None:
            continue  # a template file cannot say; the audit checks the deployed stack
        problems = [] if top.stack.termination_protection else [(message(top.stack.stack_name, sorted(tables)), ())]
        subjects.append(judged(top, holder, problems))
    return subjects
