"""The cross-resource view of one run: tables, identities with their statements, functions, across stacks.

Built once from the resolved templates of the input model; the cross-resource rules only read it. Grants are
indexed by ARN pattern: each distinct Resource is matched against the tables once per run, so that a thousand
roles granted `table/app-*` cost one pass over the tables, not a thousand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ddbguard.arns import arn_pattern, is_literal, parse_table_arn
from ddbguard.templates.model import CheckedStack
from ddbguard.iam import (COMPUTE_SERVICES, IDENTITY_TYPES, POLICY_ATTACHMENTS, Boundary, Statement,
                          aws_managed_statements, decide_any, is_allowed, parse_statements)
from ddbguard.model import Unknown
from ddbguard.templates.model import InputModel
from ddbguard.templates.resolve import TABLE_TYPES

_TOKEN = re.compile(r"^\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}$")

DATA_ACTIONS = tuple(f"dynamodb:{a}" for a in (
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
    "ConditionCheckItem"))
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
UNRESOLVED_STATEMENT = "cannot be resolved statically, so it may grant more"

_NAME_PROPERTY = {"role": "RoleName", "user": "UserName", "group": "GroupName", "permission set": "Name"}


def token(value: object) -> tuple[str, str | None] | None:
    """`${Logical}` or `${Logical.Attribute}` -> (logical id, attribute)."""
    match = _TOKEN.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


@dataclass(eq=False)
class Table:
    name: str
    arn: str
    stack: CheckedStack | None = None  # None for a table the input only refers to
    logical_id: str | None = None
    indexes: frozenset[str] | None = None  # None: not known
    has_stream: bool | None = None


@dataclass
class Policy:
    """Where statements live: an IAM policy resource, or an identity's inline policies."""

    stack: CheckedStack
    logical_id: str
    statements: list[Statement] = field(default_factory=list)
    unreadable: list[tuple[tuple, str]] = field(default_factory=list)  # (path, why its statements are unknown)
    managed: dict[int, str] = field(default_factory=dict)  # managed policy index -> AWS managed policy name

    def managed_name(self, path: tuple) -> str:
        return self.managed.get(path[2], "") if len(path) > 2 else ""

    def add_document(self, document: object, path: tuple) -> None:
        found, unreadable = parse_statements(document, source=self.logical_id, path=path)
        self.statements += found
        self.unreadable += [(where, UNRESOLVED_STATEMENT) for where in unreadable]

    def add_managed(self, arn: object, path: tuple, index: int) -> None:
        """An AWS managed policy attached by ARN; what ddbguard does not know is unreadable."""
        known = aws_managed_statements(arn, source=self.logical_id, path=path)
        if known is None:
            self.unreadable.append((path, f"managed policy {json.dumps(arn)} is neither in the input nor an AWS "
                                          "managed policy ddbguard knows, so what it grants is unknown"))
        else:
            self.managed[index] = known[0]
            self.statements += known[1]


@dataclass(eq=False)
class Identity:
    """A role, user, group or SSO permission set, with every policy that applies to it (a user's groups' too)."""

    stack: CheckedStack
    logical_id: str
    kind: str = "role"  # a value of IDENTITY_TYPES
    policies: list[Policy] = field(default_factory=list)
    boundary: Boundary = None  # the permissions boundary's statements; Unknown when it cannot be read
    name: str | None = None  # its RoleName/UserName/...; None when CloudFormation generates it
    path: str = "/"
    trusted_services: frozenset[str] | None = None  # a role's trust policy names only these services; else None

    @property
    def statements(self) -> list[Statement]:
        return [s for p in self.policies for s in p.statements]

    @property
    def unreadable(self) -> list[tuple[Policy, tuple, str]]:
        """Statements (or parts) of the identity's policies that could not be read, and why."""
        return [(p, path, why) for p in self.policies for path, why in p.unreadable]

    @property
    def arn(self) -> str | None:
        account = self.stack.stack.account
        if self.kind not in ("role", "user") or self.name is None or account is None:
            return None
        return f"arn:aws:iam::{account}:{self.kind}{self.path}{self.name}"

    @property
    def compute_only(self) -> bool:
        """A role that only compute services may assume (Lambda, ECS tasks, ...): it runs code."""
        return bool(self.trusted_services) and self.trusted_services <= set(COMPUTE_SERVICES)

    def describe(self) -> str:
        return f"{self.kind} {self.logical_id}"


