"""DDB004 live: the rule's predicate on each table's CloudFormation-shaped view (DescribeTable,
DescribeContinuousBackups, GetResourcePolicy); a call that failed is unknown, never judged."""

from ddbguard.kit.snapshot import judge_tables
from ddbguard.rules.ddb004_deletion_protection.predicate import problems as predicate


def evaluate(snapshot, settings, now):
    return judge_tables(predicate, snapshot, settings)
