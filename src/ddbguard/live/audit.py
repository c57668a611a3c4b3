"""`ddbguard audit`: accounts x regions, fetched concurrently, checked by the live checks, one report."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ddbguard.catalog import load_catalog
from ddbguard.config import Config
from ddbguard.join import join_live
from ddbguard.model import Evaluation, InputError, Report
from ddbguard.registry import implementation, select_rules

DEFAULT_CONCURRENCY = 8


@dataclass
class AuditOptions:
    profile: str | None = None
    regions: list[str] = field(default_factory=list)  # empty: the session's region; ["all"]: every enabled one
    accounts: list[str] = field(default_factory=list)  # empty: the caller's account (or --organization)
    role_name: str | None = None
    organization: bool = False
    table_prefix: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    shard: tuple[int, int] | None = None  # (I, N): the I-th of N deterministic slices of the accounts
    endpoint_url: str | None = None
    progress: bool = False
    observer: Callable[[str], None] | None = None  # told "service:Operation" for every API call
    now: dt.datetime | None = None


def active_accounts(listed) -> list[str]:
    """The ids of ListAccounts entries that are active: `State` (which AWS is moving to), else `Status`."""
    return [account["Id"] for account in listed if account.get("State", account.get("Status")) == "ACTIVE"]


def shard_accounts(accounts: list[str], shard: tuple[int, int] | None) -> list[str]:
    ordered = sorted(set(accounts))
    if shard is None:
        return ordered
    index, count = shard
    return [a for position, a in enumerate(ordered) if position % count == index - 1]


def run_audit(options: AuditOptions, config: Config) -> Report:
    """The audit's report: every live rule on every account and region in scope."""
    evaluations, errors = audit_evaluations(options, config)
    today = (options.now or dt.datetime.now(dt.timezone.utc)).date()
    return Report(findings=join_live(evaluations, load_catalog(), config, today=today), errors=errors)


def audit_evaluations(options: AuditOptions, config: Config) -> tuple[list[Evaluation], list[InputError]]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import CredentialsError, Unknown, client_config, error_reason, open_session
    from ddbguard.live.collect import AccountCache, RegionFailed, collect_region

    boto_config = client_config()
    errors: list[InputError] = []

    def session_for(**kwargs):
        session = boto3.Session(**kwargs)
        if options.observer is not None:
            session.events.register("before-call", lambda model, **_: options.observer(
                f"{model.service_model.signing_name}:{model.name}"))
        return session

    def client(session, service, region=None):
        return session.client(service, region_name=region or session.region_name or "us-east-1",
                              endpoint_url=options.endpoint_url, config=boto_config)

    try:
        base = open_session(options.profile, observer=options.observer)
        caller = client(base, "sts").get_caller_identity()["Account"]
    except CredentialsError as exc:
        return [], [InputError("credentials", str(exc))]
    except (ClientError, BotoCoreError) as exc:
        return [], [InputError("credentials", error_reason(exc, "sts:GetCallerIdentity"))]

    accounts = list(options.accounts) or [caller]
    if options.organization:
        try:
            listed = client(base, "organizations").get_paginator("list_accounts").paginate()
            accounts = active_accounts(account for page in listed for account in page["Accounts"])
        except (ClientError, BotoCoreError) as exc:
            return [], [InputError("organization", error_reason(exc, "organizations:ListAccounts"))]
    accounts = shard_accounts(accounts, options.shard)
    if not accounts:  # an empty scope is never a green run
        shard = f" (shard {options.shard[0]}/{options.shard[1]})" if options.shard else ""
        return [], [InputError("scope", f"no account to audit{shard}: the organization lists no ACTIVE account"
                                         if options.organization else f"no account to audit{shard}")]

    units = []  # (account, session, region)
    for account in accounts:
        if account == caller and not options.role_name:
            session = base
        elif not options.role_name:
            errors.append(InputError(account, "another account needs --role-name to assume a role in it"))
            continue
        else:
            role_arn = f"arn:aws:iam::{account}:role/{options.role_name}"
            try:
                credentials = client(base, "sts").assume_role(RoleArn=role_arn, RoleSessionName="ddbguard-audit")[
                    "Credentials"]
            except (ClientError, BotoCoreError) as exc:
                errors.append(InputError(account, error_reason(exc, f"sts:AssumeRole {role_arn}")))
                continue
            session = session_for(aws_access_key_id=credentials["AccessKeyId"],
                                  aws_secret_access_key=credentials["SecretAccessKey"],
                                  aws_session_token=credentials["SessionToken"], region_name=base.region_name)
        regions = list(options.regions)
        if regions == ["all"]:
            try:
                regions = sorted(r["RegionName"] for r in client(session, "ec2").describe_regions()["Regions"])
            except (ClientError, BotoCoreError) as exc:
                errors.append(InputError(account, error_reason(exc, "ec2:DescribeRegions")))
                continue
        regions = regions or ([session.region_name] if session.region_name else [])
        if not regions:
            errors.append(InputError(account, "no region: pass --regions or set AWS_DEFAULT_REGION"))
            continue
        units += [(account, session, region) for region in regions]

    checks = [implementation(rule.id, "live") for rule in select_rules(config, ("live",))]
    now = options.now or dt.datetime.now(dt.timezone.utc)
    caches = {account: AccountCache() for account in accounts}
    evaluations: list[Evaluation] = []
    tables_seen = 0
    show = options.progress and sys.stderr.isatty() and not os.environ.get("CI")
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        futures = {
            pool.submit(collect_region, session, account, region, endpoint_url=options.endpoint_url, config=boto_config,
                        table_prefix=options.table_prefix, encryption_level=config.encryption_level,
                        account_cache=caches[account]): (account, region)
            for account, session, region in units
        }
        for done, future in enumerate(as_completed(futures), start=1):
            account, region = futures[future]
            if show:
                print(f"\rddbguard audit: {done}/{len(futures)} regions ({account}/{region})", end="", file=sys.stderr)
            try:
                snapshot = future.result()
            except RegionFailed as exc:
                errors.append(InputError(f"{account}/{region}", str(exc)))
                continue
            except (ClientError, BotoCoreError) as exc:  # e.g. the endpoint cannot be reached
                errors.append(InputError(f"{account}/{region}", error_reason(exc, "the region")))
                continue
            if isinstance(snapshot.functions, Unknown):  # the function rules cannot run here: say so
                errors.append(InputError(f"{account}/{region}", f"Lambda functions not checked: {snapshot.functions.reason}"))
            tables_seen += len(snapshot.tables)
            for check in checks:
                evaluations += check.evaluate(snapshot, config, now)
    if show:
        print(file=sys.stderr)
    # A mistyped prefix, region or account is not a clean audit. (One shard of an organization may hold only
    # accounts without tables: the merged report is what the whole run is judged on.)
    if not tables_seen and not errors and options.shard is None:
        prefix = f" whose name starts with {options.table_prefix!r}" if options.table_prefix else ""
        errors.append(InputError("scope", f"no DynamoDB table{prefix} in {len(accounts)} account(s) x "
                                          f"{len({region for _, _, region in units})} region(s)"))
    return evaluations, errors