@dataclass
class Function:
    stack: CheckedStack
    logical_id: str
    role: Identity | None
    role_value: object
    variables: dict[str, object]


@dataclass(eq=False)
class Reach:
    """The tables some statements allow a data action on (in the input, or named by the statements), and what
    rules derive from them, computed once for every identity with the same statements."""

    tables: tuple[Table, ...]
    derived: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def derive(self, key: object, compute):
        if key not in self.derived:
            self.derived[key] = compute(self.tables)
        return self.derived[key]

    def __contains__(self, table: object) -> bool:
        return id(table) in self.derive("ids", lambda tables: {id(t) for t in tables})


class Graph:
    def __init__(self, stacks: list[CheckedStack], model: InputModel, declared_tables: dict | None = None) -> None:
        self.stacks = stacks
        self.model = model
        self.declared = declared_tables or {}
        self.tables: dict[str, Table] = {}  # the tables of the input, by name
        self.referenced: dict[str, Table] = {}  # tables the input names but does not define, by ARN
        self.identities: list[Identity] = []
        self.policies: list[Policy] = []
        self.functions: list[Function] = []
        self._roles_by_key: dict[tuple[str, object], list[Identity]] | None = None
        self._functions_by_role: dict[int, list[Function]] | None = None
        self._by_pattern: dict[str, tuple[Table, ...]] = {}  # Resource pattern -> the input tables it matches
        self._reaches: dict[tuple, Reach] = {}
        for stack in stacks:
            self._collect_tables(stack)
        for stack in stacks:
            self._collect_identities(stack)
        for stack in stacks:
            self._collect_functions(stack)

    @property
    def roles(self) -> list[Identity]:
        return [i for i in self.identities if i.kind == "role"]

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
        """The table of that name at that ARN: the input's when it may be that one, else one the input only refers
        to (its indexes and stream from the config's `tables`)."""
        defined = self.tables.get(name)
        if defined is not None and (arn is None or same_place(defined.arn, arn) is not False):
            return defined
        key = arn or f"arn:aws:dynamodb:*:*:table/{name}"
        if key not in self.referenced:
            declared = self.declared.get(name) or {}
            indexes = declared.get("indexes")
            self.referenced[key] = Table(name, key, indexes=frozenset(indexes) if indexes is not None else None,
                                         has_stream=declared.get("stream"))
        return self.referenced[key]

    def defines_table(self, value: object) -> bool:
        """The value is the name or the ARN of a table some stack of the input defines."""
        if not isinstance(value, str):
            return False
        parsed = parse_table_arn(value)
        table = self.tables.get(parsed.name if parsed and not parsed.rest else value)
        return table is not None and table.stack is not None

    def table_of(self, value: object, stack: CheckedStack) -> Table | None:
        """The table a resolved value names: a table ARN, a table name (in the stack's own account and region),
        or None when it names no table."""
        if not isinstance(value, str) or not value:
            return None
        parsed = parse_table_arn(value)
        if parsed:
            return self.table_named(parsed.name, parsed.table)
        if value not in self.tables and (token(value) or value.startswith("arn:")):
            return None  # a reference to something else, or an ARN of no table
        resolver = self.model.resolver(stack.stack)
        return self.table_named(value, f"arn:{resolver.pseudo_parameter('AWS::Partition')}:dynamodb:"
                                       f"{resolver.pseudo_parameter('AWS::Region')}:"
                                       f"{resolver.pseudo_parameter('AWS::AccountId')}:table/{value}")

    def _collect_identities(self, stack: CheckedStack) -> None:
        resources = stack.resolved["Resources"]
        first_identity, first_policy = len(self.identities), len(self.policies)  # this stack's are appended after
        by_key: dict[tuple[str, str], Identity] = {}  # (kind, logical id or name) -> identity
        for logical_id, resource in resources.items():
            kind = IDENTITY_TYPES.get(resource.get("Type"))
            if kind is None:
                continue
            properties = resource.get("Properties") or {}
            name = properties.get(_NAME_PROPERTY[kind])
            identity = Identity(stack, logical_id, kind, name=name if isinstance(name, str) else None,
                                path=properties.get("Path") if isinstance(properties.get("Path"), str) else "/",
                                trusted_services=_trusted_services(properties) if kind == "role" else None)
            inline = Policy(stack, logical_id)
            if kind == "permission set":
                self._read_permission_set(inline, properties)
            else:
                for index, policy in enumerate(as_list(properties.get("Policies"))):
                    document = policy.get("PolicyDocument") if isinstance(policy, dict) else None
                    inline.add_document(document, ("Properties", "Policies", index, "PolicyDocument"))
                for index, arn in enumerate(as_list(properties.get("ManagedPolicyArns"))):
                    if not (token(arn) and token(arn)[0] in resources):  # a policy of this stack: attached below
                        inline.add_managed(arn, ("Properties", "ManagedPolicyArns", index), index)
            identity.policies.append(inline)
            self.policies.append(inline)
            self.identities.append(identity)
            by_key[(kind, logical_id)] = identity
            if identity.name:
                by_key.setdefault((kind, identity.name), identity)
        for logical_id, resource in resources.items():
            attachments = POLICY_ATTACHMENTS.get(resource.get("Type"))
            if attachments is None:
                continue
            properties = resource.get("Properties") or {}
            policy = Policy(stack, logical_id)
            policy.add_document(properties.get("PolicyDocument"), ("Properties", "PolicyDocument"))
            self.policies.append(policy)
            for key, kind in attachments:
                for target in as_list(properties.get(key)):
                    found = by_key.get((kind, _name_of(target)))
                    if found is not None and policy not in found.policies:
                        found.policies.append(policy)
        # this stack's own, without a scan of every stack's so far (which would grow with stacks x identities)
        managed = {p.logical_id: p for p in self.policies[first_policy:]}
        mine = self.identities[first_identity:]
        for identity in mine:
            properties = resources[identity.logical_id].get("Properties") or {}
            for index, arn in enumerate(as_list(properties.get("ManagedPolicyArns"))):
                found = token(arn)
                if found and found[0] in managed and managed[found[0]] not in identity.policies:
                    identity.policies.append(managed[found[0]])
                elif found and found[0] in resources and found[0] not in managed:
                    identity.policies[0].unreadable.append((("Properties", "ManagedPolicyArns", index),
                                                            f"{found[0]} is not an IAM managed policy ddbguard can read"))
            if identity.kind in ("role", "user"):
                identity.boundary = _boundary(properties.get("PermissionsBoundary"), managed, identity.describe())
        # a user has its groups' policies too (the user's Groups, and UserToGroupAddition resources)
        memberships = [(i, group) for i in mine if i.kind == "user"
                       for group in as_list((resources[i.logical_id].get("Properties") or {}).get("Groups"))]
        for resource in resources.values():
            if resource.get("Type") == "AWS::IAM::UserToGroupAddition":
                properties = resource.get("Properties") or {}
                memberships += [(by_key.get(("user", _name_of(user))), properties.get("GroupName"))
                                for user in as_list(properties.get("Users"))]
        for user, group_value in memberships:
            group = by_key.get(("group", _name_of(group_value)))
            if user is not None and group is not None:
                user.policies += [p for p in group.policies if p not in user.policies]

    def _read_permission_set(self, inline: Policy, properties: dict) -> None:
        """An SSO permission set: its inline policy (a document or its JSON text) and managed policies."""
        document = properties.get("InlinePolicy")
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                document = None
        if "InlinePolicy" in properties:
            inline.add_document(document, ("Properties", "InlinePolicy"))
        for index, arn in enumerate(as_list(properties.get("ManagedPolicies"))):
            inline.add_managed(arn, ("Properties", "ManagedPolicies", index), index)
        for index, _ in enumerate(as_list(properties.get("CustomerManagedPolicyReferences"))):
            inline.unreadable.append((("Properties", "CustomerManagedPolicyReferences", index),
                                      "a customer managed policy is read from each account the permission set is "
                                      "assigned to, so what it grants is unknown"))

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

    def role_of(self, value: object, stack: CheckedStack) -> Identity | None:
        """The role a function's Role names: `${Logical}.Arn` or a role ARN, its own stack's role first."""
        if self._roles_by_key is None:
            self._roles_by_key = {}
            for role in self.roles:
                for key in (("id", role.logical_id), ("name", role.name)):
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
    def tables_matching(self, pattern: str) -> tuple[Table, ...]:
        """The tables of the input whose ARN (or whose indexes' or streams' ARNs) a Resource may match, as IAM matches
        (a table whose ARN holds a value ddbguard cannot resolve is matched by a pattern naming it that may be it);
        for a pattern that names one table, the table it names. Matched against the input's tables once per
        distinct pattern."""
        found = self._by_pattern.get(pattern)
        if found is None:
            arn = arn_pattern(pattern)
            name = arn.table_name
            if not arn.reaches_tables:
                found = ()
            elif name is not None:
                defined = self.tables.get(name)
                found = (defined,) if defined is not None and _may_match(pattern, defined.arn) else ()
                if not found and arn.table_itself:
                    found = (self.table_named(name, _table_part(pattern, name)),)
            else:
                found = tuple(t for t in self.tables.values() if _may_match(pattern, t.arn))
            self._by_pattern[pattern] = found
        arn = arn_pattern(pattern)
        if arn.reaches_tables and arn.table_name is None and self.referenced:  # those named since, too
            return found + tuple(t for t in self.referenced.values() if _may_match(pattern, t.arn))
        return found

    def reachable_tables(self, statements: list[Statement]) -> Reach:
        """Tables (in the input or named by the statements) that these statements allow some data action on.

        The candidates are the tables each Allow's Resource matches (indexed by pattern), so the work is linear in
        the input; identities with the same statements share one answer.
        """
        key = tuple((s.effect, s.actions, s.not_actions, s.resources, s.not_resources, s.has_condition, s.unresolved)
                    for s in statements)
        reach = self._reaches.get(key)
        if reach is None:
            reach = self._reaches[key] = Reach(self._reach(statements))
        return reach

    def _reach(self, statements: list[Statement]) -> tuple[Table, ...]:
        candidates: dict[int, Table] = {}
        for statement in statements:
            if statement.effect != "Allow" or not any(statement.covers_action(a) for a in DATA_ACTIONS):
                continue
            if statement.not_resources is not None:
                tables = [*self.tables.values(), *self.referenced.values()]
            else:
                tables = [t for resource in statement.resources for t in self.tables_matching(resource)]
            candidates.update((id(t), t) for t in tables)
        return tuple(t for t in candidates.values() if grants(statements, t))

    def functions_using(self, role: Identity) -> list[Function]:
        if self._functions_by_role is None:  # indexed once: asked for every role
            self._functions_by_role = {}
            for function in self.functions:
                self._functions_by_role.setdefault(id(function.role), []).append(function)
        return self._functions_by_role.get(id(role), [])

    def policies_only_of(self, services: frozenset[str]) -> set[int]:
        """The policies (by id) attached only to roles that only these services may assume."""
        theirs = {id(i) for i in self.identities if i.trusted_services == services}
        others = {id(p) for i in self.identities if id(i) not in theirs for p in i.policies}
        return {id(p) for i in self.identities if id(i) in theirs for p in i.policies if id(p) not in others}

    def is_function_role(self, identity: Identity) -> bool:
        """A role that runs code: a function of the input uses it, or only compute services may assume it."""
        return identity.kind == "role" and (bool(self.functions_using(identity)) or identity.compute_only)


