"""DDB011 live: each table-naming variable of a function names a table that exists here and that the
function's role may use (guide Issues 1, 2 and 7)."""

from ddbguard.graph import TABLE_ARN, may_use
from ddbguard.live.checks import live_verdict
from ddbguard.live.snapshot import Unknown
from ddbguard.registry import rule_of
from ddbguard.rules import DEFAULT_TABLE_VARIABLES, names_a_table

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def named_tables(function, config):
    """(variable, table name) for each variable that names a table; an ARN names its table."""
    patterns = tuple(config.table_variables or DEFAULT_TABLE_VARIABLES)
    for variable, value in sorted(function.variables.items()):
        if names_a_table(variable, patterns):
            match = TABLE_ARN.match(value)
            yield variable, match.group(3) if match else value


def evaluate(snapshot, config, now):
    if isinstance(snapshot.functions, Unknown):
        return []
    evaluations = []
    for function in snapshot.functions:
        variables = list(named_tables(function, config))
        if not variables:
            continue
        problems, unknown = [], []
        for variable, name in variables:  # the value is a table name, never a secret: safe to print
            table = snapshot.table(name)
            if table is None:
                problems.append(f"{variable} names table {name}, which does not exist in account {snapshot.account} "
                                f"region {snapshot.region}")
            elif function.role is None:
                unknown.append(f"{variable} names table {name}, but the function has no readable role")
            elif isinstance(function.role.statements, Unknown):
                unknown.append(f"{variable} names table {name}; the role's policies cannot be read: "
                               f"{function.role.statements.reason}")
            elif not may_use(function.role.statements, [table.arn]):
                problems.append(f"{variable} names table {name}, but role {function.role.name} may not use it")
        evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, problems, unknown))
    return evaluations
