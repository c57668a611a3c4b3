"""Run the cross-resource rules (src/ddbguard/rules/) over the graph of the whole input."""

from __future__ import annotations

import importlib

from ddbguard.catalog import Rule
from ddbguard.config import Config
from ddbguard.engines.common import CheckedStack
from ddbguard.graph import Graph
from ddbguard.model import Evaluation
from ddbguard.templates.model import InputModel


def run_graph(stacks: list[CheckedStack], model: InputModel, rules: list[Rule], config: Config) -> list[Evaluation]:
    rules = [rule for rule in rules if "graph" in rule.engines]
    if not rules or not stacks:
        return []
    graph = Graph(stacks, model, config.tables)
    evaluations = []
    for rule in rules:
        module = importlib.import_module(f"ddbguard.rules.{rule.stem}.graph")
        evaluations += module.evaluate(graph, config)
    return evaluations
