"""DynamoDB actions that can lose a table's data or expose it, with the reason for each, and how patterns reach them.

One list serves DDB005 (resource policies, every engine), DDB012 (function roles, templates and live) and the
docs (docs/rules.md is generated from it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DangerousAction:
    action: str
    reason: str


DANGEROUS_ACTIONS = (  # each reason completes "a role that may ACTION may ..."
    DangerousAction("dynamodb:DeleteTable", "deletes the table and every item in it"),
    DangerousAction("dynamodb:DeleteTableReplica", "deletes a global table's replica and its items in that region"),
    DangerousAction("dynamodb:UpdateTable", "turns deletion protection off, deletes indexes, streams and replicas, and "
                                            "changes the encryption key"),
    DangerousAction("dynamodb:UpdateGlobalTable", "removes replicas of a global table, with their items"),
    DangerousAction("dynamodb:UpdateTimeToLive", "turns on TTL, which deletes items whatever DeletionPolicy and "
                                                 "deletion protection say"),
    DangerousAction("dynamodb:UpdateContinuousBackups", "turns point-in-time recovery off, dropping every restore "
                                                        "point"),
    DangerousAction("dynamodb:DeleteBackup", "deletes an on-demand backup"),
    DangerousAction("dynamodb:RestoreTableFromBackup", "copies a backup's data into a new table the caller controls"),
    DangerousAction("dynamodb:RestoreTableToPointInTime", "copies the table's data into a new table the caller "
                                                          "controls"),
    DangerousAction("dynamodb:RestoreTableFromAwsBackup", "copies an AWS Backup recovery point's data into a new "
                                                          "table the caller controls"),
    DangerousAction("dynamodb:ExportTableToPointInTime", "exports all of the table's data to an S3 bucket the caller "
                                                         "names"),
    DangerousAction("dynamodb:EnableKinesisStreamingDestination", "streams every change of the table to a Kinesis "
                                                                   "data stream the caller names"),
    DangerousAction("dynamodb:PutResourcePolicy", "changes who may read, write or delete the table (or its stream)"),
    DangerousAction("dynamodb:DeleteResourcePolicy", "removes the resource policy, with its Deny statements"),
    DangerousAction("dynamodb:TagResource", "changes the tags that aws:ResourceTag conditions and tag-based AWS "
                                            "Backup selections decide by"),
    DangerousAction("dynamodb:UntagResource", "removes tags, which can take the table out of a tag-based AWS Backup "
                                              "selection"),
)
CONTROL_PLANE_ACTIONS = tuple(d.action for d in DANGEROUS_ACTIONS)
CONTROL_PLANE_MESSAGE = ("an Allow statement grants */dynamodb:* or an action that can lose or expose the table's data "
                         f"({', '.join(a.split(':', 1)[1] for a in CONTROL_PLANE_ACTIONS)})")

# Actions that only work on Resource "*" (IAM has no resource for them): granting them on "*" reaches no table.
ACCOUNT_LEVEL_ACTIONS = (
    "dynamodb:ListTables", "dynamodb:ListStreams", "dynamodb:ListBackups", "dynamodb:ListGlobalTables",
    "dynamodb:ListExports", "dynamodb:ListImports", "dynamodb:DescribeLimits", "dynamodb:DescribeEndpoints",
    "dynamodb:DescribeReservedCapacity*", "dynamodb:ListContributorInsights", "dynamodb:PurchaseReservedCapacityOfferings",
    "dynamodb:GetAbacStatus", "dynamodb:UpdateAbacStatus")


def may_reach_control_plane(action_pattern: str) -> bool:
    """True when an action pattern could grant a control-plane action.

    A pattern with a wildcard is judged by the text before its first `*` or `?`: `dynamodb:Delete*`,
    `dynamodb:*` and `*` reach DeleteTable, `dynamodb:Get*` does not. This over-approximates IAM
    matching on purpose (`dynamodb:*Item` is flagged) so that the cfn-guard rule, which can only
    use a regular expression on the pattern text, decides exactly the same.
    """
    pattern = action_pattern.lower()
    wildcard = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=-1)
    if wildcard < 0:
        return pattern in {a.lower() for a in CONTROL_PLANE_ACTIONS} or pattern.startswith("dynamodb:restoretable")
    prefix = pattern[:wildcard]
    return any(action.lower().startswith(prefix) for action in CONTROL_PLANE_ACTIONS)


def control_plane_guard_regex() -> str:
    """The cfn-guard regex that decides like `may_reach_control_plane` (kept in sync by a test)."""
    names = sorted({a.split(":", 1)[1] for a in CONTROL_PLANE_ACTIONS})
    exact = "|".join(n for n in names if not n.startswith("RestoreTable")) + r"|RestoreTable\w*"
    prefixes = sorted({a[:i] for a in CONTROL_PLANE_ACTIONS for i in range(len(a) + 1)})
    wildcard = "|".join(re.escape(p) for p in prefixes)
    return f"(?i)^((dynamodb:({exact}))|({wildcard})[*?].*)$"


# IAM actions of DynamoDB that are not API operations of their own (the service authorization
# reference lists them); the API operations come from botocore's service models.
IAM_ONLY_ACTIONS = (
    "ConditionCheckItem", "PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete",
    "CreateTableReplica", "DeleteTableReplica", "StartAwsBackupJob", "RestoreTableFromAwsBackup",
    "DescribeReservedCapacity", "DescribeReservedCapacityOfferings", "PurchaseReservedCapacityOfferings",
    "GetAbacStatus", "UpdateAbacStatus", "ReadDataForReplication", "SearchVectors",
)


def dynamodb_actions() -> frozenset[str]:
    """Every IAM action of DynamoDB and DynamoDB Streams (which share the `dynamodb:` prefix)."""
    import botocore.session

    session = botocore.session.get_session()
    operations = {name for service in ("dynamodb", "dynamodbstreams")
                  for name in session.get_service_model(service).operation_names}
    return frozenset(f"dynamodb:{name}" for name in operations | set(IAM_ONLY_ACTIONS))
