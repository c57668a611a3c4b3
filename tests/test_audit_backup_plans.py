"""DDB022 live with `backup:` settings: the plans that select a table, from AWS Backup and from the account's
effective organization backup policy, must meet the requirements (vault lock, copies, allowed keys) and keep
recovery points long enough.

DynamoDB (tables, tags) is the moto server. moto 5.2.5 models backup vaults (ListBackupVaults with Locked,
EncryptionKeyArn) and plans (GetBackupPlan with CopyActions) but not ListBackupSelections/GetBackupSelection
(NotImplemented) nor organizations:DescribeEffectivePolicy (NotImplemented), and the suite's AWS Backup is already
the recorded one (fixtures/live/recorded_backup.py, for recovery points): so AWS Backup's plans, selections and
vaults, and DescribeEffectivePolicy, answer from recordings written from the AWS Backup and AWS Organizations API
references (the effective policy in the shape of the Organizations User Guide's "Backup policy syntax and examples":
values plain or still under `@@assign`, `$account` and `$region` left for AWS Backup to fill in)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest

from conftest import ROOT
from ddbguard.commands.audit import AuditOptions, audit_evaluations
from ddbguard.config import BackupRequirements, Config
from ddbguard.model import Unknown

ACCOUNT = "123456789012"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOCKED = {"BackupVaultName": "locked", "BackupVaultArn": f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:locked",
          "EncryptionKeyArn": KEY, "Locked": True, "MinRetentionDays": 7, "NumberOfRecoveryPoints": 0}
OPEN = {"BackupVaultName": "open", "BackupVaultArn": f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:open",
        "EncryptionKeyArn": KEY, "Locked": False, "NumberOfRecoveryPoints": 0}
REQUIRED = Config(backup=BackupRequirements(require_vault_lock=True, require_copy=("cross-region",)))

# an organization plan for tables tagged org-backup=yes, as an effective policy states it
ORG_POLICY = {"plans": {"org_daily": {
    "regions": ["us-east-1", "eu-north-1"],
    "rules": {"daily": {"schedule_expression": "cron(0 5 ? * * *)", "target_backup_vault_name": "locked",
                        "lifecycle": {"delete_after_days": "35"},
                        "copy_actions": {"arn:aws:backup:eu-west-1:$account:backup-vault:dr": {
                            "target_backup_vault_arn": {"@@assign": "arn:aws:backup:eu-west-1:$account:backup-vault:dr"},
                            "lifecycle": {"delete_after_days": "35"}}}}},
    "selections": {"tags": {"tagged": {"iam_role_arn": f"arn:aws:iam::{ACCOUNT}:role/backup",
                                       "tag_key": "org-backup", "tag_value": ["yes"]}}}}}}


@pytest.fixture(scope="module")
def organizations_server():
    from fixtures.live.recorded_backup import RecordedOrganizations

    server = RecordedOrganizations()
    yield server
    server.stop()


@pytest.fixture
def organizations(organizations_server, moto, monkeypatch):
    organizations_server.policy, organizations_server.error = None, None
    organizations_server.targets.clear()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", organizations_server.url)
    return organizations_server


def table(moto, aws_backup, name: str, tags: dict | None = None) -> str:
    arn = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])["TableDescription"]["TableArn"]
    aws_backup.record(arn, dt.datetime.now(dt.timezone.utc).timestamp())  # a recent point: the rest of DDB022 passes
    return arn


def plan(aws_backup, plan_id: str, vault: str, selection: dict, *, days: int = 35, copies: tuple = ()) -> None:
    aws_backup.plans[plan_id] = {"BackupPlanName": plan_id, "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": vault, "ScheduleExpression": "cron(0 5 ? * * *)",
         "Lifecycle": {"DeleteAfterDays": days}, "CopyActions": [{"DestinationBackupVaultArn": c} for c in copies]}],
        "selections": [{"SelectionName": f"{plan_id}-tables", "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
                        "Resources": [], "ListOfTags": [], "NotResources": [],
                        "Conditions": {"StringEquals": [], "StringNotEquals": [], "StringLike": [],
                                       "StringNotLike": []}, **selection}]}


def ddb022(moto, config: Config, **options) -> dict[str, tuple[str, str]]:
    evaluations, errors = audit_evaluations(AuditOptions(endpoint_url=moto, regions=["us-east-1"], **options), config)
    assert errors == []
    return {e.logical_id: (e.status.value, e.message) for e in evaluations if e.rule_id == "DDB022"}


@pytest.fixture
def account(moto, aws_backup, organizations):
    """ledger: a local plan (by ARN) to the locked vault with a copy to us-west-2; orders: a local plan (by tag) to the
    unlocked vault without copies; payments: only the organization's plan (by tag); scratch: no plan."""
    aws_backup.vaults += [LOCKED, OPEN]
    ledger = table(moto, aws_backup, "ledger")
    table(moto, aws_backup, "orders", {"backup": "weekly"})
    table(moto, aws_backup, "payments", {"org-backup": "yes"})
    table(moto, aws_backup, "scratch")
    plan(aws_backup, "ledger-plan", "locked", {"Resources": [ledger]},
         copies=(f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:dr",))
    plan(aws_backup, "weekly-plan", "open", {"ListOfTags": [
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "weekly"}]})
    return organizations


ORDERS = ("no backup plan rule that selects table orders meets every requirement: backup plan weekly-plan rule daily: "
          "its backup vault open has no vault lock (backup.require_vault_lock), it copies no recovery point to another "
          "region (backup.require_copy: cross-region)")


def test_local_and_organization_plans_are_judged_on_every_requirement(moto, account):
    account.policy = ORG_POLICY
    assert ddb022(moto, REQUIRED) == {
        "ledger": ("pass", "compliant"),
        "orders": ("fail", ORDERS),
        "payments": ("pass", "compliant"),  # the organization's plan: locked vault, copied to eu-west-1
        "scratch": ("fail", "no backup plan of AWS Backup or of the organization's backup policy selects table "
                            "scratch, so none meets the backup requirements"),
    }
    assert account.targets == [ACCOUNT]  # once for the account, about the account itself


@pytest.mark.parametrize("error", ["AccessDeniedException", "AWSOrganizationsNotInUseException"])
def test_an_organization_policy_that_cannot_be_read_is_unknown_never_a_pass(moto, account, error):
    account.error = error
    reason = (f"the organization's effective backup policy cannot be read: {error} on "
              f"organizations:DescribeEffectivePolicy: {error} (recorded)")
    assert ddb022(moto, REQUIRED) == {
        "ledger": ("pass", "compliant"),  # its own plan meets every requirement, whatever the organization's says
        "orders": ("unknown", f"whether a backup plan keeps table orders is unknown: {reason}"),
        "payments": ("unknown", f"whether a backup plan keeps table payments is unknown: {reason}"),
        "scratch": ("unknown", f"whether a backup plan keeps table scratch is unknown: {reason}"),
    }


def test_without_an_organization_policy_only_the_local_plans_count(moto, account):
    found = ddb022(moto, REQUIRED)  # DescribeEffectivePolicy answers EffectivePolicyNotFoundException
    assert found["payments"] == ("fail", "no backup plan of AWS Backup or of the organization's backup policy selects "
                                         "table payments, so none meets the backup requirements")
    assert found["ledger"] == ("pass", "compliant")


def test_without_backup_settings_no_plan_is_read_and_the_verdicts_are_todays(moto, account):
    account.policy = ORG_POLICY
    calls: list[str] = []
    assert {name: status for name, (status, _) in ddb022(moto, Config(), observer=calls.append).items()} == {
        "ledger": "pass", "orders": "pass", "payments": "pass", "scratch": "pass"}  # recent recovery points, young
    assert not [c for c in calls if c.startswith("organizations:") or c in (
        "backup:ListBackupPlans", "backup:ListBackupVaults", "dynamodb:ListTagsOfResource")]
    assert account.targets == []


def test_every_backup_call_is_in_the_shipped_read_only_policy(moto, account):
    account.policy = ORG_POLICY
    calls: set[str] = set()
    ddb022(moto, REQUIRED, observer=calls.add)
    policy = json.loads((ROOT / "iam" / "ddbguard-audit-policy.json").read_text())
    allowed = {action.lower() for statement in policy["Statement"] for action in statement["Action"]}
    made = {"backup:ListBackupPlans", "backup:GetBackupPlan", "backup:ListBackupSelections",
            "backup:GetBackupSelection", "backup:ListBackupVaults", "dynamodb:ListTagsOfResource",
            "organizations:DescribeEffectivePolicy"}
    assert made <= calls
    assert {c.lower() for c in calls} <= allowed, sorted(c for c in calls if c.lower() not in allowed)


def test_a_denied_backup_listing_is_unknown(moto, account, aws_backup_server):
    account.policy = ORG_POLICY
    aws_backup_server.plans["broken"] = {"BackupPlanName": "broken", "Rules": [], "selections": []}
    aws_backup_server.plans["broken"]["selections"] = None  # its selections cannot be listed: the server answers 404
    found = ddb022(moto, REQUIRED)
    assert found["ledger"] == ("pass", "compliant")
    assert found["scratch"][0] == "unknown"
    assert found["scratch"][1].startswith("whether a backup plan keeps table scratch is unknown: the selections of "
                                          "backup plan broken cannot be read: ")


# -- the organization's effective policy, read as AWS Backup reads it (recorded snapshots) --------------------------
def judged_on(policy: dict | None, config: Config, tags: dict | None = None, *, plans: list | None = None,
              vaults=None) -> tuple[str, str]:
    """DDB022 on one table of a recorded snapshot: a recent recovery point, AWS Backup's `plans` (none) and `vaults`
    (locked and open), and the organization's `policy`."""
    from ddbguard.engines.live import run_live_rule
    from ddbguard.kit.snapshot import LiveTable, RegionSnapshot

    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    live = LiveTable("orders", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
                     {"TableName": "orders", "CreationDateTime": now - dt.timedelta(days=2)}, {}, None,
                     recovery_points=[{"created": now, "table_id": None, "source": "AWS Backup recovery point"}],
                     tags={} if tags is None else tags)
    snapshot = RegionSnapshot(ACCOUNT, "us-east-1", [live], backup_plans=plans or [],
                              backup_vaults={"locked": LOCKED, "open": OPEN} if vaults is None else vaults,
                              organization_backup_policy=policy)
    [evaluation] = run_live_rule("DDB022", snapshot, config, now)
    return evaluation.status.value, evaluation.message


def assigned(value):
    """A policy value as an attached policy writes it (and some effective policies still show it)."""
    if isinstance(value, dict) and set(value) != {"@@assign"}:
        return {k: assigned(v) for k, v in value.items()}
    return value if isinstance(value, dict) else {"@@assign": value}


RESOURCES_PLAN = {"plans": {"everything": {
    "regions": {"@@assign": ["us-east-1"]},
    "rules": {"monthly": {"target_backup_vault_name": {"@@assign": "locked"},
                          "lifecycle": {"delete_after_days": {"@@assign": "365"}},
                          "copy_actions": {"cross-account": {"target_backup_vault_arn": {
                              "@@assign": "arn:aws:backup:$region:111111111111:backup-vault:central"}}}}},
    "selections": {"resources": {"tables": {
        "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/backup"},
        "resource_types": {"@@assign": ["arn:aws:dynamodb:$region:$account:table/*"]},
        "conditions": {"string_not_equals": {"scratch": {"condition_key": {"@@assign": "aws:ResourceTag/env"},
                                                         "condition_value": {"@@assign": "scratch"}}}}}}}}}}


