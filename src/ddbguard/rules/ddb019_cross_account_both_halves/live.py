"""DDB019 live: when a function's role in one audited account is granted a table of another audited
account, that table's resource policy allows the role the granted data actions, and its stream's policy the
granted stream reads (reported at the table)."""

from ddbguard.arns import arn_pattern
from ddbguard.kit.access import DATA_ACTIONS, STREAM_ACTIONS
from ddbguard.kit.graph import as_list
from ddbguard.kit.snapshot import functions_with_roles
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown
from ddbguard.rules.ddb019_cross_account_both_halves.graph import grant_targets, resource_policy_allows



def evaluate(snapshot, settings, now):
    if snapshot.audited is None:
        return []
    grants: dict[str, list] = {}  # table name -> [(role, account, [(action, target, policy)])]
    for other in snapshot.audited.snapshots.values():
        if other.account == snapshot.account:
            continue
        for function in functions_with_roles(other):
            if isinstance(function.role.statements, Unknown):
                continue
            for statement in function.role.statements:
                actions = [a for a in (*DATA_ACTIONS, *STREAM_ACTIONS) if statement.covers_action(a)]
                for resource in statement.resources if statement.effect == "Allow" and actions else ():
                    if not arn_pattern(resource).reaches_tables:
                        continue
                    for table in snapshot.tables:
                        targets = grant_targets(resource, table.arn, actions)
                        if targets:
                            grants.setdefault(table.name, []).append((function.role, other.account, targets))
    subjects = []
    for table in snapshot.tables:
        if table.name not in grants:
            continue
        policies = {"table": table.resource_policy, "stream": table.stream_policy}
        needed = {policy for _, _, targets in grants[table.name] for _, _, policy in targets}
        unreadable = [policies[p].reason for p in sorted(needed) if isinstance(policies[p], Unknown)]
        if unreadable:
            subjects.append(live_judged(table.name, table.arn, [], unreadable))
            continue
        stream_arn = (table.description or {}).get("LatestStreamArn") if isinstance(table.description, dict) else None
        problems, unknown = [], []
        for role, account, targets in grants[table.name]:
            answers = {}
            for action, target, policy in targets:
                statements = as_list((policies[policy] or {}).get("Statement"))
                answer = resource_policy_allows(statements, role.arn, account, action,
                                                stream_arn or f"{table.arn}/stream/*" if policy == "stream" else target)
                if answer is not True or action not in answers:
                    answers[action] = answer
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
        subjects.append(live_judged(table.name, table.arn, problems, list(dict.fromkeys(unknown))))
    return subjects
