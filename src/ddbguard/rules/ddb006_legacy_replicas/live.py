"""DDB006 live: a table whose owning stack makes its replicas with `Custom::DynamoDBReplica` resources (the
deployed template says so); a stack-owned global table with replicas passes."""

from ddbguard.kit.subjects import live_judged



def evaluate(snapshot, settings, now):
    subjects = []
    for table in snapshot.tables:
        if not isinstance(table.stack, tuple):
            continue
        if table.legacy_replicas:
            subjects.append(live_judged(table.name, table.arn, [
                f"stack {table.stack[0]} makes the replicas of table {table.name} in "
                f"{', '.join(sorted(table.legacy_replicas))} with Custom::DynamoDBReplica resources: they have no "
                "point-in-time recovery or deletion protection of their own and are deleted with their custom "
                "resource; use TableV2 (AWS::DynamoDB::GlobalTable) with replicas"]))
        elif table.replica_regions:
            subjects.append(live_judged(table.name, table.arn, []))
    return subjects
