"""The catalog is the single source of truth: schema-valid, and every implementation it declares exists."""

from __future__ import annotations

import importlib
import importlib.util
import json
from importlib import resources

import jsonschema
import pytest

from conftest import ROOT, RULES_DIR, run_ddbguard
from ddbguard.catalog import load_catalog
from ddbguard.catalog.render import render_catalog

CATALOG = load_catalog()
RULES = sorted(CATALOG.values(), key=lambda r: r.id)


def test_every_rule_is_a_folder_named_by_its_stem():
    folders = sorted(p.parent.name for p in RULES_DIR.glob("*/rule.yaml"))
    assert folders == [r.stem for r in RULES]
    assert all(r.stem.startswith(r.id.lower() + "_") for r in RULES)


def test_schema_rejects_house_style_violations():
    schema = json.loads(resources.files("ddbguard.schemas").joinpath("catalog.schema.json").read_text())
    entry = json.loads(render_catalog("json"))[1]
    entry["guide_sections"] = list(entry["guide_sections"])
    jsonschema.validate(entry, schema)
    for broken in ({"title": "Ensure tables are retained"}, {"id": "X1"}, {"severity": "urgent"}, {"extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**entry, **broken}, schema)


def test_security_hub_controls_are_named_only_where_the_control_checks_the_same():
    from ddbguard.catalog import SECURITY_HUB_CONTROLS

    mapped = {r.id: r.security_hub_control for r in RULES if r.security_hub_control}
    # the controls whose meaning these rules share (Security Hub user guide, "Security Hub controls for DynamoDB");
    # DDB001 (retention), DDB003 (encryption level) and DDB020 (backup age) check what no control checks
    assert {rule: mapped.get(rule) for rule in ("DDB001", "DDB002", "DDB003", "DDB004", "DDB020", "DDB022")} == {
        "DDB001": None, "DDB002": "DynamoDB.2", "DDB003": None, "DDB004": "DynamoDB.6", "DDB020": None,
        "DDB022": "DynamoDB.4"}
    # the coverage rules: capacity scaling, DAX encryption at rest and in transit; the PITR window and DAX node count
    # go beyond what any control checks
    assert {rule: mapped.get(rule) for rule in ("DDB023", "DDB024", "DDB050", "DDB051", "DDB052")} == {
        "DDB023": "DynamoDB.1", "DDB024": None, "DDB050": "DynamoDB.3", "DDB051": "DynamoDB.7", "DDB052": None}
    assert set(mapped.values()) <= set(SECURITY_HUB_CONTROLS) == {f"DynamoDB.{n}" for n in range(1, 8)}
    schema = json.loads(resources.files("ddbguard.schemas").joinpath("catalog.schema.json").read_text())
    entry = next(e for e in json.loads(render_catalog("json")) if e["id"] == "DDB002")
    jsonschema.validate(entry, schema)
    for broken in ("dynamodb.2", "DynamoDB.", "DAX.1", ""):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**entry, "security_hub_control": broken}, schema)
    shown = run_ddbguard("rules").stdout
    assert [line.split()[-1] for line in shown.splitlines() if line.split()[-1].startswith("DynamoDB.")] == [
        r.security_hub_control for r in load_catalog().values() if r.security_hub_control]
    docs = (ROOT / "docs" / "rules.md").read_text()
    assert "Security Hub control: DynamoDB.2 (DynamoDB tables should have point-in-time recovery enabled)" in docs


