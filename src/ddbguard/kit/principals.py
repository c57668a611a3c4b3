"""Who uses a role: the resources that hand a role to a service (a Lambda function's Role, a state machine's RoleArn,
an AppSync data source's ServiceRoleArn, ...), and the resources of other types that refer to a role, whose use of
it ddbguard does not read (DDB015)."""

from __future__ import annotations

from dataclasses import dataclass

from ddbguard.iam import IDENTITY_TYPES, POLICY_ATTACHMENTS
from ddbguard.kit.graph import Graph, as_list
from ddbguard.kit.nodes import Identity
from ddbguard.templates.model import CheckedStack

# The property that hands the role to the service, per type (`*` is each item of a list).
ROLE_PROPERTIES = {
    "AWS::Lambda::Function": ("Role",),
    "AWS::StepFunctions::StateMachine": ("RoleArn",),
    "AWS::AppSync::DataSource": ("ServiceRoleArn",),
    "AWS::ApiGateway::Method": ("Integration", "Credentials"),
    "AWS::ApiGatewayV2::Integration": ("CredentialsArn",),
    "AWS::Pipes::Pipe": ("RoleArn",),
    "AWS::Events::Rule": ("Targets", "*", "RoleArn"),
    "AWS::Scheduler::Schedule": ("Target", "RoleArn"),
}


@dataclass(eq=False)
class Principal:
    """A resource that uses a role: its properties, and where in them it names the role."""

    stack: CheckedStack
    logical_id: str
    type: str
    role: Identity
    path: tuple  # to the role property (`Targets/0/RoleArn` for one target of a rule)
    properties: dict

    def describe(self) -> str:
        return self.logical_id


_ROLE_USING_TYPES = tuple(ROLE_PROPERTIES)  # for resources_of


class RoleUsers:
    """The principals that use each role, and (read when first asked for: it walks every property of every
    resource) the resources of other types that refer to a role in a way not read."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self.principals: dict[int, list[Principal]] = {}  # id(role) -> the principals that use it
        self._read: dict[tuple[int, str], set[tuple]] = {}  # (id(stack), logical id) -> the role paths read
        self._others: dict[int, list[str]] | None = None
        for stack in graph.stacks:
            for logical_id, resource in stack.resources_of(_ROLE_USING_TYPES):
                kind = resource["Type"]
                properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
                read = self._read[id(stack), logical_id] = set()
                for path, value in _at(properties, ROLE_PROPERTIES[kind]):
                    role = graph.role_of(value, stack)
                    read.add(path)
                    known = self.principals.setdefault(id(role), []) if role is not None else []
                    if role is not None and not any(p.stack is stack and p.logical_id == logical_id for p in known):
                        known.append(Principal(stack, logical_id, kind, role, path, properties))

    def others(self, role: Identity) -> list[str]:
        """"Type Logical" of each resource that refers to the role other than where it hands a role to a service."""
        if self._others is None:
            self._others = {}
            for stack in self._graph.stacks:
                for logical_id, resource in stack.resolved["Resources"].items():
                    kind = resource.get("Type")
                    if kind in IDENTITY_TYPES or kind in POLICY_ATTACHMENTS:
                        continue
                    properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
                    read = self._read.get((id(stack), logical_id), ())
                    for path, value in _strings(properties, (), []):
                        found = self._graph.role_of(value, stack) if path not in read else None
                        if found is not None:
                            self._others.setdefault(id(found), []).append(f"{kind} {logical_id}")
        return self._others.get(id(role), [])


def _at(value: object, steps: tuple, path: tuple = ()):
    """(path, value) of each value at the steps (a `*` step: each item of a list)."""
    if not steps:
        yield path, value
    elif steps[0] == "*":
        for index, item in enumerate(as_list(value)):
            yield from _at(item, steps[1:], (*path, index))
    elif isinstance(value, dict) and steps[0] in value:
        yield from _at(value[steps[0]], steps[1:], (*path, steps[0]))


def _strings(value: object, path: tuple, found: list) -> list:
    """(path, string) of every string a resolved value holds that may refer to a role (`${Role.Arn}`, a role ARN),
    in document order. Appends to a list rather than yielding: it walks every property of every resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if item.startswith("${") or ":role/" in item:
                    found.append(((*path, key), item))
            elif isinstance(item, (dict, list)):
                _strings(item, (*path, key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                if item.startswith("${") or ":role/" in item:
                    found.append(((*path, index), item))
            elif isinstance(item, (dict, list)):
                _strings(item, (*path, index), found)
    return found
