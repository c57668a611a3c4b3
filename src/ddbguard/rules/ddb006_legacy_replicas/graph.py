"""DDB006: replicas made by `Custom::DynamoDBReplica` resources (CDK `Table` with `replicationRegions`) are
neither retained nor protected; a global table (`TableV2`) declares its replicas on the table."""

from __future__ import annotations

from ddbguard.kit.graph import Graph, token
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged
from ddbguard.kit.values import GLOBAL_TABLE, LEGACY_REPLICA


def evaluate(graph: Graph, settings) -> list[Subject]:
    subjects = []
    for stack in graph.stacks:
        resources = stack.resolved["Resources"]
        legacy: dict[str, list[tuple[str, str, bool]]] = {}  # table logical id -> (region, replica id, retained)
        for logical_id, resource in resources.items():
            if resource.get("Type") != LEGACY_REPLICA:
                continue
            properties = resource.get("Properties") or {}
            # TableName is the table's Ref: resolved, the table's name (or its token when it has no name)
            named = token(properties.get("TableName"))
            # a lookup, not graph.table_of: that would add a table the input only names to the shared graph
            name = properties.get("TableName")
            found = graph.tables.get(name) if not named and isinstance(name, str) else None
            table = named[0] if named and named[0] in resources else (
                found.logical_id if found is not None and found.stack is stack else logical_id)
            region = properties.get("Region")
            legacy.setdefault(table, []).append((region if isinstance(region, str) else "an unresolved region",
                                                 logical_id, resource.get("DeletionPolicy") == "Retain"))
        for table, replicas in sorted(legacy.items()):
            regions = ", ".join(sorted(region for region, _, _ in replicas))
            deleted = [replica for _, replica, retained in replicas if not retained]
            problems = [(f"legacy replicas in {regions} (Custom::DynamoDBReplica "
                         f"{', '.join(sorted(replica for _, replica, _ in replicas))}) have no point-in-time recovery "
                         "or deletion protection of their own"
                         + (f", and {len(deleted)} of them are deleted with their custom resource (DeletionPolicy "
                            "is not Retain): removing a region or the stack deletes that region's data" if deleted
                            else "") + "; use TableV2 (AWS::DynamoDB::GlobalTable) with replicas", ())]
            subjects.append(judged(stack, table, problems))
        for logical_id, resource in resources.items():
            if resource.get("Type") == GLOBAL_TABLE and logical_id not in legacy and len(
                    (resource.get("Properties") or {}).get("Replicas") or []) > 1:
                subjects.append(judged(stack, logical_id, []))
    return subjects
