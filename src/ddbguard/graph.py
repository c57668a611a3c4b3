"""The cross-resource view of one run: tables, roles with their statements, functions, across stacks.

Built once from the resolved templates of the input model; the cross-resource rules only read it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ddbguard.engines.common import CheckedStack
from ddbguard.iam import Boundary, Statement, aws_managed_statements, decide_any, is_allowed, parse_statements
from ddbguard.model import Unknown
from ddbguard.templates.model import InputModel
from ddbguard.templates.resolve import TABLE_TYPES

_TOKEN = re.compile(r"^\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}$")
# region and account may be symbolic (`${AWS::Region}`), which has colons of its own
_SEGMENT = r"(\$\{[^}]*\}|[^:]*)"
# the partition too: `${AWS::Partition}` when a template file's region is not known
TABLE_ARN = re.compile(rf"^arn:(?:\$\{{[^}}]*\}}|[^:]+):dynamodb:{_SEGMENT}:{_SEGMENT}:table/([^/]+)(/.*)?$")

DATA_ACTIONS = tuple(f"dynamodb:{a}" for a in (
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
    "ConditionCheckItem"))
UNRESOLVED_STATEMENT = "cannot be resolved statically, so it may grant more"


def token(value: object) -> tuple[str, str | None] | None:
    """`${Logical}` or `${Logical.Attribute}` -> (logical id, attribute)."""
    match = _TOKEN.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


@dataclass
class Table:
    name: str
    arn: str
    stack: CheckedStack | None = None  # None for a table the input only refers to
    logical_id: str | None = None
    indexes: frozenset[str] | None = None  # None: not known
    has_stream: bool | None = None


@dataclass
class Policy:
    """Where statements live: an IAM policy resource, or a role's inline policies."""

    stack: CheckedStack
    logical_id: str
    statements: list[Statement] = field(default_factory=list)
    unreadable: list[tuple[tuple, str]] = field(default_factory=list)  # (path, why its statements are unknown)
    managed: dict[int, str] = field(default_factory=dict)  # ManagedPolicyArns index -> AWS managed policy name

    def managed_name(self, path: tuple) -> str:
        return self.managed.get(path[2], "") if len(path) > 2 else ""

    def add_document(self, document: object, path: tuple) -> None:
        found, unreadable = parse_statements(document, source=self.logical_id, path=path)
        self.statements += found
        self.unreadable += [(where, UNRESOLVED_STATEMENT) for where in unreadable]


@dataclass
class Role:
    stack: CheckedStack
    logical_id: str
    policies: list[Policy] = field(default_factory=list)
    boundary: Boundary = None  # the permissions boundary's statements; Unknown when it cannot be read

    @property
    def statements(self) -> list[Statement]:
        return [s for p in self.policies for s in p.statements]

    @property
    def unreadable(self) -> list[tuple[Policy, tuple, str]]:
        """Statements (or parts) of the role's policies that could not be read, and why."""
        return [(p, path, why) for p in self.policies for path, why in p.unreadable]


@dataclass
class Function:
    stack: CheckedStack
    logical_id: str
    role: Role | None
    role_value: object
    variables: dict[str, object]


