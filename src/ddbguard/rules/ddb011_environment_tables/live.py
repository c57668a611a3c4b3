"""DDB011 live: each table-naming variable of a function names a table that exists and that the function's
role may use (guide Issues 1, 2 and 7). A table name is looked up in the function's own account and
region; a table ARN in the account and region it names (unknown when the audit does not read them)."""

from ddbguard.arns import parse_table_arn
from ddbguard.graph import may_use
from ddbguard.live.checks import live_verdict
from ddbguard.live.snapshot import Unknown
from ddbguard.registry import rule_of
from ddbguard.rules import DEFAULT_TABLE_VARIABLES, names_a_table

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def named_tables(function, config, snapshot):
    """(variable, value) for each variable that names a table: by its name (table_variables), or because its
    value is a table ARN or the name of a table of the region, as on the template side. None when the
    environment cannot be read (DDB011 reports that)."""
    if isinstance(function.variables, Unknown):
        return
    patterns = tuple(config.table_variables or DEFAULT_TABLE_VARIABLES)
    for variable, value in sorted(function.variables.items()):
        if names_a_table(variable, patterns) or (isinstance(value, str) and (
                parse_table_arn(value) or value in snapshot.table_names)):
            yield variable, value


def locate(snapshot, function, value):
    """(table name, table ARN, the region's snapshot or an Unknown saying it is not audited) of a value."""
    parsed = parse_table_arn(value)
    if not parsed:  # a bare name is a table of the function's own account and region
        partition = function.arn.split(":")[1] if function.arn.count(":") > 2 else "aws"
        return value, f"arn:{partition}:dynamodb:{snapshot.region}:{snapshot.account}:table/{value}", snapshot
    region, account, name, arn = parsed.region, parsed.account, parsed.name, parsed.table
    if (account, region) == (snapshot.account, snapshot.region):
        return name, arn, snapshot
    found = snapshot.audited.region(account, region) if snapshot.audited is not None else None
    return name, arn, found or Unknown(f"account {account} region {region}, which this audit does not read (add it "
                                       "with --accounts/--regions)")


def evaluate(snapshot, config, now):
    if isinstance(snapshot.functions, Unknown):
        return []
    evaluations = []
    for function in snapshot.functions:
        if isinstance(function.variables, Unknown):
            evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, [],
                                            [function.variables.reason]))
            continue
        variables = list(named_tables(function, config, snapshot))
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
        evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, problems, unknown))
    return evaluations
