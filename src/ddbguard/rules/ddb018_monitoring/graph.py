"""DDB018 (off by default): each table has a CloudWatch alarm on throttling or errors."""

from __future__ import annotations

from ddbguard.kit.graph import Graph
from ddbguard.model import Subject
from ddbguard.kit.values import dig
from ddbguard.kit.subjects import judged


METRICS = {"ThrottledRequests", "ReadThrottleEvents", "WriteThrottleEvents", "UserErrors", "SystemErrors"}


def _watched_tables(alarm_properties: dict) -> set[str]:
    """Table names whose throttling or error metrics an alarm watches (plain or metric-math alarms)."""
    metrics = [alarm_properties] + [
        dig(m, "MetricStat", "Metric") for m in alarm_properties.get("Metrics") or []]
    metrics = [m for m in metrics if isinstance(m, dict)]
    watched = set()
    for metric in metrics:
        if metric.get("Namespace") == "AWS/DynamoDB" and str(metric.get("MetricName")) in METRICS:
            for dimension in metric.get("Dimensions") or []:
                if isinstance(dimension, dict) and dimension.get("Name") == "TableName" and isinstance(
                        dimension.get("Value"), str):
                    watched.add(dimension["Value"])
    return watched


def evaluate(graph: Graph, settings) -> list[Subject]:
    watched = set()
    for stack in graph.stacks:
        for resource in stack.resolved["Resources"].values():
            if resource.get("Type") == "AWS::CloudWatch::Alarm":
                watched |= _watched_tables(resource.get("Properties") or {})
    return [
        judged(table.stack, table.logical_id, [] if table.name in watched else [
            (f"no CloudWatch alarm watches {', '.join(sorted(METRICS))} for table {table.name}", ())])
        for table in graph.tables.values() if table.stack is not None
    ]
