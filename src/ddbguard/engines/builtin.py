"""The built-in engine: each rule's Python predicate, in-process. No binary, no Node.js, no checkov."""

from __future__ import annotations

from ddbguard.catalog import Rule
from ddbguard.config import Config
from ddbguard.engines.common import evaluation_of
from ddbguard.templates.model import CheckedStack
from ddbguard.model import Evaluation
from ddbguard.registry import predicate, settings_for


def run_builtin(stacks: list[CheckedStack], rules: list[Rule], config: Config) -> list[Evaluation]:
    evaluations = []
    for rule in (rule for rule in rules if "builtin" in rule.engines):
        problems, settings = predicate(rule), settings_for(rule, config)
        for stack in stacks:
            name = stack.name
            evaluations += [evaluation_of(rule.id, name, logical_id, problems(resource, settings), "builtin")
                            for logical_id, resource in stack.resources_of(rule.resource_types)]
    return evaluations
