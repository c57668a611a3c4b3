"""DDB022 live: AWS Backup protects the table with recovery points that new (max_backup_age_days) and that
old (min_backup_retention_days, or as old as the table when it is younger): its plan keeps them."""

import datetime as dt

from ddbguard.live.checks import live_verdict
from ddbguard.live.snapshot import Unknown, belongs_to_incarnation
from ddbguard.registry import rule_of

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog
NEEDS = ("recovery_points",)  # every recovery point of each table (backup:ListRecoveryPointsByResource)


def evaluate(snapshot, config, now):
    newest_limit = now - dt.timedelta(days=config.max_backup_age_days)
    retention = dt.timedelta(days=config.min_backup_retention_days)
    evaluations = []
    for table in snapshot.tables:
        points, description = table.recovery_points, table.description
        reason = next((v.reason for v in (points, description) if isinstance(v, Unknown)), None)
        if reason is not None or points is None:
            evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, [],
                                            [reason or "AWS Backup's recovery points were not read"]))
            continue
        own = sorted(p["created"] for p in points if belongs_to_incarnation(p, description))
        created = description.get("CreationDateTime") or now
        problems = []
        on_demand = [] if isinstance(table.backups, Unknown) else [
            b for b in table.backups if b.get("source", "").startswith("DynamoDB") and belongs_to_incarnation(b, description)]
        if not own and on_demand:
            evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, [], [
                f"table {table.name} has on-demand backups but no AWS Backup recovery point: how long on-demand backups "
                "are kept is not read (the audit lists only recent ones)"]))
            continue
        if not own:
            problems.append(f"AWS Backup keeps no recovery point of table {table.name}: it is in no backup plan")
        else:
            if own[-1] < newest_limit:
                problems.append(f"the newest AWS Backup recovery point of table {table.name} is from "
                                f"{own[-1]:%Y-%m-%d}, older than {config.max_backup_age_days} days")
            # a plan that keeps points min_backup_retention_days has one that old, once the table is that old
            if now - created >= retention and now - own[0] < retention:
                problems.append(f"the oldest AWS Backup recovery point of table {table.name} is from {own[0]:%Y-%m-%d}: "
                                f"the backup plan keeps them less than min_backup_retention_days "
                                f"({config.min_backup_retention_days})")
        evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, problems))
    return evaluations
