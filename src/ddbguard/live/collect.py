"""boto3 -> RegionSnapshot. Each region's state is fetched once; a failed call becomes Unknown(reason).

Calls per table are constant: DescribeTable, DescribeContinuousBackups, GetResourcePolicy (and
DescribeKey per distinct KMS key when customer-managed encryption is required). Everything else is
per region (ListTables, ListBackups, ListFunctions, ListStacks, ListStackResources and GetTemplate
per stack) or per account and role (IAM, shared by every region of the account).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from ddbguard.aws import attempt, error_reason, paginate, stack_tables, template_from_body
from ddbguard.iam import parse_statements
from ddbguard.live.snapshot import LiveFunction, LiveRole, LiveTable, RegionSnapshot, Unknown

_ACTIVE_STACKS = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                  "IMPORT_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS",
                  "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "REVIEW_IN_PROGRESS"]


class RegionFailed(Exception):
    """The region cannot be audited at all (tables cannot even be listed)."""


@dataclass
class AccountCache:
    """State shared by every region of one account (IAM is global), fetched once under a lock."""

    roles: dict[str, LiveRole] = field(default_factory=dict)
    policies: dict[str, object] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def collect_region(session, account: str, region: str, *, endpoint_url: str | None, config, table_prefix: str | None,
                   encryption_level: str, account_cache: AccountCache) -> RegionSnapshot:
    def client(service: str):
        return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)

    dynamodb = client("dynamodb")
    try:
        names = paginate(dynamodb, "list_tables", "TableNames")
    except (ClientError, BotoCoreError) as exc:
        raise RegionFailed(error_reason(exc, "dynamodb:ListTables")) from None
    if table_prefix:
        names = [n for n in names if n.startswith(table_prefix)]
    snapshot = RegionSnapshot(account, region)

    backups = attempt("dynamodb:ListBackups", paginate, dynamodb, "list_backups", "BackupSummaries", BackupType="ALL") \
        if names else []
    managed = _stack_ownership(client("cloudformation")) if names else {}
    kms = client("kms") if encryption_level == "customer-managed" else None
    key_managers: dict[str, object] = {}
    for name in names:
        description = attempt("dynamodb:DescribeTable", lambda: dynamodb.describe_table(TableName=name)["Table"])
        arn = description["TableArn"] if isinstance(description, dict) else \
            f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        table = LiveTable(
            name=name,
            arn=arn,
            description=description,
            continuous_backups=attempt("dynamodb:DescribeContinuousBackups", lambda: dynamodb.describe_continuous_backups(
                TableName=name)["ContinuousBackupsDescription"]),
            resource_policy=_resource_policy(dynamodb, arn),
            backups=[b for b in backups if b.get("TableName") == name] if isinstance(backups, list) else backups,
        )
        ownership = managed.get(name) if isinstance(managed, dict) else managed
        if isinstance(ownership, tuple):
            table.stack = (ownership[0], ownership[1])
            table.template_resource = ownership[2]
        else:
            table.stack = ownership  # None (no stack) or Unknown
        if kms is not None and isinstance(description, dict):
            key = (description.get("SSEDescription") or {}).get("KMSMasterKeyArn")
            if key and key not in key_managers:
                key_managers[key] = attempt("kms:DescribeKey", lambda k=key: kms.describe_key(KeyId=k)["KeyMetadata"]["KeyManager"])
            table.kms_key_manager = key_managers.get(key) if key else None
        snapshot.tables.append(table)

    functions = attempt("lambda:ListFunctions", paginate, client("lambda"), "list_functions", "Functions")
    if isinstance(functions, Unknown):
        snapshot.functions = functions
    else:
        iam = session.client("iam", endpoint_url=endpoint_url, config=config)
        snapshot.functions = [
            LiveFunction(f["FunctionName"], f["FunctionArn"], _role(iam, f.get("Role"), account_cache),
                         dict((f.get("Environment") or {}).get("Variables") or {}))
            for f in functions
        ]
    return snapshot


def _resource_policy(dynamodb, arn: str):
    try:
        return json.loads(dynamodb.get_resource_policy(ResourceArn=arn)["Policy"])
    except ClientError as exc:
        # Only PolicyNotFoundException means "no policy": ResourceNotFoundException is also what a table that is
        # not ACTIVE (or went away meanwhile) answers, so its policy is unknown.
        if exc.response.get("Error", {}).get("Code") == "PolicyNotFoundException":
            return None
        return Unknown(error_reason(exc, "dynamodb:GetResourcePolicy"))
    except (BotoCoreError, ValueError) as exc:
        return Unknown(error_reason(exc, "dynamodb:GetResourcePolicy"))


def _stack_ownership(cloudformation):
    """table name -> (stack, logical id, deployed template resource); Unknown when stacks cannot be read."""
    try:
        stacks = paginate(cloudformation, "list_stacks", "StackSummaries", StackStatusFilter=_ACTIVE_STACKS)
    except (ClientError, BotoCoreError) as exc:
        return Unknown(error_reason(exc, "cloudformation:ListStacks"))
    owned: dict[str, object] = {}
    for stack in stacks:
        name = stack["StackName"]
        tables = stack_tables(cloudformation, name)
        if isinstance(tables, Unknown):
            return tables  # a table could belong to this stack: ownership is unknown for all of them
        if not tables:
            continue
        body = attempt("cloudformation:GetTemplate", lambda: cloudformation.get_template(StackName=name)["TemplateBody"])
        template = template_from_body(body)
        for physical, logical in tables.items():
            resource = template if isinstance(template, Unknown) else (template.get("Resources") or {}).get(logical)
            owned[physical] = (name, logical, resource)
    return owned


def _role(iam, role_arn: str | None, cache: AccountCache) -> LiveRole | None:
    if not role_arn:
        return None
    with cache.lock:
        if role_arn not in cache.roles:
            cache.roles[role_arn] = _fetch_role(iam, role_arn, cache)
        return cache.roles[role_arn]


def _fetch_role(iam, role_arn: str, cache: AccountCache) -> LiveRole:
    name = role_arn.rsplit("/", 1)[-1]
    statements = []
    try:
        for policy_name in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            statements += parse_statements(_document(document), source=f"{name}/{policy_name}")[0]
        for attached in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            arn = attached["PolicyArn"]
            if arn not in cache.policies:
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
                cache.policies[arn] = parse_statements(_document(document), source=arn)[0]
            statements += cache.policies[arn]
    except (ClientError, BotoCoreError) as exc:
        return LiveRole(role_arn, name, Unknown(error_reason(exc, "iam (role policies of " + name + ")")))
    return LiveRole(role_arn, name, statements)


def _document(document) -> dict:
    # IAM returns documents URL-encoded in the raw API; boto3 decodes them to a dict (or a JSON string).
    if isinstance(document, str):
        from urllib.parse import unquote

        return json.loads(unquote(document))
    return document
