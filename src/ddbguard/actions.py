"""DynamoDB actions that control a table's existence or its recovery, and how patterns reach them."""

from __future__ import annotations

import re

# Actions that delete, replace, re-key or restore a table, or change who may do so.
CONTROL_PLANE_ACTIONS = (
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:PutResourcePolicy",
    "dynamodb:DeleteResourcePolicy",
    "dynamodb:RestoreTableFromBackup",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:DeleteBackup",
    "dynamodb:UpdateContinuousBackups",
)


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
