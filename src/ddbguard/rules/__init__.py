"""The rules: one folder per rule (rules/<stem>/, see registry.py for what each holds), and what the
cross-resource and plan rules share."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ddbguard.engines.common import CheckedStack, evaluation_of
from ddbguard.model import Evaluation, Problem

DEFAULT_TABLE_VARIABLES = ("*_TABLE", "*_TABLE_NAME", "TABLE_NAME")


def verdict(rule_id: str, stack: CheckedStack, logical_id: str, problems: list[tuple[str, tuple]],
            unknown: list[tuple[str, tuple]] | None = None, *, engine: str = "graph") -> Evaluation:
    """One evaluation for one subject from (message, path) pairs, by the one verdict builder."""
    found = [Problem(m, p) for m, p in problems] + [Problem(m, p, unknown=True) for m, p in unknown or []]
    return evaluation_of(rule_id, stack.name, logical_id, found, engine)


def names_a_table(variable: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(variable, pattern) for pattern in patterns)


def table_variables(graph, function, config) -> dict[str, object]:
    """The environment variables of a function that name a table: by their name (the configured
    patterns), or by their value, when it is the name or ARN of a table the input defines
    (`DatabaseTable: !Ref Orders` names a table whatever the variable is called)."""
    patterns = tuple(config.table_variables or DEFAULT_TABLE_VARIABLES)
    return {name: value for name, value in function.variables.items()
            if names_a_table(str(name), patterns) or graph.defines_table(value)}
