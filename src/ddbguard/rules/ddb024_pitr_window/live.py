"""DDB024 live: the rule's predicate on each table's CloudFormation-shaped view, whose recovery window is
DescribeContinuousBackups' RecoveryPeriodInDays; a call that failed, or a window it did not state, is unknown."""

from ddbguard.kit.snapshot import judge_tables
from ddbguard.rules.ddb024_pitr_window.predicate import problems as predicate


def evaluate(snapshot, config, now):
    return judge_tables(predicate, snapshot, config)
