"""DDB019: a role granted a table of another account that is in the input is allowed by that table's
resource policy too (both halves), and no resource-policy Deny blocks it."""

from __future__ import annotations

from ddbguard.graph import DATA_ACTIONS, TABLE_ARN, Graph, as_list
from ddbguard.iam import action_matches, resource_matches
from ddbguard.model import Evaluation, Unknown
from ddbguard.registry import rule_of
from ddbguard.rules import verdict
from ddbguard.rules.table import dig

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog

INDEX_READS = ("dynamodb:Query", "dynamodb:Scan")


def _principal(statement: dict, role_arn: str | None, account: str) -> bool | Unknown:
    principal = statement.get("Principal")
    values = as_list(principal.get("AWS")) if isinstance(principal, dict) else as_list(principal)
    if "*" in values:
        return True
    for value in values:
        if value == account or (isinstance(value, str) and value.endswith(f"::{account}:root")):
            return True
        if isinstance(value, str) and f"::{account}:role/" in value:
            if role_arn is None:
                return Unknown(f"the resource policy names {value}, and the role's name is generated, so whether "
                               "it is that role cannot be told")
            if value == role_arn:
                return True
    return False


def resource_policy_allows(statements: list[dict], role_arn: str | None, account: str, action: str,
                           resource: str) -> bool | Unknown | str:
    """True, False, Unknown, or "denied" when an unconditional Deny blocks the request."""
    allowed, uncertain = False, None
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        who = _principal(statement, role_arn, account)
        if who is False:
            continue
        actions = as_list(statement.get("Action"))
        resources = as_list(statement.get("Resource")) or ["*"]
        if not (any(isinstance(a, str) and action_matches(a, action) for a in actions) and any(
                isinstance(r, str) and (r == "*" or resource_matches(r, resource)) for r in resources)):
            continue
        if isinstance(who, Unknown):
            uncertain = uncertain or who
        elif statement.get("Effect") == "Deny":
            if not statement.get("Condition"):
                return "denied"
            uncertain = uncertain or Unknown("a Deny of the resource policy has a condition ddbguard cannot evaluate")
        elif statement.get("Effect") == "Allow":
            allowed = True
    if allowed and uncertain is None:
        return True
    return uncertain if uncertain is not None else allowed


def evaluate(graph: Graph, config) -> list[Evaluation]:
    tables: dict[int, object] = {}
    gaps: dict[int, dict[tuple, dict[str, list]]] = {}  # table -> (role id, account, who) -> missing/denied/unknown
    for role in graph.roles:
        own = role.stack.stack.account
        properties = role.stack.resolved["Resources"][role.logical_id].get("Properties") or {}
        name, path = properties.get("RoleName"), properties.get("Path") or "/"
        role_arn = f"arn:aws:iam::{own}:role{path}{name}" if isinstance(name, str) else None
        for statement in role.statements:
            if statement.effect != "Allow":
                continue
            for resource in statement.resources:
                match = TABLE_ARN.match(resource)
                if not match or not match.group(2).isdigit() or own is None or match.group(2) == own:
                    continue
                table = graph.tables.get(match.group(3))
                if table is None or table.stack is None or table.stack.stack.account != match.group(2):
                    continue  # not a table of the input (DDB013 judges whether the account is trusted)
                statements = as_list(dig(table.stack.resolved["Resources"][table.logical_id], "Properties",
                                          "ResourcePolicy", "PolicyDocument", "Statement"))
                tables[id(table)] = table
                found = gaps.setdefault(id(table), {}).setdefault(
                    (role.logical_id, own, role_arn or f"role {role.logical_id} of account {own}"),
                    {"missing": [], "denied": [], "unknown": []})
                for action in (a for a in DATA_ACTIONS if statement.covers_action(a)):
                    reaches_indexes = match.group(4) and action in INDEX_READS
                    for target in [table.arn] + ([f"{table.arn}/index/*"] if reaches_indexes else []):
                        answer = resource_policy_allows(statements, role_arn, own, action, target)
                        what = f"{action} on {target.rsplit(':', 1)[-1]}"
                        key = "denied" if answer == "denied" else "unknown" if isinstance(answer, Unknown) else (
                            None if answer else "missing")
                        if key and what not in found[key]:
                            found[key].append(answer.reason if key == "unknown" else what)
    evaluations = []
    for table_id, by_role in gaps.items():
        table, problems, unknown = tables[table_id], [], []
        for (role, account, who), found in by_role.items():
            if found["missing"]:
                problems.append((f"role {role} of account {account} is granted {', '.join(found['missing'])}, but the "
                                 f"table's resource policy does not allow {who} (cross-account access needs both "
                                 "halves)", ()))
            if found["denied"]:
                problems.append((f"the table's resource policy denies role {role} of account {account} "
                                 f"{', '.join(found['denied'])}, which its identity policy grants (AccessDenied at "
                                 "run time)", ()))
            unknown += [(f"role {role} (account {account}): {reason}", ()) for reason in dict.fromkeys(found["unknown"])]
        evaluations.append(verdict(RULE.id, table.stack, table.logical_id, problems, unknown))
    return evaluations
