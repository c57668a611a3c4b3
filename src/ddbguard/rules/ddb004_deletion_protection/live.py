"""DDB004 live: DescribeTable says deletion protection is on."""

from ddbguard.live.checks import per_table


def evaluate(snapshot, config, now):
    return per_table("DDB004", snapshot, "description", lambda table, description: [] if description.get(
        "DeletionProtectionEnabled") else ["deletion protection is not enabled"])
