"""DDB040: an identity in one environment is not granted a table of another (a dev function writing orders-prod)."""

from __future__ import annotations

import fnmatch
import re

from ddbguard.graph import Graph
from ddbguard.model import Evaluation
from ddbguard.registry import rule_of
from ddbguard.rules import verdict

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog

# the usual words, and the one environment each means
DEFAULT_WORDS = {"dev": "dev", "development": "dev", "test": "test", "testing": "test", "qa": "qa", "uat": "uat",
                 "stage": "staging", "staging": "staging", "stg": "staging", "prod": "prod", "production": "prod",
                 "prd": "prod", "sandbox": "sandbox"}
_SEGMENTS = re.compile(r"[-_./:]+")


def environment_of(name: str | None, config) -> str | None:
    """The environment a stack or table name belongs to, or None when it names none (or several)."""
    if not name or "${" in name:
        return None
    mapping = getattr(config, "environments", None) or {}
    if mapping:
        found = {env for env, patterns in mapping.items() for pattern in patterns if fnmatch.fnmatchcase(name, pattern)}
        return found.pop() if len(found) == 1 else None
    values = (config.naming or {}).get("values", {}).get("environment")
    words = {str(v).lower(): str(v).lower() for v in values} if values else DEFAULT_WORDS
    found = {words[segment] for segment in _SEGMENTS.split(name.lower()) if segment in words}
    return found.pop() if len(found) == 1 else None


def _environments(tables, config) -> dict[str, list[str]]:
    """environment -> the names of the tables that belong to it, by their name or their stack's."""
    found: dict[str, list[str]] = {}
    for table in sorted(tables, key=lambda t: t.name):
        environment = environment_of(table.name, config) or (
            environment_of(table.stack.stack.stack_name, config) if table.stack else None)
        if environment is not None:
            found.setdefault(environment, []).append(table.name)
    return found


def evaluate(graph: Graph, config) -> list[Evaluation]:
    evaluations = []
    for identity in graph.identities:
        own = environment_of(identity.stack.stack.stack_name, config)
        if own is None:
            continue
        judged, problems = False, []
        for policy in identity.policies:
            # computed once for every identity with the same statements, whatever their number
            environments = graph.reachable_tables(policy.statements).derive(
                ("environments", id(config)), lambda tables: _environments(tables, config))
            judged |= bool(environments)
            problems += [(f"{identity.describe()} of stack {identity.stack.stack.stack_name} (environment {own}) is "
                          f"granted table {name} of environment {other}"
                          + (f" (by {policy.logical_id})" if policy.logical_id != identity.logical_id else ""), ())
                         for other, names in environments.items() if other != own for name in names]
        if judged:
            evaluations.append(verdict(RULE.id, identity.stack, identity.logical_id, problems))
    return evaluations
