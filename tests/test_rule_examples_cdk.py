"""The CDK examples of the rule pages are true. Every CDK Python example (src/ddbguard/rules/*/examples/*.py) is a
stack of one app, fixtures/rule_examples/app.py, and every CDK TypeScript example (*.ts) one of
fixtures/rule_examples/app.ts (type-checked with the pinned tsc, then run with ts-node); each app is synthesized
once, with the real aws-cdk-lib. Each example is a stage, so a cloud assembly of its own, checked alone: each bad
example fails exactly its rule and nothing else, each good one passes every rule (the builtin engine, with the
rule turned on when it is off by default)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, RULES_DIR, synthesize
from test_rule_examples import not_passing

APPS = FIXTURES / "rule_examples"
NODE_BIN = ROOT / "node_modules" / ".bin"
EXAMPLES = sorted(RULES_DIR.glob("*/examples/*.py")) + sorted(RULES_DIR.glob("*/examples/*.ts"))


def _stage(example: Path) -> str:
    """The example's stage in its app: <ID>-bad or <ID>-good."""
    return f"{example.parent.parent.name.split('_')[0].upper()}-{example.stem}"


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory) -> dict[str, Path]:
    """Each app's cloud assembly, by the suffix of its examples."""
    out = tmp_path_factory.mktemp("rule-examples")
    return {".py": synthesize([sys.executable, str(APPS / "app.py")], out / "py.out"),
            ".ts": synthesize([str(NODE_BIN / "ts-node"), "--transpile-only", str(APPS / "app.ts")], out / "ts.out")}


def test_the_typescript_examples_type_check():
    """Against the pinned aws-cdk-lib and TypeScript (ts-node above only transpiles)."""
    completed = subprocess.run([str(NODE_BIN / "tsc"), "-p", str(APPS / "tsconfig.json")], capture_output=True,
                               text=True, check=False, timeout=600)
    assert (completed.returncode, completed.stdout) == (0, "")


def test_every_example_is_a_stage_of_its_app(assemblies):
    for suffix, assembly in assemblies.items():
        assert {path.name for path in assembly.glob("assembly-*")} == {
            f"assembly-{_stage(e)}" for e in EXAMPLES if e.suffix == suffix}


# What a bad example also fails, by its nature: termination protection matters only for a table that a stack's
# deletion loses, and a table that is not retained is DDB001's failure too.
ALSO_FAILS = {"DDB007": {"DDB001"}}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{_stage(e)}{e.suffix}")
def test_the_cdk_example_gets_its_verdict(assemblies, example):
    rule_id, kind = _stage(example).split("-")
    verdict = not_passing(rule_id, str(assemblies[example.suffix] / f"assembly-{_stage(example)}"))
    assert set(verdict) == ({rule_id} | ALSO_FAILS.get(rule_id, set()) if kind == "bad" else set())
