"""DDB002 live: DescribeContinuousBackups says point-in-time recovery is ENABLED."""

from ddbguard.live.checks import per_table


def evaluate(snapshot, config, now):
    def judge(table, backups):
        status = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
        return [] if status == "ENABLED" else [f"point-in-time recovery is {status or 'not reported'}"]

    return per_table("DDB002", snapshot, "continuous_backups", judge)
