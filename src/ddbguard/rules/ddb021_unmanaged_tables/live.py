"""DDB021 live (info): tables that no CloudFormation stack manages, so they can be imported into one."""

from ddbguard.kit.snapshot import per_table



def evaluate(snapshot, settings, now):
    return per_table(snapshot, "stack", lambda table, stack: [
        "no CloudFormation stack manages this table (retained after its stack was deleted, or created by hand): "
        "import it into a stack with `cdk import` or a resource import change set"] if stack is None else [])
