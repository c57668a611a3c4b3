"""DDB010 live: a function allowed to Query/Scan a table it names may also query the table's live GSIs."""

from ddbguard.iam import is_allowed
from ddbguard.live.checks import functions_with_roles, live_verdict
from ddbguard.registry import rule_of
from ddbguard.rules.ddb011_environment_tables.live import named_tables
from ddbguard.live.snapshot import Unknown

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog

_READS = ("dynamodb:Query", "dynamodb:Scan")


def evaluate(snapshot, config, now):
    evaluations = []
    for function in functions_with_roles(snapshot):
        problems, unknown, judged = [], [], False
        for _, name in named_tables(function, config):
            table = snapshot.table(name)
            if table is None:
                continue
            if isinstance(function.role.statements, Unknown) or isinstance(table.description, Unknown):
                reason = (function.role.statements if isinstance(function.role.statements, Unknown) else table.description)
                unknown.append(reason.reason)
                judged = True
                continue
            statements = function.role.statements
            if not any(is_allowed(statements, a, table.arn) for a in _READS):
                continue
            judged = True
            indexes = [i["IndexName"] for i in table.description.get("GlobalSecondaryIndexes") or []]
            missing = [i for i in indexes if not any(is_allowed(statements, a, f"{table.arn}/index/{i}") for a in _READS)]
            if missing:
                problems.append(f"role {function.role.name} may Query/Scan table {name} but not its index"
                                f"{'es' if len(missing) > 1 else ''} {', '.join(missing)}")
        if judged:
            evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, problems, unknown))
    return evaluations
