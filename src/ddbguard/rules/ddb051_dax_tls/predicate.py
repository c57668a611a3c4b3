"""DDB051: a DAX cluster's endpoint accepts only TLS connections."""

from __future__ import annotations

from ddbguard.kit.values import dig
from ddbguard.model import Problem, Unknown

_PATH = ("Properties", "ClusterEndpointEncryptionType")


def problems(resource: dict, settings=None) -> list[Problem]:
    value = dig(resource, *_PATH)
    if isinstance(value, Unknown):
        return [Problem(value.reason, _PATH, unknown=True)]
    if value == "TLS":
        return []
    return [Problem("the DAX cluster's endpoint is not encrypted in transit (ClusterEndpointEncryptionType is not TLS)",
                    _PATH)]