def _name_of(value: object) -> str | None:
    """The logical id (`${Logical}`, what a Ref resolves to) or the name an identity is referred to by."""
    if not isinstance(value, str):
        return None
    found = token(value)
    return found[0] if found else value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def _trusted_services(properties: dict) -> frozenset[str] | None:
    """The service principals a role's trust policy lets assume it; None when anything else may."""
    statements = as_list((properties.get("AssumeRolePolicyDocument") or {}).get("Statement")) \
        if isinstance(properties.get("AssumeRolePolicyDocument"), dict) else []
    services: set[str] = set()
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            return None
        values = as_list(principal["Service"])
        if not all(isinstance(v, str) for v in values):
            return None
        services |= set(values)
    return frozenset(services) or None


def _boundary(value: object, managed: dict[str, Policy], who: str) -> Boundary:
    """A PermissionsBoundary: a managed policy of its stack, or an AWS managed policy ddbguard knows."""
    if value is None:
        return None
    found = token(value)
    policy = managed.get(found[0]) if found else None
    if policy is not None:
        return Unknown(f"the permissions boundary {policy.logical_id} of {who} cannot be read completely") \
            if policy.unreadable else policy.statements
    known = aws_managed_statements(value, source="PermissionsBoundary", path=("Properties", "PermissionsBoundary"))
    if known is not None:
        return known[1]
    return Unknown(f"the permissions boundary {json.dumps(value)} of {who} is neither in the input nor an AWS "
                   "managed policy ddbguard knows, so what it allows is unknown")


