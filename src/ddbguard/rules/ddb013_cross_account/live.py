"""DDB013 live: resource-policy principals and function grants stay within trusted accounts."""

from ddbguard.graph import TABLE_ARN
from ddbguard.live.checks import functions_with_roles, live_verdict
from ddbguard.live.snapshot import Unknown
from ddbguard.registry import rule_of
from ddbguard.rules.ddb013_cross_account.graph import foreign, foreign_principals

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(snapshot, config, now):
    trusted = tuple(config.trusted_accounts)
    own = snapshot.account
    evaluations = []
    for table in snapshot.tables:
        if isinstance(table.resource_policy, Unknown):
            evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, [], [table.resource_policy.reason]))
            continue
        if not table.resource_policy:
            continue
        problems = []
        raw = table.resource_policy.get("Statement")
        for statement in raw if isinstance(raw, list) else [raw]:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            problems += foreign_principals(statement, own, config)
        evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, problems))
    for function in functions_with_roles(snapshot):
        if isinstance(function.role.statements, Unknown):  # as on the template side: unknown, never skipped
            evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, [], [
                f"the policies of role {function.role.name} cannot be read: {function.role.statements.reason}"]))
            continue
        accounts = sorted({m.group(2) for s in function.role.statements if s.effect == "Allow" for r in s.resources
                           if (m := TABLE_ARN.match(r)) and foreign(m.group(2), own, trusted)})
        if any(TABLE_ARN.match(r) for s in function.role.statements for r in s.resources):
            evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, [
                f"role {function.role.name} is granted tables in account {account}, which is not in trusted_accounts"
                for account in accounts]))
    return evaluations
