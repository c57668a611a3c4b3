"""The command line as users and CI jobs run it: exit codes, bad input, output files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ddbguard.catalog import load_catalog
from conftest import COMPLIANT, ROOT, RULES_DIR, good_table_verdicts, per_table_rules, run_ddbguard

GOOD = RULES_DIR / "ddb001_retain" / "fixtures" / "good.yaml"
BAD = RULES_DIR / "ddb001_retain" / "fixtures" / "bad.json"


@pytest.fixture
def compliant(tmp_path) -> Path:
    path = tmp_path / "compliant.yaml"
    path.write_text(COMPLIANT)
    return path


def test_version_names_the_package_version():
    # How fast it answers is measured by bench/bench_check.py, not claimed here.
    from importlib.metadata import version

    result = run_ddbguard("--version")
    assert (result.code, result.stdout.strip()) == (0, f"ddbguard {version('ddbguard')}")


def test_an_internal_error_is_one_line_and_exit_2(monkeypatch, capsys, compliant):
    from ddbguard.commands import check
    from ddbguard.cli import main

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(check, "run_check", broken)
    monkeypatch.delenv("DDBGUARD_DEBUG", raising=False)
    assert main(["check", str(compliant)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("ddbguard: internal error: ZeroDivisionError: a bug (set DDBGUARD_DEBUG=1 for details)\n")
    monkeypatch.setenv("DDBGUARD_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["check", str(compliant)])


def test_compliant_template_exits_0(compliant):
    result = run_ddbguard("check", str(compliant))
    assert result.code == 0
    verdicts = good_table_verdicts()  # DDB022 suppressed: the input defines no backup plan
    count = sum(1 for _, status in verdicts if status == "pass")
    assert f"1 resources, {len(verdicts)} checks: 0 failed, 0 unknown, 1 suppressed, {count} passed" in result.stdout
    assert "No failures." in result.stdout


def test_failures_exit_1_and_name_file_line_and_fix():
    result = run_ddbguard("check", str(BAD))
    assert result.code == 1
    assert f"FAIL bad/NoPolicies\n      at {BAD}:12\n" in result.stdout
    assert "fix: Add `DeletionPolicy: Retain` and `UpdateReplacePolicy: Retain` to the table resource." in result.stdout


def test_fail_on_threshold(tmp_path):
    # Only DDB003 (medium) fails here.
    path = tmp_path / "t.yaml"
    path.write_text(COMPLIANT.replace("      SSESpecification: {SSEEnabled: true}\n", ""))
    for fail_on, code in ((None, 1), ("medium", 1), ("high", 0)):
        result = run_ddbguard("check", str(path), "--format", "json", *(("--fail-on", fail_on) if fail_on else ()))
        assert result.code == code, fail_on
        assert {(f["rule_id"], f["status"]) for f in result.json()["findings"] if f["status"] != "pass"} == {
            ("DDB003", "fail"), ("DDB022", "suppressed")}, fail_on  # the same findings; only the gate moves


def test_output_file_and_summary_on_stderr(tmp_path):
    out = tmp_path / "report.json"
    result = run_ddbguard("check", str(BAD), "--format", "json", "--output", str(out))
    assert result.code == 1 and result.stdout == ""
    assert f"json report written to {out}" in result.stderr
    # Five tables without PITR, SSE or deletion protection and without a resource policy: they fail DDB001-DDB004
    # and pass every other per-table rule (counted from the catalog, so a new rule that passes them changes nothing);
    # provisioned (no BillingMode) without scaling targets, they fail DDB023 too.
    failing = {"DDB001", "DDB002", "DDB003", "DDB004", "DDB023"}
    catalog = load_catalog()
    passing = sum(1 for resource in json.loads(BAD.read_text())["Resources"].values() for rule in per_table_rules()
                  if rule not in failing and resource["Type"] in catalog[rule].resource_types)
    summary = json.loads(out.read_text())["summary"]
    assert (summary["fail"], summary["pass"], summary["resources"]) == (5 * len(failing), passing, 5)


BAD_INPUTS = {
    "broken.json": ('{"Resources": {"T": {"Type": "AWS::DynamoDB::Table",}', "invalid JSON: line 1"),
    "broken.yaml": ("Resources:\n  T:\n    Type: [unclosed\n", "invalid YAML: line 4"),
    "package.json": ('{"name": "not-a-template"}', "not a CloudFormation template (no Resources mapping)"),
    "binary.template": (b"\xff\xfe\x00\x01".decode("latin-1"), "not a text file (cannot be decoded as UTF-8)"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_other_inputs_still_reported(tmp_path, compliant, name):
    content, problem = BAD_INPUTS[name]
    bad = tmp_path / name
    bad.write_bytes(content.encode("latin-1"))
    result = run_ddbguard("check", str(bad), str(compliant))
    assert result.code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert f"  {bad}: {problem}" in result.stdout
    verdicts = good_table_verdicts()
    count = sum(1 for _, status in verdicts if status == "pass")
    assert f"1 resources, {len(verdicts)} checks: 0 failed, 0 unknown, 1 suppressed, {count} passed" in result.stdout


def test_bad_input_in_json_report_errors(tmp_path, compliant):
    bad = tmp_path / "broken.yaml"
    bad.write_text(BAD_INPUTS["broken.yaml"][0])
    result = run_ddbguard("check", str(bad), str(compliant), "--format", "json")
    assert result.code == 2
    report = result.json()
    assert report["errors"] == [{"file": str(bad), "message": "invalid YAML: line 4: did not find expected ',' or ']'"}]
    assert {(f["rule_id"], f["status"]) for f in report["findings"]} == good_table_verdicts()
    assert f"ddbguard: {bad}: invalid YAML" in result.stderr


def test_missing_path_and_dangling_link(tmp_path, compliant):
    link = tmp_path / "gone.yaml"
    link.symlink_to(tmp_path / "nowhere.yaml")
    result = run_ddbguard("check", str(tmp_path / "absent.yaml"), str(link), str(compliant))
    assert result.code == 2
    assert f"  {tmp_path / 'absent.yaml'}: no such file or directory" in result.stdout
    assert f"  {link}: no such file or directory" in result.stdout


def test_cloud_assembly_without_manifest(tmp_path, compliant):
    assembly = tmp_path / "cdk.out"
    assembly.mkdir()
    (assembly / "App.template.json").write_text(COMPLIANT)
    (assembly / "tree.json").write_text("{}")
    result = run_ddbguard("check", str(assembly), str(compliant))
    assert result.code == 2
    assert f"  {assembly}: looks like a cdk.out cloud assembly but has no manifest.json" in result.stdout


def test_missing_guard_binary_is_one_clear_line(tmp_path, compliant):
    result = run_ddbguard("check", str(compliant), "--engine", "guard",
                          env={"CFN_GUARD_BIN": str(tmp_path / "no-cfn-guard")})
    assert result.code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert (f"  guard: {tmp_path / 'no-cfn-guard'}: cfn-guard binary given by CFN_GUARD_BIN does not exist "
            "or is not executable") in result.stdout


def test_guard_binary_that_is_not_cfn_guard(tmp_path, compliant):
    fake = tmp_path / "cfn-guard"
    fake.write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    fake.chmod(0o755)
    result = run_ddbguard("check", str(compliant), "--engine", "guard", "--guard-bin", str(fake))
    assert result.code == 2
    assert f"  guard: {fake}: cfn-guard failed with exit code 3: boom" in result.stdout


def test_usage_errors_exit_2():
    assert run_ddbguard("check").code == 2
    assert run_ddbguard("check", str(GOOD), "--engine", "nope").code == 2
    result = run_ddbguard("check", str(GOOD), "--parameters", str(ROOT / "absent.json"))
    assert (result.code, result.stderr.strip()) == (
        2, f"ddbguard: {ROOT / 'absent.json'}: cannot read parameters file: No such file or directory")


def test_directory_of_templates_skips_other_files(tmp_path, compliant):
    (tmp_path / "config.yaml").write_text("just: config\n")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "other.template").write_text(COMPLIANT)
    result = run_ddbguard("check", str(tmp_path), "--format", "json")
    assert result.code == 0
    assert {(f["stack"], f["file"]) for f in result.json()["findings"]} == {
        ("compliant", str(compliant)), ("other", str(tmp_path / "nested" / "other.template"))}


def test_ignore_non_templates_for_pre_commit(tmp_path, compliant):
    other = tmp_path / ".pre-commit-config.yaml"
    other.write_text("repos: []\n")
    strict = run_ddbguard("check", str(other), str(compliant), "--format", "json")
    assert strict.code == 2 and [e["file"] for e in strict.json()["errors"]] == [str(other)]
    # outside any git repository: no other templates are read for context (their backup plans would count)
    lenient = run_ddbguard("check", "--ignore-non-templates", str(other), str(compliant), "--format", "json",
                           cwd=tmp_path)
    assert lenient.code == 0 and lenient.json()["errors"] == []
    assert {(f["stack"], f["rule_id"], f["status"]) for f in lenient.json()["findings"]} == {
        ("compliant", rule, status) for rule, status in good_table_verdicts()}


def test_no_traceback_when_debug_is_off():
    # An unexpected failure is one line naming it (exercised through a report path that cannot be written).
    result = run_ddbguard("check", str(GOOD), "--output", "/proc/version/x")
    assert result.code == 2
    assert result.stderr.startswith("ddbguard: /proc/version/x: cannot write report")
    assert os.environ.get("DDBGUARD_DEBUG") is None


def test_stacks_of_the_same_name_are_told_apart_by_file(tmp_path):
    for folder, template in (("dev", COMPLIANT), ("prod", COMPLIANT.replace("      DeletionProtectionEnabled: true\n", ""))):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "template.yaml").write_text(template)
    result = run_ddbguard("check", str(tmp_path / "dev"), str(tmp_path / "prod"), "--format", "json")
    assert result.code == 1
    failed = {(f["stack"], f["rule_id"]) for f in result.json()["findings"] if f["status"] == "fail"}
    assert failed == {(f"template ({tmp_path / 'prod' / 'template.yaml'})", "DDB004")}
