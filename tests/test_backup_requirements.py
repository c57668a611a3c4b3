"""DDB022's `backup:` settings (vault lock, copies to another region or account, allowed KMS keys) on templates:
the configuration is validated, each requirement passes, fails or is unknown with its reason, and an input without
any plan says that an organization backup policy may apply."""

from __future__ import annotations

import json

import pytest

from conftest import RULES_DIR, run_ddbguard
from ddbguard.config import BackupRequirements, ConfigError, parse_config

FIXTURES = RULES_DIR / "ddb022_backup_plans" / "fixtures"


def ddb022(report: dict) -> dict[str, tuple[str, str]]:
    return {f["logical_id"]: (f["status"], f["message"]) for f in report["findings"] if f["rule_id"] == "DDB022"}


def check(tmp_path, fixture: str, config: str, *args: str) -> dict[str, tuple[str, str]]:
    (tmp_path / ".ddbguard.yaml").write_text(config)
    result = run_ddbguard("check", str(FIXTURES / fixture), "--config", str(tmp_path / ".ddbguard.yaml"),
                          "--format", "json", *args)
    assert result.json()["errors"] == [], result.stderr
    return ddb022(result.json())


def test_the_settings_are_off_by_default_and_read_as_given():
    assert parse_config({}, source="x").backup == BackupRequirements()
    assert not BackupRequirements().any
    config = parse_config({"backup": {"require_vault_lock": True, "require_copy": ["cross-region"],
                                      "allowed_kms_keys": ["arn:aws:kms:us-east-1:111111111111:key/*"]}}, source="x")
    assert config.backup == BackupRequirements(True, ("cross-region",), ("arn:aws:kms:us-east-1:111111111111:key/*",))
    assert config.backup.any


@pytest.mark.parametrize("backup, message", [
    ({"require_lock": True}, "x: backup: Additional properties are not allowed ('require_lock' was unexpected)"),
    ({"require_copy": ["cross-partition"]},
     "x: backup/require_copy/0: 'cross-partition' is not one of ['cross-region', 'cross-account']"),
    ({"allowed_kms_keys": ["alias/aws/backup"]},
     "x: backup/allowed_kms_keys/0: 'alias/aws/backup' does not match '^arn:[a-z-]+:kms:[^:]*:[^:]*:key/.+$'"),
    ({"require_vault_lock": "yes"}, "x: backup/require_vault_lock: 'yes' is not of type 'boolean'"),
])
def test_a_wrong_setting_is_rejected_with_one_clear_line(backup, message):
    with pytest.raises(ConfigError) as raised:
        parse_config({"backup": backup}, source="x")
    assert str(raised.value) == message


def test_vault_lock_and_allowed_keys(tmp_path):
    config = ('backup:\n  require_vault_lock: true\n'
              '  allowed_kms_keys: ["arn:aws:kms:us-east-1:111111111111:key/*"]\n')
    assert check(tmp_path, "requirements.yaml", config) == {
        "Ledger": ("pass", "compliant"),  # its daily rule meets both; its weekly one (7 days, unlocked) does not matter
        "Orders": ("fail", "no backup plan rule that selects table orders meets every requirement: backup plan "
                           "OrdersPlan rule daily: its backup vault open has no vault lock (backup.require_vault_lock)"),
        "Sessions": ("fail", "no backup plan rule that selects table sessions meets every requirement: backup plan "
                             "SessionsPlan rule daily: its backup vault default-key is encrypted with AWS Backup's "
                             "default key, which is not in backup.allowed_kms_keys"),
        "Pending": ("unknown", "whether a backup plan keeps table pending is unknown: backup vault Default (the "
                               "target of backup plan PendingPlan) is not in the input"),
    }


def test_without_the_settings_the_same_plans_are_judged_on_retention_only(tmp_path):
    assert {name: status for name, (status, _) in check(tmp_path, "requirements.yaml", "{}\n").items()} == {
        "Ledger": "pass", "Orders": "pass", "Sessions": "pass", "Pending": "pass"}


COPIES = "backup: {require_copy: [cross-region, cross-account]}\n"
NO_COPY = ("it copies no recovery point to another region (backup.require_copy: cross-region), it copies no "
           "recovery point to another account (backup.require_copy: cross-account)")


def test_copies_to_another_region_and_account_in_a_template_of_unknown_region(tmp_path):
    assert check(tmp_path, "copies.yaml", COPIES) == {
        "Audit": ("fail", f"no backup plan rule that selects table audit meets every requirement: backup plan "
                          f"AuditPlan rule daily: {NO_COPY}"),
        "Local": ("fail", f"no backup plan rule that selects table local meets every requirement: backup plan "
                          f"LocalPlan rule daily: {NO_COPY}"),
        "Archive": ("unknown", "whether a backup plan keeps table archive is unknown: whether a copy destination "
                               "(us-west-2) is in another region than the plan's (${AWS::Region}) cannot be told "
                               "statically"),
        "Bare": ("fail", f"no backup plan rule that selects table bare meets every requirement: backup plan BarePlan "
                         f"rule daily: {NO_COPY}"),
    }


