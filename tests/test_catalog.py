"""The catalog is the single source of truth: schema-valid, and every implementation it declares exists."""

from __future__ import annotations

import importlib
import importlib.util
import json
from importlib import resources

import jsonschema
import pytest

from conftest import ROOT, run_ddbguard
from ddbguard.catalog import load_catalog
from ddbguard.catalog.render import render_catalog

CATALOG = load_catalog()
RULES = sorted(CATALOG.values(), key=lambda r: r.id)


def test_catalog_ids_and_stems():
    assert [r.stem for r in RULES] == [
        "ddb000_suppressions", "ddb001_retain", "ddb002_pitr_enabled", "ddb003_encryption",
        "ddb004_deletion_protection", "ddb005_resource_policy", "ddb010_index_coverage", "ddb011_environment_tables",
        "ddb012_least_privilege", "ddb013_cross_account", "ddb014_cross_stack_imports", "ddb015_unused_grants",
        "ddb016_streams", "ddb017_naming", "ddb018_monitoring", "ddb020_backups", "ddb021_unmanaged_tables",
        "ddb030_table_removed", "ddb031_table_replaced", "ddb032_imported_table_exists", "ddb033_imported_indexes",
        "ddb034_table_name_taken"]
    assert [r.id for r in RULES if not r.enabled_by_default] == ["DDB017", "DDB018"]


def test_schema_rejects_house_style_violations():
    schema = json.loads(resources.files("ddbguard.schemas").joinpath("catalog.schema.json").read_text())
    entry = json.loads(render_catalog("json"))[1]
    entry["guide_sections"] = list(entry["guide_sections"])
    jsonschema.validate(entry, schema)
    for broken in ({"title": "Ensure tables are retained"}, {"id": "X1"}, {"severity": "urgent"}, {"extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**entry, **broken}, schema)


@pytest.mark.parametrize("rule", [r for r in RULES if "guard" in r.engines], ids=lambda r: r.id)
def test_guard_rule_file_and_tests_exist(rule):
    policy = ROOT / "policies" / f"{rule.stem}.guard"
    text = policy.read_text()
    assert f"rule {rule.id}_" in text
    assert (ROOT / "policies" / "tests" / f"{rule.stem}_tests.yaml").is_file()


@pytest.mark.parametrize("rule", [r for r in RULES if "checkov" in r.engines], ids=lambda r: r.id)
def test_checkov_check_exists_with_catalog_id_title_and_types(rule):
    spec = importlib.util.spec_from_file_location(f"catalog_test_{rule.stem}", ROOT / "checks" / f"{rule.stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.check.id, module.check.name) == (rule.id, rule.title)
    assert tuple(module.check.supported_resources) == rule.resource_types


@pytest.mark.parametrize("rule", [r for r in RULES if "graph" in r.engines], ids=lambda r: r.id)
def test_cross_resource_rule_module_exists(rule):
    module = importlib.import_module(f"ddbguard.rules.{rule.stem}")
    assert callable(module.evaluate)
    assert f'"{rule.id}"' in (ROOT / "src" / "ddbguard" / "rules" / f"{rule.stem}.py").read_text()


@pytest.mark.parametrize("rule", [r for r in RULES if "live" in r.engines], ids=lambda r: r.id)
def test_live_check_module_exists(rule):
    module = importlib.import_module(f"ddbguard.live.checks.{rule.stem}")
    assert callable(module.evaluate)
    assert f'"{rule.id}"' in (ROOT / "src" / "ddbguard" / "live" / "checks" / f"{rule.stem}.py").read_text()


def test_docs_rules_md_is_generated_from_the_catalog():
    assert (ROOT / "docs" / "rules.md").read_text() == render_catalog("markdown"), \
        "docs/rules.md is stale: run `ddbguard rules --format markdown > docs/rules.md`"


def test_rules_command_lists_every_rule_with_catalog_titles():
    result = run_ddbguard("rules")
    assert result.code == 0
    for rule in RULES:
        assert f"{rule.id}  {rule.severity.value:<8}  {rule.title}" in result.stdout


def test_readme_rule_table_matches_the_catalog():
    readme = (ROOT / "README.md").read_text()
    for rule in RULES:
        assert f"| {rule.id} | {rule.severity.value} | {rule.title} |" in readme


def test_every_package_is_shipped():
    """pyproject lists packages by hand (policies/ and checks/ are mapped in); a missing one breaks installs."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT / "src").parts) for p in (ROOT / "src").rglob("__init__.py")}
    assert on_disk | {"ddbguard.policies", "ddbguard.checks"} == listed
