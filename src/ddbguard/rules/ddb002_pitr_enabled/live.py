"""DDB002 live: the rule's predicate on each table's CloudFormation-shaped view (DescribeTable,
DescribeContinuousBackups, GetResourcePolicy); a call that failed is unknown, never judged."""

from ddbguard.live.checks import judge_tables


def evaluate(snapshot, config, now):
    return judge_tables(__package__, snapshot, config)
