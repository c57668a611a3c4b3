"""What one account and region look like, as fetched: every field a value or an explicit Unknown."""

from __future__ import annotations

from dataclasses import dataclass, field

from ddbguard.arns import parse_table_arn
from ddbguard.iam import Boundary, Statement
from ddbguard.kit.environments import DEFAULT_TABLE_VARIABLES, names_a_table
from ddbguard.kit.subjects import live_judged
from ddbguard.model import Problem, Subject, Unknown


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
    # region -> its stack's Custom::DynamoDBReplica for that region, as in the deployed template
    legacy_replicas: dict[str, dict] = field(default_factory=dict)
    tags: dict | Unknown | None = None  # ListTagsOfResource, when a rule needs them (backup selections by tag)

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
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": pitr, **_recovery_period(backups)},
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


def _recovery_period(backups: dict | Unknown) -> dict:
    """RecoveryPeriodInDays of DescribeContinuousBackups when point-in-time recovery is on. An answer that does not
    state it is unknown, never DynamoDB's default of 35 days (which would pass every window)."""
    if isinstance(backups, Unknown):
        return {"RecoveryPeriodInDays": backups}
    description = backups.get("PointInTimeRecoveryDescription") or {}
    if description.get("PointInTimeRecoveryStatus") != "ENABLED":
        return {}
    days = description.get("RecoveryPeriodInDays")
    return {"RecoveryPeriodInDays": days if days is not None else Unknown(
        "DescribeContinuousBackups does not state the point-in-time recovery window (RecoveryPeriodInDays)")}


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
    dax_clusters: list[dict] | Unknown | None = None  # DescribeClusters (DAX), when a rule needs them; None: not read
    # DescribeScalableTargets (ServiceNamespace dynamodb), when a rule needs them; None: not read
    scalable_targets: list[dict] | Unknown | None = None
    # DDB022's `backup:` requirements (live/backup_plans.py); None: not read
    backup_plans: list[dict] | Unknown | None = None  # {"id", "name", "plan", "selections"}
    backup_vaults: dict[str, dict] | Unknown | None = None  # ListBackupVaults, by name
    organization_backup_policy: dict | Unknown | None = None  # the effective BACKUP_POLICY; None: none applies

    def table(self, name: str) -> LiveTable | None:
        return next((t for t in self.tables if t.name == name), None)


@dataclass
class Scope:
    """The regions the run audited, by (account, region)."""

    snapshots: dict[tuple[str, str], RegionSnapshot] = field(default_factory=dict)

    def region(self, account: str, region: str) -> RegionSnapshot | None:
        return self.snapshots.get((account, region))


def functions_with_roles(snapshot: RegionSnapshot):
    """The region's functions that have a role. When functions could not be listed there are none here:
    the audit reports that listing as an error of the region instead."""
    if isinstance(snapshot.functions, Unknown):
        return []
    return [f for f in snapshot.functions if f.role is not None]


def per_table(snapshot: RegionSnapshot, field: str, judge) -> list[Subject]:
    """One subject per table from one fetched field: Unknown fields are unknown, never judged."""
    subjects = []
    for table in snapshot.tables:
        value = getattr(table, field)
        if isinstance(value, Unknown):
            subjects.append(live_judged(table.name, table.arn, [], [value.reason]))
        else:
            subjects.append(live_judged(table.name, table.arn, judge(table, value)))
    return subjects + unaudited_replicas(snapshot)


def judge_tables(predicate, snapshot: RegionSnapshot, config, tables=None, *, explain=None,
                 more=None) -> list[Subject]:
    """A rule's per-table predicate (rules/<stem>/predicate.py) on each table's CloudFormation-shaped view.
    `explain(table, problem)` may reword a problem for the live context (say which stack deletes the table);
    `more(table)` adds what only a live table shows (a disabled KMS key)."""
    subjects = []
    for table in snapshot.tables if tables is None else tables:
        found = predicate(as_resource(table), config)
        if explain is not None:
            found = [Problem(explain(table, p), p.path, p.unknown) for p in found]
        if more is not None:
            found += more(table)
        subjects.append(Subject(table.name, tuple(found), arn=table.arn))
    return subjects + unaudited_replicas(snapshot)


def as_dax_resource(cluster: dict) -> dict:
    """A DAX cluster of DescribeClusters in CloudFormation's shape (AWS::DAX::Cluster), for the per-resource
    predicates: SSEDescription.Status ENABLED is SSEEnabled, TotalNodes the ReplicationFactor. A field the answer
    does not hold is unknown, never a default."""
    def stated(key: str, read):
        return read(cluster[key]) if cluster.get(key) is not None else Unknown(
            f"DescribeClusters does not state {key} of DAX cluster {cluster.get('ClusterName')}")

    return {"Type": "AWS::DAX::Cluster", "Properties": {
        "SSESpecification": {"SSEEnabled": stated("SSEDescription", lambda sse: sse.get("Status") == "ENABLED")},
        "ClusterEndpointEncryptionType": stated("ClusterEndpointEncryptionType", str),
        "ReplicationFactor": stated("TotalNodes", int),
    }}


def judge_dax_clusters(predicate, snapshot: RegionSnapshot, config) -> list[Subject]:
    """A per-resource predicate of AWS::DAX::Cluster on each DAX cluster of the region. When the clusters could
    not be listed the audit reports that as an error of the region (commands/audit.py), never a clean region."""
    if not isinstance(snapshot.dax_clusters, list):
        return []
    return [Subject(cluster.get("ClusterName", ""), tuple(predicate(as_dax_resource(cluster), config)),
                    arn=cluster.get("ClusterArn")) for cluster in snapshot.dax_clusters]


def unaudited_replicas(snapshot: RegionSnapshot) -> list[Subject]:
    """A global table's replicas in regions the run does not audit: unknown, never silently left out."""
    return [Subject(name, (Problem(
        f"a replica of global table {name} is in region {region}, which this audit does not read: add {region} to "
        "--regions", unknown=True),), arn=arn, region=region)
        for name, region, arn in snapshot.replicas_outside]


def named_tables(function, config, snapshot):
    """(variable, value) for each variable that names a table: by its name (table_variables), or because its
    value is a table ARN or the name of a table of the region, as on the template side. None when the
    environment cannot be read (DDB011 reports that)."""
    if isinstance(function.variables, Unknown):
        return
    patterns = tuple(config.table_variables or DEFAULT_TABLE_VARIABLES)
    for variable, value in sorted(function.variables.items()):
        if names_a_table(variable, patterns) or (isinstance(value, str) and (
                parse_table_arn(value) or value in snapshot.table_names)):
            yield variable, value


def locate(snapshot, function, value):
    """(table name, table ARN, the region's snapshot or an Unknown saying it is not audited) of a value."""
    parsed = parse_table_arn(value)
    if not parsed:  # a bare name is a table of the function's own account and region
        partition = function.arn.split(":")[1] if function.arn.count(":") > 2 else "aws"
        return value, f"arn:{partition}:dynamodb:{snapshot.region}:{snapshot.account}:table/{value}", snapshot
    region, account, name, arn = parsed.region, parsed.account, parsed.name, parsed.table
    if (account, region) == (snapshot.account, snapshot.region):
        return name, arn, snapshot
    found = snapshot.audited.region(account, region) if snapshot.audited is not None else None
    return name, arn, found or Unknown(f"account {account} region {region}, which this audit does not read (add it "
                                       "with --accounts/--regions)")
