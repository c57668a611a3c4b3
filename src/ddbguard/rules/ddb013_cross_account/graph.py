"""DDB013: grants on tables in other accounts, and resource-policy principals from other accounts, name only
accounts listed in `trusted_accounts`. A grant is judged by the accounts it reaches: an account segment that is `*`
or a pattern (`Resource: "*"` too) reaches every account."""

from __future__ import annotations

import re

from ddbguard.arns import arn_pattern, is_literal
from ddbguard.kit.graph import Graph
from ddbguard.iam import AWS_BACKUP_SERVICE, Statement, reaches_table_actions
from ddbguard.model import Subject
from ddbguard.resource_policy import RESOURCE_KEYS, allow_statements, pinned_outsiders, principal_accounts
from ddbguard.kit.subjects import judged
from ddbguard.templates.resolve import TABLE_TYPES



def foreign(account: str, own: str | None, trusted) -> bool:
    """An account id that is neither the subject's own nor trusted (shared with the live audit)."""
    return bool(re.fullmatch(r"[0-9]{12}", account)) and account != own and account not in trusted


def grant_problems(statement: Statement, own: str | None, settings) -> tuple[list[str], list[str]] | None:
    """(problems, unknown) of one Allow statement of an identity policy, None when it grants no table action.
    Shared with the live audit."""
    if statement.effect != "Allow" or not reaches_table_actions(statement):
        return None
    trusted = tuple(settings.trusted_accounts)
    problems: list[str] = []
    unknown: list[str] = []
    judged = False
    for resource in statement.resources if statement.not_resources is None else ("*",):
        reach = arn_pattern(resource)
        if not reach.reaches_tables:
            continue
        judged = True
        what = f"table {reach.table_name}" if reach.table_name else resource
        if is_literal(reach.account):
            if foreign(reach.account, own, trusted):
                problems.append(f"grants on {what} in account {reach.account}, which {_why(own)}")
            continue
        outsiders = pinned_outsiders(statement.condition, own, trusted, tuple(settings.trusted_organizations),
                                     RESOURCE_KEYS)
        if outsiders is None:
            problems.append(f"grants on {resource}, which reaches tables in every account (its account is "
                            f"{reach.account!r}; name the account, or pin it with an aws:ResourceAccount condition)")
        elif outsiders:
            problems.append(f"grants on {resource} when {' or '.join(outsiders)}, which is not the stack's own or a "
                            "trusted account or organization")
        else:
            unknown.append(f"grants on {resource} in any account, and a condition pins the table's account to trusted "
                           "ones, which ddbguard does not evaluate")
    return (problems, unknown) if judged else None


def foreign_principals(statement: dict, own: str | None, settings) -> list[str]:
    """What an Allow statement of a resource policy lets in from outside: principals of untrusted accounts,
    and a `*` principal that its condition pins to an untrusted account or organization, or to nothing.
    Shared with the live audit."""
    trusted = tuple(settings.trusted_accounts)
    found = [f"the resource policy allows principal {value} of account {account}, which {_why(own)}"
             for value, account in principal_accounts(statement) if foreign(account, own, trusted)]
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else principal
    if "*" in (aws if isinstance(aws, list) else [aws]):
        outsiders = pinned_outsiders(statement.get("Condition"), own, trusted, tuple(settings.trusted_organizations))
        if outsiders is None:
            found.append("the resource policy allows the * principal of any account (no condition pins the caller's "
                         "account or organization)")
        elif outsiders:
            found.append(f"the resource policy allows the * principal when {' or '.join(outsiders)}, which is not "
                         "the table's own or a trusted account or organization (trusted_accounts, "
                         "trusted_organizations)")
    return found


def _why(own: str | None) -> str:
    return "is not in trusted_accounts" if own else \
        "is not in trusted_accounts (the stack's own account is not known: list it there too)"


def evaluate(graph: Graph, settings) -> list[Subject]:
    subjects = []
    backup_only = graph.policies_only_of(AWS_BACKUP_SERVICE)  # it backs up its own account's tables
    for policy in graph.policies:
        if id(policy) in backup_only:
            continue
        own = policy.stack.stack.account
        problems, unknown, applicable = [], [], False
        for statement in policy.statements:
            found = grant_problems(statement, own, settings)
            if found is not None:
                applicable = True
                problems += [(message, statement.path) for message in found[0]]
                unknown += [(message, statement.path) for message in found[1]]
        if applicable:
            subjects.append(judged(policy.stack, policy.logical_id, problems, unknown))
    for stack in graph.stacks:
        own = stack.stack.account
        for logical_id, resource in stack.resources_of(TABLE_TYPES):
            statements = allow_statements(resource)
            if not statements:
                continue
            problems = [(f"{message} ({what} policy)" if what != "table" else message, (*path, "Principal"))
                        for path, statement, what in statements
                        for message in foreign_principals(statement, own, settings)]
            subjects.append(judged(stack, logical_id, problems))
    return subjects