@pytest.mark.parametrize("region, account, archive", [
    ("us-east-1", "111111111111", ("pass", "compliant")),
    # the destination's own region and account: nothing is copied elsewhere
    ("us-west-2", "222222222222", ("fail", f"no backup plan rule that selects table archive meets every requirement: "
                                           f"backup plan ArchivePlan rule daily: {NO_COPY}")),
])
def test_copies_are_judged_once_the_stack_region_and_account_are_given(tmp_path, region, account, archive):
    parameters = tmp_path / "parameters.json"
    parameters.write_text(json.dumps([{"ParameterKey": "AWS::Region", "ParameterValue": region},
                                      {"ParameterKey": "AWS::AccountId", "ParameterValue": account}]))
    found = check(tmp_path, "copies.yaml", COPIES, "--parameters", str(parameters))
    assert found["Archive"] == archive
    assert {name: status for name, (status, _) in found.items()} == {
        "Audit": "fail", "Local": "fail", "Archive": archive[0], "Bare": "fail"}


def test_one_required_copy_kind_is_enough_when_only_it_is_required(tmp_path):
    parameters = tmp_path / "parameters.json"
    parameters.write_text(json.dumps([{"ParameterKey": "AWS::Region", "ParameterValue": "us-east-1"},
                                      {"ParameterKey": "AWS::AccountId", "ParameterValue": "222222222222"}]))
    found = check(tmp_path, "copies.yaml", "backup: {require_copy: [cross-region]}\n", "--parameters", str(parameters))
    assert found["Archive"] == ("pass", "compliant")  # us-west-2 from us-east-1, the same account


