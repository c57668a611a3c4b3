"""DDB008: a table's customer managed key must outlive the stack like the table does.

A key is found the way CloudFormation and KMS find it: `Ref`/`GetAtt` of an AWS::KMS::Key or
AWS::KMS::ReplicaKey (in the table's stack, or in another stack of the input through an export), or an
alias name or ARN that an AWS::KMS::Alias of the input points at a key. Keys the input does not define are
not deleted by it; AWS managed keys are deleted by no stack.
"""

from __future__ import annotations

import json

from ddbguard.templates.model import CheckedStack
from ddbguard.kit.graph import Graph, token
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged
from ddbguard.kit.values import RETAINED
from ddbguard.kit.values import GLOBAL_TABLE, dig, replicas
from ddbguard.templates.resolve import TABLE_TYPES, has_unresolved, symbols_in

KEY_TYPES = ("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
ALIAS = "AWS::KMS::Alias"
AWS_MANAGED_ALIAS = "alias/aws/"


def _keys_of(resource: dict) -> list[tuple[tuple, object]]:
    """(path, KMSMasterKeyId) of each key a table names: the table's, or each replica's."""
    if resource.get("Type") == GLOBAL_TABLE:
        return [((*path, "SSESpecification", "KMSMasterKeyId"), dig(replica, "SSESpecification", "KMSMasterKeyId"))
                for path, replica in replicas(resource) if dig(replica, "SSESpecification", "KMSMasterKeyId")]
    key = dig(resource, "Properties", "SSESpecification", "KMSMasterKeyId")
    return [(("Properties", "SSESpecification", "KMSMasterKeyId"), key)] if key else []


class Keys:
    """The KMS keys and aliases of the input, by what a table may name them with."""

    def __init__(self, stacks: list[CheckedStack]) -> None:
        # logical id -> (stack, logical id) of keys and of aliases (whose Ref is the alias name)
        self.by_id: dict[str, list[tuple[CheckedStack, str]]] = {}
        self.aliases: dict[str, tuple[CheckedStack, object]] = {}  # alias/name -> (stack, its TargetKeyId)
        for stack in stacks:
            for logical_id, resource in stack.resolved["Resources"].items():
                if resource.get("Type") in (*KEY_TYPES, ALIAS):
                    self.by_id.setdefault(logical_id, []).append((stack, logical_id))
                if resource.get("Type") == ALIAS:
                    name = dig(resource, "Properties", "AliasName")
                    if isinstance(name, str):
                        self.aliases[name] = (stack, dig(resource, "Properties", "TargetKeyId"))

    def find(self, value: object, stack: CheckedStack, seen: int = 0) -> tuple[CheckedStack, str] | str | None:
        """The key resource a KMSMasterKeyId names; None when the input defines no such key; a reason when it
        cannot be told. A key or alias of the input may be named by its token anywhere in the value (`!Ref Key`,
        `!Sub arn:...:key/${Key}`, `!Sub arn:...:${Alias}`)."""
        if not isinstance(value, str) or has_unresolved(value):
            return f"KMSMasterKeyId is {json.dumps(value, default=str)}, which cannot be resolved statically"
        if seen > 3:
            return f"KMSMasterKeyId {value}: aliases refer to aliases"
        for found in filter(None, map(token, symbols_in(value))):
            candidates = self.by_id.get(found[0], [])
            own = [c for c in candidates if c[0] is stack]
            if len(own or candidates) > 1:
                return f"KMSMasterKeyId {value} names a key that several stacks define"
            if own or candidates:
                key_stack, key_id = (own or candidates)[0]
                resource = key_stack.resolved["Resources"][key_id]
                if resource.get("Type") == ALIAS:
                    return self.find(dig(resource, "Properties", "TargetKeyId"), key_stack, seen + 1)
                return key_stack, key_id
            if found[0] not in stack.resolved["Resources"]:
                return f"KMSMasterKeyId {value} names {found[0]}, which is not a key of the input"
        alias = value.split(":alias/", 1)[1] if ":alias/" in value else value.removeprefix("alias/") \
            if value.startswith("alias/") else None
        if alias is None:
            return None  # a key id or key ARN: a key this input does not define
        if f"alias/{alias}".startswith(AWS_MANAGED_ALIAS):
            return None  # AWS managed: no stack deletes it
        target = self.aliases.get(f"alias/{alias}")
        if target is None:
            return None  # an alias of a key the input does not define
        return self.find(target[1], target[0], seen + 1)


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def evaluate(graph: Graph, settings) -> list[Subject]:
    keys = Keys(graph.stacks)
    subjects = []
    tables = [(stack, logical_id, resource) for stack in graph.stacks
              for logical_id, resource in stack.resources_of(TABLE_TYPES)]
    for stack, logical_id, resource in tables:
        named = _keys_of(resource)
        if not named:
            continue  # no customer managed key: nothing a stack can delete
        problems, unknown = [], []
        for path, value in named:
            found = keys.find(value, stack)
            if isinstance(found, str):
                unknown.append((f"{found}, so whether the input deletes the key cannot be told", path))
            elif found is not None:
                key_stack, key_id = found
                key = key_stack.resolved["Resources"][key_id]
                policy = key.get("DeletionPolicy", "Delete")
                if policy not in RETAINED:
                    where = "" if key_stack is stack else f" of stack {key_stack.name}"
                    problems.append((
                        f"its KMS key {key_id}{where} has DeletionPolicy {_shown(policy)}:"
                        " deleting the stack (or removing the key) schedules the key for deletion, and once it is "
                        "deleted the table and its backups can never be read again, even if the table is retained",
                        path))
        subjects.append(judged(stack, logical_id, problems, unknown))
    return subjects
