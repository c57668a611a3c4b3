"""DDB012: identity policies grant DynamoDB actions on named tables only; function roles hold no action that can
lose or expose a table's data (ddbguard.actions.DANGEROUS_ACTIONS)."""

from __future__ import annotations

from ddbguard.actions import DANGEROUS_ACTIONS
from ddbguard.arns import arn_pattern, is_literal
from ddbguard.kit.graph import Graph
from ddbguard.iam import (AWS_BACKUP_SERVICE, Statement, action_matches, grants_no_dynamodb_action, names_dynamodb_action,
                          reaches_table_actions)
from ddbguard.model import Subject
from ddbguard.kit.subjects import judged



def statement_problems(statement: Statement, *, function_role: bool) -> list[str]:
    """What is too broad in one Allow statement (shared with the live audit). Resources are judged by the tables
    they reach: `*`, `arn:aws:dynamodb:*` and `...:table/*` reach every table, `table/app-*` tables of other
    names."""
    if statement.effect != "Allow" or grants_no_dynamodb_action(statement):
        return []
    if statement.not_actions is not None:
        return ["an Allow statement uses NotAction, which grants every DynamoDB action not listed"]
    actions = [a for a in statement.actions if names_dynamodb_action(a)]
    if not actions:
        return []
    problems = []
    broad = [a for a in actions if action_matches(a, "dynamodb:\x00")]  # matches an action no name spells
    if broad:
        problems.append(f"grants {', '.join(broad)}: every DynamoDB action")
    table_actions = reaches_table_actions(statement)
    resources = statement.resources if statement.not_resources is None else ("*",)
    for resource in resources:
        reach = arn_pattern(resource)
        if not reach.reaches_tables:
            continue
        if reach.every_table_name and table_actions:
            where = "in the account" if is_literal(reach.account) else "in every account"
            shown = 'Resource "*"' if resource == "*" else resource
            problems.append(f"grants DynamoDB actions on {shown}: every table {where}")
        elif not reach.every_table_name and reach.table_name is None:
            problems.append(f"grants on {resource}: a wildcard in the table name reaches other tables "
                            "(other environments' too)")
    if function_role:
        problems += [message for a in actions if a not in broad for message in [dangerous(a)] if message]
    return problems


def dangerous(action: str) -> str | None:
    """Why a function role must not hold this action pattern, None when it reaches no dangerous action."""
    reached = [d for d in DANGEROUS_ACTIONS if action_matches(action, d.action)]
    if not reached:
        return None
    if len(reached) == 1 and reached[0].action.lower() == action.lower():
        return f"a function role may {action}, which {reached[0].reason}"
    return f"a function role may {action}, which reaches " + "; ".join(
        f"{d.action.split(':', 1)[1]}, which {d.reason}" for d in reached)


def grants_dynamodb(statement: Statement) -> bool:
    if statement.effect != "Allow" or grants_no_dynamodb_action(statement):
        return False
    return statement.not_actions is not None or any(names_dynamodb_action(a) for a in statement.actions)


def evaluate(graph: Graph, settings) -> list[Subject]:
    function_policies = {id(p) for i in graph.identities if graph.is_function_role(i) for p in i.policies}
    backup_only = graph.policies_only_of(AWS_BACKUP_SERVICE)
    subjects = []
    for policy in graph.policies:
        if id(policy) in backup_only:
            continue
        function_role = id(policy) in function_policies
        problems = []
        own = [s for s in policy.statements if s.source == policy.logical_id]
        for statement in own:
            managed = statement.path[:2] == ("Properties", "ManagedPolicyArns") or \
                statement.path[:2] == ("Properties", "ManagedPolicies")
            prefix = f"the AWS managed policy {policy.managed_name(statement.path)}: " if managed else ""
            problems += [(prefix + message, statement.path)
                         for message in statement_problems(statement, function_role=function_role)]
        unknown = [(f"{'.'.join(map(str, where))} {why}", where) for where, why in policy.unreadable]
        if problems or unknown or any(grants_dynamodb(s) for s in own):
            subjects.append(judged(policy.stack, policy.logical_id, problems, unknown))
    return subjects
