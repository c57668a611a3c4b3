"""DDB001: DeletionPolicy Retain (or RetainExceptOnCreate) and UpdateReplacePolicy Retain."""

from __future__ import annotations

from ddbguard.kit.values import RETAINED
from ddbguard.model import Problem, Unknown


def problems(resource: dict, settings=None) -> list[Problem]:
    found = []
    for attribute, kept, what in (
        ("DeletionPolicy", RETAINED, "deleting the stack or removing the resource deletes the table and its data"),
        ("UpdateReplacePolicy", ("Retain",), "a change that replaces the table deletes the old table and its data"),
    ):
        value = resource.get(attribute)
        if isinstance(value, Unknown):
            found.append(Problem(value.reason, (attribute,), unknown=True))
        elif value not in kept:
            found.append(Problem(f"{attribute} is not {' or '.join(kept)}: {what}", (attribute,)))
    return found
