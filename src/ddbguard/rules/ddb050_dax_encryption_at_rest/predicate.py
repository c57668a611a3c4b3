"""DDB050: a DAX cluster encrypts its nodes' cached data at rest."""

from __future__ import annotations

from ddbguard.kit.values import require_true
from ddbguard.model import Problem


def problems(resource: dict, settings=None) -> list[Problem]:
    return require_true(resource.get("Properties"), ("Properties",), ("SSESpecification", "SSEEnabled"),
                        "the DAX cluster does not encrypt its data at rest (SSESpecification.SSEEnabled is not true)")
