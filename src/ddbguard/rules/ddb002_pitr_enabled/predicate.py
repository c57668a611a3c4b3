"""DDB002: point-in-time recovery on the table, and on every replica of a global table."""

from __future__ import annotations

from ddbguard.model import Problem
from ddbguard.kit.values import GLOBAL_TABLE, holders, require_true

_PITR = ("PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")


def problems(resource: dict, settings=None) -> list[Problem]:
    message = ("point-in-time recovery is not enabled on every replica (Replicas[*].PointInTimeRecoverySpecification."
               "PointInTimeRecoveryEnabled is not true)" if resource.get("Type") == GLOBAL_TABLE else
               "point-in-time recovery is not enabled (PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled "
               "is not true)")
    return [problem for path, holder in holders(resource) for problem in require_true(holder, path, _PITR, message)]