class Graph:
    def __init__(self, stacks: list[CheckedStack], model: InputModel, declared_tables: dict | None = None) -> None:
        self.stacks = stacks
        self.model = model
        self.declared = declared_tables or {}
        self.tables: dict[str, Table] = {}  # by name
        self.roles: list[Role] = []
        self.policies: list[Policy] = []
        self.functions: list[Function] = []
        self._roles_by_key: dict[tuple[str, object], list[Role]] | None = None
        self._functions_by_role: dict[int, list[Function]] | None = None
        for stack in stacks:
            self._collect_tables(stack)
        for stack in stacks:
            self._collect_iam(stack)
        for stack in stacks:
            self._collect_functions(stack)

    # -- building ------------------------------------------------------------------------------
    def _collect_tables(self, stack: CheckedStack) -> None:
        resolver = self.model.resolver(stack.stack)
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") not in TABLE_TYPES:
                continue
            properties = resource.get("Properties") or {}
            indexes = [i.get("IndexName") for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                       for i in as_list(properties.get(key)) if isinstance(i, dict)]
            name = resolver.table_name(logical_id)
            self.tables[name] = Table(name, resolver.table_arn(logical_id), stack, logical_id,
                                      frozenset(i for i in indexes if isinstance(i, str)),
                                      bool(properties.get("StreamSpecification")))

    def table_named(self, name: str, arn: str | None = None) -> Table:
        """The table of that name: one in the input, or one it refers to (indexes from the config)."""
        if name not in self.tables:
            declared = self.declared.get(name) or {}
            indexes = declared.get("indexes")
            self.tables[name] = Table(name, arn or f"arn:aws:dynamodb:*:*:table/{name}",
                                      indexes=frozenset(indexes) if indexes is not None else None,
                                      has_stream=declared.get("stream"))
        return self.tables[name]

    def defines_table(self, value: object) -> bool:
        """The value is the name or the ARN of a table some stack of the input defines."""
        if not isinstance(value, str):
            return False
        match = TABLE_ARN.match(value)
        table = self.tables.get(match.group(3) if match and not match.group(4) else value)
        return table is not None and table.stack is not None

    def table_of(self, value: object, stack: CheckedStack) -> Table | None:
        """The table a resolved value names: a table name, a table ARN, or None when it names no table."""
        if not isinstance(value, str) or not value:
            return None
        match = TABLE_ARN.match(value)
        if match:
            return self.table_named(match.group(3), value[: len(value) - len(match.group(4) or "")])
        if value in self.tables:
            return self.tables[value]
        if token(value) or value.startswith("arn:"):
            return None
        resolver = self.model.resolver(stack.stack)
        return self.table_named(value, f"arn:{resolver.pseudo_parameter('AWS::Partition')}:dynamodb:"
                                       f"{resolver.pseudo_parameter('AWS::Region')}:"
                                       f"{resolver.pseudo_parameter('AWS::AccountId')}:table/{value}")

    def _collect_iam(self, stack: CheckedStack) -> None:
        resources = stack.resolved["Resources"]
        by_id: dict[str, Role] = {}
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::IAM::Role":
                continue
            properties = resource.get("Properties") or {}
            role = Role(stack, logical_id)
            inline = Policy(stack, logical_id)
            policies = properties.get("Policies") or []
            for index, policy in enumerate(policies if isinstance(policies, list) else [policies]):
                document = policy.get("PolicyDocument") if isinstance(policy, dict) else None
                inline.add_document(document, ("Properties", "Policies", index, "PolicyDocument"))
            for index, arn in enumerate(as_list(properties.get("ManagedPolicyArns"))):
                where = ("Properties", "ManagedPolicyArns", index)
                if token(arn) and token(arn)[0] in resources:
                    continue  # a policy of this stack, attached below
                known = aws_managed_statements(arn, source=logical_id, path=where)
                if known is None:
                    inline.unreadable.append((where, f"managed policy {json.dumps(arn)} is neither in the input nor an "
                                                     "AWS managed policy ddbguard knows, so what it grants is unknown"))
                else:
                    inline.managed[index] = known[0]
                    inline.statements += known[1]
            role.policies.append(inline)
            self.policies.append(inline)
            self.roles.append(role)
            by_id[logical_id] = role
            name = properties.get("RoleName")
            if isinstance(name, str):
                by_id.setdefault(name, role)
        for logical_id, resource in resources.items():
            kind = resource.get("Type")
            if kind not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
                continue
            properties = resource.get("Properties") or {}
            policy = Policy(stack, logical_id)
            policy.add_document(properties.get("PolicyDocument"), ("Properties", "PolicyDocument"))
            self.policies.append(policy)
            targets = as_list(properties.get("Roles")) if kind != "AWS::IAM::RolePolicy" else [properties.get("RoleName")]
            for target in targets:
                role = by_id.get((token(target) or (target, None))[0]) if isinstance(target, str) else None
                if role is not None:
                    role.policies.append(policy)
        # managed policies attached through the role's ManagedPolicyArns (a Ref to the policy)
        managed = {p.logical_id: p for p in self.policies if p.stack is stack}
        for role in [r for r in self.roles if r.stack is stack]:
            arns = as_list((resources[role.logical_id].get("Properties") or {}).get("ManagedPolicyArns"))
            for index, arn in enumerate(arns):
                found = token(arn)
                if found and found[0] in managed and managed[found[0]] not in role.policies:
                    role.policies.append(managed[found[0]])
                elif found and found[0] in resources and found[0] not in managed:
                    role.policies[0].unreadable.append((("Properties", "ManagedPolicyArns", index),
                                                        f"{found[0]} is not an IAM managed policy ddbguard can read"))
            role.boundary = _boundary((resources[role.logical_id].get("Properties") or {}).get("PermissionsBoundary"),
                                      managed, role.logical_id)

    def _collect_functions(self, stack: CheckedStack) -> None:
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            properties = resource.get("Properties") or {}
            role_value = properties.get("Role")
            environment = properties.get("Environment")
            variables = (environment.get("Variables") if isinstance(environment, dict) else None) or {}
            self.functions.append(Function(stack, logical_id, self.role_of(role_value, stack), role_value,
                                           variables if isinstance(variables, dict) else {}))

    def role_of(self, value: object, stack: CheckedStack) -> Role | None:
        """The role a function's Role names: `${Logical}.Arn` or a role ARN, its own stack's role first."""
        if self._roles_by_key is None:
            self._roles_by_key = {}
            for role in self.roles:
                name = (role.stack.resolved["Resources"][role.logical_id].get("Properties") or {}).get("RoleName")
                for key in (("id", role.logical_id), ("name", name if isinstance(name, str) else None)):
                    self._roles_by_key.setdefault(key, []).append(role)
        found = token(value)
        if found:
            key = ("id", found[0])
        elif isinstance(value, str) and ":role/" in value:
            key = ("name", value.rsplit("/", 1)[-1])
        else:
            return None
        candidates = self._roles_by_key.get(key, [])
        return next((r for r in candidates if r.stack is stack), candidates[0] if candidates else None)

    # -- questions the rules ask ---------------------------------------------------------------
    def reachable_tables(self, statements: list[Statement]) -> list[Table]:
        """Tables (in the input or named by the statements) that these statements allow any data action on.

        Only tables a statement names are candidates, unless a resource is a wildcard or NotResource is
        used: that keeps the work linear in the size of the input.
        """
        named: dict[str, Table] = {}
        everything = False
        for statement in statements:
            if statement.effect != "Allow":
                continue
            everything |= statement.not_resources is not None
            for resource in statement.resources:
                match = TABLE_ARN.match(resource)
                if match is None:
                    everything |= "*" in resource or "?" in resource
                elif "*" in match.group(3) or "?" in match.group(3):
                    everything = True
                else:
                    name = match.group(3)
                    named[name] = self.table_named(name, resource[: len(resource) - len(match.group(4) or "")])
        candidates = self.tables.values() if everything else named.values()
        return [t for t in candidates if grants(statements, t)]

    def functions_using(self, role: Role) -> list[Function]:
        if self._functions_by_role is None:  # indexed once: asked for every role
            self._functions_by_role = {}
            for function in self.functions:
                self._functions_by_role.setdefault(id(function.role), []).append(function)
        return self._functions_by_role.get(id(role), [])