def as_list(value: object) -> list:
    """A policy or template value that may be one item or a list of them, as a list (absent: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def same_place(table_arn: str, other: str) -> bool | None:
    """Whether two ARNs of a same-named table are in the same partition, region and account: True, False, or None
    when a value ddbguard cannot resolve (`${AWS::AccountId}`) leaves it open. A `*` place (a table only known by
    name) is every place."""
    mine, theirs = parse_table_arn(table_arn), parse_table_arn(other)
    if mine is None or theirs is None:
        return None
    answer: bool | None = True
    for a, b in ((mine.partition, theirs.partition), (mine.region, theirs.region), (mine.account, theirs.account)):
        if a == b or a == "*":
            continue
        if "${" in a or "${" in b:
            answer = None
        else:
            return False
    return answer


def places(table_arn: str, patterns) -> list[tuple[str, bool]]:
    """The ARNs a table may have at the places Resource patterns assume, and whether it surely has each: its own
    (surely), and its own with each partition, region or account it leaves open (`${AWS::Partition}` in a template
    file, `*` for a table known only by name) taken from a pattern that spells one there. A `*` place is surely
    every place; an unresolved one only may be the pattern's."""
    parsed = parse_table_arn(table_arn)
    found = {table_arn: True}
    if parsed is None or not any("${" in v or v == "*" for v in (parsed.partition, parsed.region, parsed.account)):
        return list(found.items())
    for pattern in patterns:
        for reading in arn_pattern(pattern).table_readings:
            filled, sure = [], True
            for mine, theirs in ((parsed.partition, reading[0]), (parsed.region, reading[2]), (parsed.account, reading[3])):
                if (mine == "*" or "${" in mine) and is_literal(theirs) and theirs != mine:
                    filled.append(theirs)
                    sure &= mine == "*"
                else:
                    filled.append(mine)
            arn = f"arn:{filled[0]}:dynamodb:{filled[1]}:{filled[2]}:table/{parsed.name}"
            found[arn] = found.get(arn, False) or sure
    return list(found.items())


