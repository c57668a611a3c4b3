"""DDB099 (an example rule of tests/test_unit_of_change.py): the table class is one ddbguard knows."""

from __future__ import annotations

from ddbguard.kit.values import dig
from ddbguard.model import Problem, Unknown

CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")


def problems(resource: dict, settings=None) -> list[Problem]:
    value = dig(resource, "Properties", "TableClass")
    if isinstance(value, Unknown):
        return [Problem(value.reason, ("Properties", "TableClass"), unknown=True)]
    if value is None or value in CLASSES:
        return []
    return [Problem("TableClass is not STANDARD or STANDARD_INFREQUENT_ACCESS", ("Properties", "TableClass"))]
