"""Run the cross-resource rules (src/ddbguard/rules/) over the graph of the whole input."""

from __future__ import annotations

from ddbguard.catalog import Rule, load_catalog
from ddbguard.config import Config
from ddbguard.engines.common import evaluations_of
from ddbguard.kit.graph import Graph
from ddbguard.model import Evaluation
from ddbguard.registry import implementation, settings_for
from ddbguard.templates.model import CheckedStack, InputModel


def run_graph(stacks: list[CheckedStack], model: InputModel, rules: list[Rule], config: Config) -> list[Evaluation]:
    rules = [rule for rule in rules if "graph" in rule.engines]
    if not rules or not stacks:
        return []
    graph = Graph(stacks, model, config.tables)
    evaluations = []
    for rule in rules:
        evaluations += run_graph_rule(rule.id, graph, config)
    return evaluations


def run_graph_rule(rule_id: str, graph: Graph, config: Config) -> list[Evaluation]:
    """One cross-resource rule on the graph, as evaluations (what the rule found, made verdicts here)."""
    found = implementation(rule_id, "graph").evaluate(graph, settings_for(load_catalog()[rule_id], config))
    return evaluations_of(rule_id, found, "graph")
