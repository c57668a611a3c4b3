"""What one account and region look like, as fetched: every field a value or an explicit Unknown."""

from __future__ import annotations

from dataclasses import dataclass, field

from ddbguard.iam import Boundary, Statement
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
    stream_policy: dict | None | Unknown = None  # the resource policy of its stream (GetResourcePolicy on the stream)
    stack: tuple[str, str] | None | Unknown = None  # (stack name, logical id); None: no stack manages it
    template_resource: dict | None | Unknown = None  # the resource in the deployed template
    backups: list[dict] | Unknown = field(default_factory=list)  # recent ones: {"created", "table_id", "source"}
    kms_key: dict | None | Unknown = None  # DescribeKey's KeyMetadata, when customer-managed keys are required
    recovery_points: list[dict] | Unknown | None = None  # every AWS Backup recovery point, when a rule needs them
    old_backups: list[dict] | Unknown | None = None  # DynamoDB backups older than the retention, when a rule needs them
    legacy_replicas: list[str] = field(default_factory=list)  # regions of its stack's Custom::DynamoDBReplica

    @property
    def replica_regions(self) -> list[str]:
        """The regions of a global table's other replicas (DescribeTable's Replicas)."""
        if not isinstance(self.description, dict):
            return []
        return sorted(r["RegionName"] for r in self.description.get("Replicas") or [] if r.get("RegionName"))


def belongs_to_incarnation(backup: dict, description: dict) -> bool:
    """A backup of this table, not of an earlier table of the same name (deleted and re-created): the
    table id when both are known, else made after this table was created."""
    if backup.get("table_id") and description.get("TableId"):
        return backup["table_id"] == description["TableId"]
    created = description.get("CreationDateTime")
    return created is None or backup["created"] >= created


def own_dynamodb_backups(backups: list[dict], description: dict) -> list[dict]:
    """The table's own backups as DynamoDB lists them (on-demand, or made by AWS Backup without its advanced
    features), not those of an earlier table of the same name."""
    return [b for b in backups if b.get("source", "").startswith("DynamoDB") and belongs_to_incarnation(b, description)]


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
    if table.stream_policy is not None:
        stream = table.stream_policy
        properties["StreamSpecification"] = {"ResourcePolicy": stream if isinstance(stream, Unknown) else
                                             {"PolicyDocument": stream}}
    resource["Properties"] = properties
    return resource


def _sse(table: LiveTable) -> dict | Unknown:
    if isinstance(table.description, Unknown):
        return table.description
    sse = table.description.get("SSEDescription") or {}
    if sse.get("Status") not in ("ENABLED", "UPDATING"):
        return {"SSEEnabled": False}  # an AWS owned key
    found = {"SSEEnabled": True, "SSEType": "KMS"}
    if isinstance(table.kms_key, Unknown):
        found["KMSMasterKeyId"] = table.kms_key
    elif isinstance(table.kms_key, dict):  # DescribeKey tells whose key it is: DynamoDB's AWS managed one is aws/dynamodb
        found["KMSMasterKeyId"] = sse.get("KMSMasterKeyArn") if table.kms_key.get("KeyManager") == "CUSTOMER" \
            else "alias/aws/dynamodb"
    return found


@dataclass
class LiveRole:
    arn: str
    name: str
    statements: list[Statement] | Unknown
    boundary: Boundary = None  # the permissions boundary's statements


@dataclass
class LiveFunction:
    name: str
    arn: str
    role: LiveRole | None
    variables: dict[str, str] | Unknown  # Unknown: Lambda reports the environment cannot be read


@dataclass
class LiveStack:
    """A stack that owns judged tables, and how it is protected (DescribeStacks, GetStackPolicy)."""

    name: str
    arn: str
    tables: dict[str, str]  # logical id -> table name
    termination_protection: bool | Unknown
    policy: dict | None | Unknown  # the stack policy; None: the stack has none


@dataclass
class RegionSnapshot:
    account: str
    region: str
    tables: list[LiveTable] = field(default_factory=list)  # the tables judged (all, or --table-prefix)
    functions: list[LiveFunction] | Unknown = field(default_factory=list)
    table_names: set[str] = field(default_factory=set)  # every table that exists here, judged or not
    audited: "Scope | None" = None  # every region of the run, to look up tables a function names by ARN
    replicas_outside: list[tuple[str, str, str]] = field(default_factory=list)  # (table, region, arn) not audited
    stacks: list[LiveStack] = field(default_factory=list)  # the stacks that own the judged tables

    def table(self, name: str) -> LiveTable | None:
        return next((t for t in self.tables if t.name == name), None)


@dataclass
class Scope:
    """The regions the run audited, by (account, region)."""

    snapshots: dict[tuple[str, str], RegionSnapshot] = field(default_factory=dict)

    def region(self, account: str, region: str) -> RegionSnapshot | None:
        return self.snapshots.get((account, region))
