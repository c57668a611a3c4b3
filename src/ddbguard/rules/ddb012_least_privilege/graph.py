"""DDB012: identity policies grant DynamoDB actions narrowly; Lambda roles hold no control-plane action."""

from __future__ import annotations

from ddbguard.actions import may_reach_control_plane
from ddbguard.graph import TABLE_ARN, Graph
from ddbguard.iam import Statement, action_matches, grants_no_dynamodb_action, names_dynamodb_action
from ddbguard.model import Evaluation
from ddbguard.registry import rule_of
from ddbguard.rules import verdict

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog

# Actions that only work on Resource "*" (IAM has no resource for them).
_ACCOUNT_LEVEL = ("dynamodb:ListTables", "dynamodb:ListStreams", "dynamodb:ListBackups", "dynamodb:ListGlobalTables",
                  "dynamodb:ListExports", "dynamodb:ListImports", "dynamodb:DescribeLimits",
                  "dynamodb:DescribeEndpoints", "dynamodb:DescribeReservedCapacity*", "dynamodb:ListContributorInsights")


def statement_problems(statement: Statement, *, lambda_role: bool) -> list[str]:
    """What is too broad in one Allow statement (shared with the live audit)."""
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
    table_actions = [a for a in actions if not any(action_matches(p, a) for p in _ACCOUNT_LEVEL) or "*" in a]
    resources = statement.resources if statement.not_resources is None else ("*",)
    if table_actions and "*" in resources:
        problems.append("grants DynamoDB actions on Resource \"*\": every table in the account")
    for resource in resources:
        match = TABLE_ARN.match(resource)
        if match and ("*" in match.group(3) or "?" in match.group(3)):
            problems.append(f"grants on {resource}: a wildcard in the table name reaches other tables "
                            "(other environments' too)")
    if lambda_role:
        control = [a for a in actions if may_reach_control_plane(a) and a not in broad]
        if control:
            problems.append(f"a Lambda role may {', '.join(control)}: a control-plane action that can delete, "
                            "replace or restore a table")
    return problems


def grants_dynamodb(statement: Statement) -> bool:
    if statement.effect != "Allow" or grants_no_dynamodb_action(statement):
        return False
    return statement.not_actions is not None or any(names_dynamodb_action(a) for a in statement.actions)


def _trusted_services(role) -> set | None:
    """The service principals a role's trust policy names, None when anything else may assume it."""
    properties = role.stack.resolved["Resources"][role.logical_id].get("Properties") or {}
    statements = (properties.get("AssumeRolePolicyDocument") or {}).get("Statement") or []
    services = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            return None
        values = principal["Service"] if isinstance(principal["Service"], list) else [principal["Service"]]
        services |= set(values)
    return services


# AWS Backup's service role reads every table it backs up by design (AWSBackupServiceRolePolicyForBackup)
_BACKUP_SERVICE = {"backup.amazonaws.com"}


def evaluate(graph: Graph, config) -> list[Evaluation]:
    lambda_roles = {id(f.role) for f in graph.functions if f.role}
    lambda_policies = {id(p) for r in graph.roles if id(r) in lambda_roles for p in r.policies}
    backup_roles = {id(r) for r in graph.roles if _trusted_services(r) == _BACKUP_SERVICE}
    others = {id(p) for r in graph.roles if id(r) not in backup_roles for p in r.policies}
    backup_only = {id(p) for r in graph.roles if id(r) in backup_roles for p in r.policies if id(p) not in others}
    evaluations = []
    for policy in graph.policies:
        if id(policy) in backup_only:
            continue
        lambda_role = id(policy) in lambda_policies
        problems = []
        own = [s for s in policy.statements if s.source == policy.logical_id]
        for statement in own:
            managed = statement.path[:2] == ("Properties", "ManagedPolicyArns")
            prefix = f"the AWS managed policy {policy.managed_name(statement.path)}: " if managed else ""
            problems += [(prefix + message, statement.path)
                         for message in statement_problems(statement, lambda_role=lambda_role)]
        unknown = [(f"{'.'.join(map(str, where))} {why}", where) for where, why in policy.unreadable]
        if problems or unknown or any(grants_dynamodb(s) for s in own):
            evaluations.append(verdict(RULE.id, policy.stack, policy.logical_id, problems, unknown))
    return evaluations
