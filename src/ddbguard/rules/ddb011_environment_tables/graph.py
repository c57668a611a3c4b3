"""DDB011: every environment variable that names a table names one the function's role may use. A table name resolves
in the function's own account and region: a grant on a same-named table of another account is another table's."""

from __future__ import annotations

import json

from ddbguard.arns import parse_table_arn
from ddbguard.kit.access import can_use
from ddbguard.kit.graph import Graph
from ddbguard.model import Subject, Unknown
from ddbguard.kit.environments import table_variables
from ddbguard.kit.subjects import judged
from ddbguard.templates.resolve import is_intrinsic



def evaluate(graph: Graph, settings) -> list[Subject]:
    subjects = []
    for function in graph.functions:
        variables = table_variables(graph, function, settings)
        if not variables:
            continue
        problems, unknown = [], []
        statements = function.role.statements if function.role else []
        for variable, value in sorted(variables.items()):
            path = ("Properties", "Environment", "Variables", variable)
            if is_intrinsic(value):
                unknown.append((f"{variable} is {json.dumps(value, separators=(',', ':'))}, which cannot be resolved "
                                "statically (no value from --parameters, a parameter Default or an export in the input)",
                                path))
                continue
            table = graph.table_of(value, function.stack)
            if table is None:
                unknown.append((f"{variable} is {value!r}, which does not name a table ddbguard can identify", path))
                continue
            if function.role is None:
                unknown.append((f"{variable} names table {table.name}, but the function's role "
                                f"({json.dumps(function.role_value)}) is not in the input", path))
                continue
            access = can_use(statements, table, function.role.boundary)
            if access is True:
                continue
            if function.role.unreadable:
                policy, where, why = function.role.unreadable[0]
                unknown.append((f"{variable} names table {table.name}, which role {function.role.logical_id} may use "
                                f"only through a policy ddbguard cannot read ({policy.logical_id} "
                                f"{'.'.join(map(str, where))}: {why})", path))
            elif isinstance(access, Unknown):
                unknown.append((f"{variable} names table {table.name}; whether role {function.role.logical_id} may "
                                f"use it is unknown: {access.reason}", path))
            elif can_use(statements, table) is True:
                problems.append((f"{variable} names table {table.name}, which role {function.role.logical_id}'s "
                                 "permissions boundary does not allow", path))
            else:
                reach = graph.reachable_tables(statements)
                elsewhere = any(t.name == table.name and t is not table for t in reach)
                problems.append((f"{variable} names table {table.name}{_where(table) if elsewhere else ''}, but role "
                                 f"{function.role.logical_id} may use only: {may_use_only(reach, table)}", path))
        subjects.append(judged(function.stack, function.logical_id, problems, unknown))
    return subjects


_SHOWN = 10  # tables named in a message; a wildcard grant may reach thousands


def may_use_only(reach, named) -> str:
    """The tables an identity may use, for a message; one named like the variable's table says where it is (a bare
    name is the function's own account's table, not another account's)."""
    labels = sorted(f"{t.name}{_where(t)}" if t.name == named.name and t is not named else t.name for t in reach)
    more = f" and {len(labels) - _SHOWN} more" if len(labels) > _SHOWN else ""
    return ", ".join(labels[:_SHOWN]) + more if labels else "no table"


def _where(table) -> str:
    parsed = parse_table_arn(table.arn)
    return f" (in account {parsed.account})" if parsed and parsed.account.isdigit() else ""
