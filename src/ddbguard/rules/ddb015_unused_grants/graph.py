"""DDB015 (low): a function role is allowed on a table that none of its functions names in its environment."""

from __future__ import annotations

from ddbguard.arns import arn_pattern
from ddbguard.kit.graph import Graph
from ddbguard.model import Subject
from ddbguard.kit.environments import table_variables
from ddbguard.kit.subjects import judged



def evaluate(graph: Graph, settings) -> list[Subject]:
    subjects = []
    for role in graph.roles:
        functions = graph.functions_using(role)
        if not functions:
            continue
        reach = graph.reachable_tables(role.statements)
        granted = {t.name: t for t in _named(graph, role.statements) if t in reach}
        if not granted:
            continue
        named = set()
        for function in functions:
            for value in table_variables(graph, function, settings).values():
                table = graph.table_of(value, function.stack)
                named.add(table.name if table else None)
        unused = sorted(set(granted) - named)
        problems = [(f"role {role.logical_id} may use table{'s' if len(unused) > 1 else ''} {', '.join(unused)}, which "
                     f"no function using it ({', '.join(f.logical_id for f in functions)}) names in its environment",
                     ())] if unused else []
        subjects.append(judged(role.stack, role.logical_id, problems))
    return subjects


def _named(graph: Graph, statements) -> list:
    """The tables Allow statements name (a Resource that reaches tables of several names is DDB012's business)."""
    return [t for s in statements if s.effect == "Allow" for resource in s.resources
            if arn_pattern(resource).table_name for t in graph.tables_matching(resource)]
