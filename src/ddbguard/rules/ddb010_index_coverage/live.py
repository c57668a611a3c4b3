"""DDB010 live: a function allowed to Query/Scan a table it names may also query the table's live indexes."""

from ddbguard.kit.snapshot import functions_with_roles
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown, locate, named_tables
from ddbguard.rules.ddb010_index_coverage.graph import message, missing_indexes, reads



def evaluate(snapshot, settings, now):
    subjects = []
    for function in functions_with_roles(snapshot):
        problems, unknown, judged = [], [], False
        for _, value in named_tables(function, settings, snapshot):
            name, _, region = locate(snapshot, function, value)
            table = region.table(name) if not isinstance(region, Unknown) else None
            if table is None:
                continue  # not a table the audit read: DDB011 says why
            statements = function.role.statements
            if isinstance(statements, Unknown) or isinstance(table.description, Unknown):
                unknown.append((statements if isinstance(statements, Unknown) else table.description).reason)
                judged = True
                continue
            if not reads(statements, [table.arn]):
                continue
            judged = True
            indexes = [i["IndexName"] for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                       for i in table.description.get(key) or []]
            missing, uncertain = missing_indexes(statements, [table.arn], indexes, function.role.boundary)
            if missing:
                problems.append(message(f"role {function.role.name}", name, missing))
            unknown += [f"table {name}: {reason}" for reason in uncertain]
        if judged:
            subjects.append(live_judged(function.name, function.arn, problems, unknown))
    return subjects