def _boundary(value: object, managed: dict[str, Policy], role: str) -> Boundary:
    """A role's PermissionsBoundary: a managed policy of its stack, or an AWS managed policy ddbguard knows."""
    if value is None:
        return None
    found = token(value)
    policy = managed.get(found[0]) if found else None
    if policy is not None:
        return Unknown(f"the permissions boundary {policy.logical_id} of role {role} cannot be read completely") \
            if policy.unreadable else policy.statements
    known = aws_managed_statements(value, source="PermissionsBoundary", path=("Properties", "PermissionsBoundary"))
    if known is not None:
        return known[1]
    return Unknown(f"the permissions boundary {json.dumps(value)} of role {role} is neither in the input nor an AWS "
                   "managed policy ddbguard knows, so what it allows is unknown")


def as_list(value: object) -> list:
    """A policy or template value that may be one item or a list of them, as a list (absent: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def can_use(statements: list[Statement], table: Table, boundary: Boundary = None) -> bool | Unknown:
    return may_use(statements, table_arns(table, statements), boundary)


def may_use(statements: list[Statement], arns: list[str], boundary: Boundary = None) -> bool | Unknown:
    """The role may use the table (some data action, by any of the ARNs it goes by), within its permissions
    boundary; Unknown when a Deny's condition or the boundary decides. DDB011's test, templates and live."""
    return decide_any(statements, DATA_ACTIONS, arns, boundary)


def grants(statements: list[Statement], table: Table) -> bool:
    """The statements grant some data action on the table, conditions taken to hold (the over-grant view)."""
    return any(is_allowed(statements, action, arn) for action in DATA_ACTIONS for arn in table_arns(table, statements))


def table_arns(table: Table, statements: list[Statement]) -> list[str]:
    """The ARNs a table may go by: its own, and (for a table known only by name) the ARNs statements use for it."""
    arns = [table.arn]
    if table.stack is None or "${" in table.arn:
        for statement in statements:
            for resource in statement.resources:
                match = TABLE_ARN.match(resource)
                if match and match.group(3) == table.name and not match.group(4):
                    arns.append(resource)
    return arns

