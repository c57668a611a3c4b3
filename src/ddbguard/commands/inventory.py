"""`ddbguard inventory`: the per-table documentation the guide asks for (Best Practice 8, the pre-migration
checklist), from templates or cloud assemblies, or (`--live`) from the accounts the audit reads.

One record per table (schemas/inventory.schema.json): where it is defined (stack, construct path), name,
ARN, key schema, billing mode (capacity mode) and the capacity Application Auto Scaling scales, encryption and key,
indexes, stream, point-in-time recovery and its recovery window, deletion protection, retain policies, backups, and
who is granted what; and one record per DAX cluster (encryption at rest, endpoint encryption, nodes). A value that
cannot be told is null. CSV holds the tables only.
"""

from __future__ import annotations

import csv
import io

from ddbguard.kit.access import DATA_ACTIONS
from ddbguard.iam import is_allowed
from ddbguard.model import Unknown
from ddbguard.report.escape.csv import csv_cell
from ddbguard.report.escape.json import json_document
from ddbguard.report.escape.markdown import markdown_cell, markdown_code
from ddbguard.kit.backup import selects, table_tags
from ddbguard.kit.capacity import table_dimensions, targeted, template_targets
from ddbguard.kit.values import boolean, integer

DAX_FIELDS = ("account", "region", "stack", "logical_id", "name", "arn", "encryption_at_rest", "endpoint_encryption",
              "nodes")

FIELDS = ("account", "region", "stack", "construct_path", "logical_id", "name", "arn", "type", "key_schema",
          "billing_mode", "encryption", "kms_key", "global_indexes", "local_indexes", "stream",
          "auto_scaling", "point_in_time_recovery", "point_in_time_recovery_days", "deletion_protection", "deletion_policy", "update_replace_policy", "backups",
          "granted")


def _keys(schema) -> str | None:
    if not isinstance(schema, list):
        return None
    return ", ".join(f"{k.get('AttributeName')} ({k.get('KeyType')})" for k in schema if isinstance(k, dict))


def _encryption(sse) -> tuple[str | None, str | None]:
    if sse is not None and not isinstance(sse, dict):
        return None, None
    enabled = _flag((sse or {}).get("SSEEnabled"))
    if not enabled:
        return ("AWS owned key", None) if enabled is False else (None, None)
    key = sse.get("KMSMasterKeyId")
    return ("customer managed key", key if isinstance(key, str) else None) if key else ("AWS managed key", None)


def _known(value):
    return None if isinstance(value, (Unknown, dict)) or (isinstance(value, str) and "${" in value) else value


def _flag(value) -> bool | None:
    """A boolean property as CloudFormation reads it: absent is off; anything that is not a boolean (an
    unresolved parameter) cannot be told."""
    return False if value is None else boolean(value)


def _recovery_days(specification) -> int | None:
    """The recovery window of point-in-time recovery that is on (35 when RecoveryPeriodInDays is absent); null when
    it is off or cannot be told."""
    if not isinstance(specification, dict) or _flag(specification.get("PointInTimeRecoveryEnabled")) is not True:
        return None
    days = specification.get("RecoveryPeriodInDays")
    return 35 if days is None else integer(days)


def _dax(stack: str, logical_id: str, resource: dict, account, region) -> dict:
    """A DAX cluster of a template (AWS::DAX::Cluster)."""
    p = resource.get("Properties") or {}
    sse = p.get("SSESpecification") or {}
    return {"account": account, "region": region, "stack": stack, "logical_id": logical_id,
            "name": _known(p.get("ClusterName")), "arn": None,
            "encryption_at_rest": _flag(sse.get("SSEEnabled")) if isinstance(sse, dict) else None,
            "endpoint_encryption": _known(p.get("ClusterEndpointEncryptionType", "NONE")),
            "nodes": integer(p.get("ReplicationFactor"))}


def _template_scaling(targets, stack, name: str, properties: dict) -> list[str] | None:
    """The capacity the input's scalable targets scale, in words; null when a target cannot be resolved."""
    targets, unresolved = targets
    if unresolved:
        return None
    indexes = [i["IndexName"] for i in properties.get("GlobalSecondaryIndexes") or []
               if isinstance(i, dict) and isinstance(i.get("IndexName"), str)]
    return [d.describe() for d in table_dimensions(indexes) if targeted(targets, stack, name, d)]


def _selected_by(chosen, arn: str, resource: dict) -> list[str] | None:
    """The backup selections that pick the table; None when one of them cannot tell."""
    tags = table_tags(resource)
    picked = [(s.logical_id, selects(s, arn, tags)) for s in chosen]
    return None if any(isinstance(v, str) for _, v in picked) else [k for k, v in picked if v]


