"""What is at stake for a table when its stack is deleted or the table is replaced: lost, or only orphaned.

As CloudFormation decides it: deleting the stack (or removing the resource) deletes a table unless its
DeletionPolicy is Retain or RetainExceptOnCreate (Snapshot does not apply to DynamoDB tables: the table is
deleted); a replacement deletes the old table unless its UpdateReplacePolicy is Retain. A policy that is
still an intrinsic function or parameter after resolution cannot be judged: unknown, never retained.
A CDK `Table`'s legacy replica (`Custom::DynamoDBReplica`) is at stake like a table: deleting the custom
resource deletes that region's replica and its data, unless the custom resource is retained.
"""

from __future__ import annotations

import json

from ddbguard.kit.values import RETAINED
from ddbguard.model import Unknown

ON_DELETE = ("DeletionPolicy", RETAINED)
ON_REPLACE = ("UpdateReplacePolicy", ("Retain",))

ORPHANED = ("reported without failing: the tables would be orphaned (left in the account, unmanaged), not lost, "
            "because every one of them is retained")


class Replica(str):
    """A table's legacy replica, named as at stake: "T's replica in REGION"."""

    @classmethod
    def of(cls, table: str, region: object) -> Replica:
        return cls(f"{table}'s replica in {region if isinstance(region, str) else 'an unresolved region'}")


def kept(resource: object, attribute: str, retaining: tuple[str, ...]) -> bool | Unknown:
    """Whether the table survives: True (retained), False (deleted), Unknown (the policy is not decided)."""
    if isinstance(resource, Unknown):
        return resource
    value = resource.get(attribute, "Delete") if isinstance(resource, dict) else None
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, str):
        return Unknown(f"its {attribute} is {json.dumps(value, default=str, separators=(',', ':'))}, which has no "
                       "value here (an intrinsic function or a parameter without a value): whether the table "
                       "survives is unknown")
    return value in retaining


def split(tables: dict[str, bool | Unknown]) -> tuple[list[str], list[str], list[str]]:
    """(lost, unknown reasons, retained) for table name -> kept()."""
    lost = sorted(name for name, answer in tables.items() if answer is False)
    unknown = [f"{name}: {answer.reason}" for name, answer in sorted(tables.items()) if isinstance(answer, Unknown)]
    retained = sorted(name for name, answer in tables.items() if answer is True)
    return lost, unknown, retained


def deleted(lost: list[str]) -> str:
    """What a change deletes: "its table(s) A, B" and "its table T's replica in REGION" for each replica."""
    tables = [name for name in lost if not isinstance(name, Replica)]
    parts = [f"its table{'s' if len(tables) > 1 else ''} {', '.join(tables)}"] if tables else []
    return ", ".join(parts + [f"its table {name}" for name in lost if isinstance(name, Replica)])


def orphaned(what: str, stack: str, tables: list[str], change: str = "deleting the stack") -> str:
    """The low-severity note when every table is retained: what `change` would do to them."""
    many = len(tables) > 1
    them = "them" if many else "it"
    return (f"{what} for stack {stack}, but its table{'s' if many else ''} {', '.join(tables)} "
            f"{'are' if many else 'is'} retained: {change} would orphan {them}, not lose {them}")
