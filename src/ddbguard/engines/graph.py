"""Run the cross-resource rules (src/ddbguard/rules/) over the graph of the whole input."""

from __future__ import annotations

from ddbguard.catalog import Rule
from ddbguard.config import Config
from ddbguard.engines.common import CheckedStack
from ddbguard.graph import Graph
from ddbguard.model import Evaluation
from ddbguard.registry import implementation
from ddbguard.templates.model import InputModel


def run_graph(stacks: list[CheckedStack], model: InputModel, rules: list[Rule], config: Config) -> list[Evaluation]:
    rules = [rule for rule in rules if "graph" in rule.engines]
    if not rules or not stacks:
        return []
    graph = Graph(stacks, model, config.tables)
    evaluations = []
    for rule in rules:
        evaluations += implementation(rule.id, "graph").evaluate(graph, config)
    return evaluations
