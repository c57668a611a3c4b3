"""The cross-resource view of one run: tables, identities with their statements, functions, across stacks.

Built once from the resolved templates of the input model; the cross-resource rules only read it. Grants are
indexed by ARN pattern: each distinct Resource is matched against the tables once per run, so that a thousand
roles granted `table/app-*` cost one pass over the tables, not a thousand.
"""

from __future__ import annotations

import json
import re

from ddbguard.arns import arn_pattern, parse_table_arn
from ddbguard.templates.model import CheckedStack
from ddbguard.iam import IDENTITY_TYPES, POLICY_ATTACHMENTS, Boundary, Statement, aws_managed_statements
from ddbguard.kit.access import DATA_ACTIONS, grants, may_match, same_place, table_part
from ddbguard.kit.nodes import Function, Identity, Policy, Reach, Table
from ddbguard.model import Unknown
from ddbguard.templates.model import InputModel
from ddbguard.templates.resolve import TABLE_TYPES

_TOKEN = re.compile(r"^\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}$")

_NAME_PROPERTY = {"role": "RoleName", "user": "UserName", "group": "GroupName", "permission set": "Name"}


def token(value: object) -> tuple[str, str | None] | None:
    """`${Logical}` or `${Logical.Attribute}` -> (logical id, attribute)."""
    match = _TOKEN.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


_IDENTITY_TYPES, _ATTACHING_TYPES = tuple(IDENTITY_TYPES), tuple(POLICY_ATTACHMENTS)  # for resources_of


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
        self._by_resource: dict[tuple[int, str], Table] | None = None
        self._functions_by_resource: dict[tuple[int, str], Function] | None = None
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
        for logical_id, resource in stack.resources_of(TABLE_TYPES):
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

    def table_at(self, stack: CheckedStack, logical_id: str) -> Table | None:
        """The table a resource of the input is (indexed once)."""
        if self._by_resource is None:
            self._by_resource = {(id(t.stack), t.logical_id): t for t in self.tables.values() if t.stack is not None}
        return self._by_resource.get((id(stack), logical_id))

    def function_at(self, stack: CheckedStack, logical_id: str) -> Function | None:
        if self._functions_by_resource is None:
            self._functions_by_resource = {(id(f.stack), f.logical_id): f for f in self.functions}
        return self._functions_by_resource.get((id(stack), logical_id))

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
        for logical_id, resource in stack.resources_of(_IDENTITY_TYPES):
            kind = IDENTITY_TYPES[resource["Type"]]
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
        for logical_id, resource in stack.resources_of(_ATTACHING_TYPES):
            attachments = POLICY_ATTACHMENTS[resource["Type"]]
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
        for _, resource in stack.resources_of(("AWS::IAM::UserToGroupAddition",)):
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
        for logical_id, resource in stack.resources_of(("AWS::Lambda::Function",)):
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
                found = (defined,) if defined is not None and may_match(pattern, defined.arn) else ()
                if not found and arn.table_itself:
                    found = (self.table_named(name, table_part(pattern, name)),)
            else:
                found = tuple(t for t in self.tables.values() if may_match(pattern, t.arn))
            self._by_pattern[pattern] = found
        arn = arn_pattern(pattern)
        if arn.reaches_tables and arn.table_name is None and self.referenced:  # those named since, too
            return found + tuple(t for t in self.referenced.values() if may_match(pattern, t.arn))
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
