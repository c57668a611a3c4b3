"""DDB012 live: the policies of each function's role grant DynamoDB narrowly, without an action that can lose or
expose a table's data."""

from ddbguard.live.checks import functions_with_roles, live_verdict
from ddbguard.live.snapshot import Unknown
from ddbguard.registry import rule_of
from ddbguard.rules.ddb012_least_privilege.graph import grants_dynamodb, statement_problems

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(snapshot, config, now):
    evaluations = []
    for function in functions_with_roles(snapshot):
        if isinstance(function.role.statements, Unknown):
            evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, [],
                                            [function.role.statements.reason]))
            continue
        statements = function.role.statements
        if not any(grants_dynamodb(s) for s in statements):
            continue
        problems = [f"{s.source}: {message}" for s in statements for message in statement_problems(s, function_role=True)]
        evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, problems))
    return evaluations
