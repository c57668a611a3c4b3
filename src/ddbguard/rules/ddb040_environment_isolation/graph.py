"""DDB040: a role in one environment is not granted a table of another (a dev function writing orders-prod)."""

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


def _own_environment(role, config) -> tuple[str | None, str]:
    """The role's environment and what tells it: its stack's name (a cloud assembly's, or --parameters'), else
    its RoleName. A template file's name is not a stack name and tells nothing."""
    stack_name = role.stack.stack.stack_name
    if environment_of(stack_name, config):
        return environment_of(stack_name, config), f"of stack {stack_name}"
    name = (role.stack.resolved["Resources"][role.logical_id].get("Properties") or {}).get("RoleName")
    if isinstance(name, str) and environment_of(name, config):
        return environment_of(name, config), f"named {name}"
    return None, ""


def evaluate(graph: Graph, config) -> list[Evaluation]:
    evaluations = []
    for role in graph.roles:
        own, told_by = _own_environment(role, config)
        granted: dict[str, list[tuple[str, str]]] = {}  # environment -> (table, the policy that grants it)
        for policy in role.policies:
            for table in sorted(graph.reachable_tables(policy.statements), key=lambda t: t.name):
                other = environment_of(table.name, config) or (
                    environment_of(table.stack.stack.stack_name, config) if table.stack else None)
                if other is not None:
                    granted.setdefault(other, []).append((table.name, policy.logical_id))
        if not granted or (own is None and len(granted) == 1):
            continue  # no table of an environment, or one environment and nothing to compare it with
        problems = []
        for other, tables in sorted(granted.items()):
            if other == own or own is None and other == min(granted):
                continue
            for name, policy in tables:
                whose = f" ({told_by}, environment {own})" if own else ""
                also = "" if own else f", and tables of environment {min(granted)} ({granted[min(granted)][0][0]})"
                problems.append((f"role {role.logical_id}{whose} is granted table {name} of environment {other}"
                                 + also + (f" (by {policy})" if policy != role.logical_id else ""), ()))
        evaluations.append(verdict(RULE.id, role.stack, role.logical_id, problems))
    return evaluations
