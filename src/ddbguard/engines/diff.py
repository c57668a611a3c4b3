"""The diff engine: the diff rules (rules/<stem>/diff.py) on each stack pair of a change from OLD to NEW, then
what only the whole change shows (`across`). Rules return Subjects; this engine makes them evaluations."""

from __future__ import annotations

from ddbguard.engines.common import evaluations_of
from ddbguard.model import Evaluation, Subject
from ddbguard.registry import implementation, select_rules, settings_for
from ddbguard.templates.model import CheckedStack

Found = tuple[str, Subject]  # (rule id, what it found): a removal waits for `across` before it is an evaluation


def diff_rules(config) -> list:
    """The selected diff rules: (rule, its module rules/<stem>/diff.py)."""
    return [(rule, implementation(rule.id, "diff")) for rule in select_rules(config, ("diff",))]


def diff_stacks(old: CheckedStack, new: CheckedStack | None, config) -> tuple[list[Found], list[Evaluation]]:
    """(what is found in OLD: removed tables, evaluations located in NEW: changed tables). NEW is None for a
    nested stack whose resource leaves its parent: the stack is deleted with everything in it."""
    removed: list[Found] = []
    changed: list[Evaluation] = []
    for rule, module in diff_rules(config):
        found = module.evaluate(old, new, settings_for(rule, config))
        if module.LOCATED_IN == "old":
            removed += [(rule.id, subject) for subject in found]
        else:
            changed += evaluations_of(rule.id, found, "diff")
    return removed, changed


def across_stacks(removed: list[Found], old: list[CheckedStack], new: list[CheckedStack], paired: dict[str, str],
                  config) -> tuple[list[Evaluation], list[Evaluation]]:
    """What only the whole change shows (a table moving to another stack, an export another stack still
    imports, a table OLD imports that NEW creates): each diff rule's optional `across(removed, old, new, paired,
    settings)` (paired: OLD stack name -> the NEW stack it became) may reword its own removals (same order) and add subjects; returns (the removals located
    in OLD, the added evaluations located in NEW)."""
    by_rule: dict[str, list[Subject]] = {}
    for rule_id, subject in removed:
        by_rule.setdefault(rule_id, []).append(subject)
    added: list[Evaluation] = []
    for rule, module in diff_rules(config):
        if hasattr(module, "across"):
            by_rule[rule.id], more = module.across(by_rule.get(rule.id, []), old, new, paired,
                                                   settings_for(rule, config))
            added += evaluations_of(rule.id, more, "diff")
    reworded = {rule_id: iter(subjects) for rule_id, subjects in by_rule.items()}
    return [e for rule_id, _ in removed for e in evaluations_of(rule_id, [next(reworded[rule_id])], "diff")], added
