"""DDB020 live: each table has a backup (on-demand, or AWS Backup) newer than max_backup_age_days, made of
this table: a backup of an earlier table of the same name (deleted and re-created) restores old data."""

from ddbguard.kit.snapshot import unaudited_replicas
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown, belongs_to_incarnation
from ddbguard.kit.values import days as days_text



def evaluate(snapshot, settings, now):
    subjects = []
    days = settings.max_backup_age_days
    for table in snapshot.tables:
        reason = next((v.reason for v in (table.backups, table.description) if isinstance(v, Unknown)), None)
        if reason is not None:
            subjects.append(live_judged(table.name, table.arn, [], [reason]))
            continue
        own = [b for b in table.backups if belongs_to_incarnation(b, table.description)]
        problems = []
        if not own:
            earlier = len(table.backups) - len(own)
            problems.append(f"table {table.name} has no backup (on-demand or AWS Backup) newer than {days_text(days)}" + (
                f"; {earlier} recent backup(s) of an earlier table of the same name do not count (the table was "
                f"re-created on {table.description.get('CreationDateTime'):%Y-%m-%d})" if earlier else ""))
        subjects.append(live_judged(table.name, table.arn, problems))
    return subjects + unaudited_replicas(snapshot)
