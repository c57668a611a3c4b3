"""DDB020 live: each table has an on-demand or AWS Backup backup newer than max_backup_age_days."""

import datetime as dt

from ddbguard.live.checks import per_table
from ddbguard.registry import rule_of

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(snapshot, config, now):
    limit = now - dt.timedelta(days=config.max_backup_age_days)

    def judge(table, backups):
        times = [b["BackupCreationDateTime"] for b in backups
                 if b.get("BackupStatus") in ("AVAILABLE", None) and b.get("BackupCreationDateTime")]
        newest = max(times, default=None)
        if newest is None:
            return ["the table has no backup (on-demand or AWS Backup)"]
        if newest < limit:
            return [f"the newest backup is from {newest:%Y-%m-%d}, older than {config.max_backup_age_days} days"]
        return []

    return per_table(RULE.id, snapshot, "backups", judge)
