"""The examples of the rule pages (docs/rules/<ID>.md, from each rule's examples/) are true: each CloudFormation
bad example fails exactly its rule and nothing else, and each good one passes every rule (the builtin engine,
with the rule turned on when it is off by default). A diff rule's examples are changes of its old.yaml; a
context.yaml is another stack of the same app, checked in the same run.
The CDK examples are proven in tests/test_rule_examples_cdk.py."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import RULES_DIR
from ddbguard.catalog import load_catalog
from ddbguard.commands.check import CheckOptions, run_check
from ddbguard.commands.diff import run_diff
from ddbguard.config import parse_config
from ddbguard.model import Status

RULES = sorted(load_catalog().values(), key=lambda rule: rule.id)
WITH_TEMPLATES = [rule for rule in RULES if (RULES_DIR / rule.stem / "examples" / "bad.yaml").is_file()]
NOT_PASSING = {Status.FAIL, Status.UNKNOWN}
# What a bad example also leaves unjudged, by its nature: an import that no stack exports leaves the grant it is
# in unresolved, so DDB012 cannot judge that grant either (unknown, saying so). Its page says it too.
ALSO_UNKNOWN = {"DDB014": {"DDB012": {"AnalystRole"}}}


def _app(target: Path, stack: Path, context: Path) -> str:
    """A directory of the example's stack and, when it has one, the other stack of its app."""
    target.mkdir()
    shutil.copy(stack, target / "stack.yaml")
    if context.is_file():
        shutil.copy(context, target / "context.yaml")
    return str(target)


def not_passing(rule_id: str, new: str, old: str | None = None) -> dict[str, set[str]]:
    """{rule id: {logical ids}} of every finding that is a failure or unknown: of `ddbguard check NEW`, or of
    `ddbguard diff OLD NEW`, with the rule turned on."""
    config = parse_config({"rules": {rule_id: {"enabled": True}}}, source="test")
    if old is not None:
        report = run_diff([old], [new], config, today=dt.date(2026, 1, 1))
    else:
        report = run_check(CheckOptions(paths=[new], today=dt.date(2026, 1, 1)), config)
    assert report.errors == []
    verdicts: dict[str, set[str]] = {}
    for finding in report.findings:
        if finding.status in NOT_PASSING:
            verdicts.setdefault(finding.rule_id, set()).add(finding.logical_id)
    return verdicts


def _verdicts(rule, example: str, scratch: Path) -> dict[str, set[str]]:
    folder = RULES_DIR / rule.stem / "examples"
    context = folder / "context.yaml"
    old = _app(scratch / "old", folder / "old.yaml", context) if (folder / "old.yaml").is_file() else None
    # OLD and NEW pair their stacks by file name: the same in both
    return not_passing(rule.id, _app(scratch / "new", folder / example, context), old)


@pytest.mark.parametrize("rule", WITH_TEMPLATES, ids=lambda rule: rule.id)
def test_the_bad_template_fails_exactly_its_rule(rule, tmp_path):
    verdicts = _verdicts(rule, "bad.yaml", tmp_path)
    assert set(verdicts) - set(ALSO_UNKNOWN.get(rule.id, {})) == {rule.id}
    for other, logical_ids in ALSO_UNKNOWN.get(rule.id, {}).items():
        assert verdicts[other] == logical_ids


@pytest.mark.parametrize("rule", WITH_TEMPLATES, ids=lambda rule: rule.id)
def test_the_good_template_passes_every_rule(rule, tmp_path):
    assert _verdicts(rule, "good.yaml", tmp_path) == {}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_rule_page_has_examples_or_says_why_not(rule):
    folder = RULES_DIR / rule.stem / "examples"
    present = {path.name for path in folder.iterdir()} if folder.is_dir() else set()
    assert present & {"bad.yaml", "note.md"}, f"{rule.id}: write examples/bad.yaml and good.yaml, or note.md"
    for suffix in ("yaml", "py", "ts"):  # every bad example has its good one, and the other way round
        assert (f"bad.{suffix}" in present) == (f"good.{suffix}" in present), (rule.id, suffix)
