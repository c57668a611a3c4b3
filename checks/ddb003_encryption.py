"""DDB003: encryption at least at the configured level (DDBGUARD_ENCRYPTION_LEVEL, default aws-managed)."""

import os

from ddbguard.checkov_support import TRUE_VALUES, DdbguardCheck, Problem, dig, replicas

LEVELS = ("aws-owned", "aws-managed", "customer-managed")


class Ddb003Encryption(DdbguardCheck):
    rule_id = "DDB003"

    def problems(self, resource: dict) -> list[Problem]:
        required = os.environ.get("DDBGUARD_ENCRYPTION_LEVEL", "aws-managed")
        if required not in LEVELS:
            return [(f"unknown encryption level {required!r} (expected one of {', '.join(LEVELS)})", ())]
        if required == "aws-owned":
            return []
        sse_enabled = ("Properties", "SSESpecification", "SSEEnabled")
        if dig(resource, *sse_enabled) not in TRUE_VALUES:
            kind = "global table" if resource.get("Type") == "AWS::DynamoDB::GlobalTable" else "table"
            return [(f"the {kind} is encrypted with an AWS owned key only (SSESpecification.SSEEnabled is not true)",
                     sse_enabled)]
        if required != "customer-managed":
            return []
        if resource.get("Type") == "AWS::DynamoDB::GlobalTable":
            return [
                ("customer-managed encryption is required but a replica has no SSESpecification.KMSMasterKeyId",
                 (*path, "SSESpecification", "KMSMasterKeyId"))
                for path, replica in replicas(resource)
                if not isinstance(dig(replica, "SSESpecification", "KMSMasterKeyId"), str)
            ]
        if not isinstance(dig(resource, "Properties", "SSESpecification", "KMSMasterKeyId"), str):
            return [("customer-managed encryption is required but SSESpecification.KMSMasterKeyId is not set",
                     ("Properties", "SSESpecification", "KMSMasterKeyId"))]
        return []


check = Ddb003Encryption()
