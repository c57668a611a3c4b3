"""DDB015 (low): a function role is allowed on a table that none of its functions names in its environment."""

from __future__ import annotations

from ddbguard.graph import Graph
from ddbguard.model import Evaluation
from ddbguard.registry import rule_of
from ddbguard.rules import table_variables, verdict

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(graph: Graph, config) -> list[Evaluation]:
    evaluations = []
    for role in graph.roles:
        functions = graph.functions_using(role)
        if not functions:
            continue
        granted = {t.name: t for t in graph.reachable_tables(role.statements)
                   if _explicit(t, role.statements)}
        if not granted:
            continue
        named = set()
        for function in functions:
            for value in table_variables(graph, function, config).values():
                table = graph.table_of(value, function.stack)
                named.add(table.name if table else None)
        unused = sorted(set(granted) - named)
        problems = [(f"role {role.logical_id} may use table{'s' if len(unused) > 1 else ''} {', '.join(unused)}, which "
                     f"no function using it ({', '.join(f.logical_id for f in functions)}) names in its environment",
                     ())] if unused else []
        evaluations.append(verdict(RULE.id, role.stack, role.logical_id, problems))
    return evaluations


def _explicit(table, statements) -> bool:
    """Granted by a statement that names the table (a Resource "*" grant is DDB012's business)."""
    return any(table.name in resource for s in statements for resource in s.resources)