def template_inventory(paths: list[str], config, parameters=None) -> tuple[list[dict], list[dict], list]:
    """(table records, DAX cluster records, errors) of the input."""
    from ddbguard.commands.read import read_input
    from ddbguard.join import cdk_path_of
    from ddbguard.kit.backup import selections
    from ddbguard.kit.graph import Graph
    from ddbguard.templates.noecho import Redaction
    from ddbguard.templates.resolve import TABLE_TYPES

    read = read_input(paths, parameters, config)
    stacks, model, errors = read.stacks, read.model, read.errors
    graph = Graph(stacks, model, config.tables)
    chosen = selections(graph)
    targets = template_targets(graph)
    records, clusters = [], []
    for stack in stacks:
        resolver = model.resolver(stack.stack)
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") == "AWS::DAX::Cluster":
                clusters.append(_dax(stack.stack.stack_name or stack.name, logical_id, resource, stack.stack.account,
                                     stack.stack.region))
            if resource.get("Type") not in TABLE_TYPES:
                continue
            p = resource.get("Properties") or {}
            replicas = [r for r in p.get("Replicas") or [] if isinstance(r, dict)]
            holder = replicas[0] if replicas else p  # a global table's per-replica settings
            encryption, key = _encryption(p.get("SSESpecification"))
            name, arn = resolver.table_name(logical_id), resolver.table_arn(logical_id)
            table = graph.tables.get(name)
            records.append({
                "account": stack.stack.account, "region": stack.stack.region, "stack": stack.stack.stack_name or stack.name,
                "construct_path": cdk_path_of(stack, logical_id), "logical_id": logical_id,
                "name": None if "${" in name else name, "arn": None if "${" in arn else arn,
                "type": resource["Type"], "key_schema": _keys(p.get("KeySchema")),
                "billing_mode": _known(p.get("BillingMode")) or "PROVISIONED",
                "encryption": encryption, "kms_key": key,
                "global_indexes": [i.get("IndexName") for i in p.get("GlobalSecondaryIndexes") or [] if isinstance(i, dict)],
                "local_indexes": [i.get("IndexName") for i in p.get("LocalSecondaryIndexes") or [] if isinstance(i, dict)],
                "stream": _known((p.get("StreamSpecification") or {}).get("StreamViewType")),
                "auto_scaling": _template_scaling(targets, stack, name, p),
                "point_in_time_recovery": _flag(((holder.get("PointInTimeRecoverySpecification") or {})
                                                 .get("PointInTimeRecoveryEnabled"))),
                "point_in_time_recovery_days": _recovery_days(holder.get("PointInTimeRecoverySpecification")),
                "deletion_protection": _flag(holder.get("DeletionProtectionEnabled")),
                "deletion_policy": resource.get("DeletionPolicy", "Delete"),
                "update_replace_policy": resource.get("UpdateReplacePolicy", "Delete"),
                "backups": _selected_by(chosen, arn, resource),
                "granted": _grants(graph, table) if table is not None else [],
            })
    redaction = Redaction(read.secrets)
    return ([redaction.value(record) for record in records], [redaction.value(c) for c in clusters],
            redaction.errors(errors))


def _grants(graph, table) -> list[str]:
    from ddbguard.kit.access import table_arns

    granted = []
    for identity in graph.identities:
        statements = identity.statements
        arns = table_arns(table, statements)
        actions = [a.split(":")[1] for a in DATA_ACTIONS if any(is_allowed(statements, a, arn) for arn in arns)]
        if actions:
            functions = [f.logical_id for f in graph.functions_using(identity)]
            who = f"{identity.stack.stack.stack_name or identity.stack.name}/{identity.logical_id}" + (
                f" ({', '.join(functions)})" if functions else "")
            granted.append(f"{who}: {', '.join(actions)}")
    return sorted(granted)


