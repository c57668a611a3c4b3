"""DDB032 plan: every table the input uses but does not define (an import) exists in the target account."""

from __future__ import annotations

from ddbguard.model import Evaluation
from ddbguard.registry import rule_of
from ddbguard.rules import verdict

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(context) -> list[Evaluation]:
    evaluations = []
    for (_, logical_id), (stack, tables) in context.imported_tables().items():
        missing, unknown = [], []
        for name in sorted(tables):
            live = context.lookups.table(name)
            if isinstance(live, str):
                unknown.append((live, ()))
            elif live is None:
                missing.append((f"table {name} does not exist in {context.lookups.region} (the deploy succeeds, every "
                                "call fails)", ()))
        evaluations.append(verdict(RULE.id, stack, logical_id, missing, unknown, engine="plan"))
    return evaluations
