"""DDB001 live: a table that a CloudFormation stack manages is Retain in the deployed template."""

from ddbguard.live.checks import live_verdict
from ddbguard.live.snapshot import Unknown


def evaluate(snapshot, config, now):
    evaluations = []
    for table in snapshot.tables:
        if table.stack is None:
            continue  # no stack can delete it (DDB021 lists it)
        unknown = next((v.reason for v in (table.stack, table.template_resource) if isinstance(v, Unknown)), None)
        if unknown:
            evaluations.append(live_verdict("DDB001", snapshot, table.name, table.arn, [], [unknown]))
            continue
        stack, logical_id = table.stack
        resource = table.template_resource or {}
        problems = []
        if resource.get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate"):
            problems.append(f"stack {stack} ({logical_id}) deletes the table with the stack: DeletionPolicy is "
                            f"{resource.get('DeletionPolicy', 'Delete (the default)')}")
        if resource.get("UpdateReplacePolicy") != "Retain":
            problems.append(f"stack {stack} ({logical_id}) deletes the old table on replacement: UpdateReplacePolicy "
                            f"is {resource.get('UpdateReplacePolicy', 'Delete (the default)')}")
        evaluations.append(live_verdict("DDB001", snapshot, table.name, table.arn, problems))
    return evaluations
