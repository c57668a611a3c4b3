"""DDB010: a policy that allows Query/Scan on a table with indexes also allows them on its indexes (every identity:
roles, users, groups, permission sets)."""

from __future__ import annotations

from ddbguard.kit.access import table_arns
from ddbguard.kit.graph import Graph
from ddbguard.iam import Boundary, decide_any, is_allowed
from ddbguard.model import Subject, Unknown
from ddbguard.kit.subjects import judged


_READS = ("dynamodb:Query", "dynamodb:Scan")


def reads(statements, arns: list[str]) -> bool:
    """The statements allow Query or Scan on the table (by any of the ARNs it goes by)."""
    return any(is_allowed(statements, action, arn) for action in _READS for arn in arns)


def missing_indexes(statements, arns: list[str], indexes, boundary: Boundary = None) -> tuple[list[str], list[str]]:
    """The table's indexes that Query/Scan cannot reach, and why others may not (a Deny's condition, the
    permissions boundary): shared with the live audit."""
    missing, unknown = [], []
    for index in sorted(indexes):
        access = decide_any(statements, _READS, [f"{arn}/index/{index}" for arn in arns], boundary)
        if access is False:
            missing.append(index)
        elif isinstance(access, Unknown):
            unknown.append(f"whether index {index} may be queried is unknown: {access.reason}")
    return missing, unknown


def message(who: str, table: str, missing: list[str]) -> str:
    """`who` is the identity as messages call it: "role NAME", "user NAME", ..."""
    return (f"{who} may Query/Scan table {table} but not its index{'es' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}")


def evaluate(graph: Graph, settings) -> list[Subject]:
    results: dict[int, tuple] = {}  # policy -> (policy, problems)
    for identity in graph.identities:
        statements = identity.statements
        for policy in identity.policies:
            # tables without an index, or whose indexes are not known (declare them in config `tables`), are not judged
            indexed = graph.reachable_tables(policy.statements).derive("indexed", lambda ts: [t for t in ts if t.indexes])
            for table in indexed:
                arns = table_arns(table, statements)
                granting = [s for s in policy.statements if any(s.applies(a, arn) for a in _READS for arn in arns)]
                if not granting:
                    continue
                entry = results.setdefault(id(policy), (policy, [], []))
                missing, unknown = missing_indexes(statements, arns, table.indexes, identity.boundary)
                if missing:
                    entry[1].append((
                        f"{message(identity.describe(), table.name, missing)}: allow {table.arn}/index/* "
                        "(CDK: import the table with fromTableAttributes and its globalIndexes)", granting[0].path))
                entry[2].extend((f"table {table.name}: {reason}", granting[0].path) for reason in unknown)
    return [judged(policy.stack, policy.logical_id, problems, unknown)
            for policy, problems, unknown in results.values()]
