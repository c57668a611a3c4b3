"""One registry of rule implementations: discovered from the rule folders, checked against the catalog.

A rule's folder holds one module per kind of implementation its catalog entry declares in `engines`:

| engine  | module                    | interface                                               |
|---------|---------------------------|---------------------------------------------------------|
| builtin | rules/<stem>/predicate.py | `problems(resource, settings) -> list[Problem]`               |
| graph   | rules/<stem>/graph.py     | `evaluate(graph, settings) -> list[Subject]`                  |
| live    | rules/<stem>/live.py      | `evaluate(snapshot, settings, now) -> list[Subject]`          |
| diff    | rules/<stem>/diff.py      | `evaluate(old, new, settings) -> list[Subject]` (a stack pair) |
| plan    | rules/<stem>/plan.py      | `evaluate(context, settings) -> list[Subject]` (live look-ups) |

(`guard` is the folder's rule.guard, run by cfn-guard; `checkov` runs the predicate through checkov.)
A rule returns what it found (Problems, Subjects) and never names itself: the engine that ran it builds the
evaluations. `settings` holds exactly the configuration settings the rule declares in rule.yaml, the same
way in every engine. Every command selects its rules here, and modules are imported once.
"""

from __future__ import annotations

import datetime as dt
import importlib
from functools import cache
from types import SimpleNamespace
TYPE_CHECKING = False  # typing's, without importing typing (2 ms of every run) for interfaces nothing checks at run time
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the interfaces below document what each kind of rule provides

from ddbguard.catalog import Rule, load_catalog
from ddbguard.model import Problem, Subject

MODULES = {"builtin": "predicate", "graph": "graph", "live": "live", "diff": "diff", "plan": "plan"}


class Predicate(Protocol):
    def __call__(self, resource: dict, settings: object = None) -> list[Problem]: ...


class GraphRule(Protocol):
    def evaluate(self, graph: object, settings: object) -> list[Subject]: ...


class LiveRule(Protocol):
    def evaluate(self, snapshot: object, settings: object, now: dt.datetime) -> list[Subject]: ...


class DiffRule(Protocol):
    LOCATED_IN: str  # "old" or "new": the template its findings point into

    def evaluate(self, old: object, new: object, settings: object) -> list[Subject]: ...


class PlanRule(Protocol):
    def evaluate(self, context: object, settings: object) -> list[Subject]: ...


@cache
def implementation(rule_id: str, engine: str):
    """The module that implements a rule for an engine (rules/<stem>/<module>.py)."""
    rule = load_catalog()[rule_id]
    if engine not in rule.engines:
        raise KeyError(f"{rule.id} declares no {engine} implementation")
    return importlib.import_module(f"ddbguard.rules.{rule.stem}.{MODULES[engine]}")


def predicate(rule: Rule) -> Predicate:
    return implementation(rule.id, "builtin").problems


def settings_for(rule: Rule, config) -> SimpleNamespace:
    """The settings a rule reads, and only those it declares in rule.yaml (`settings`): what every engine hands
    the rule, so that a rule cannot depend on a setting another engine does not pass."""
    return SimpleNamespace(**{name: getattr(config, name) for name in rule.settings})


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
