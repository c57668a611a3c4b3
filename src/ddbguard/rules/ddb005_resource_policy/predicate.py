"""DDB005: resource-policy Allow statements name (or pin) their principals and grant no action that can lose or
expose the data: the table's policy, its stream's, and (GlobalTable) every replica's and replica stream's."""

from __future__ import annotations

from ddbguard.model import Problem, Unknown
from ddbguard.resource_policy import policy_holders, policy_problems
from ddbguard.kit.values import dig


def problems(resource: dict, settings=None) -> list[Problem]:
    found = []
    for path, holder, _ in policy_holders(resource):
        policy = dig(holder, "ResourcePolicy")
        if isinstance(policy, Unknown):
            found.append(Problem(policy.reason, (*path, "ResourcePolicy"), unknown=True))
        else:
            found += [Problem(message, where) for message, where in policy_problems(holder, path)]
    return found
