"""DDB003 live: the rule's predicate on each table's CloudFormation-shaped view (DescribeTable,
DescribeContinuousBackups, GetResourcePolicy); a call that failed is unknown, never judged. Live only:
a table whose KMS key is disabled or pending deletion becomes inaccessible and is then archived (a table
INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING or ARCHIVED fails)."""

from ddbguard.kit.snapshot import judge_tables
from ddbguard.rules.ddb003_encryption.predicate import problems as predicate
from ddbguard.model import Problem

_UNUSABLE_KEY_STATES = ("Disabled", "PendingDeletion", "PendingReplicaDeletion", "Unavailable")


def key_problems(table) -> list[Problem]:
    found = []
    description = table.description if isinstance(table.description, dict) else {}
    status = description.get("TableStatus")
    if status == "INACCESSIBLE_ENCRYPTION_CREDENTIALS":
        found.append(Problem("the table is INACCESSIBLE_ENCRYPTION_CREDENTIALS: its KMS key cannot be used; restore "
                             "access to the key within 7 days or DynamoDB archives the table"))
    elif status in ("ARCHIVING", "ARCHIVED"):
        # DescribeTable's ArchivalSummary (DynamoDB API reference): why, when, and the backup that holds the data
        archival = description.get("ArchivalSummary") or {}
        why = archival.get("ArchivalReason", "INACCESSIBLE_ENCRYPTION_CREDENTIALS")
        backup = archival.get("ArchivalBackupArn")
        where = f"backup {backup}" if backup else "the backup DynamoDB made when it archived it"
        doing = "is being archived" if status == "ARCHIVING" else "was archived"
        found.append(Problem(f"the table is {status}: it {doing} ({why}: its KMS key was inaccessible for more than "
                             f"seven days) and cannot be used; its data is in {where}: restore it from there"))
    key = table.kms_key
    if isinstance(key, dict) and key.get("KeyState") in _UNUSABLE_KEY_STATES:
        found.append(Problem(f"the table's KMS key {key.get('Arn', key.get('KeyId', ''))} is {key['KeyState']}: "
                             "DynamoDB loses access to the data and archives the table; re-enable the key or cancel "
                             "its deletion"))
    return found


def evaluate(snapshot, settings, now):
    return judge_tables(predicate, snapshot, settings, more=key_problems)
