"""DDB003 live: the rule's predicate on each table's CloudFormation-shaped view (DescribeTable,
DescribeContinuousBackups, GetResourcePolicy); a call that failed is unknown, never judged. Live only:
a table whose KMS key is disabled or pending deletion becomes inaccessible and is then archived."""

from ddbguard.live.checks import judge_tables
from ddbguard.model import Problem

_UNUSABLE_KEY_STATES = ("Disabled", "PendingDeletion", "PendingReplicaDeletion", "Unavailable")


def key_problems(table) -> list[Problem]:
    found = []
    description = table.description if isinstance(table.description, dict) else {}
    if description.get("TableStatus") == "INACCESSIBLE_ENCRYPTION_CREDENTIALS":
        found.append(Problem("the table is INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key cannot be used; restore "
                             "access to the key within 7 days or DynamoDB archives the table"))
    key = table.kms_key
    if isinstance(key, dict) and key.get("KeyState") in _UNUSABLE_KEY_STATES:
        found.append(Problem(f"the table's KMS key {key.get('Arn', key.get('KeyId', ''))} is {key['KeyState']}: "
                             "DynamoDB loses access to the data and archives the table; re-enable the key or cancel "
                             "its deletion"))
    return found


def evaluate(snapshot, config, now):
    return judge_tables(__package__, snapshot, config, more=key_problems)
