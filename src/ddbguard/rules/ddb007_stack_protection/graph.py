"""DDB007 (cloud assemblies): a stack that owns tables, itself or through nested stacks, has termination
protection where deleting it would lose a table, or a legacy replica of one (`Custom::DynamoDBReplica`).
Reported at its first table (or the nested stack holding them), naming the stack. A stack whose tables are
all retained gets a low-severity note (they would be orphaned, not lost); one whose DeletionPolicy cannot be
read is unknown."""

from __future__ import annotations

from ddbguard.kit.graph import Graph, token
from ddbguard.kit.subjects import judged
from ddbguard.kit.values import LEGACY_REPLICA
from ddbguard.model import Severity, Subject, Unknown
from ddbguard.rules.ddb007_stack_protection.stake import ON_DELETE, ORPHANED, Replica, deleted, kept, orphaned, split
from ddbguard.templates.resolve import TABLE_TYPES

OFF = "termination protection is off"


def message(stack: str, tables: list[str]) -> str:
    """The failure: the tables that deleting the stack deletes."""
    return (f"{OFF} for stack {stack}, and one `delete-stack` deletes {deleted(tables)} (DeletionPolicy not Retain "
            "or RetainExceptOnCreate)")


def _kept_on_delete(resolved: dict, checked_stack, resource: dict) -> bool | Unknown:
    """The table's DeletionPolicy; or a nested stack resource on the way up that is retained (the nested stack,
    and so the table, outlives its parent's deletion). `resolved`: id(stack) -> its resolved template."""
    answer = kept(resource, *ON_DELETE)
    stack = checked_stack.stack
    while answer is not True and stack.parent is not None:
        template = resolved.get(id(stack.parent), stack.parent.template)
        if kept(template["Resources"].get(stack.parent_logical_id) or {}, *ON_DELETE) is True:
            return True
        stack = stack.parent
    return answer


def evaluate(graph: Graph, settings) -> list[Subject]:
    checked = {id(c.stack): c for c in graph.stacks}
    resolved = {id(c.stack): c.resolved for c in graph.stacks}
    owners: dict[int, tuple] = {}  # top stack -> (its CheckedStack, table name -> kept on delete, where to report)
    for checked_stack in graph.stacks:
        resources = checked_stack.resolved["Resources"]
        tables = sorted(logical_id for logical_id, _ in checked_stack.resources_of(TABLE_TYPES))
        replicas = sorted(logical_id for logical_id, _ in checked_stack.resources_of((LEGACY_REPLICA,)))
        if not tables and not replicas:
            continue
        top, holder = checked_stack.stack, (tables or replicas)[0]
        while top.parent is not None:  # a nested stack: the root stack is the one that can be protected
            holder, top = top.parent_logical_id, top.parent
        entry = owners.setdefault(id(top), (checked[id(top)], {}, holder if top is checked_stack.stack else None))
        resolver = graph.model.resolver(checked_stack.stack)

        def named(logical_id: str) -> str:
            name = resolver.table_name(logical_id)
            return logical_id if "${" in name else name

        for logical_id in tables:
            entry[1][named(logical_id)] = _kept_on_delete(resolved, checked_stack, resources[logical_id])
        for logical_id in replicas:
            properties = resources[logical_id].get("Properties") or {}
            table = properties.get("TableName")  # the table's Ref: resolved, its name, or its token when unnamed
            reference = token(table)
            table = named(reference[0]) if reference and reference[0] in resources else (
                table if isinstance(table, str) else logical_id)
            entry[1][Replica.of(table, properties.get("Region"))] = _kept_on_delete(
                resolved, checked_stack, resources[logical_id])
        if entry[2] is None:
            owners[id(top)] = (entry[0], entry[1], holder)
    subjects = []
    for top, tables, holder in owners.values():
        if top.stack.termination_protection is None:
            continue  # a template file cannot say; the audit checks the deployed stack
        if top.stack.termination_protection:
            subjects.append(judged(top, holder))
            continue
        lost, unknown, retained = split(tables)
        if lost:
            subjects.append(judged(top, holder, [(message(top.stack.stack_name, lost), ())]))
        elif unknown:
            subjects.append(judged(top, holder, unknown=[(f"{OFF} for stack {top.stack.stack_name}; {reason}", ())
                                                         for reason in unknown]))
        else:
            subjects.append(judged(top, holder, [(orphaned(OFF, top.stack.stack_name, retained), ())],
                                   severity=Severity.LOW, waiver=ORPHANED))
    return subjects
