"""DDB003: encryption at least at the configured level (aws-owned < aws-managed < customer-managed)."""

from __future__ import annotations

import re

from ddbguard.model import Problem, Unknown
from ddbguard.kit.values import GLOBAL_TABLE, dig, replicas, require_true

LEVELS = ("aws-owned", "aws-managed", "customer-managed")
# A key id that names an AWS managed key (aliases under alias/aws/ are AWS's: alias/aws/dynamodb), by its alias or
# its alias ARN; the guard rule has the same expression.
AWS_MANAGED_KEY = re.compile(r"^(arn:.+:)?alias/aws/")


def problems(resource: dict, settings=None) -> list[Problem]:
    required = getattr(settings, "encryption_level", "aws-managed")
    if required not in LEVELS:
        return [Problem(f"unknown encryption level {required!r} (expected one of {', '.join(LEVELS)})")]
    if required == "aws-owned":
        return []
    kind = "global table" if resource.get("Type") == GLOBAL_TABLE else "table"
    found = require_true(resource, (), ("Properties", "SSESpecification", "SSEEnabled"),
                         f"the {kind} is encrypted with an AWS owned key only (SSESpecification.SSEEnabled is not true)")
    if found or required != "customer-managed":
        return found
    # A customer managed key is named on the table (Table) or on every replica (GlobalTable).
    if resource.get("Type") == GLOBAL_TABLE:
        keys = [((*path, "SSESpecification", "KMSMasterKeyId"), dig(replica, "SSESpecification", "KMSMasterKeyId"))
                for path, replica in replicas(resource)]
        message = "customer-managed encryption is required but a replica has no SSESpecification.KMSMasterKeyId"
    else:
        keys = [(("Properties", "SSESpecification", "KMSMasterKeyId"),
                 dig(resource, "Properties", "SSESpecification", "KMSMasterKeyId"))]
        message = "customer-managed encryption is required but SSESpecification.KMSMasterKeyId is not set"
    found = []
    for path, key in keys:
        if isinstance(key, Unknown):
            found.append(Problem(key.reason, path, unknown=True))
        elif not isinstance(key, str) or not key:
            found.append(Problem(message, path))
        elif AWS_MANAGED_KEY.match(key):
            found.append(Problem(f"customer-managed encryption is required but the key {key} is an AWS managed key",
                                 path))
    return found
