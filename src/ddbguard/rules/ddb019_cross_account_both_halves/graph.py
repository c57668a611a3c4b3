"""DDB019: an identity granted a table of another account that is in the input is allowed by that table's
resource policy too (both halves; stream reads by its stream's policy), and no resource-policy Deny blocks it."""

from __future__ import annotations

from ddbguard.arns import arn_pattern, is_literal, parse_table_arn
from ddbguard.kit.access import DATA_ACTIONS, STREAM_ACTIONS
from ddbguard.kit.graph import Graph, as_list
from ddbguard.iam import action_matches, resource_matches
from ddbguard.model import Subject, Unknown
from ddbguard.kit.subjects import judged
from ddbguard.kit.values import dig


INDEX_READS = ("dynamodb:Query", "dynamodb:Scan")


def _principal(statement: dict, identity_arn: str | None, account: str) -> bool | Unknown:
    principal = statement.get("Principal")
    values = as_list(principal.get("AWS")) if isinstance(principal, dict) else as_list(principal)
    if "*" in values:
        return True
    for value in values:
        if value == account or (isinstance(value, str) and value.endswith(f"::{account}:root")):
            return True
        if isinstance(value, str) and (f"::{account}:role/" in value or f"::{account}:user/" in value):
            if identity_arn is None:
                return Unknown(f"the resource policy names {value}, and the identity's name is generated, so whether "
                               "it is that one cannot be told")
            if value == identity_arn:
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


def stream_targets(table) -> list[str]:
    """What a stream policy's Resource may call a table's stream in a template: its StreamArn, or an ARN pattern."""
    return [f"${{{table.logical_id}.StreamArn}}", f"{table.arn}/stream/*"]


def grant_targets(resource: str, table_arn: str, actions: list[str]) -> list[tuple[str, str, str]]:
    """(action, what the table's side calls the target, policy: "table" or "stream") for each granted action on the
    table, its indexes (Query/Scan) and its stream (stream reads) that the Resource reaches. Only a Resource that names
    the table's account is a cross-account grant of it (one that reaches every account is DDB013's). Shared with
    live."""
    reach, table = arn_pattern(resource), parse_table_arn(table_arn)
    if table is None or reach.account != table.account:
        return []
    found = []
    for action in actions:
        if action in STREAM_ACTIONS:
            if reach.matches(f"{table_arn}/stream/\x03"):
                found.append((action, "stream", "stream"))
            continue
        if reach.matches(table_arn):
            found.append((action, table_arn, "table"))
        if action in INDEX_READS and reach.matches(f"{table_arn}/index/\x03"):
            found.append((action, f"{table_arn}/index/*", "table"))
    return found


def evaluate(graph: Graph, settings) -> list[Subject]:
    tables: dict[int, object] = {}
    gaps: dict[int, dict[tuple, dict[str, list]]] = {}  # table -> (identity, account, who) -> missing/denied/unknown
    for identity in graph.identities:
        own = identity.stack.stack.account
        if own is None:
            continue
        for statement in identity.statements:
            if statement.effect != "Allow":
                continue
            actions = [a for a in (*DATA_ACTIONS, *STREAM_ACTIONS) if statement.covers_action(a)]
            # only a Resource that names another account is a cross-account grant (see grant_targets)
            foreign = [r for r in statement.resources if actions and is_literal(arn_pattern(r).account)
                       and arn_pattern(r).account != own]
            for resource in foreign:
                for table in graph.tables_matching(resource):
                    if table.stack is None or table.stack.stack.account in (None, own):
                        continue  # not a table of another account in the input (DDB013 judges the account)
                    resource_of = table.stack.resolved["Resources"][table.logical_id]
                    tables[id(table)] = table
                    found = gaps.setdefault(id(table), {}).setdefault(
                        (identity.describe(), own, identity.arn or f"{identity.describe()} of account {own}"),
                        {"missing": [], "denied": [], "unknown": []})
                    for action, target, policy in grant_targets(resource, table.arn, actions):
                        holder = ("Properties", "StreamSpecification") if policy == "stream" else ("Properties",)
                        statements = as_list(dig(resource_of, *holder, "ResourcePolicy", "PolicyDocument", "Statement"))
                        answers = [resource_policy_allows(statements, identity.arn, own, action, t)
                                   for t in (stream_targets(table) if policy == "stream" else [target])]
                        answer = next((a for a in answers if a is True), answers[0])
                        what = f"{action} on {target.rsplit(':', 1)[-1]}" if policy == "table" else \
                            f"{action} on the table's stream"
                        key = "denied" if answer == "denied" else "unknown" if isinstance(answer, Unknown) else (
                            None if answer else "missing")
                        if key and what not in found[key]:
                            found[key].append(answer.reason if key == "unknown" else what)
    subjects = []
    for table_id, by_identity in gaps.items():
        table, problems, unknown = tables[table_id], [], []
        for (who, account, principal), found in by_identity.items():
            if found["missing"]:
                problems.append((f"{who} of account {account} is granted {', '.join(found['missing'])}, but the "
                                 f"table's resource policies do not allow {principal} (cross-account access needs both "
                                 "halves)", ()))
            if found["denied"]:
                problems.append((f"the table's resource policies deny {who} of account {account} "
                                 f"{', '.join(found['denied'])}, which its identity policy grants (AccessDenied at "
                                 "run time)", ()))
            unknown += [(f"{who} (account {account}): {reason}", ()) for reason in dict.fromkeys(found["unknown"])]
        subjects.append(judged(table.stack, table.logical_id, problems, unknown))
    return subjects
