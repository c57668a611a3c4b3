"""The reader's own verdicts: each construct the template reader does not model is a DDB009 finding (unknown).

What such a construct could change is made unknown by the join step (join.declare_not_modelled), so that a
suppression of the construct, which declares it harmless, can lift that again.
"""

from __future__ import annotations

from ddbguard.catalog import Rule
from ddbguard.engines.common import evaluation_of
from ddbguard.templates.model import CheckedStack
from ddbguard.model import Evaluation, Problem


def run_reader(stacks: list[CheckedStack], rules: list[Rule]) -> list[Evaluation]:
    rule = next((rule for rule in rules if "reader" in rule.engines), None)
    if rule is None:
        return []
    evaluations = []
    for stack in stacks:
        by_subject: dict[str, list[Problem]] = {}
        for record in stack.stack.not_modelled:
            by_subject.setdefault(record.logical_id, []).append(
                Problem(f"{record.construct}: {record.effect}", record.path, unknown=True))
        evaluations += [evaluation_of(rule.id, stack.name, logical_id, problems, "reader")
                        for logical_id, problems in by_subject.items()]
    return evaluations
