"""DDB022 live: AWS Backup protects the table with recovery points that new (max_backup_age_days) and that
old (min_backup_retention_days, or as old as the table when it is younger): its plan keeps them. With `backup:`
settings, a plan of AWS Backup or of the organization's backup policy that selects the table also meets them."""

import datetime as dt

from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown, belongs_to_incarnation, own_dynamodb_backups
from ddbguard.kit.values import days as days_text

from .live_plans import plan_problems


def evaluate(snapshot, settings, now):
    newest_limit = now - dt.timedelta(days=settings.max_backup_age_days)
    retention = dt.timedelta(days=settings.min_backup_retention_days)
    subjects = []
    for table in snapshot.tables:
        points, description = table.recovery_points, table.description
        reason = next((v.reason for v in (points, description) if isinstance(v, Unknown)), None)
        if reason is not None or points is None:
            subjects.append(live_judged(table.name, table.arn, [],
                                            [reason or "AWS Backup's recovery points were not read"]))
            continue
        own = sorted(p["created"] for p in points if belongs_to_incarnation(p, description))
        created = description.get("CreationDateTime") or now
        old_enough = now - created >= retention  # a table younger than the retention needs no point that old
        problems, reasons = [], []
        if own:
            if own[-1] < newest_limit:
                problems.append(f"the newest AWS Backup recovery point of table {table.name} is from "
                                f"{own[-1]:%Y-%m-%d}, older than {days_text(settings.max_backup_age_days)}")
            # a plan that keeps points min_backup_retention_days has one that old, once the table is that old
            if old_enough and now - own[0] < retention:
                problems.append(f"the oldest AWS Backup recovery point of table {table.name} is from {own[0]:%Y-%m-%d}: "
                                f"the backup plan keeps them less than min_backup_retention_days "
                                f"({settings.min_backup_retention_days})")
        elif isinstance(table.backups, Unknown):
            reasons.append(f"AWS Backup keeps no recovery point of table {table.name}, and its on-demand backups "
                           f"cannot be listed: {table.backups.reason}")
        elif not own_dynamodb_backups(table.backups, description):
            problems.append(f"AWS Backup keeps no recovery point of table {table.name}: it is in no backup plan")
        elif old_enough:  # recent on-demand backups: are they kept as long?
            problems, reasons = _on_demand_retention(table, settings.min_backup_retention_days)
        more_problems, more_reasons = plan_problems(snapshot, table, settings)
        subjects.append(live_judged(table.name, table.arn, problems + more_problems, reasons + more_reasons))
    return subjects


def _on_demand_retention(table, days: int) -> tuple[list[str], list[str]]:
    """(problems, unknown reasons) for a table old enough whose only recent backups are DynamoDB's own."""
    if isinstance(table.old_backups, Unknown):
        return [], [f"whether the on-demand backups of table {table.name} are kept {days_text(days)} is unknown: "
                    f"{table.old_backups.reason}"]
    if table.old_backups is None:
        return [], [f"the on-demand backups of table {table.name} older than {days_text(days)} were not read"]
    if own_dynamodb_backups(table.old_backups, table.description):
        return [], []
    return [f"table {table.name} has recent on-demand backups but none older than min_backup_retention_days "
            f"({days}) and no AWS Backup recovery point: its backups are not kept that long"], []