def test_a_one_day_retention_is_said_in_the_singular(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text((FIXTURES / "requirements.yaml").read_text().replace(
        "            TargetBackupVault: open\n            Lifecycle: {DeleteAfterDays: 35}",
        "            TargetBackupVault: open\n            Lifecycle: {DeleteAfterDays: 1}"))
    (tmp_path / ".ddbguard.yaml").write_text("backup: {require_vault_lock: true}\n")
    report = run_ddbguard("check", str(template), "--config", str(tmp_path / ".ddbguard.yaml"), "--format", "json")
    assert ddb022(report.json())["Orders"] == (
        "fail", "no backup plan rule that selects table orders meets every requirement: backup plan OrdersPlan rule "
                "daily: it keeps recovery points 1 day, less than min_backup_retention_days (30), its backup vault "
                "open has no vault lock (backup.require_vault_lock)")


@pytest.mark.parametrize("days, kept", [(7, "7 days"), (1, "1 day")])
def test_a_rule_that_misses_one_requirement_fails_whatever_else_is_unknown(tmp_path, days, kept):
    template = tmp_path / "template.yaml"
    template.write_text((FIXTURES / "requirements.yaml").read_text().replace(
        "BackupPlanRule: [{RuleName: daily, TargetBackupVault: Default, Lifecycle: {DeleteAfterDays: 35}}]",
        "BackupPlanRule: [{RuleName: daily, TargetBackupVault: Default, Lifecycle: {DeleteAfterDays: %d}}]" % days))
    (tmp_path / ".ddbguard.yaml").write_text("backup: {require_vault_lock: true}\n")
    report = run_ddbguard("check", str(template), "--config", str(tmp_path / ".ddbguard.yaml"), "--format", "json")
    # the vault Default is not in the input, but so few days are too few whatever it is
    assert ddb022(report.json())["Pending"] == (
        "fail", f"the backup plans that select table pending keep recovery points at most {kept}, less than "
                "min_backup_retention_days (30)")


def test_a_vault_whose_lock_or_key_does_not_resolve_is_unknown(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text((FIXTURES / "requirements.yaml").read_text().replace(
        "LockConfiguration: {MinRetentionDays: 30}\n  OpenVault", "LockConfiguration: !If [Locked, {MinRetentionDays: 30}, "
        "!Ref AWS::NoValue]\n  OpenVault").replace("Resources:\n", "Conditions:\n  Locked: !Equals [!Ref Mode, "
                                                  "locked]\nParameters:\n  Mode: {Type: String}\nResources:\n", 1))
    (tmp_path / ".ddbguard.yaml").write_text("backup: {require_vault_lock: true}\n")
    report = run_ddbguard("check", str(template), "--config", str(tmp_path / ".ddbguard.yaml"), "--format", "json")
    assert ddb022(report.json())["Ledger"] == (
        "unknown", "whether a backup plan keeps table ledger is unknown: the vault lock of backup vault LockedVault "
                   "cannot be resolved statically")


def test_a_vault_key_of_the_template_cannot_be_compared_with_key_arns(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text((FIXTURES / "requirements.yaml").read_text().replace(
        "BackupVaultName: locked\n      EncryptionKeyArn: arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-"
        "1234567890ab", "BackupVaultName: locked\n      EncryptionKeyArn: !GetAtt Key.Arn").replace(
        "Resources:\n", "Resources:\n  Key: {Type: AWS::KMS::Key, Properties: {KeyPolicy: {}}}\n", 1))
    (tmp_path / ".ddbguard.yaml").write_text('backup: {allowed_kms_keys: ["arn:aws:kms:*:111111111111:key/*"]}\n')
    report = run_ddbguard("check", str(template), "--config", str(tmp_path / ".ddbguard.yaml"), "--format", "json")
    assert ddb022(report.json())["Ledger"] == (
        "unknown", "whether a backup plan keeps table ledger is unknown: the KMS key of backup vault LockedVault "
                   "cannot be resolved statically")


def test_an_input_without_plans_says_an_organization_policy_may_apply(tmp_path):
    result = run_ddbguard("check", str(FIXTURES / "none.yaml"), "--format", "json")
    [finding] = [f for f in result.json()["findings"] if f["rule_id"] == "DDB022"]
    assert (finding["status"], finding["severity"], finding["message"]) == (
        "suppressed", "low", "no backup plan selects table orders: the input defines no AWS Backup plan (an "
                             "organization backup policy may apply: `ddbguard audit` judges it)")
    assert finding["suppression_reason"] == (
        "the input defines no backup plan, so an organization backup policy may cover the table: `ddbguard audit` "
        "judges its recovery points and, with `backup:` settings, the plans that select it, those of the account's "
        "effective organization backup policy included; define a plan in the input to make tables it leaves out "
        "fail")


def test_a_plan_without_a_rule_is_never_a_pass(tmp_path):
    template = {"Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                   "Properties": {"TableName": "orders"}},
        "Plan": {"Type": "AWS::Backup::BackupPlan",
                 "Properties": {"BackupPlan": {"BackupPlanName": "empty", "BackupPlanRule": []}}},
        "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {
            "BackupPlanId": {"Ref": "Plan"},
            "BackupSelection": {"SelectionName": "all", "IamRoleArn": "arn:aws:iam::111111111111:role/backup",
                                "Resources": [{"Fn::GetAtt": ["Orders", "Arn"]}]}}}}}
    (tmp_path / "empty.json").write_text(json.dumps(template))
    (tmp_path / ".ddbguard.yaml").write_text("{}\n")
    result = run_ddbguard("check", str(tmp_path / "empty.json"), "--config", str(tmp_path / ".ddbguard.yaml"),
                          "--format", "json")
    assert ddb022(result.json()) == {
        "Orders": ("unknown", "whether a backup plan keeps table orders is unknown: backup plan Plan has no rule that "
                              "can be read")}


@pytest.mark.parametrize("parameters, verdict", [
    (None, ("unknown", "whether a backup plan keeps table orders is unknown: backup selection Selection names tables "
                       "by ARNs of one partition, region or account, and where the table is deployed is not known (a "
                       "template file does not say: give AWS::Region and AWS::AccountId with --parameters)")),
    ({"AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111"}, ("pass", "compliant")),
    ({"AWS::Region": "us-east-1"}, ("fail", "no backup plan of the input selects table orders")),
])
def test_a_selection_of_one_region_selects_a_table_only_deployed_there(tmp_path, parameters, verdict):
    """`arn:aws:dynamodb:eu-west-1:*:table/*` selects the table only where the stack is deployed in eu-west-1,
    which a template file does not say."""
    template = {"Resources": {
        "Orders": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                   "Properties": {"TableName": "orders"}},
        "Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {
            "BackupPlanName": "daily", "BackupPlanRule": [{"RuleName": "daily", "TargetBackupVault": "Default",
                                                           "Lifecycle": {"DeleteAfterDays": 35}}]}}},
        "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {
            "BackupPlanId": {"Ref": "Plan"},
            "BackupSelection": {"SelectionName": "tables", "IamRoleArn": "arn:aws:iam::111111111111:role/backup",
                                "Resources": ["arn:aws:dynamodb:eu-west-1:*:table/*"]}}}}}
    (tmp_path / "regional.json").write_text(json.dumps(template))
    args = []
    if parameters is not None:
        (tmp_path / "parameters.json").write_text(json.dumps(parameters))
        args = ["--parameters", str(tmp_path / "parameters.json")]
    assert check(tmp_path, str(tmp_path / "regional.json"), "{}\n", *args) == {"Orders": verdict}
