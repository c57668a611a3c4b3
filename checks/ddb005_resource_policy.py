"""DDB005: resource-policy Allow statements name (or pin) their principals and grant no control-plane action."""

from ddbguard.checkov_support import DdbguardCheck, Problem, dig
from ddbguard.resource_policy import policy_problems


class Ddb005ResourcePolicy(DdbguardCheck):
    rule_id = "DDB005"

    def problems(self, resource: dict) -> list[Problem]:
        properties = resource.get("Properties")
        found = policy_problems(properties, ("Properties",))
        if resource.get("Type") == "AWS::DynamoDB::GlobalTable":
            replicas = dig(resource, "Properties", "Replicas")
            for index, replica in enumerate(replicas if isinstance(replicas, list) else []):
                found.extend(policy_problems(replica, ("Properties", "Replicas", index)))
        return found


check = Ddb005ResourcePolicy()