def live_inventory(scope) -> tuple[list[dict], list[dict]]:
    """Records of the tables the audit read (live/snapshot.py), with the functions whose roles may use them, and of
    its DAX clusters."""
    from ddbguard.kit.access import may_use

    records, clusters = [], []
    for snapshot in scope.snapshots.values():
        for cluster in snapshot.dax_clusters if isinstance(snapshot.dax_clusters, list) else []:
            sse = cluster.get("SSEDescription")
            clusters.append({"account": snapshot.account, "region": snapshot.region, "stack": None, "logical_id": None,
                             "name": cluster.get("ClusterName"), "arn": cluster.get("ClusterArn"),
                             "encryption_at_rest": sse.get("Status") == "ENABLED" if isinstance(sse, dict) else None,
                             "endpoint_encryption": cluster.get("ClusterEndpointEncryptionType"),
                             "nodes": cluster.get("TotalNodes")})
        targets = snapshot.scalable_targets
        scaled = {(t.get("ResourceId"), t.get("ScalableDimension")) for t in targets} if isinstance(
            targets, list) else None
        functions = snapshot.functions if isinstance(snapshot.functions, list) else []
        for table in snapshot.tables:
            d = table.description if isinstance(table.description, dict) else {}
            sse = d.get("SSEDescription") or {}
            pitr = table.continuous_backups
            recovery = {} if isinstance(pitr, Unknown) else (pitr.get("PointInTimeRecoveryDescription") or {})
            indexes = [i["IndexName"] for i in d.get("GlobalSecondaryIndexes") or []]
            template = table.template_resource if isinstance(table.template_resource, dict) else {}
            records.append({
                "account": snapshot.account, "region": snapshot.region,
                "stack": table.stack[0] if isinstance(table.stack, tuple) else None, "construct_path": None,
                "logical_id": table.stack[1] if isinstance(table.stack, tuple) else None,
                "name": table.name, "arn": table.arn,
                "type": "AWS::DynamoDB::GlobalTable" if d.get("Replicas") else "AWS::DynamoDB::Table",
                "key_schema": _keys(d.get("KeySchema")),
                "billing_mode": (d.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED") if d else None,
                "encryption": ("customer managed key" if isinstance(table.kms_key, dict) and table.kms_key.get(
                    "KeyManager") == "CUSTOMER" else "AWS managed key") if sse.get("Status") in ("ENABLED", "UPDATING")
                else ("AWS owned key" if d else None),
                "kms_key": sse.get("KMSMasterKeyArn"),
                "global_indexes": [i["IndexName"] for i in d.get("GlobalSecondaryIndexes") or []],
                "local_indexes": [i["IndexName"] for i in d.get("LocalSecondaryIndexes") or []],
                "stream": (d.get("StreamSpecification") or {}).get("StreamViewType"),
                "auto_scaling": None if scaled is None else [
                    dim.describe() for dim in table_dimensions(indexes)
                    if (dim.resource_id(table.name), dim.scalable_dimension) in scaled],
                "point_in_time_recovery": None if isinstance(pitr, Unknown) else (
                    recovery.get("PointInTimeRecoveryStatus") == "ENABLED"),
                "point_in_time_recovery_days": recovery.get("RecoveryPeriodInDays")
                if recovery.get("PointInTimeRecoveryStatus") == "ENABLED" else None,
                "deletion_protection": bool(d.get("DeletionProtectionEnabled")) if d else None,
                "deletion_policy": template.get("DeletionPolicy", "Delete") if template else None,
                "update_replace_policy": template.get("UpdateReplacePolicy", "Delete") if template else None,
                "backups": None if isinstance(table.backups, Unknown) else sorted(
                    f"{b['source']} {b['created']:%Y-%m-%d}" for b in table.backups),
                "granted": sorted(f"{f.name} ({f.role.name})" for f in functions if f.role is not None
                                  and isinstance(f.role.statements, list)
                                  and may_use(f.role.statements, [table.arn], f.role.boundary) is True),
            })
    return records, clusters


def render(records: list[dict], fmt: str, clusters: list[dict] = ()) -> str:
    """Every value is read from templates or AWS: escaped for the format's reader (report/escape/). CSV is one row
    per table: the DAX clusters are in JSON and Markdown."""
    if fmt == "json":
        return json_document({"ddbguard_inventory": 1, "tables": records, "dax_clusters": list(clusters)}, indent=2,
                             default=str) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow({key: csv_cell(_text(value)) for key, value in record.items()})
        return out.getvalue()
    lines = ["# DynamoDB table inventory", ""]
    for record in records:
        lines += [f"## {markdown_code(record['name'] or record['logical_id'] or '')}", "", "| Field | Value |",
                  "|---|---|"]
        lines += [f"| {key.replace('_', ' ')} | {markdown_cell(_text(record[key]))} |" for key in FIELDS]
        lines.append("")
    if clusters:
        lines += ["# DAX clusters", ""]
    for cluster in clusters:
        lines += [f"## {markdown_code(cluster['name'] or cluster['logical_id'] or '')}", "", "| Field | Value |",
                  "|---|---|"]
        lines += [f"| {key.replace('_', ' ')} | {markdown_cell(_text(cluster[key]))} |" for key in DAX_FIELDS]
        lines.append("")
    return "\n".join(lines)


def _text(value) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
