"""What every engine shares: the input it hands rules, and the one verdict builder that turns what a rule
found into evaluations."""

from __future__ import annotations

import json
import math

from ddbguard.catalog import Rule
from ddbguard.model import Evaluation, LiveResource, Problem, Severity, Status, Subject
from ddbguard.templates.model import CheckedStack


class EngineError(Exception):
    """An engine could not run at all (missing binary, crash): reported once, exit code 2."""


def engine_input(resolved: dict) -> str:
    """What cfn-guard and checkov read: the resources only, as UTF-8 JSON that every parser accepts
    (no NaN or Infinity, no escaped surrogate pairs)."""
    return json.dumps(engine_data(resolved), ensure_ascii=False)


def engine_data(resolved: dict) -> dict:
    """The resources of a resolved template as a fresh structure with no NaN or Infinity."""
    return {"Resources": _finite(resolved.get("Resources") or {})}


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def join_messages(messages) -> str:
    """All distinct reasons one resource failed a rule, in the order they were found."""
    return "; ".join(dict.fromkeys(m for m in messages if m))


def _message_of(problems: list) -> str:
    return (problems[0].message or "") if len(problems) == 1 else join_messages(p.message for p in problems)


def evaluation_of(rule_id: str, stack: str, logical_id: str, problems, engine: str, *,
                  live: LiveResource | None = None, severity: Severity | None = None,
                  waiver: str | None = None, note: str | None = None, notice: bool = False) -> Evaluation:
    """The one verdict builder: fail with every problem found, else unknown with every reason, else pass.
    `severity`: a failure graver or milder than the rule's default; `waiver`: why a failure is reported
    without failing the run; `note`: what a pass says instead of "compliant"; `notice`: a pass the reports show
    (at severity info)."""
    if problems:  # most evaluations find none
        failed = [p for p in problems if not p.unknown]
        if failed:
            return Evaluation(rule_id, stack, logical_id, Status.FAIL, _message_of(failed),
                              engine, failed[0].path, live=live, severity=severity, waiver=waiver)
        unknown = [p for p in problems if p.unknown]
        if unknown:
            return Evaluation(rule_id, stack, logical_id, Status.UNKNOWN, _message_of(unknown),
                              engine, unknown[0].path, live=live)
    # a pass, most verdicts: positional (tests/test_positional_fields.py): path, live, severity, waiver, notice
    return Evaluation(rule_id, stack, logical_id, Status.PASS, note or "compliant", engine, (), live,
                      Severity.INFO if notice else None, None, notice)


def evaluations_of(rule_id: str, subjects: list[Subject], engine: str) -> list[Evaluation]:
    """What a template rule returned (rules return Subjects), as the engine's evaluations of that rule."""
    return [evaluation_of(rule_id, s.stack, s.logical_id, s.problems, engine, severity=s.severity, waiver=s.waiver,
                          note=s.note, notice=s.notice) for s in subjects]


def live_evaluations_of(rule_id: str, subjects: list[Subject], account: str, region: str) -> list[Evaluation]:
    """What a live rule returned for one account and region, as evaluations located at each resource's ARN."""
    evaluations = []
    for s in subjects:
        where = s.region or region
        evaluations.append(evaluation_of(rule_id, f"{account}/{where}", s.logical_id, s.problems, "live",
                                         live=LiveResource(account, where, s.arn or "", s.logical_id),
                                         severity=s.severity, waiver=s.waiver, note=s.note))
    return evaluations


def evaluation(
    rule: Rule,
    stack: CheckedStack,
    logical_id: str,
    engine: str,
    *,
    failed: str | None = None,
    unknown: str | None = None,
    path: tuple = (),
) -> Evaluation:
    """A single verdict (what cfn-guard and checkov report), by the one verdict builder."""
    found = [Problem(unknown, path, unknown=True)] if unknown is not None else \
        [Problem(failed, path)] if failed is not None else []
    return evaluation_of(rule.id, stack.name, logical_id, found, engine)