@pytest.mark.parametrize("backup, tags, expected", [
    (BackupRequirements(require_copy=("cross-account",)), {}, ("pass", "compliant")),
    # $region is the audited region: the copy stays in it
    (BackupRequirements(require_copy=("cross-region",)), {},
     ("fail", "no backup plan rule that selects table orders meets every requirement: organization policy plan "
              "everything rule monthly: it copies no recovery point to another region (backup.require_copy: "
              "cross-region)")),
    (BackupRequirements(allowed_kms_keys=("arn:aws:kms:*:999999999999:key/*",)), {},
     ("fail", "no backup plan rule that selects table orders meets every requirement: organization policy plan "
              f"everything rule monthly: its backup vault locked is encrypted with KMS key {KEY}, which is not in "
              "backup.allowed_kms_keys")),
    (BackupRequirements(require_vault_lock=True), {"env": "scratch"},  # excluded by the condition
     ("fail", "no backup plan of AWS Backup or of the organization's backup policy selects table orders, so none "
              "meets the backup requirements")),
])
def test_an_organization_plan_by_resources_with_conditions(backup, tags, expected):
    assert judged_on(RESOURCES_PLAN, Config(backup=backup), tags) == expected


def test_an_organization_plan_is_judged_on_its_retention():
    policy = json.loads(json.dumps(ORG_POLICY).replace('"delete_after_days": "35"}, "copy', '"delete_after_days": "7"}, '
                                                                                              '"copy'))
    assert judged_on(policy, REQUIRED, {"org-backup": "yes"}) == (
        "fail", "the backup plans that select table orders keep recovery points at most 7 days, less than "
                "min_backup_retention_days (30)")


