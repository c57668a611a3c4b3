"""DDB052 live: the rule's predicate on each DAX cluster's CloudFormation-shaped view, whose ReplicationFactor is
DescribeClusters' TotalNodes."""

from ddbguard.kit.snapshot import judge_dax_clusters
from ddbguard.rules.ddb052_dax_multi_az.predicate import problems as predicate


def evaluate(snapshot, config, now):
    return judge_dax_clusters(predicate, snapshot, config)
