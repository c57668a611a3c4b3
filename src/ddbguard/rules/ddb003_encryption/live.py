"""DDB003 live: the table's SSEDescription meets the configured encryption level."""

from ddbguard.live.checks import live_verdict
from ddbguard.live.snapshot import Unknown

LEVELS = ("aws-owned", "aws-managed", "customer-managed")


def evaluate(snapshot, config, now):
    required = LEVELS.index(config.encryption_level)
    evaluations = []
    for table in snapshot.tables:
        if isinstance(table.description, Unknown):
            evaluations.append(live_verdict("DDB003", snapshot, table.name, table.arn, [], [table.description.reason]))
            continue
        sse = table.description.get("SSEDescription") or {}
        if sse.get("Status") not in ("ENABLED", "UPDATING"):
            level = 0
        elif isinstance(table.kms_key_manager, Unknown):
            evaluations.append(live_verdict("DDB003", snapshot, table.name, table.arn, [], [table.kms_key_manager.reason]))
            continue
        else:
            level = 2 if table.kms_key_manager == "CUSTOMER" else 1
        problems = [] if level >= required else [
            f"the table is encrypted with {('an AWS owned key', 'the AWS managed key', 'a customer managed key')[level]}"
            f", below the required {config.encryption_level}"]
        evaluations.append(live_verdict("DDB003", snapshot, table.name, table.arn, problems))
    return evaluations