def _may_match(pattern: str, arn: str) -> bool:
    """The pattern may match the table's ARN (or one of its indexes' or streams'), at the places it leaves open."""
    reach = arn_pattern(pattern)
    return any(reach.matches(candidate + part) for candidate, _ in places(arn, [pattern])
               for part in ("", "/index/\x03", "/stream/\x03"))


def _table_part(pattern: str, name: str) -> str:
    """A pattern that names one table, cut after the table's name (`.../table/orders/index/*` -> `.../table/orders`)."""
    cut = pattern.find(f":table/{name}")
    return pattern[: cut + len(f":table/{name}")] if cut >= 0 else pattern


def can_use(statements: list[Statement], table: Table, boundary: Boundary = None) -> bool | Unknown:
    """The identity may use the table (DDB011). Unknown also when only a grant at a place the table leaves unresolved
    (its partition, region or account) allows it: it may or may not be the table's."""
    exact = table_arns(table, statements, exact=True)
    answer = may_use(statements, exact, boundary)
    if answer is False:
        maybe = [arn for arn in table_arns(table, statements) if arn not in exact]
        if maybe and may_use(statements, maybe, boundary) is True:
            hint = " (a template file names no region or account: give AWS::Region and AWS::AccountId with " \
                "--parameters)" if "${AWS::" in table.arn else ""
            return Unknown(f"it is granted table {table.name} as {maybe[0]}, and whether that is the table's partition, "
                           f"region and account ({table.arn}) cannot be resolved statically{hint}")
    return answer


def may_use(statements: list[Statement], arns: list[str], boundary: Boundary = None) -> bool | Unknown:
    """The role may use the table (some data action, by any of the ARNs it goes by), within its permissions
    boundary; Unknown when a Deny's condition or the boundary decides. DDB011's test, templates and live."""
    return decide_any(statements, DATA_ACTIONS, arns, boundary)


def grants(statements: list[Statement], table: Table) -> bool:
    """The statements grant some data action on the table, conditions taken to hold (the over-grant view)."""
    return any(is_allowed(statements, action, arn) for action in DATA_ACTIONS for arn in table_arns(table, statements))


def table_arns(table: Table, statements: list[Statement], *, exact: bool = False) -> list[str]:
    """The ARNs a table may go by at the places the statements' Resources assume (exact: those it surely goes by;
    a table ARN of another account or region is another table's)."""
    patterns = [r for s in statements for r in s.resources]
    return [arn for arn, sure in places(table.arn, patterns) if sure or not exact]
