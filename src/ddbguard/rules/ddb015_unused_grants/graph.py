"""DDB015 (low): a role is allowed on a table that no principal using it names (a function's environment, a state
machine's tasks, an AppSync data source, ...); a role shared by principals that name different tables is split."""

from __future__ import annotations

from ddbguard.arns import arn_pattern
from ddbguard.kit.graph import Graph
from ddbguard.kit.principals import RoleUsers
from ddbguard.kit.subjects import judged
from ddbguard.model import Subject
from ddbguard.rules.ddb015_unused_grants.named import tables_named


def evaluate(graph: Graph, settings) -> list[Subject]:
    subjects = []
    users = RoleUsers(graph)
    for role in graph.roles:
        principals = users.principals.get(id(role), [])
        if not principals:
            continue  # used by nothing the input shows: by what outside it, and for which tables, is unknown
        reach = graph.reachable_tables(role.statements)
        granted = {t.name: t for t in _named(graph, role.statements) if t in reach}
        if not granted:
            continue
        named = {id(p): tables_named(graph, p, settings) for p in principals}
        union = set().union(*(names for names, _ in named.values()))
        doubts = [r for _, reasons in named.values() for r in reasons]
        doubts += [f"{other} refers to the role, and which tables it uses is not read"
                   for other in users.others(role)]
        unused = sorted(set(granted) - union)
        who = ", ".join(p.describe() for p in principals)
        tables = f"table{'s' if len(unused) > 1 else ''} {', '.join(unused)}"
        if unused and doubts:
            subjects.append(judged(role.stack, role.logical_id, unknown=[(
                f"role {role.logical_id} may use {tables}, which no principal using it ({who}) surely names: "
                + "; ".join(dict.fromkeys(doubts)), ())]))
        else:
            subjects.append(judged(role.stack, role.logical_id, [(
                f"role {role.logical_id} may use {tables}, which no principal using it ({who}) names", ())]
                if unused else []))
        if len(principals) > 1:
            subjects += [_split(role, p, principals, named, set(granted) & union) for p in principals]
    return subjects


def _split(role, principal, principals, named, used: set) -> Subject:
    """A principal of a shared role: the tables the role grants it that only the others name."""
    extra = sorted(used - named[id(principal)][0])
    if not extra:
        return judged(principal.stack, principal.logical_id,
                      note=f"shares role {role.logical_id}, which grants it no table that only the others name")
    others = _name_them([p.describe() for p in principals if p is not principal and named[id(p)][0] & set(extra)])
    reasons = named[id(principal)][1]
    if reasons:  # it may name them itself
        return judged(principal.stack, principal.logical_id, unknown=[(
            f"{principal.describe()} uses {role.logical_id}, which also grants {', '.join(extra)} that {others}; "
            f"whether it names them too is unknown: {'; '.join(reasons)}", principal.path)])
    return judged(principal.stack, principal.logical_id, [(
        f"split the role: {principal.describe()} uses {role.logical_id}, which also grants {', '.join(extra)} that "
        f"only {others}", principal.path)])


def _name_them(principals: list[str]) -> str:
    """"X names", "X and Y name", "X, Y and Z name"."""
    if len(principals) == 1:
        return f"{principals[0]} names"
    return f"{', '.join(principals[:-1])} and {principals[-1]} name"


def _named(graph: Graph, statements) -> list:
    """The tables Allow statements name (a Resource that reaches tables of several names is DDB012's business)."""
    return [t for s in statements if s.effect == "Allow" for resource in s.resources
            if arn_pattern(resource).table_name for t in graph.tables_matching(resource)]
