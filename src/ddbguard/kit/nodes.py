"""What the cross-resource graph (kit/graph.py) holds: tables, policies with their statements, identities, functions,
and the tables a set of statements reaches."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ddbguard.iam import COMPUTE_SERVICES, Boundary, Statement, aws_managed_statements, parse_statements
from ddbguard.templates.model import CheckedStack

UNRESOLVED_STATEMENT = "cannot be resolved statically, so it may grant more"


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
