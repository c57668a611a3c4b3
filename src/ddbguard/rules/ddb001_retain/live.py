"""DDB001 live: the rule's predicate on each stack-managed table, with the policies of its deployed template.

A table no stack manages cannot be deleted by one (DDB021 lists it for import).
"""

from ddbguard.kit.snapshot import judge_tables
from ddbguard.rules.ddb001_retain.predicate import problems as predicate


def evaluate(snapshot, settings, now):
    managed = [table for table in snapshot.tables if table.stack is not None]

    def explain(table, problem):
        if problem.unknown or not isinstance(table.stack, tuple):
            return problem.message
        stack, logical_id = table.stack
        return f"stack {stack} ({logical_id}): {problem.message}"

    return judge_tables(predicate, snapshot, settings, managed, explain=explain)
