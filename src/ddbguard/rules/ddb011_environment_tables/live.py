"""DDB011 live: each table-naming variable of a function names a table that exists and that the function's
role may use (guide Issues 1, 2 and 7). A table name is looked up in the function's own account and
region; a table ARN in the account and region it names (unknown when the audit does not read them)."""

from ddbguard.kit.access import may_use
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown, locate, named_tables



def evaluate(snapshot, settings, now):
    if isinstance(snapshot.functions, Unknown):
        return []
    subjects = []
    for function in snapshot.functions:
        if isinstance(function.variables, Unknown):
            subjects.append(live_judged(function.name, function.arn, [],
                                            [function.variables.reason]))
            continue
        variables = list(named_tables(function, settings, snapshot))
        if not variables:
            continue
        problems, unknown = [], []
        for variable, value in variables:  # the value is a table name or ARN, never a secret: safe to print
            name, arn, region = locate(snapshot, function, value)
            if isinstance(region, Unknown):
                unknown.append(f"{variable} names table {name} in {region.reason}")
            elif name not in region.table_names:
                problems.append(f"{variable} names table {name}, which does not exist in account {region.account} "
                                f"region {region.region}")
            elif function.role is None:
                unknown.append(f"{variable} names table {name}, but the function has no readable role")
            elif isinstance(function.role.statements, Unknown):
                unknown.append(f"{variable} names table {name}; the role's policies cannot be read: "
                               f"{function.role.statements.reason}")
            else:
                table = region.table(name)
                access = may_use(function.role.statements, [table.arn if table else arn], function.role.boundary)
                if isinstance(access, Unknown):
                    unknown.append(f"{variable} names table {name}; whether role {function.role.name} may use it is "
                                   f"unknown: {access.reason}")
                elif not access:
                    problems.append(f"{variable} names table {name}, but role {function.role.name} may not use it")
        subjects.append(live_judged(function.name, function.arn, problems, unknown))
    return subjects
