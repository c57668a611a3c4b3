"""Configuration files, rule switches, severity overrides and suppressions (with reasons and expiry)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import per_table_rules, run_ddbguard
from ddbguard.config import ConfigError, find_config, load_config

TEMPLATE = """\
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true}
      BillingMode: PAY_PER_REQUEST
  Scratch:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Metadata:
      ddbguard:
        suppress:
          - {id: DDB002, reason: rebuilt from the event log every night}
    Properties:
      SSESpecification: {SSEEnabled: true}
      DeletionProtectionEnabled: true
      BillingMode: PAY_PER_REQUEST
"""


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / ".git").mkdir()  # config search stops at the repository root
    (tmp_path / "app.yaml").write_text(TEMPLATE)
    return tmp_path


def statuses(result) -> dict[tuple[str, str], str]:
    return {(f["rule_id"], f["logical_id"]): f["status"] for f in result.json()["findings"]}


def test_defaults_without_config(project):
    result = run_ddbguard("check", "app.yaml", "--format", "json", cwd=project)
    assert result.code == 1
    got = statuses(result)
    assert got[("DDB004", "Orders")] == "fail"
    assert got[("DDB002", "Scratch")] == "suppressed"
    finding = next(f for f in result.json()["findings"] if f["logical_id"] == "Scratch" and f["rule_id"] == "DDB002")
    assert finding["suppression_reason"] == "rebuilt from the event log every night"


def test_config_suppression_by_pattern_with_expiry(project):
    (project / ".ddbguard.yaml").write_text(
        "suppressions:\n"
        "  - {rule: DDB004, resource: 'app/Ord*', reason: migration ticket OPS-12, expires: 2999-01-01}\n")
    result = run_ddbguard("check", "app.yaml", "--format", "json", cwd=project)
    assert result.code == 0
    assert statuses(result)[("DDB004", "Orders")] == "suppressed"


def test_expired_suppression_no_longer_applies_and_fails_on_its_own(project):
    (project / ".ddbguard.yaml").write_text(
        "# waivers\n"
        "suppressions:\n"
        "  - {rule: DDB004, resource: Orders, reason: migration ticket OPS-12, expires: 2020-01-31}\n")
    result = run_ddbguard("check", "app.yaml", "--format", "json", cwd=project)
    assert result.code == 1
    got = statuses(result)
    assert got[("DDB004", "Orders")] == "fail"
    expired = [f for f in result.json()["findings"] if f["rule_id"] == "DDB000"]
    assert [(f["status"], f["file"], f["line"], f["message"]) for f in expired] == [(
        "fail", str(project / ".ddbguard.yaml"), 3,
        "suppression of DDB004 for 'Orders' expired on 2020-01-31 (reason given: migration ticket OPS-12)")]


def test_rules_off_and_severity_override_in_pyproject(project):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.ddbguard]\nfail_on = "high"\n\n'
        '[tool.ddbguard.rules]\nDDB005 = {enabled = false}\nDDB004 = {severity = "low"}\n')
    result = run_ddbguard("check", "app.yaml", "--format", "json", cwd=project)
    assert result.code == 0  # DDB004 is now low, below fail_on = high
    findings = result.json()["findings"]
    assert {f["rule_id"] for f in findings} == set(per_table_rules()) - {"DDB005"} | {"DDB022", "DDB023"}  # one off
    assert {f["severity"] for f in findings if f["rule_id"] == "DDB004"} == {"low"}
    # the command line wins over the configuration
    gated = run_ddbguard("check", "app.yaml", "--fail-on", "low", "--format", "json", cwd=project)
    assert gated.code == 1 and gated.json()["findings"] == findings


def test_encryption_level_from_config_reaches_both_engines(project):
    (project / ".ddbguard.yaml").write_text("encryption_level: customer-managed\n")
    for engine in ("guard", "checkov"):
        result = run_ddbguard("check", "app.yaml", "--format", "json", "--engine", engine, cwd=project)
        got = statuses(result)
        assert (got[("DDB003", "Orders")], got[("DDB003", "Scratch")]) == ("fail", "fail"), engine


@pytest.mark.parametrize("text, message", [
    ("colour: red\n", "top level: Additional properties are not allowed ('colour' was unexpected)"),
    ("rules:\n  DDB999: {enabled: false}\n", "unknown rule DDB999 (see `ddbguard rules`)"),
    ("suppressions:\n  - {rule: DDB004, resource: Orders}\n", "suppressions/0: 'reason' is a required property"),
    ("suppressions:\n  - {rule: DDB004, resource: x, reason: why, expires: soon}\n",
     "suppressions/0/expires: 'soon' is not a 'date'"),
    ("encryption_level: strong\n",
     "encryption_level: 'strong' is not one of ['aws-owned', 'aws-managed', 'customer-managed']"),
    ("rules: [\n", "invalid YAML: line 2: expected the node content, but found '<stream end>'"),
    ("tables:\n  orders: {indexes: [ByStatus], gsi: x}\n",
     "tables/orders: Additional properties are not allowed ('gsi' was unexpected)"),
    ("naming: {pattern: 7}\n", "naming/pattern: 7 is not of type 'string'"),
])
def test_invalid_config_is_one_clear_line_and_exit_2(project, text, message):
    (project / ".ddbguard.yaml").write_text(text)
    result = run_ddbguard("check", "app.yaml", cwd=project)
    assert result.code == 2
    assert result.stderr == f"ddbguard: {project / '.ddbguard.yaml'}: {message}\n"


def test_suppression_without_reason_in_metadata_is_an_error(project):
    (project / "app.yaml").write_text(TEMPLATE.replace(", reason: rebuilt from the event log every night", ""))
    result = run_ddbguard("check", "app.yaml", "--format", "json", cwd=project)
    assert result.code == 2
    assert result.json()["errors"] == [{"file": "app.yaml:17",
                                        "message": "suppression on Scratch needs both `id` and a non-empty `reason`"}]


def test_find_config_walks_up_to_the_repository_root(project):
    (project / ".ddbguard.yaml").write_text("fail_on: critical\n")
    nested = project / "infra" / "cdk"
    nested.mkdir(parents=True)
    assert find_config(nested) == project / ".ddbguard.yaml"
    assert load_config(find_config(nested)).fail_on.value == "critical"
    (project / ".ddbguard.yaml").unlink()
    assert find_config(nested) is None  # nothing above the repository root is read


def test_load_config_reports_dates_as_dates(project):
    path = project / ".ddbguard.yaml"
    path.write_text("suppressions:\n  - {rule: '*', resource: '*', reason: all of it, expires: 2030-05-01}\n")
    config = load_config(path)
    assert config.suppressions[0].expires == dt.date(2030, 5, 1)
    assert config.suppressions[0].line == 2
    with pytest.raises(ConfigError):
        path.write_text(json.dumps({"trusted_accounts": ["12"]}))
        load_config(path)
