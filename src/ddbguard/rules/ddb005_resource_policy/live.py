"""DDB005 live: the table's resource policy (GetResourcePolicy) names or pins its principals."""

from ddbguard.live.checks import per_table
from ddbguard.resource_policy import policy_problems


def evaluate(snapshot, config, now):
    return per_table("DDB005", snapshot, "resource_policy", lambda table, policy: [
        message for message, _ in policy_problems({"ResourcePolicy": {"PolicyDocument": policy}}, ())
    ] if policy else [])
