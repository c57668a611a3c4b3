"""boto3 -> RegionSnapshot. A failed call becomes Unknown(reason) in the place of what it would have read.

The audit reads a region in three steps, so that the work inside a region runs concurrently too:

1. `open_region` (one task per account and region): ListTables, ListBackups (only backups newer than the
   backup age limit, grouped by table once), ListStacks, ListFunctions, and each function's role (IAM is
   global: roles are read once per account).
2. `read_table` (one task per table): DescribeTable, DescribeContinuousBackups, GetResourcePolicy (of the table, and
   of its stream when it has one); DescribeKey per distinct KMS key at `customer-managed`;
   ListRecoveryPointsByResource (AWS Backup) when DynamoDB lists no recent backup of this incarnation or a rule
   needs every recovery point; ListBackups of the one table (older backups) when DDB022 must tell how long its
   on-demand backups are kept. `read_stack` (one task per stack): ListStackResources, and GetTemplate when the
   stack owns a table (its tables' resources, and their legacy replicas', from the deployed template).
3. `finish_region`: each table gets its owning stack and the deployed template's resource.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from ddbguard.aws import attempt, error_reason, paginate, stack_tables, template_from_body
from ddbguard.iam import parse_statements
from ddbguard.live.backup_plans import read_backup_setup, table_tags
from ddbguard.kit.snapshot import (LiveFunction, LiveRole, LiveStack, LiveTable, RegionSnapshot, Unknown,
                                    belongs_to_incarnation, own_dynamodb_backups)
from ddbguard.kit.values import LEGACY_REPLICA

# Every stack that still exists owns its tables, whatever state its last operation left it in.
_GONE = "DELETE_COMPLETE"


class RegionFailed(Exception):
    """The region cannot be audited at all (tables cannot even be listed)."""


@dataclass
class AccountCache:
    """IAM state shared by every region of one account, each role and policy fetched once."""

    roles: dict[str, LiveRole] = field(default_factory=dict)
    policies: dict[str, object] = field(default_factory=dict)
    organization: dict[str, object] = field(default_factory=dict)  # the account's effective organization policies
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def once(self, key: str, store: dict, fetch):
        with self.lock:
            if key in store:
                return store[key]
            key_lock = self.locks.setdefault(key, threading.Lock())
        with key_lock:  # different roles are fetched concurrently; the same one once
            if key not in store:
                store[key] = fetch()
            return store[key]


@dataclass
class RegionWork:
    """A region between the steps: its clients, what was listed, and what the table and stack tasks found."""

    snapshot: RegionSnapshot
    clients: dict
    judged: list[str]  # the table names the rules judge (--table-prefix)
    backups: dict[str, list[dict]] | Unknown  # table name -> recent DynamoDB backups
    stacks: list[str] | Unknown  # the names of the stacks that still exist
    backup_since: dt.datetime
    encryption_level: str
    recovery_points: bool = False  # read every AWS Backup recovery point of each table (a rule needs them)
    # read the DynamoDB backups made before this of a table old enough whose only recent backups are on-demand
    old_backups_before: dt.datetime | None = None
    backup_plans: bool = False  # read the plans, vaults, organization policy and table tags (DDB022's `backup:`)
    owners: dict[str, tuple[str, str, object]] = field(default_factory=dict)  # table -> (stack, logical id, resource)
    legacy_replicas: dict[str, dict[str, dict]] = field(default_factory=dict)  # table -> legacy_replicas()
    unreadable_stacks: list[str] = field(default_factory=list)  # why a stack's tables cannot be known
    keys: dict[str, object] = field(default_factory=dict)  # KMS key ARN -> KeyMetadata or Unknown
    lock: threading.Lock = field(default_factory=threading.Lock)


def open_region(session, account: str, region: str, *, clients, table_prefix: str | None,
                encryption_level: str, backup_since: dt.datetime, account_cache: AccountCache,
                recovery_points: bool = False, old_backups_before: dt.datetime | None = None,
                dax_clusters: bool = False, scalable_targets: bool = False, backup_plans: bool = False) -> RegionWork:
    """`clients`: the run's aws.Clients (one deadline per call, and a record of what AWS did not answer).
    `dax_clusters`, `scalable_targets`: read the region's DAX clusters (DescribeClusters) and DynamoDB's Application
    Auto Scaling targets (DescribeScalableTargets) once, because a selected rule needs them (rule.yaml live_needs);
    `backup_plans`: AWS Backup's plans and vaults, and the organization's backup policy (live/backup_plans.py)."""
    made = {service: clients.client(session, service, region, scope=f"{account}/{region}")
            for service in ("dynamodb", "cloudformation", "lambda", "kms", "backup")}
    dynamodb = made["dynamodb"]
    try:
        names = paginate(dynamodb, "list_tables", "TableNames")
    except (ClientError, BotoCoreError) as exc:
        raise RegionFailed(error_reason(exc, "dynamodb:ListTables")) from None
    # --table-prefix limits which tables are judged, not which exist (DDB011 still sees every name)
    judged = [n for n in names if n.startswith(table_prefix)] if table_prefix else list(names)
    snapshot = RegionSnapshot(account, region, table_names=set(names))
    work = RegionWork(snapshot, made, judged, {}, [], backup_since, encryption_level, recovery_points,
                      old_backups_before, backup_plans and bool(judged))
    if work.backup_plans:
        read_backup_setup(snapshot, made["backup"], clients.client(session, "organizations", scope=account),
                          account_cache)
    if judged:
        work.backups = _recent_backups(dynamodb, backup_since)
        work.stacks = _existing_stacks(made["cloudformation"])
    if dax_clusters and not _offered(session, "dax", region):
        snapshot.dax_clusters = []  # DAX is not offered in this region: no cluster can be there
    elif dax_clusters:
        dax = clients.client(session, "dax", region, scope=f"{account}/{region}")
        snapshot.dax_clusters = attempt("dax:DescribeClusters", paginate, dax, "describe_clusters", "Clusters")
    if scalable_targets and judged:
        autoscaling = clients.client(session, "application-autoscaling", region, scope=f"{account}/{region}")
        snapshot.scalable_targets = attempt("application-autoscaling:DescribeScalableTargets", paginate, autoscaling,
                                            "describe_scalable_targets", "ScalableTargets", ServiceNamespace="dynamodb")

    functions = attempt("lambda:ListFunctions", paginate, made["lambda"], "list_functions", "Functions")
    if isinstance(functions, Unknown):
        snapshot.functions = functions
    else:
        iam = clients.client(session, "iam", region, scope=account)  # IAM is global: the account's
        snapshot.functions = [live_function(f, _role(iam, f.get("Role"), account_cache)) for f in functions]
    return work


def _offered(session, service: str, region: str) -> bool:
    """Whether AWS offers the service in the region, by botocore's endpoint data (a region it does not list has no
    endpoint to ask). Unknown partitions are asked."""
    try:
        partition = session._session.get_partition_for_region(region)
    except (AttributeError, ValueError, BotoCoreError):
        return True
    return region in session.get_available_regions(service, partition_name=partition)


def live_function(listed: dict, role: LiveRole | None) -> LiveFunction:
    """A function of ListFunctions. An environment Lambda cannot decrypt comes back as `Environment.Error`
    (and no variables): then what the function names is unknown, not nothing."""
    environment = listed.get("Environment") or {}
    error = environment.get("Error")
    if error:
        variables = Unknown(f"the function's environment cannot be read: {error.get('ErrorCode', 'Error')}: "
                            f"{error.get('Message', '')}".rstrip(": "))
    else:
        variables = dict(environment.get("Variables") or {})
    return LiveFunction(listed["FunctionName"], listed["FunctionArn"], role, variables)


def _recent_backups(dynamodb, since: dt.datetime) -> dict[str, list[dict]] | Unknown:
    """Backups newer than `since`, grouped by table name once for the region (never scanned per table)."""
    listed = attempt("dynamodb:ListBackups", paginate, dynamodb, "list_backups", "BackupSummaries", BackupType="ALL",
                     TimeRangeLowerBound=since)
    if isinstance(listed, Unknown):
        return listed
    grouped: dict[str, list[dict]] = {}
    for backup in listed:
        created = backup.get("BackupCreationDateTime")
        if backup.get("BackupStatus") in ("AVAILABLE", None) and created and created >= since:
            grouped.setdefault(backup.get("TableName"), []).append(_backup_record(backup))
    return grouped


def _backup_record(backup: dict) -> dict:
    """A DynamoDB BackupSummary as the backup record the rules read."""
    return {"created": backup["BackupCreationDateTime"], "table_id": backup.get("TableId"),
            "table_arn": backup.get("TableArn"), "source": f"DynamoDB {backup.get('BackupType', '').lower()} backup"}


def _existing_stacks(cloudformation) -> list[str] | Unknown:
    try:
        stacks = paginate(cloudformation, "list_stacks", "StackSummaries")
    except (ClientError, BotoCoreError) as exc:
        return Unknown(error_reason(exc, "cloudformation:ListStacks"))
    # by name: the one stack of that name that exists (an id would also find a stack deleted meanwhile)
    return [s["StackName"] for s in stacks if s.get("StackStatus") != _GONE]


def read_stack(work: RegionWork, stack: str) -> None:
    """The tables one stack owns, with their resources in its deployed template. A stack deleted since it
    was listed owns nothing now (its retained tables are unmanaged)."""
    cloudformation = work.clients["cloudformation"]
    tables = stack_tables(cloudformation, stack)
    if isinstance(tables, Unknown):
        with work.lock:
            work.unreadable_stacks.append(f"{tables.reason} ({stack})")
        return
    if not tables:
        return
    body = attempt("cloudformation:GetTemplate", lambda: cloudformation.get_template(StackName=stack)["TemplateBody"])
    template = template_from_body(body)
    judged_names = set(work.judged)
    judged = {logical: physical for physical, logical in tables.items() if physical in judged_names}
    protection = _protection(cloudformation, stack, judged) if judged else None
    with work.lock:
        for physical, logical in tables.items():
            resource = template if isinstance(template, Unknown) else (template.get("Resources") or {}).get(logical)
            work.owners[physical] = (stack, logical, resource)
            if not isinstance(template, Unknown):
                work.legacy_replicas[physical] = legacy_replicas(template, logical)
        if protection is not None:
            work.snapshot.stacks.append(protection)


def legacy_replicas(template: dict, logical_id: str) -> dict[str, dict]:
    """Region -> resource of the `Custom::DynamoDBReplica` resources (CDK `Table` replicationRegions) of a table."""
    return {str((r.get("Properties") or {}).get("Region")): r for r in (template.get("Resources") or {}).values()
            if isinstance(r, dict) and r.get("Type") == LEGACY_REPLICA
            and (r.get("Properties") or {}).get("TableName") == {"Ref": logical_id}}


def _protection(cloudformation, stack: str, tables: dict[str, str]) -> LiveStack:
    """Termination protection (a nested stack's is its root's) and the stack policy of a stack."""
    described = attempt("cloudformation:DescribeStacks",
                        lambda: cloudformation.describe_stacks(StackName=stack)["Stacks"][0])
    if isinstance(described, Unknown):
        return LiveStack(stack, stack, tables, described, described)
    root = described
    if described.get("RootId"):
        root = attempt("cloudformation:DescribeStacks",
                       lambda: cloudformation.describe_stacks(StackName=described["RootId"])["Stacks"][0])
    termination = root if isinstance(root, Unknown) else bool(root.get("EnableTerminationProtection"))
    body = attempt("cloudformation:GetStackPolicy",
                   lambda: cloudformation.get_stack_policy(StackName=stack).get("StackPolicyBody"))
    try:
        policy = json.loads(body) if isinstance(body, str) and body.strip() else (body or None)
    except ValueError:
        policy = Unknown("the stack policy is not JSON")
    return LiveStack(stack, described.get("StackId", stack), tables, termination, policy)


def read_table(work: RegionWork, name: str) -> LiveTable:
    dynamodb, snapshot = work.clients["dynamodb"], work.snapshot
    description = attempt("dynamodb:DescribeTable", lambda: dynamodb.describe_table(TableName=name)["Table"])
    arn = description["TableArn"] if isinstance(description, dict) else \
        f"arn:aws:dynamodb:{snapshot.region}:{snapshot.account}:table/{name}"
    table = LiveTable(
        name=name,
        arn=arn,
        description=description,
        continuous_backups=attempt("dynamodb:DescribeContinuousBackups", lambda: dynamodb.describe_continuous_backups(
            TableName=name)["ContinuousBackupsDescription"]),
        resource_policy=_resource_policy(dynamodb, arn),
        stream_policy=_stream_policy(dynamodb, description),
    )
    if work.recovery_points:
        table.recovery_points = _recovery_points(work, arn)
    if work.backup_plans:
        table.tags = table_tags(dynamodb, arn)
    table.backups = _backups(work, name, arn, description, table.recovery_points)
    if work.old_backups_before is not None and _only_on_demand(table, work.old_backups_before):
        table.old_backups = _old_backups(dynamodb, name, work.old_backups_before)
    if work.encryption_level == "customer-managed" and isinstance(description, dict):
        key = (description.get("SSEDescription") or {}).get("KMSMasterKeyArn")
        if key:
            table.kms_key = _key(work, key)
    return table


def _key(work: RegionWork, key: str):
    with work.lock:
        if key in work.keys:
            return work.keys[key]
    found = attempt("kms:DescribeKey", lambda: work.clients["kms"].describe_key(KeyId=key)["KeyMetadata"])
    with work.lock:
        return work.keys.setdefault(key, found)


def _recovery_points(work: RegionWork, arn: str) -> list[dict] | Unknown:
    """Every completed AWS Backup recovery point of the table, as backup records."""
    points = attempt("backup:ListRecoveryPointsByResource", paginate, work.clients["backup"],
                     "list_recovery_points_by_resource", "RecoveryPoints", ResourceArn=arn)
    if isinstance(points, Unknown):
        return points
    return [{"created": p["CreationDate"], "table_id": None, "table_arn": arn, "source": "AWS Backup recovery point"}
            for p in points if p.get("Status") == "COMPLETED" and p.get("CreationDate")]


def _only_on_demand(table: LiveTable, before: dt.datetime) -> bool:
    """The table existed before `before`, AWS Backup keeps no recovery point of it, and DynamoDB lists recent
    backups of it: only older DynamoDB backups can tell how long its backups are kept."""
    description, points, backups = table.description, table.recovery_points, table.backups
    if not isinstance(description, dict) or not isinstance(points, list) or not isinstance(backups, list):
        return False
    created = description.get("CreationDateTime")
    return (created is not None and created <= before
            and not any(belongs_to_incarnation(p, description) for p in points)
            and bool(own_dynamodb_backups(backups, description)))


def _old_backups(dynamodb, name: str, before: dt.datetime) -> list[dict] | Unknown:
    listed = attempt("dynamodb:ListBackups", paginate, dynamodb, "list_backups", "BackupSummaries", TableName=name,
                     BackupType="ALL", TimeRangeUpperBound=before)
    if isinstance(listed, Unknown):
        return listed
    return [_backup_record(b) for b in listed
            if b.get("BackupStatus") in ("AVAILABLE", None) and b.get("BackupCreationDateTime")
            and b["BackupCreationDateTime"] <= before]


def _backups(work: RegionWork, name: str, arn: str, description, points=None) -> list[dict] | Unknown:
    """This table's recent backups: DynamoDB's list, and AWS Backup's recovery points when that list holds
    none of this incarnation (tables with AWS Backup's advanced features keep them only there)."""
    if isinstance(work.backups, Unknown):
        return work.backups
    listed = work.backups.get(name, [])
    if isinstance(description, Unknown) or any(belongs_to_incarnation(b, description) for b in listed):
        return listed
    points = _recovery_points(work, arn) if points is None else points
    if isinstance(points, Unknown):
        return Unknown(f"DynamoDB lists no recent backup of this table, and AWS Backup cannot be asked: {points.reason}")
    return listed + [p for p in points if p["created"] >= work.backup_since]


def finish_region(work: RegionWork, tables: list[LiveTable]) -> RegionSnapshot:
    """Each table with its owning stack: a table in no readable stack is unknown when some stack could not be
    read (it may be that one), else owned by none."""
    unowned = Unknown(work.stacks.reason) if isinstance(work.stacks, Unknown) else (
        Unknown("; ".join(work.unreadable_stacks)) if work.unreadable_stacks else None)
    for table in sorted(tables, key=lambda t: t.name):
        owner = work.owners.get(table.name)
        if owner is not None:
            table.stack, table.template_resource = (owner[0], owner[1]), owner[2]
            table.legacy_replicas = work.legacy_replicas.get(table.name, {})
        else:
            table.stack = unowned
        work.snapshot.tables.append(table)
    return work.snapshot


def _resource_policy(dynamodb, arn: str, call: str = "dynamodb:GetResourcePolicy"):
    try:
        return json.loads(dynamodb.get_resource_policy(ResourceArn=arn)["Policy"])
    except ClientError as exc:
        # Only PolicyNotFoundException means "no policy": ResourceNotFoundException is also what a table that is
        # not ACTIVE (or went away meanwhile) answers, so its policy is unknown.
        if exc.response.get("Error", {}).get("Code") == "PolicyNotFoundException":
            return None
        return Unknown(error_reason(exc, call))
    except (BotoCoreError, ValueError) as exc:
        return Unknown(error_reason(exc, call))


def _stream_policy(dynamodb, description):
    """The resource policy of the table's stream (GetResourcePolicy takes the stream's ARN); None without a stream."""
    if isinstance(description, Unknown):
        return None  # the table's policy says why the table cannot be read
    stream = description.get("LatestStreamArn")
    if not stream or not (description.get("StreamSpecification") or {}).get("StreamEnabled", True):
        return None
    return _resource_policy(dynamodb, stream, "dynamodb:GetResourcePolicy (of the table's stream)")


def _role(iam, role_arn: str | None, cache: AccountCache) -> LiveRole | None:
    if not role_arn:
        return None
    return cache.once(role_arn, cache.roles, lambda: _fetch_role(iam, role_arn, cache))


def _fetch_role(iam, role_arn: str, cache: AccountCache) -> LiveRole:
    name = role_arn.rsplit("/", 1)[-1]
    statements = []
    try:
        for policy_name in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            statements += parse_statements(_document(document), source=f"{name}/{policy_name}")[0]
        for attached in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            statements += _managed_policy(iam, attached["PolicyArn"], cache)
        # GetRole gives the permissions boundary, which limits whatever the policies allow
        boundary_arn = (iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary") or {}).get(
            "PermissionsBoundaryArn")
    except (ClientError, BotoCoreError) as exc:
        return LiveRole(role_arn, name, Unknown(error_reason(exc, "iam (role policies of " + name + ")")))
    boundary = None
    if boundary_arn:
        try:
            boundary = _managed_policy(iam, boundary_arn, cache)
        except (ClientError, BotoCoreError) as exc:
            boundary = Unknown(error_reason(exc, f"iam (permissions boundary {boundary_arn} of {name})"))
    return LiveRole(role_arn, name, statements, boundary)


def _managed_policy(iam, arn: str, cache: AccountCache) -> list:
    def fetch():
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        return parse_statements(_document(document), source=arn)[0]

    return cache.once(arn, cache.policies, fetch)


def _document(document) -> dict:
    # IAM returns documents URL-encoded in the raw API; boto3 decodes them to a dict (or a JSON string).
    if isinstance(document, str):
        from urllib.parse import unquote

        return json.loads(unquote(document))
    return document
