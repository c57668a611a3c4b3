"""DDB019 live: when a function's role in one audited account is granted a table of another audited
account, that table's resource policy allows the role the granted data actions (reported at the table)."""

from ddbguard.graph import DATA_ACTIONS, TABLE_ARN, as_list
from ddbguard.live.checks import functions_with_roles, live_verdict
from ddbguard.live.snapshot import Unknown
from ddbguard.registry import rule_of
from ddbguard.rules.ddb019_cross_account_both_halves.graph import INDEX_READS, resource_policy_allows

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(snapshot, config, now):
    if snapshot.audited is None:
        return []
    grants: dict[str, list] = {}  # table name -> [(role, account, actions)]
    for other in snapshot.audited.snapshots.values():
        if other.account == snapshot.account:
            continue
        for function in functions_with_roles(other):
            if isinstance(function.role.statements, Unknown):
                continue
            for statement in function.role.statements:
                for resource in statement.resources if statement.effect == "Allow" else ():
                    match = TABLE_ARN.match(resource)
                    if match and (match.group(1), match.group(2)) == (snapshot.region, snapshot.account):
                        actions = [a for a in DATA_ACTIONS if statement.covers_action(a)]
                        grants.setdefault(match.group(3), []).append(
                            (function.role, other.account, actions, bool(match.group(4))))
    evaluations = []
    for table in snapshot.tables:
        if table.name not in grants:
            continue
        if isinstance(table.resource_policy, Unknown):
            evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, [], [table.resource_policy.reason]))
            continue
        statements = as_list((table.resource_policy or {}).get("Statement"))
        problems, unknown = [], []
        for role, account, actions, indexes in grants[table.name]:
            targets = [table.arn] + ([f"{table.arn}/index/*"] if indexes else [])
            answers = {a: answer for a in actions for target in (targets if a in INDEX_READS else [table.arn])
                       for answer in [resource_policy_allows(statements, role.arn, account, a, target)]
                       if answer is not True} or {a: True for a in actions}
            missing = [a for a, answer in answers.items() if answer is False]
            denied = [a for a, answer in answers.items() if answer == "denied"]
            unknown += [f"role {role.name} (account {account}): {answer.reason}" for answer in answers.values()
                        if isinstance(answer, Unknown)]
            if missing:
                problems.append(f"role {role.arn} is granted {', '.join(missing)} on this table, but its resource policy "
                                "does not allow it (cross-account access needs both halves)")
            if denied:
                problems.append(f"the resource policy denies role {role.arn} {', '.join(denied)}, which its identity "
                                "policy grants (AccessDenied at run time)")
        evaluations.append(live_verdict(RULE.id, snapshot, table.name, table.arn, problems, list(dict.fromkeys(unknown))))
    return evaluations
