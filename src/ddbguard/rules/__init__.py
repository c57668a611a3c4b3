"""Cross-resource rules: pure functions of the Graph (and the configuration) that return evaluations.

Each module is named by its rule's stem and exposes `evaluate(graph, config) -> list[Evaluation]`.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from ddbguard.engines.common import CheckedStack
from ddbguard.model import Evaluation, Status

DEFAULT_TABLE_VARIABLES = ("*_TABLE", "*_TABLE_NAME", "TABLE_NAME")


def verdict(rule_id: str, stack: CheckedStack, logical_id: str, problems: list[tuple[str, tuple]],
            unknown: list[tuple[str, tuple]] | None = None, *, engine: str = "graph") -> Evaluation:
    """One evaluation for one subject: fail with every problem, else unknown with every reason, else pass."""
    if problems:
        return Evaluation(rule_id, stack.name, logical_id, Status.FAIL, "; ".join(dict.fromkeys(m for m, _ in problems)),
                          engine, problems[0][1])
    if unknown:
        return Evaluation(rule_id, stack.name, logical_id, Status.UNKNOWN, "; ".join(dict.fromkeys(m for m, _ in unknown)),
                          engine, unknown[0][1])
    return Evaluation(rule_id, stack.name, logical_id, Status.PASS, "compliant", engine)


def names_a_table(variable: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(variable, pattern) for pattern in patterns)


def table_variables(graph, function, config) -> dict[str, object]:
    """The environment variables of a function that name a table: by their name (the configured
    patterns), or by their value, when it is the name or ARN of a table the input defines
    (`DatabaseTable: !Ref Orders` names a table whatever the variable is called)."""
    patterns = tuple(config.table_variables or DEFAULT_TABLE_VARIABLES)
    return {name: value for name, value in function.variables.items()
            if names_a_table(str(name), patterns) or graph.defines_table(value)}
