"""DDB004: deletion protection on the table, and on every replica of a global table."""

from __future__ import annotations

from ddbguard.model import Problem
from ddbguard.kit.values import GLOBAL_TABLE, holders, require_true


def problems(resource: dict, settings=None) -> list[Problem]:
    message = ("deletion protection is not enabled on every replica (Replicas[*].DeletionProtectionEnabled is not "
               "true)" if resource.get("Type") == GLOBAL_TABLE else
               "deletion protection is not enabled (DeletionProtectionEnabled is not true)")
    return [problem for path, holder in holders(resource)
            for problem in require_true(holder, path, ("DeletionProtectionEnabled",), message)]
