"""DDB014: every Fn::ImportValue that names a table resolves to an export of a stack in the input
(or one listed in `external_exports`)."""

from __future__ import annotations

from ddbguard.kit.graph import Graph
from ddbguard.model import Subject
from ddbguard.kit.values import dig
from ddbguard.kit.environments import DEFAULT_TABLE_VARIABLES, names_a_table
from ddbguard.kit.subjects import judged
from ddbguard.kit.values import import_values



def _table_contexts(resource: dict, patterns: tuple[str, ...]):
    """The parts of a resource as written where an import would name a table."""
    properties = resource.get("Properties") or {}
    kind = resource.get("Type")
    if kind == "AWS::Lambda::Function":
        variables = dig(properties, "Environment", "Variables") or {}
        for name, value in variables.items() if isinstance(variables, dict) else []:
            if names_a_table(str(name), patterns):
                yield value, ("Properties", "Environment", "Variables", name)
    elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
        yield properties.get("PolicyDocument"), ("Properties", "PolicyDocument")
    elif kind == "AWS::IAM::Role":
        for index, policy in enumerate(properties.get("Policies") or []):
            yield policy, ("Properties", "Policies", index)
    elif kind == "AWS::Lambda::EventSourceMapping":
        yield properties.get("EventSourceArn"), ("Properties", "EventSourceArn")


def evaluate(graph: Graph, settings) -> list[Subject]:
    patterns = tuple(settings.table_variables or DEFAULT_TABLE_VARIABLES)
    subjects = []
    for stack in graph.stacks:
        resolver = graph.model.resolver(stack.stack)
        for logical_id, resource in stack.stack.template["Resources"].items():
            if not isinstance(resource, dict):
                continue
            found = [item for value, path in _table_contexts(resource, patterns) for item in import_values(value, path)]
            if not found:
                continue
            problems = []
            for argument, path in found:
                name = resolver.resolve(argument)
                if not isinstance(name, str):
                    problems.append(("an Fn::ImportValue names its export with a value that cannot be resolved", path))
                elif not graph.model.has_export(name):
                    problems.append((f"imports {name!r}, which no stack in the input exports (add the exporting "
                                     "stack to the run, or list it under external_exports)", path))
            subjects.append(judged(stack, logical_id, problems))
    return subjects
