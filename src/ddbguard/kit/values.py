"""CloudFormation values as rules read them: a CloudFormation-shaped table resource, booleans, policies.

A predicate is a pure function `problems(resource, config) -> list[Problem]` of one resource shaped
like CloudFormation's (`Type`, `Properties`, `DeletionPolicy`, `UpdateReplacePolicy`). Templates hand
it their resolved resources; the live audit hands it the same shape built from the AWS API, where a
field that could not be read is an `Unknown` (judged unknown, never pass or fail).
"""

from __future__ import annotations

import re

from ddbguard.model import Problem, Unknown

# CloudFormation reads these strings as booleans too (the set cfn-lint, AWS's own linter, accepts); any other
# value, a number included, is not a boolean. Python's `1 == True` must never make `1` pass.
TRUE_STRINGS = ("true", "True", "TRUE")
FALSE_STRINGS = ("false", "False", "FALSE")
GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"
LEGACY_REPLICA = "Custom::DynamoDBReplica"  # CDK `Table` replicationRegions: deleting it deletes that replica
RETAINED = ("Retain", "RetainExceptOnCreate")  # the DeletionPolicy values that keep a resource


def dig(value: object, *keys: str) -> object:
    """The value at `keys`, None when a step is missing; an Unknown on the way is returned as is."""
    for key in keys:
        if not isinstance(value, dict):  # an Unknown is no dict
            return value if isinstance(value, Unknown) else None
        value = value.get(key)
    return value


def boolean(value: object) -> bool | None:
    """A boolean property as CloudFormation reads it: True or False, None when the value is not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in TRUE_STRINGS + FALSE_STRINGS:
        return value in TRUE_STRINGS
    return None


def is_true(value: object) -> bool:
    return boolean(value) is True


def integer(value: object) -> int | None:
    """An integer property as CloudFormation reads it: an int or a string of digits ("35"); None for anything
    else (a boolean, a float, an intrinsic that could not be resolved). The guard rules match `/^[0-9]+$/`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    return None


def replicas(resource: dict) -> list[tuple[tuple, object]]:
    """(path, replica) for each replica of a GlobalTable; an unusable Replicas value is one entry."""
    value = dig(resource, "Properties", "Replicas")
    if not isinstance(value, list) or not value:
        return [(("Properties", "Replicas"), value)]
    return [(("Properties", "Replicas", index), replica) for index, replica in enumerate(value)]


def holders(resource: dict) -> list[tuple[tuple, object]]:
    """Where a per-replica setting lives: every replica of a GlobalTable, the Properties of a Table."""
    if resource.get("Type") == GLOBAL_TABLE:
        return replicas(resource)
    return [(("Properties",), resource.get("Properties"))]


def require_true(holder: object, path: tuple, keys: tuple[str, ...], message: str) -> list[Problem]:
    """The boolean at `keys` below `holder` is true; an Unknown is a reason for `unknown`."""
    value = dig(holder, *keys)
    if isinstance(value, Unknown):
        return [Problem(value.reason, (*path, *keys), unknown=True)]
    return [] if is_true(value) else [Problem(message, (*path, *keys))]


def import_values(value: object, path: tuple = ()):
    """Yield (import argument, path) for every Fn::ImportValue inside a value."""
    if isinstance(value, dict):
        if set(value) == {"Fn::ImportValue"}:
            yield value["Fn::ImportValue"], path
            return
        for key, item in value.items():
            yield from import_values(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from import_values(item, (*path, index))


def days(count: int) -> str:
    """A number of days in a message: "1 day", "30 days"."""
    return f"{count} day" if count == 1 else f"{count} days"
