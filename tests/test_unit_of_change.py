"""The unit of change, measured: a new per-table rule (on or off by default) is its folder, its fixtures and docs
examples, and the generated docs (its page, the rule index, the catalog page), and no other file of the checkout
changes or breaks.

Each case copies the checkout (what git tracks), writes the example rule of tests/unit_of_change/ into the copy's
rules/, regenerates the docs and rule packs the way a contributor does (`make docs`, `make export`), and runs the
copy's catalog-driven tests against the copy's package. The two copies run at once (one per core).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

EXAMPLE = ROOT / "tests" / "unit_of_change"
STEM = "ddb099_table_class"
# The tests that read the catalog: they list rules, run every rule's fixtures, compare engines, check the docs.
CATALOG_TESTS = ["tests/test_catalog.py", "tests/test_fixtures.py", "tests/test_engine_parity.py",
                 "tests/test_rules_unit.py", "tests/test_guard_policies.py", "tests/test_reports.py",
                 "tests/test_cli.py", "tests/test_config.py", "tests/test_layers.py", "tests/test_rule_examples.py"]


def _tracked(root: Path) -> dict[str, str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True).stdout
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in listed.split("\0")
            if name and (root / name).is_file()}


def _copy(target: Path, on_by_default: bool) -> dict[str, str]:
    """A copy of the checkout with the example rule added; the files as they were before the rule."""
    before = _tracked(ROOT)
    for name in before:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    (target / "node_modules").symlink_to(ROOT / "node_modules")  # the pinned cfn-guard binary
    folder = target / "src" / "ddbguard" / "rules" / STEM
    shutil.copytree(EXAMPLE, folder)
    (folder / "__init__.py").write_text("")
    if not on_by_default:
        entry = folder / "rule.yaml"
        entry.write_text(entry.read_text() + "enabled_by_default: false\n")
        for fixture in (folder / "fixtures").glob("*.yaml"):  # a fixture turns the rule on to judge it
            fixture.write_text(fixture.read_text().replace("    expect:\n", "    config:\n      rules: {DDB099: {enabled: "
                                                                            "true}}\n    expect:\n", 1))
    return before


def _changed(root: Path, before: dict[str, str]) -> set[str]:
    after = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
             if p.is_file() and "node_modules" not in p.parts and "__pycache__" not in p.parts
             and ".pytest_cache" not in p.parts}
    return {name for name, digest in after.items() if before.get(name) != digest} | (set(before) - set(after))


def test_a_new_per_table_rule_changes_its_folder_and_the_generated_docs_only(tmp_path):
    copies, environments = {}, {}
    for on_by_default in (True, False):
        copy = tmp_path / ("on" if on_by_default else "off")
        before = _copy(copy, on_by_default)
        # the copy's package for every process of its run, whatever directory a test runs the CLI in
        env = environments[copy] = {**os.environ, "PYTHONPATH": str(copy / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        package = subprocess.run([sys.executable, "-c", "import ddbguard; print(ddbguard.__file__)"], cwd=copy, env=env,
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert Path(package).resolve().is_relative_to(copy.resolve())  # the copy's package, not the checkout's
        for command in (["tools/generate_docs.py"], ["-m", "ddbguard.rule_packs", "."]):  # make docs, make export
            subprocess.run([sys.executable, *command], cwd=copy, env=env, check=True, capture_output=True)
        copies[copy] = before

    for copy, before in copies.items():
        assert _changed(copy, before) == {
            f"src/ddbguard/rules/{STEM}/{name}" for name in ("__init__.py", "rule.yaml", "predicate.py", "rule.guard",
                                                              "rule_tests.yaml", "fixtures/good.yaml", "fixtures/bad.yaml",
                                                              "examples/good.yaml", "examples/bad.yaml")
        } | {"docs/rules.md", "docs/rules/README.md", "docs/rules/DDB099.md", f"policies/{STEM}.guard",
             f"policies/tests/{STEM}_tests.yaml", f"checks/{STEM}.py",
             "src/ddbguard/data/catalog.json"}  # the validated catalog a run reads, written by make docs

    runs = {copy: subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *CATALOG_TESTS],
                                   cwd=copy, env=environments[copy], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for copy in copies}
    for copy, run in runs.items():
        output, _ = run.communicate(timeout=1500)
        assert run.returncode == 0, f"{copy.name}: {output[-4000:]}"
