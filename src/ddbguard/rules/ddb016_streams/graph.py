"""DDB016: a Lambda event source mapping or a grant on a table stream needs a table that has a stream."""

from __future__ import annotations

import json

from ddbguard.arns import parse_table_arn
from ddbguard.kit.graph import Graph, token
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged
from ddbguard.templates.resolve import TABLE_TYPES, is_intrinsic


_STREAM_ACTIONS = ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream")


def _stream_problem(graph: Graph, stack, value: object) -> tuple[str | None, str | None]:
    """(problem, unknown reason) for a value that should be a table's stream ARN."""
    if is_intrinsic(value):
        return None, f"the stream ARN {json.dumps(value, separators=(',', ':'))} cannot be resolved statically"
    found = token(value)
    if found and found[1] == "StreamArn":
        resource = stack.resolved["Resources"].get(found[0]) or {}
        if resource.get("Type") in TABLE_TYPES and not (resource.get("Properties") or {}).get("StreamSpecification"):
            return f"table {found[0]} has no StreamSpecification, so it has no stream", None
        return None, None
    parsed = parse_table_arn(value)
    if not parsed:
        return None, None
    table = graph.table_named(parsed.name, parsed.table)
    if not parsed.rest.startswith("/stream/"):
        return f"{value} is a table ARN, not a stream ARN (CDK: import the table with tableStreamArn)", None
    if table is not None and table.has_stream is False:
        return f"table {table.name} has no stream (no StreamSpecification, and none declared in config)", None
    return None, None


def evaluate(graph: Graph, settings) -> list[Subject]:
    subjects = []
    for stack in graph.stacks:
        for logical_id, resource in stack.resources_of(("AWS::Lambda::EventSourceMapping",)):
            source = (resource.get("Properties") or {}).get("EventSourceArn")
            if not (is_intrinsic(source) or ":dynamodb:" in str(source) or (token(source) or ("", ""))[1] == "StreamArn"):
                continue  # a queue or a Kinesis stream
            problem, unknown = _stream_problem(graph, stack, source)
            path = ("Properties", "EventSourceArn")
            subjects.append(judged(stack, logical_id, [(problem, path)] if problem else [],
                                       [(unknown, path)] if unknown else []))
    for policy in graph.policies:
        problems, unknown, applicable = [], [], False
        for statement in policy.statements:
            if statement.effect != "Allow" or not any(a in _STREAM_ACTIONS or "Shard" in a or "GetRecords" in a
                                                      for a in statement.actions):
                continue
            for resource in statement.resources:
                if resource == "*" or "/stream/" not in resource and not (token(resource) or ("", ""))[1] == "StreamArn":
                    continue
                applicable = True
                problem, reason = _stream_problem(graph, policy.stack, resource)
                if problem:
                    problems.append((problem, statement.path))
                if reason:
                    unknown.append((reason, statement.path))
        if applicable:
            subjects.append(judged(policy.stack, policy.logical_id, problems, unknown))
    return subjects
