"""DDB017 (off by default): table names follow the configured pattern, such as
`{project}-{resource}-{environment}`."""

from __future__ import annotations

import re

from ddbguard.kit.graph import Graph
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged


DEFAULT_PATTERN = "{project}-{resource}-{environment}"
_WORDS = r"[a-z0-9]+(?:-[a-z0-9]+)*"


def compile_pattern(pattern: str, values: dict[str, list[str]]) -> re.Pattern:
    """`{name}` is one or more lower-case words, or one of `values[name]` when given."""
    parts = re.split(r"\{([a-z_]+)\}", pattern)
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        elif part in values:
            regex += f"(?P<{part}>" + "|".join(re.escape(v) for v in values[part]) + ")"
        else:
            regex += f"(?P<{part}>{_WORDS}?)"
    return re.compile(regex)


def evaluate(graph: Graph, settings) -> list[Subject]:
    naming = settings.naming or {}
    pattern = naming.get("pattern", DEFAULT_PATTERN)
    regex = compile_pattern(pattern, naming.get("values", {}))
    subjects = []
    for table in graph.tables.values():
        if table.stack is None:
            continue
        path = ("Properties", "TableName")
        if table.name.startswith("${"):
            problems = [(f"the table has no TableName (CloudFormation generates one), so it cannot follow {pattern}", ())]
        elif not regex.fullmatch(table.name):
            problems = [(f"table name {table.name} does not follow {pattern}", path)]
        else:
            problems = []
        subjects.append(judged(table.stack, table.logical_id, problems))
    return subjects
