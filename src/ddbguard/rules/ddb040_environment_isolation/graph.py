"""DDB040: an identity in one environment is not granted a table of another (a dev function writing orders-prod)."""

from __future__ import annotations

import fnmatch
import re

from ddbguard.kit.graph import Graph
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged


# the usual words, and the one environment each means
DEFAULT_WORDS = {"dev": "dev", "development": "dev", "test": "test", "testing": "test", "qa": "qa", "uat": "uat",
                 "stage": "staging", "staging": "staging", "stg": "staging", "prod": "prod", "production": "prod",
                 "prd": "prod", "sandbox": "sandbox"}
_SEGMENTS = re.compile(r"[-_./:]+")


def environment_of(name: str | None, settings) -> str | None:
    """The environment a stack or table name belongs to, or None when it names none (or several)."""
    if not name or "${" in name:
        return None
    mapping = getattr(settings, "environments", None) or {}
    if mapping:
        found = {env for env, patterns in mapping.items() for pattern in patterns if fnmatch.fnmatchcase(name, pattern)}
        return found.pop() if len(found) == 1 else None
    values = (settings.naming or {}).get("values", {}).get("environment")
    words = {str(v).lower(): str(v).lower() for v in values} if values else DEFAULT_WORDS
    found = {words[segment] for segment in _SEGMENTS.split(name.lower()) if segment in words}
    return found.pop() if len(found) == 1 else None


def _own_environment(identity, settings) -> tuple[str | None, str]:
    """The identity's environment and what tells it: its stack's name (a cloud assembly's, or --parameters'), else
    its own name (RoleName, UserName, ...). A template file's name is not a stack name and tells nothing."""
    stack_name = identity.stack.stack.stack_name
    if (environment := environment_of(stack_name, settings)) is not None:
        return environment, f"of stack {stack_name}"
    if (environment := environment_of(identity.name, settings)) is not None:
        return environment, f"named {identity.name}"
    return None, ""


def _environments(tables, settings) -> dict[str, list[str]]:
    """environment -> the names of the tables that belong to it, by their name or their stack's."""
    found: dict[str, list[str]] = {}
    for table in sorted(tables, key=lambda t: t.name):
        environment = environment_of(table.name, settings) or (
            environment_of(table.stack.stack.stack_name, settings) if table.stack else None)
        if environment is not None:
            found.setdefault(environment, []).append(table.name)
    return found


def evaluate(graph: Graph, settings) -> list[Subject]:
    key = repr(sorted(vars(settings).items()))  # what the derived environments depend on
    subjects = []
    for identity in graph.identities:
        own, told_by = _own_environment(identity, settings)
        granted: dict[str, list[tuple[str, list[str]]]] = {}  # environment -> (policy, its tables there)
        for policy in identity.policies:
            # computed once for every identity with the same statements, whatever their number
            environments = graph.reachable_tables(policy.statements).derive(
                ("environments", key), lambda tables: _environments(tables, settings))
            for environment, names in environments.items():
                granted.setdefault(environment, []).append((policy.logical_id, names))
        if not granted or (own is None and len(granted) == 1):
            continue  # no table of an environment, or one environment and nothing to compare it with
        problems = []
        for other, by_policy in sorted(granted.items()):
            if other == own or own is None and other == min(granted):
                continue
            for policy, names in by_policy:
                for name in names:
                    whose = f" ({told_by}, environment {own})" if own else ""
                    also = "" if own else \
                        f", and tables of environment {min(granted)} ({granted[min(granted)][0][1][0]})"
                    problems.append((f"{identity.describe()}{whose} is granted table {name} of environment {other}"
                                     + also + (f" (by {policy})" if policy != identity.logical_id else ""), ()))
        subjects.append(judged(identity.stack, identity.logical_id, problems))
    return subjects
