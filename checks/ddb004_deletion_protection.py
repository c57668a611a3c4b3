"""DDB004: deletion protection on the table, and on every replica of a global table."""

from ddbguard.checkov_support import TRUE_VALUES, DdbguardCheck, Problem, dig, replicas


class Ddb004DeletionProtection(DdbguardCheck):
    rule_id = "DDB004"

    def problems(self, resource: dict) -> list[Problem]:
        if resource.get("Type") == "AWS::DynamoDB::GlobalTable":
            return [
                ("deletion protection is not enabled on every replica (Replicas[*].DeletionProtectionEnabled is not true)",
                 (*path, "DeletionProtectionEnabled"))
                for path, replica in replicas(resource)
                if dig(replica, "DeletionProtectionEnabled") not in TRUE_VALUES
            ]
        if dig(resource, "Properties", "DeletionProtectionEnabled") not in TRUE_VALUES:
            return [("deletion protection is not enabled (DeletionProtectionEnabled is not true)",
                     ("Properties", "DeletionProtectionEnabled"))]
        return []


check = Ddb004DeletionProtection()
