"""DDB005: resource-policy Allow statements name (or pin) their principals and grant no control-plane action."""

from __future__ import annotations

from ddbguard.model import Problem, Unknown
from ddbguard.resource_policy import policy_problems
from ddbguard.rules.table import GLOBAL_TABLE, dig


def problems(resource: dict, config=None) -> list[Problem]:
    holders = [(("Properties",), resource.get("Properties"))]
    if resource.get("Type") == GLOBAL_TABLE:
        replicas = dig(resource, "Properties", "Replicas")
        holders += [(("Properties", "Replicas", index), replica)
                    for index, replica in enumerate(replicas if isinstance(replicas, list) else [])]
    found = []
    for path, holder in holders:
        policy = dig(holder, "ResourcePolicy")
        if isinstance(policy, Unknown):
            found.append(Problem(policy.reason, (*path, "ResourcePolicy"), unknown=True))
        else:
            found += [Problem(message, where) for message, where in policy_problems(holder, path)]
    return found
