"""The CDK examples of the rule pages are true: every CDK Python example (src/ddbguard/rules/*/examples/*.py) is a
stack of one app, fixtures/rule_examples/app.py, synthesized once with the real aws-cdk-lib; each example is a
cloud assembly of its own (a stage), checked alone: each bad example fails exactly its rule and nothing else,
each good one passes every rule (the builtin engine, with the rule turned on when it is off by default)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, RULES_DIR
from ddbguard.commands.check import CheckOptions, run_check
from ddbguard.config import parse_config
from ddbguard.model import Status

PYTHON_EXAMPLES = sorted(RULES_DIR.glob("*/examples/*.py"))


def _stage(example: Path) -> str:
    """The example's stage in the app: <ID>-bad or <ID>-good."""
    return f"{example.parent.parent.name.split('_')[0].upper()}-{example.stem}"


@pytest.fixture(scope="module")
def python_app(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rule-examples") / "cdk.out"
    env = {**os.environ, "CDK_OUTDIR": str(out), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
           "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(ROOT / "build" / "jsii-cache")}
    completed = subprocess.run([sys.executable, str(FIXTURES / "rule_examples" / "app.py")], env=env,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out


def _not_passing(assembly: Path, rule_id: str) -> set[str]:
    """The rules with a finding that is a failure or unknown, in the example's own cloud assembly."""
    config = parse_config({"rules": {rule_id: {"enabled": True}}}, source="test")
    report = run_check(CheckOptions(paths=[str(assembly)], today=dt.date(2026, 1, 1)), config)
    assert report.errors == []
    return {f.rule_id for f in report.findings if f.status in (Status.FAIL, Status.UNKNOWN)}


def test_every_python_example_is_a_stage_of_the_app(python_app):
    assert {path.name for path in python_app.glob("assembly-*")} == {f"assembly-{_stage(e)}" for e in PYTHON_EXAMPLES}


@pytest.mark.parametrize("example", PYTHON_EXAMPLES, ids=_stage)
def test_the_python_example_gets_its_verdict(python_app, example):
    rule_id, kind = _stage(example).split("-")
    assert _not_passing(python_app / f"assembly-{_stage(example)}", rule_id) == ({rule_id} if kind == "bad" else set())
