"""Judging a DynamoDB resource policy (DDB005): shared by the checkov check and the live audit. A table has one,
and so has its stream (StreamSpecification.ResourcePolicy; a global table's: every replica's, and every replica
stream's)."""

from __future__ import annotations

import re

from ddbguard.actions import CONTROL_PLANE_MESSAGE, may_reach_control_plane
from ddbguard.kit.values import GLOBAL_TABLE, dig

Problem = tuple[str, tuple]  # (message, path)


_PRINCIPAL_KINDS = {"AWS", "Service", "Federated", "CanonicalUser"}
_PINNING_OPERATOR = re.compile(r"^(ForAnyValue:)?(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$")
_PINNING_KEY = re.compile(
    r"^aws:(PrincipalOrgID|PrincipalOrgPaths|PrincipalAccount|PrincipalArn|SourceAccount|SourceOrgID|SourceArn)$",
    re.IGNORECASE,
)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


_ONLY_WILDCARDS = re.compile(r"^[*?]*$")


def _pins_caller(condition: object) -> bool:
    """A condition pins the caller when it tests a caller key and every value it allows is concrete.

    `StringLike aws:PrincipalAccount "*"` (or a list with such a value among others) pins nothing.
    """
    if not isinstance(condition, dict):
        return False
    values = [value for operator, keys in condition.items() if _PINNING_OPERATOR.match(str(operator))
              and isinstance(keys, dict) for key, value in keys.items() if _PINNING_KEY.match(str(key))]
    items = [item for value in values for item in _as_list(value)]
    return bool(values) and all(value != [] for value in values) and all(
        isinstance(item, str) and not _ONLY_WILDCARDS.match(item) for item in items)


def statement_problems(statement: dict, path: tuple) -> list[Problem]:
    found: list[Problem] = []
    if "NotPrincipal" in statement:
        found.append(("an Allow statement uses NotPrincipal, which allows every principal not listed", (*path, "NotPrincipal")))
    principal = statement.get("Principal")
    values: list = []
    if principal == "*":
        values = ["*"]
    elif isinstance(principal, dict) and set(principal) <= _PRINCIPAL_KINDS:
        values = [v for kind_values in principal.values() for v in _as_list(kind_values)]
        if not all(isinstance(v, str) for v in values):
            found.append(("a principal value is not a literal", (*path, "Principal")))
    else:
        found.append(("a principal is not a plain principal mapping (AWS, Service, Federated, CanonicalUser)",
                      (*path, "Principal")))
    if "*" in values and not _pins_caller(statement.get("Condition")):
        found.append(("an Allow statement grants the * principal without a condition that pins the caller's "
                      "organization or account", (*path, "Principal")))
    if "NotAction" in statement:
        found.append(("an Allow statement uses NotAction, which grants every action not listed", (*path, "NotAction")))
    actions = _as_list(statement.get("Action"))
    if not all(isinstance(a, str) for a in actions):
        found.append(("an action is not a literal", (*path, "Action")))
    elif any(may_reach_control_plane(a) for a in actions):
        found.append((CONTROL_PLANE_MESSAGE, (*path, "Action")))
    return found


def policy_holders(resource: dict) -> list[tuple[tuple, object, str]]:
    """(path, holder, what) for every place of a table resource that may hold a ResourcePolicy: the table's
    Properties and its StreamSpecification; a global table's, and each replica's and replica stream's."""
    properties = resource.get("Properties")
    found = [(("Properties",), properties, "table"),
             (("Properties", "StreamSpecification"), dig(resource, "Properties", "StreamSpecification"), "stream")]
    if resource.get("Type") == GLOBAL_TABLE:
        replicas = dig(resource, "Properties", "Replicas")
        for index, replica in enumerate(replicas if isinstance(replicas, list) else []):
            found += [(("Properties", "Replicas", index), replica, "replica"),
                      (("Properties", "Replicas", index, "ReplicaStreamSpecification"),
                       dig(replica, "ReplicaStreamSpecification"), "replica stream")]
    return found


