"""DDB012 live: the policies of each function's role grant DynamoDB narrowly, without an action that can lose or
expose a table's data."""

from ddbguard.kit.snapshot import functions_with_roles
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown
from ddbguard.rules.ddb012_least_privilege.graph import grants_dynamodb, statement_problems



def evaluate(snapshot, settings, now):
    subjects = []
    for function in functions_with_roles(snapshot):
        if isinstance(function.role.statements, Unknown):
            subjects.append(live_judged(function.name, function.arn, [],
                                            [function.role.statements.reason]))
            continue
        statements = function.role.statements
        if not any(grants_dynamodb(s) for s in statements):
            continue
        problems = [f"{s.source}: {message}" for s in statements for message in statement_problems(s, function_role=True)]
        subjects.append(live_judged(function.name, function.arn, problems))
    return subjects
