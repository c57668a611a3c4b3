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


def as_resource(table: LiveTable) -> dict:
    """The live table in CloudFormation's shape, for the per-table predicates (rules/<stem>/predicate.py).

    DeletionPolicy and UpdateReplacePolicy come from the owning stack's deployed template; the
    properties from DescribeTable, DescribeContinuousBackups and GetResourcePolicy. Whatever could
    not be read is an `Unknown` in its place, which the predicate reports as unknown.
    """
    resource: dict = {"Type": "AWS::DynamoDB::Table"}
    template_resource = next((v for v in (table.stack, table.template_resource) if isinstance(v, Unknown)),
                             table.template_resource)
    for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
        if isinstance(template_resource, Unknown):
            resource[attribute] = template_resource
        elif isinstance(template_resource, dict) and attribute in template_resource:
            resource[attribute] = template_resource[attribute]
    description, backups, policy = table.description, table.continuous_backups, table.resource_policy
    pitr = backups if isinstance(backups, Unknown) else (
        (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus") == "ENABLED")
    properties: dict = {
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": pitr},
        "DeletionProtectionEnabled": description if isinstance(description, Unknown) else bool(
            description.get("DeletionProtectionEnabled")),
        "SSESpecification": _sse(table),
    }
    if policy is not None:
        properties["ResourcePolicy"] = policy if isinstance(policy, Unknown) else {"PolicyDocument": policy}
    resource["Properties"] = properties
    return resource


def _sse(table: LiveTable) -> dict | Unknown:
    if isinstance(table.description, Unknown):
        return table.description
    sse = table.description.get("SSEDescription") or {}
    if sse.get("Status") not in ("ENABLED", "UPDATING"):
        return {"SSEEnabled": False}  # an AWS owned key
    found = {"SSEEnabled": True, "SSEType": "KMS"}
    if isinstance(table.kms_key_manager, Unknown):
        found["KMSMasterKeyId"] = table.kms_key_manager
    elif table.kms_key_manager == "CUSTOMER":
        found["KMSMasterKeyId"] = sse.get("KMSMasterKeyArn")
    return found


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