IMPLEMENTATIONS = {"builtin": "predicate.py", "guard": "rule.guard", "graph": "graph.py", "live": "live.py",
                   "diff": "diff.py", "plan": "plan.py"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_engine_a_rule_declares_is_in_its_folder(rule):
    folder = RULES_DIR / rule.stem
    for engine, file_name in IMPLEMENTATIONS.items():
        assert (folder / file_name).is_file() is (engine in rule.engines), (rule.id, engine)
    if "builtin" in rule.engines:
        assert callable(importlib.import_module(f"ddbguard.rules.{rule.stem}.predicate").problems)
    for module in ("graph", "live", "diff", "plan"):
        if module in rule.engines:
            assert callable(importlib.import_module(f"ddbguard.rules.{rule.stem}.{module}").evaluate)
    if "guard" in rule.engines:
        assert f"rule {rule.id}_" in (folder / "rule.guard").read_text()
        assert (folder / "rule_tests.yaml").is_file()
    # a per-resource rule runs on every engine, so that they can be compared
    assert ("builtin" in rule.engines) == ("guard" in rule.engines) == ("checkov" in rule.engines)


@pytest.mark.parametrize("rule", [r for r in RULES if "checkov" in r.engines], ids=lambda r: r.id)
def test_exported_checkov_check_has_the_catalog_id_title_and_types(rule):
    spec = importlib.util.spec_from_file_location(f"catalog_test_{rule.stem}", ROOT / "checks" / f"{rule.stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.check.id, module.check.name) == (rule.id, rule.title)
    assert tuple(module.check.supported_resources) == rule.resource_types


def test_validated_catalog_is_current():
    """Runs read the entries from data/catalog.json, parsed and validated by `make docs`, when it was made from the
    rule.yaml files as they are: it is."""
    from ddbguard.catalog import VALIDATED_CATALOG, validated_catalog

    on_disk = resources.files("ddbguard.data").joinpath(VALIDATED_CATALOG).read_text(encoding="utf-8")
    assert on_disk == validated_catalog(), "src/ddbguard/data/catalog.json is stale: run `make docs`"


def test_an_entry_changed_since_make_docs_is_validated_when_read(tmp_path):
    """An entry whose text is not what data/catalog.json was made from is parsed and checked against the schema
    then: a broken one is a catalog error naming its file, never read as it was."""
    from ddbguard.catalog import CatalogError, entries_digest, validated_entries

    entry = RULES_DIR / RULES[1].stem / "rule.yaml"
    changed = entry.read_bytes().replace(b"severity: ", b"severity: urgent-", 1)
    assert entries_digest([changed]) != entries_digest([entry.read_bytes()])
    with pytest.raises(CatalogError, match=rf"rules/{RULES[1].stem}/rule.yaml: 'urgent-"):
        validated_entries([entry], [changed])
    assert validated_entries([entry], [entry.read_bytes()])[0]["id"] == RULES[1].id


def test_exported_rule_packs_are_current():
    from ddbguard.rule_packs import exported_files

    expected = exported_files(ROOT)
    on_disk = {p for folder in ("policies", "checks") for p in (ROOT / folder).rglob("*") if p.is_file()
               and "__pycache__" not in p.parts}
    assert on_disk == set(expected), "run `make export`"
    for path, text in expected.items():
        assert path.read_text() == text, f"{path} is stale: run `make export`"


def test_docs_rules_md_is_generated_from_the_catalog():
    assert (ROOT / "docs" / "rules.md").read_text() == render_catalog("markdown"), \
        "docs/rules.md is stale: run `ddbguard rules --format markdown > docs/rules.md`"


def test_rules_command_lists_every_rule_with_catalog_titles():
    result = run_ddbguard("rules")
    assert result.code == 0
    for rule in RULES:
        assert f"{rule.id}  {rule.severity.value:<8}  {rule.title}" in result.stdout


def _generate_docs():
    spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "tools" / "generate_docs.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    return generate


def test_the_rule_index_links_every_rule_with_its_catalog_title():
    index = (ROOT / "docs" / "rules" / "README.md").read_text()
    for rule in RULES:
        assert f"| [{rule.id}]({rule.id}.md) | {rule.severity.value} | {rule.title} |" in index


def test_the_rule_pages_and_index_are_generated_from_the_catalog():
    """docs/rules/<ID>.md for every rule and no other, and the index's table: as `make docs` writes them."""
    generated = _generate_docs().generated()
    pages = ROOT / "docs" / "rules"
    assert set(pages.glob("DDB*.md")) == {path for path in generated if path.parent == pages and path.stem != "README"}
    for path, text in generated.items():
        assert path.read_text() == text, f"{path.relative_to(ROOT)} is stale: run `make docs`"


def test_every_rule_file_is_package_data():
    """What the rule folders hold (catalog entry, guard rule and tests, fixtures) ships in the wheel."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for path in RULES_DIR.glob("*/*"):
        if "__pycache__" in path.parts:  # compiled bytecode (make setup compiles the package) is not shipped
            continue
        if path.is_file() and path.suffix != ".py":
            assert path.name in patterns, path
        elif path.is_dir() and path.name != "__pycache__":
            for fixture in path.iterdir():  # fixtures: templates, and cloud assemblies (directories)
                if fixture.name == "__pycache__":
                    continue
                pattern = f"{path.name}/*{fixture.suffix}/*" if fixture.is_dir() else f"{path.name}/*{fixture.suffix}"
                assert pattern in patterns, fixture
