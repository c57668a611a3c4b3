"""DDB010 live: a function allowed to Query/Scan a table it names may also query the table's live GSIs."""

from ddbguard.live.checks import functions_with_roles, live_verdict
from ddbguard.live.snapshot import Unknown
from ddbguard.registry import rule_of
from ddbguard.rules.ddb010_index_coverage.graph import message, missing_indexes, reads
from ddbguard.rules.ddb011_environment_tables.live import named_tables

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


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
            if not reads(statements, [table.arn]):
                continue
            judged = True
            indexes = [i["IndexName"] for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                       for i in table.description.get(key) or []]
            missing = missing_indexes(statements, [table.arn], indexes)
            if missing:
                problems.append(message(function.role.name, name, missing))
        if judged:
            evaluations.append(live_verdict(RULE.id, snapshot, function.name, function.arn, problems, unknown))
    return evaluations
