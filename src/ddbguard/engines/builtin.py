"""The built-in engine: each rule's Python predicate, in-process. No binary, no Node.js, no checkov."""

from __future__ import annotations

from ddbguard.catalog import Rule
from ddbguard.config import Config
from ddbguard.engines.common import applicable_resources, evaluation_of
from ddbguard.templates.model import CheckedStack
from ddbguard.model import Evaluation
from ddbguard.registry import predicate, settings_for


def run_builtin(stacks: list[CheckedStack], rules: list[Rule], config: Config) -> list[Evaluation]:
    evaluations = []
    applicable: dict[tuple[int, tuple[str, ...]], list[str]] = {}  # most rules judge the same types: found once
    for rule in (rule for rule in rules if "builtin" in rule.engines):
        problems, settings = predicate(rule), settings_for(rule, config)
        for index, stack in enumerate(stacks):
            resources, name = stack.resolved["Resources"], stack.name
            judged = applicable.get((index, rule.resource_types))
            if judged is None:
                judged = applicable[index, rule.resource_types] = applicable_resources(stack.resolved, rule)
            evaluations += [evaluation_of(rule.id, name, logical_id, problems(resources[logical_id], settings),
                                          "builtin") for logical_id in judged]
    return evaluations
