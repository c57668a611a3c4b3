"""DDB052: a DAX cluster has at least three nodes, which DAX spreads over availability zones."""

from __future__ import annotations

from ddbguard.kit.values import dig, integer
from ddbguard.model import Problem, Unknown

_PATH = ("Properties", "ReplicationFactor")
NODES = 3


def problems(resource: dict, settings=None) -> list[Problem]:
    value = dig(resource, *_PATH)
    if isinstance(value, Unknown):
        return [Problem(value.reason, _PATH, unknown=True)]
    nodes = integer(value)
    if nodes is None:
        return [Problem("the DAX cluster's ReplicationFactor is not a whole number of nodes", _PATH)]
    if nodes < NODES:
        return [Problem(f"the DAX cluster has {nodes} node{'s' if nodes != 1 else ''} (ReplicationFactor), fewer than "
                        f"{NODES}: it cannot span three availability zones", _PATH)]
    return []
