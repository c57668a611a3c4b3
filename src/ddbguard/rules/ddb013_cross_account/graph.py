"""DDB013: grants on tables in other accounts, and resource-policy principals from other accounts,
name only accounts listed in `trusted_accounts`."""

from __future__ import annotations

import re

from ddbguard.graph import TABLE_ARN, Graph
from ddbguard.model import Evaluation
from ddbguard.registry import rule_of
from ddbguard.resource_policy import pinned_outsiders, principal_accounts
from ddbguard.rules.table import dig
from ddbguard.rules import verdict
from ddbguard.templates.resolve import TABLE_TYPES

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog


def foreign(account: str, own: str | None, trusted) -> bool:
    """An account id that is neither the subject's own nor trusted (shared with the live audit)."""
    return bool(re.fullmatch(r"[0-9]{12}", account)) and account != own and account not in trusted


def foreign_principals(statement: dict, own: str | None, config) -> list[str]:
    """What an Allow statement of a resource policy lets in from outside: principals of untrusted accounts,
    and a `*` principal that its condition pins to an untrusted account or organization, or to nothing.
    Shared with the live audit."""
    trusted = tuple(config.trusted_accounts)
    found = [f"the resource policy allows principal {value} of account {account}, which {_why(own)}"
             for value, account in principal_accounts(statement) if foreign(account, own, trusted)]
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else principal
    if "*" in (aws if isinstance(aws, list) else [aws]):
        outsiders = pinned_outsiders(statement.get("Condition"), own, trusted, tuple(config.trusted_organizations))
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


def evaluate(graph: Graph, config) -> list[Evaluation]:
    trusted = tuple(config.trusted_accounts)
    evaluations = []
    for policy in graph.policies:
        own = policy.stack.stack.account
        problems, applicable = [], False
        for statement in policy.statements:
            for resource in statement.resources if statement.effect == "Allow" else ():
                match = TABLE_ARN.match(resource)
                if not match:
                    continue
                applicable = True
                if foreign(match.group(2), own, trusted):
                    problems.append((f"grants on table {match.group(3)} in account {match.group(2)}, which "
                                     f"{_why(own)}", statement.path))
        if applicable:
            evaluations.append(verdict(RULE.id, policy.stack, policy.logical_id, problems))
    for stack in graph.stacks:
        own = stack.stack.account
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") not in TABLE_TYPES:
                continue
            properties = resource.get("Properties") or {}
            holders = [(("Properties",), properties)] + [
                (("Properties", "Replicas", i), r) for i, r in enumerate(properties.get("Replicas") or [])
                if isinstance(r, dict)]
            statements = []
            for path, holder in holders:
                raw = dig(holder, "ResourcePolicy", "PolicyDocument", "Statement")
                items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
                statements += [((*path, "ResourcePolicy", "PolicyDocument", "Statement", i), s)
                               for i, s in enumerate(items) if isinstance(s, dict) and s.get("Effect") == "Allow"]
            if not statements:
                continue
            problems = [(message, (*path, "Principal")) for path, statement in statements
                        for message in foreign_principals(statement, own, config)]
            evaluations.append(verdict(RULE.id, stack, logical_id, problems))
    return evaluations
