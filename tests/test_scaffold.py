"""`make rule` writes a rule folder that the suite rejects until it is filled in."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest
import yaml

from conftest import ROOT, expectations


@pytest.fixture
def scaffolded(tmp_path):
    spec = importlib.util.spec_from_file_location("new_rule", ROOT / "tools" / "new_rule.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "src" / "ddbguard" / "rules").mkdir(parents=True)
    return module.scaffold(tmp_path, "DDB019", "gsi_retention")


def test_the_folder_holds_every_piece_of_a_per_table_rule(scaffolded):
    assert scaffolded.name == "ddb019_gsi_retention"
    assert sorted(p.relative_to(scaffolded).as_posix() for p in scaffolded.rglob("*") if p.is_file()) == [
        "__init__.py", "fixtures/bad.yaml", "fixtures/good.yaml", "predicate.py", "rule.guard", "rule.yaml",
        "rule_tests.yaml"]
    schema = json.loads(resources.files("ddbguard.schemas").joinpath("catalog.schema.json").read_text())
    entry = yaml.safe_load((scaffolded / "rule.yaml").read_text())
    jsonschema.validate(entry, schema)  # loads, so that the meta-tests can say what is missing
    assert (entry["id"], entry["name"], entry["engines"]) == ("DDB019", "gsi_retention", ["builtin", "guard", "checkov"])


def test_every_placeholder_fails_until_filled_in(scaffolded, guard_bin):
    spec = importlib.util.spec_from_file_location("stub", scaffolded / "predicate.py")
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    with pytest.raises(NotImplementedError, match="DDB019: write the predicate"):
        stub.problems({"Type": "AWS::DynamoDB::Table"})
    guard = subprocess.run([guard_bin, "test", "-r", str(scaffolded / "rule.guard"), "-t",
                            str(scaffolded / "rule_tests.yaml")], capture_output=True, text=True, check=False)
    assert guard.returncode != 0
    for fixture in ("good", "bad"):
        _, expected = expectations(scaffolded / "fixtures" / f"{fixture}.yaml")
        assert expected == {"DDB019": {"pass": set(), "fail": set()}}  # no good or bad fixture yet


def test_an_existing_id_is_refused(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "new_rule.py"), "DDB001", "again", "--root",
                             str(ROOT)], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "DDB001 already has a folder" in result.stderr
