"""Which environment variables of a function name a table (DDB011, DDB014, DDB040 and the plan's look-ups)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

DEFAULT_TABLE_VARIABLES = ("*_TABLE", "*_TABLE_NAME", "TABLE_NAME")


@lru_cache(maxsize=4096)  # the same few variable names, for every function, by three rules
def names_a_table(variable: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(variable, pattern) for pattern in patterns)


def table_variables(graph, function, config) -> dict[str, object]:
    """The environment variables of a function that name a table: by their name (the configured
    patterns), or by their value, when it is the name or ARN of a table the input defines
    (`DatabaseTable: !Ref Orders` names a table whatever the variable is called)."""
    patterns = tuple(config.table_variables or DEFAULT_TABLE_VARIABLES)
    return {name: value for name, value in function.variables.items()
            if names_a_table(str(name), patterns) or graph.defines_table(value)}
