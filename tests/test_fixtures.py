"""Every rule on every fixture: the exact pass and fail sets the fixture declares, for each engine,
and the two engines agree on every resource of every fixture."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import CORPUS, RULES_DIR, TEMPLATE_FIXTURES, expectations
from ddbguard.commands.check import CheckOptions, run_check
from ddbguard.config import parse_config
from ddbguard.model import Status

CHECKED = TEMPLATE_FIXTURES + CORPUS
ENGINES = ("builtin", "guard", "checkov")
FIXTURE_IDS = [f"{p.parent.parent.name if p.parent.name == 'fixtures' else p.parent.name}/{p.name}" for p in CHECKED]


def statuses(path: Path, engine: str) -> dict[tuple[str, str], Status]:
    config_data, _ = expectations(path)
    config = parse_config(config_data, source=str(path))
    report = run_check(CheckOptions(paths=[str(path)], engine=engine, today=dt.date(2026, 1, 1)), config)
    assert report.errors == []
    return {(f.rule_id, f.logical_id): f.status for f in report.findings}


@pytest.fixture(scope="module")
def results(guard_bin) -> dict[tuple[Path, str], dict]:
    return {(path, engine): statuses(path, engine) for path in CHECKED for engine in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", CHECKED, ids=FIXTURE_IDS)
def test_fixture_expectations(results, path, engine):
    _, expected = expectations(path)
    got = results[(path, engine)]
    for rule_id, sets in expected.items():
        assert {lid for (rid, lid), s in got.items() if rid == rule_id and s is Status.PASS} == sets["pass"]
        assert {lid for (rid, lid), s in got.items() if rid == rule_id and s is Status.FAIL} == sets["fail"]
        assert {lid for (rid, lid), s in got.items() if rid == rule_id and s is Status.UNKNOWN} == sets.get("unknown", set())
        assert {lid for (rid, lid), s in got.items()
                if rid == rule_id and s is Status.SUPPRESSED} == sets.get("suppressed", set())


@pytest.mark.parametrize("path", CHECKED, ids=FIXTURE_IDS)
def test_engines_agree_on_every_rule_and_resource(results, path):
    assert results[(path, "builtin")] == results[(path, "guard")] == results[(path, "checkov")]


def test_every_rule_has_good_and_bad_fixtures():
    from ddbguard.catalog import load_catalog

    for rule in load_catalog().values():
        if set(rule.engines) <= {"core", "live", "diff", "plan"}:
            continue  # judged on a live account (moto) or on a pair of templates (tests/test_diff.py)
        if rule.engines == ("reader",):  # never passes or fails: what is not modelled is unknown
            assert any(expectations(p)[1].get(rule.id, {}).get("unknown") for p in (RULES_DIR / rule.stem / "fixtures")
                       .iterdir()), f"{rule.id} has no fixture"
            continue
        folder = RULES_DIR / rule.stem / "fixtures"
        declared = [expectations(p)[1].get(rule.id) for p in folder.iterdir()]
        assert any(d and d["pass"] and not d["fail"] for d in declared), f"{rule.id} has no good fixture"
        assert any(d and d["fail"] and not d["pass"] for d in declared), f"{rule.id} has no bad fixture"
