"""DDB013 live: resource-policy principals (the table's and its stream's) and function grants stay within trusted
accounts."""

from ddbguard.kit.snapshot import functions_with_roles
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown, as_resource
from ddbguard.resource_policy import allow_statements
from ddbguard.rules.ddb013_cross_account.graph import foreign_principals, grant_problems



def evaluate(snapshot, settings, now):
    own = snapshot.account
    subjects = []
    for table in snapshot.tables:
        policies = [p for p in (table.resource_policy, table.stream_policy) if p is not None]
        unreadable = [p.reason for p in policies if isinstance(p, Unknown)]
        if unreadable:
            subjects.append(live_judged(table.name, table.arn, [], unreadable))
            continue
        if not policies:
            continue
        problems = [f"{message} ({what} policy)" if what != "table" else message
                    for _, statement, what in allow_statements(as_resource(table))
                    for message in foreign_principals(statement, own, settings)]
        subjects.append(live_judged(table.name, table.arn, problems))
    for function in functions_with_roles(snapshot):
        if isinstance(function.role.statements, Unknown):  # as on the template side: unknown, never skipped
            subjects.append(live_judged(function.name, function.arn, [], [
                f"the policies of role {function.role.name} cannot be read: {function.role.statements.reason}"]))
            continue
        found = [f for s in function.role.statements for f in [grant_problems(s, own, settings)] if f is not None]
        if found:
            subjects.append(live_judged(function.name, function.arn,
                                            [f"role {function.role.name}: {m}" for problems, _ in found for m in problems],
                                            [f"role {function.role.name}: {m}" for _, unknown in found for m in unknown]))
    return subjects
