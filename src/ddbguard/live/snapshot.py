"""What one account and region look like, as fetched: every field a value or an explicit Unknown."""

from __future__ import annotations

from dataclasses import dataclass, field

from ddbguard.iam import Statement
from ddbguard.model import Unknown


def known(value: object) -> bool:
    return not isinstance(value, Unknown)


@dataclass
class LiveTable:
    name: str
    arn: str
    description: dict | Unknown
    continuous_backups: dict | Unknown
    resource_policy: dict | None | Unknown  # None: the table has no resource policy
    stack: tuple[str, str] | None | Unknown = None  # (stack name, logical id); None: no stack manages it
    template_resource: dict | None | Unknown = None  # the resource in the deployed template
    backups: list[dict] | Unknown = field(default_factory=list)
    kms_key_manager: str | None | Unknown = None  # "AWS" or "CUSTOMER", when asked for


@dataclass
class LiveRole:
    arn: str
    name: str
    statements: list[Statement] | Unknown


@dataclass
class LiveFunction:
    name: str
    arn: str
    role: LiveRole | None
    variables: dict[str, str]


@dataclass
class RegionSnapshot:
    account: str
    region: str
    tables: list[LiveTable] = field(default_factory=list)
    functions: list[LiveFunction] | Unknown = field(default_factory=list)

    def table(self, name: str) -> LiveTable | None:
        return next((t for t in self.tables if t.name == name), None)
