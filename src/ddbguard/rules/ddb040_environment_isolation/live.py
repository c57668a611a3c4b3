"""DDB040 live: a function (by its name, else its role's) of one environment whose role may use a table of
another environment in the same region."""

from ddbguard.kit.access import DATA_ACTIONS
from ddbguard.iam import is_allowed
from ddbguard.kit.snapshot import functions_with_roles
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown
from ddbguard.rules.ddb040_environment_isolation.graph import environment_of



def evaluate(snapshot, settings, now):
    subjects = []
    for function in functions_with_roles(snapshot):
        own = environment_of(function.name, settings) or environment_of(function.role.name, settings)
        statements = function.role.statements
        if own is None or isinstance(statements, Unknown):
            continue
        problems, judged = [], False
        for table in snapshot.tables:
            other = environment_of(table.name, settings)
            if other is None or not any(is_allowed(statements, a, table.arn) for a in DATA_ACTIONS):
                continue
            judged = True
            if other != own:
                problems.append(f"function {function.name} (environment {own}) may use table {table.name} of "
                                f"environment {other} through role {function.role.name}")
        if judged:
            subjects.append(live_judged(function.name, function.arn, problems))
    return subjects
