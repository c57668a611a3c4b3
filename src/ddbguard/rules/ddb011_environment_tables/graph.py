"""DDB011: every environment variable that names a table names one the function's role may use."""

from __future__ import annotations

import json

from ddbguard.graph import Graph, can_use
from ddbguard.model import Evaluation, Unknown
from ddbguard.registry import rule_of
from ddbguard.rules import table_variables, verdict
from ddbguard.templates.resolve import is_intrinsic

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def evaluate(graph: Graph, config) -> list[Evaluation]:
    evaluations = []
    for function in graph.functions:
        variables = table_variables(graph, function, config)
        if not variables:
            continue
        problems, unknown = [], []
        statements = function.role.statements if function.role else []
        reachable = sorted(t.name for t in graph.reachable_tables(statements)) if function.role else []
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
                problems.append((f"{variable} names table {table.name}, but role {function.role.logical_id} may use "
                                 f"only: {', '.join(reachable) or 'no table'}", path))
        evaluations.append(verdict(RULE.id, function.stack, function.logical_id, problems, unknown))
    return evaluations
