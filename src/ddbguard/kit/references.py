"""The tables an input names but does not define (imported tables: CDK's `Table.fromTableName`, an ARN in a
Resource, a variable's value, an `Fn::ImportValue` of another input's export), and who names them: the plan's
look-ups (DDB032, DDB033) and the diff's offline DDB034."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ddbguard.arns import arn_pattern
from ddbguard.kit.access import table_part
from ddbguard.kit.environments import table_variables
from ddbguard.kit.graph import Graph
from ddbguard.templates.model import CheckedStack, InputModel

_INDEX = re.compile(r"/index/([^/*?]+)$")


@dataclass(frozen=True)
class Reference:
    """A resource of the input naming a table that no stack of the input defines."""

    stack: CheckedStack
    logical_id: str  # the function or policy that names it
    name: str
    arn: str  # the table's ARN as named (a `*` place where only its name is known)
    index: str | None = None  # the index a Resource names (`table/orders/index/byDate`)


def graph_of(stacks: list[CheckedStack], external_exports: dict | None = None,
             declared_tables: dict | None = None) -> Graph:
    """The graph of stacks already read and resolved together (a model of their own, for pseudo parameters)."""
    return Graph(stacks, InputModel([s.stack for s in stacks], None, external_exports), declared_tables)


def imported_tables(graph: Graph, settings) -> list[Reference]:
    """Every naming of a table the input does not define: by a function's table variable, or by an IAM Resource
    that names one table (a pattern with wildcards names none)."""
    found = []
    for function in graph.functions:
        for value in table_variables(graph, function, settings).values():
            table = graph.table_of(value, function.stack)
            if table is not None and table.stack is None:
                found.append(Reference(function.stack, function.logical_id, table.name, table.arn))
    defined = {t.name for t in graph.tables.values() if t.stack}
    for policy in graph.policies:
        for statement in policy.statements:
            for resource in statement.resources:
                name = arn_pattern(resource).table_name
                if not name or name in defined:
                    continue
                index = _INDEX.search(resource.split(f":table/{name}", 1)[-1])
                found.append(Reference(policy.stack, policy.logical_id, name, table_part(resource, name),
                                       index.group(1) if index else None))
    return found
