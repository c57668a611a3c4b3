"""DDB021 live (info): tables that no CloudFormation stack manages, so they can be imported into one."""

from ddbguard.live.checks import per_table
from ddbguard.registry import rule_of

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(snapshot, config, now):
    return per_table(RULE.id, snapshot, "stack", lambda table, stack: [
        "no CloudFormation stack manages this table (retained after its stack was deleted, or created by hand): "
        "import it into a stack with `cdk import` or a resource import change set"] if stack is None else [])
