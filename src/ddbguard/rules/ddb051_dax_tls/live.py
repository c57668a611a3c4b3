"""DDB051 live: the rule's predicate on each DAX cluster's CloudFormation-shaped view (DescribeClusters)."""

from ddbguard.kit.snapshot import judge_dax_clusters
from ddbguard.rules.ddb051_dax_tls.predicate import problems as predicate


def evaluate(snapshot, config, now):
    return judge_dax_clusters(predicate, snapshot, config)
