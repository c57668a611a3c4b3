"""`ddbguard diff`: deletions and replacements of tables between two templates or assemblies."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, expectations, run_ddbguard

OLD, NEW = FIXTURES / "diff" / "old.yaml", FIXTURES / "diff" / "new.yaml"


def test_every_case_of_the_fixture_pair():
    result = run_ddbguard("diff", str(OLD), str(NEW), "--format", "json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    _, expected = expectations(NEW)
    for rule_id, sets in expected.items():
        for status in ("pass", "fail"):
            assert {f["logical_id"] for f in report["findings"] if f["rule_id"] == rule_id
                    and f["status"] == status} == sets[status], (rule_id, status)
    by_id = {(f["rule_id"], f["logical_id"]): f for f in report["findings"]}
    # what changed, with old and new values, and where
    assert by_id[("DDB031", "KeyTypeChange")]["message"].startswith("type of key attribute id: S -> N forces replacement")
    assert by_id[("DDB031", "RenamedTable")]["message"].startswith('TableName: "sessions-v1" -> "sessions-v2"')
    assert by_id[("DDB030", "Orders")]["message"] == (
        "its logical id changes to OrdersTable: CloudFormation creates that table (which fails while the name orders "
        "exists) and removes this one; DeletionPolicy Delete deletes the table and its data")
    assert (by_id[("DDB030", "RemovedDeleted")]["file"], by_id[("DDB030", "RemovedDeleted")]["line"]) == (str(OLD), 3)
    # a Retain -> Delete flip is high; replacements and deletions are critical
    assert by_id[("DDB031", "RetainFlip")]["severity"] == "high"
    assert by_id[("DDB031", "RetainFlip")]["message"] == "DeletionPolicy changes from Retain to Delete"
    assert {by_id[k]["severity"] for k in by_id if by_id[k]["status"] == "fail" and k[1] != "RetainFlip"} == {"critical"}


def test_no_change_is_no_failure_and_fail_on_applies():
    assert run_ddbguard("diff", str(OLD), str(OLD)).code == 0
    assert run_ddbguard("diff", str(OLD), str(NEW), "--fail-on", "critical").code == 1


def test_diff_of_two_cloud_assemblies(cdk_assembly, tmp_path):
    import shutil

    changed = tmp_path / "cdk.out"
    shutil.copytree(cdk_assembly, changed)
    template = changed / "ddbguard-legacy.template.json"
    template.write_text(template.read_text().replace('"RecoveryPlans62927E19"', '"RecoveryPlansV2"'))
    report = run_ddbguard("diff", str(cdk_assembly), str(changed), "--format", "json").json()
    failures = {(f["rule_id"], f["stack"], f["logical_id"]) for f in report["findings"] if f["status"] == "fail"}
    assert failures == {("DDB030", "ddbguard-legacy", "RecoveryPlans62927E19")}
    assert {f["stack"] for f in report["findings"]} >= {"ddbguard-data", "Prod/data", "ddbguard-data/Audit"}


@pytest.mark.parametrize("args, message", [
    (["missing.yaml", str(NEW)], "missing.yaml: no such file or directory"),
])
def test_bad_input_is_exit_2(args, message):
    result = run_ddbguard("diff", *args)
    assert result.code == 2
    assert f"  {message}" in result.stdout
