"""What DDB022's `backup:` requirements read live: the region's AWS Backup plans with their selections, its backup
vaults, each table's tags (selections by tag), and the account's effective organization backup policy. A failed
call is an Unknown in the place of what it would have read."""

from __future__ import annotations

import json

from botocore.exceptions import BotoCoreError, ClientError

from ddbguard.aws import attempt, error_reason, paginate
from ddbguard.kit.snapshot import RegionSnapshot, Unknown


def read_backup_setup(snapshot: RegionSnapshot, backup, organizations, account_cache) -> None:
    """The plans, vaults and organization policy of one region into its snapshot (the policy once per account)."""
    snapshot.backup_plans = backup_plans(backup)
    listed = attempt("backup:ListBackupVaults", paginate, backup, "list_backup_vaults", "BackupVaultList")
    snapshot.backup_vaults = listed if isinstance(listed, Unknown) else {v["BackupVaultName"]: v for v in listed}
    snapshot.organization_backup_policy = account_cache.once(
        "organizations:DescribeEffectivePolicy", account_cache.organization,
        lambda: organization_backup_policy(organizations, snapshot.account))


def backup_plans(backup) -> list[dict] | Unknown:
    """Every plan of the region: {"id", "name", "plan": GetBackupPlan's BackupPlan, "selections": each
    GetBackupSelection's BackupSelection} (either an Unknown when it cannot be read)."""
    listed = attempt("backup:ListBackupPlans", paginate, backup, "list_backup_plans", "BackupPlansList")
    if isinstance(listed, Unknown):
        return listed
    plans = []
    for summary in listed:
        plan_id = summary["BackupPlanId"]
        plans.append({
            "id": plan_id, "name": summary.get("BackupPlanName") or plan_id,
            "plan": attempt("backup:GetBackupPlan", lambda: backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]),
            "selections": _selections(backup, plan_id)})
    return plans


def _selections(backup, plan_id: str) -> list[dict] | Unknown:
    listed = attempt("backup:ListBackupSelections", paginate, backup, "list_backup_selections",
                     "BackupSelectionsList", BackupPlanId=plan_id)
    if isinstance(listed, Unknown):
        return listed
    found = []
    for summary in listed:
        selection = attempt("backup:GetBackupSelection", lambda: backup.get_backup_selection(
            BackupPlanId=plan_id, SelectionId=summary["SelectionId"])["BackupSelection"])
        if isinstance(selection, Unknown):
            return selection  # one unread selection may be the one that selects a table
        found.append(selection)
    return found


def organization_backup_policy(organizations, account: str) -> dict | None | Unknown:
    """The account's effective BACKUP_POLICY (inheritance resolved by AWS Organizations); None: no policy applies.
    Any other answer (access denied, no organization, not a member) is unknown, never "no policy"."""
    call = "organizations:DescribeEffectivePolicy"
    try:
        answer = organizations.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=account)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "EffectivePolicyNotFoundException":
            return None
        return Unknown(error_reason(exc, call))
    except BotoCoreError as exc:
        return Unknown(error_reason(exc, call))
    try:
        content = json.loads((answer.get("EffectivePolicy") or {})["PolicyContent"])
    except (KeyError, TypeError, ValueError):
        return Unknown(f"{call} answered a backup policy that is not JSON")
    return content if isinstance(content, dict) else Unknown(f"{call} answered a backup policy that is not a mapping")


def table_tags(dynamodb, arn: str) -> dict | Unknown:
    tags = attempt("dynamodb:ListTagsOfResource", paginate, dynamodb, "list_tags_of_resource", "Tags",
                   ResourceArn=arn)
    return tags if isinstance(tags, Unknown) else {t["Key"]: t.get("Value") for t in tags}