def test_an_organization_plan_of_other_regions_or_tags_selects_nothing_here():
    elsewhere = json.loads(json.dumps(ORG_POLICY).replace('["us-east-1", "eu-north-1"]', '["eu-north-1"]'))
    none = ("fail", "no backup plan of AWS Backup or of the organization's backup policy selects table orders, so "
                    "none meets the backup requirements")
    assert judged_on(elsewhere, REQUIRED, {"org-backup": "yes"}) == none
    assert judged_on(ORG_POLICY, REQUIRED, {"org-backup": "no"}) == none
    assert judged_on(assigned(ORG_POLICY), REQUIRED, {"org-backup": "yes"}) == ("pass", "compliant")


def test_a_table_whose_tags_cannot_be_read_is_unknown_for_a_plan_by_tag():
    status, message = judged_on(ORG_POLICY, REQUIRED, Unknown("AccessDeniedException on dynamodb:ListTagsOfResource"))
    assert (status, message) == ("unknown", "whether a backup plan keeps table orders is unknown: the tags of table "
                                            "orders cannot be read: AccessDeniedException on "
                                            "dynamodb:ListTagsOfResource")


def local_plan(vault: str, copies: tuple = ()) -> list[dict]:
    """One plan of AWS Backup that selects every table, as GetBackupPlan and GetBackupSelection answer."""
    return [{"id": "p1", "name": "daily", "plan": {"BackupPlanName": "daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": vault, "Lifecycle": {"DeleteAfterDays": 35},
         "CopyActions": [{"DestinationBackupVaultArn": c} for c in copies]}]},
        "selections": [{"SelectionName": "all", "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
                        "Resources": ["arn:aws:dynamodb:*:*:table/*"], "ListOfTags": [], "NotResources": [],
                        "Conditions": {}}]}]