def allow_statements(resource: dict) -> list[tuple[tuple, dict, str]]:
    """(path, statement, what) of every Allow statement of the resource policies of a table resource."""
    found = []
    for path, holder, what in policy_holders(resource):
        raw = dig(holder, "ResourcePolicy", "PolicyDocument", "Statement")
        items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
        found += [((*path, "ResourcePolicy", "PolicyDocument", "Statement", i), s, what)
                  for i, s in enumerate(items) if isinstance(s, dict) and s.get("Effect") == "Allow"]
    return found


def policy_problems(policy_holder: object, path: tuple) -> list[Problem]:
    """Problems of the ResourcePolicy found in a table's Properties or in a replica."""
    if not isinstance(policy_holder, dict) or "ResourcePolicy" not in policy_holder:
        return []
    statements = dig(policy_holder, "ResourcePolicy", "PolicyDocument", "Statement")
    statement_path = (*path, "ResourcePolicy", "PolicyDocument", "Statement")
    if isinstance(statements, dict):
        indexed = [(statement_path, statements)]
    elif isinstance(statements, list):
        indexed = [((*statement_path, i), s) for i, s in enumerate(statements)]
    else:
        return [("the resource policy has no readable Statement", statement_path)]
    found: list[Problem] = []
    for where, statement in indexed:
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            found.extend(statement_problems(statement, where))
    return found


_ACCOUNT_PRINCIPAL = re.compile(r"^(?:arn:[^:]+:(?:iam|sts)::)?([0-9]{12})(?::.*)?$")


def principal_accounts(statement: dict) -> list[tuple[str, str]]:
    """(principal, account id) for every AWS principal of a statement that names an account (DDB013)."""
    principal = statement.get("Principal")
    values = principal.get("AWS", []) if isinstance(principal, dict) else []
    found = []
    for value in values if isinstance(values, list) else [values]:
        match = _ACCOUNT_PRINCIPAL.match(value) if isinstance(value, str) else None
        if match:
            found.append((value, match.group(1)))
    return found


# The condition keys that pin who calls (a resource policy's `*` principal), and whose table is called (an identity
# policy's wildcard account), with the kind of value each holds.
CALLER_KEYS = {"aws:principalaccount": "account", "aws:sourceaccount": "account", "aws:principalorgid": "organization",
               "aws:sourceorgid": "organization", "aws:principalorgpaths": "organization path",
               "aws:sourceorgpaths": "organization path", "aws:principalarn": "ARN", "aws:sourcearn": "ARN"}
RESOURCE_KEYS = {"aws:resourceaccount": "account", "aws:resourceorgid": "organization",
                 "aws:resourceorgpaths": "organization path"}


def pinned_outsiders(condition: object, own: str | None, trusted_accounts, trusted_organizations,
                     pinning: dict[str, str] = CALLER_KEYS) -> list[str] | None:
    """Who a `*` principal (or, with `pinning=RESOURCE_KEYS`, a wildcard account) is pinned to by its condition, when
    that is not trusted (DDB013).

    None: the condition pins nothing (every account may call). []: some key pins the caller to trusted
    accounts or organizations only (the keys of a condition must all hold, so one such key is enough).
    Otherwise one description per untrusted value: an account that is neither the table's own nor in
    `trusted_accounts`, an organization not in `trusted_organizations`, an ARN of such an account, or a
    pattern whose account cannot be told.
    """
    if not isinstance(condition, dict):
        return None
    per_key = []
    for operator, keys in condition.items():
        if not (_PINNING_OPERATOR.match(str(operator)) and isinstance(keys, dict)):
            continue
        for key, value in keys.items():
            kind = pinning.get(str(key).lower())
            if kind is not None:
                per_key.append([f"{key} {item!r}" for item in _as_list(value)
                                if not _trusted(kind, item, own, trusted_accounts, trusted_organizations)])
    if not per_key:
        return None
    return [] if any(not outsiders for outsiders in per_key) else [o for outsiders in per_key for o in outsiders]


def _trusted(kind: str, value: object, own: str | None, accounts, organizations) -> bool:
    if not isinstance(value, str) or "*" in value or "?" in value:
        return False  # a pattern (or a value that is not literal) may match anyone
    if kind == "organization":
        return value in organizations
    if kind == "organization path":
        return value.split("/", 1)[0] in organizations
    account = value.split(":")[4] if kind == "ARN" and value.count(":") >= 5 else value if kind == "account" else ""
    return bool(account) and (account == own or account in accounts)
