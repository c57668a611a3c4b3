"""One registry of rule implementations: discovered from the rule folders, checked against the catalog.

A rule's folder holds one module per kind of implementation its catalog entry declares in `engines`:

| engine  | module                    | interface                                               |
|---------|---------------------------|---------------------------------------------------------|
| builtin | rules/<stem>/predicate.py | `problems(resource, config) -> list[Problem]`           |
| graph   | rules/<stem>/graph.py     | `evaluate(graph, config) -> list[Evaluation]`           |
| live    | rules/<stem>/live.py      | `evaluate(snapshot, config, now) -> list[Evaluation]`   |
| diff    | rules/<stem>/diff.py      | `evaluate(old, new) -> list[Evaluation]` (a stack pair) |
| plan    | rules/<stem>/plan.py      | `evaluate(context) -> list[Evaluation]` (live look-ups) |

(`guard` is the folder's rule.guard, run by cfn-guard; `checkov` runs the predicate through checkov.)
Every command selects its rules here, the same way, and modules are imported once.
"""

from __future__ import annotations

import datetime as dt
import importlib
from functools import cache
from typing import Protocol

from ddbguard.catalog import Rule, load_catalog
from ddbguard.model import Evaluation, Problem

MODULES = {"builtin": "predicate", "graph": "graph", "live": "live", "diff": "diff", "plan": "plan"}


class Predicate(Protocol):
    def __call__(self, resource: dict, config: object = None) -> list[Problem]: ...


class GraphRule(Protocol):
    def evaluate(self, graph: object, config: object) -> list[Evaluation]: ...


class LiveRule(Protocol):
    def evaluate(self, snapshot: object, config: object, now: dt.datetime) -> list[Evaluation]: ...


class DiffRule(Protocol):
    LOCATED_IN: str  # "old" or "new": the template its findings point into

    def evaluate(self, old: object, new: object) -> list[Evaluation]: ...


class PlanRule(Protocol):
    def evaluate(self, context: object) -> list[Evaluation]: ...


@cache
def implementation(rule_id: str, engine: str):
    """The module that implements a rule for an engine (rules/<stem>/<module>.py)."""
    rule = load_catalog()[rule_id]
    if engine not in rule.engines:
        raise KeyError(f"{rule.id} declares no {engine} implementation")
    return importlib.import_module(f"ddbguard.rules.{rule.stem}.{MODULES[engine]}")


def predicate(rule: Rule) -> Predicate:
    return implementation(rule.id, "builtin").problems


def rule_of(package: str) -> Rule:
    """The rule whose folder is `package` (`ddbguard.rules.<stem>`): how a rule module knows its own id."""
    stem = package.rsplit(".", 1)[-1]
    return next(rule for rule in load_catalog().values() if rule.stem == stem)


def select_rules(config, engines: tuple[str, ...]) -> list[Rule]:
    """The rules a run applies: implemented by one of `engines`, enabled (by default or by the
    configuration) and not disabled, or enabled by a profile. The one rule selection of check, audit,
    diff and plan."""
    from ddbguard.profiles import enabled_somewhere

    return [
        rule for rule in load_catalog().values()
        if any(engine in rule.engines for engine in engines) and (
            (rule.id not in config.disabled_rules and (rule.enabled_by_default or rule.id in config.enabled_rules))
            or enabled_somewhere(rule.id, config.profiles))  # a profile's scope is applied to the findings
    ]