@pytest.mark.parametrize("backup, plans, vaults, expected", [
    (BackupRequirements(allowed_kms_keys=(KEY,)), local_plan("locked"), None, ("pass", "compliant")),
    (BackupRequirements(require_vault_lock=True), local_plan("locked"),
     Unknown("AccessDeniedException on backup:ListBackupVaults"),
     ("unknown", "whether a backup plan keeps table orders is unknown: the backup vaults cannot be listed: "
                 "AccessDeniedException on backup:ListBackupVaults")),
    (BackupRequirements(require_vault_lock=True), local_plan("locked"), {"locked": {"BackupVaultName": "locked"}},
     ("unknown", "whether a backup plan keeps table orders is unknown: ListBackupVaults does not say whether backup "
                 "vault locked is locked")),
    (BackupRequirements(require_vault_lock=True), local_plan("gone"), None,
     ("unknown", f"whether a backup plan keeps table orders is unknown: backup vault gone is not listed in account "
                 f"{ACCOUNT} region us-east-1")),
    (BackupRequirements(require_copy=("cross-account",)), local_plan("locked", ("not-an-arn",)), None,
     ("unknown", "whether a backup plan keeps table orders is unknown: the copy destination 'not-an-arn' cannot be "
                 "read as a backup vault ARN")),
    (BackupRequirements(require_copy=("cross-account",)),
     local_plan("locked", ("arn:aws:backup:us-east-1:111111111111:backup-vault:central",)), None, ("pass", "compliant")),
])
def test_a_plan_of_aws_backup_on_each_requirement(backup, plans, vaults, expected):
    assert judged_on(None, Config(backup=backup), plans=plans, vaults=vaults) == expected
