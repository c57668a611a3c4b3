"""DDB023 live: each table in PROVISIONED mode (DescribeTable's BillingModeSummary; a table without one was made
before on-demand existed and is PROVISIONED) has scalable targets (DescribeScalableTargets of the dynamodb namespace,
read once per region) for its read and write capacity and each global secondary index's."""

from ddbguard.kit.snapshot import Unknown, unaudited_replicas
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.capacity import message, missing, table_dimensions


def evaluate(snapshot, config, now):
    targets = snapshot.scalable_targets
    scaled = {(t.get("ResourceId"), t.get("ScalableDimension")) for t in targets} if isinstance(targets, list) else set()
    subjects = []
    for table in snapshot.tables:
        description = table.description
        if isinstance(description, Unknown):
            subjects.append(live_judged(table.name, table.arn, [], [description.reason]))
            continue
        mode = (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        if mode == "PAY_PER_REQUEST":
            subjects.append(live_judged(table.name, table.arn, note="PAY_PER_REQUEST: capacity follows the traffic"))
            continue
        if not isinstance(targets, list):
            reason = targets.reason if isinstance(targets, Unknown) else "the scalable targets were not read"
            subjects.append(live_judged(table.name, table.arn, [], [
                f"table {table.name} is in {mode} capacity mode, and whether it scales is unknown: {reason}"]))
            continue
        indexes = [i["IndexName"] for i in description.get("GlobalSecondaryIndexes") or [] if i.get("IndexName")]
        unscaled = missing(table_dimensions(indexes),
                           lambda d: (d.resource_id(table.name), d.scalable_dimension) in scaled)
        subjects.append(live_judged(table.name, table.arn, [message(table.name, unscaled)] if unscaled else []))
    return subjects + unaudited_replicas(snapshot)
