"""What a live audit reads: the accounts and regions in scope (organization, assumed roles, shards) and each
region's snapshot, fetched concurrently (live/collect.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ddbguard.config import Config
from ddbguard.model import InputError
from ddbguard.registry import select_rules

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
    run_id: str | None = None  # names the run its shards belong to (default: generated from the start time)
    endpoint_url: str | None = None
    call_timeout: float | None = None  # seconds for one API call, retries included (default aws.DEFAULT_CALL_TIMEOUT)
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


def accounts_digest(accounts: list[str]) -> str:
    """Names the account list a run was sliced from, so `merge` can refuse shards of different lists."""
    return hashlib.sha256(",".join(sorted(set(accounts))).encode()).hexdigest()


def run_clients(options: AuditOptions):
    """The clients of one run: one deadline per call, and one record of what AWS did not answer."""
    from ddbguard.aws import DEFAULT_CALL_TIMEOUT, Clients

    return Clients(options.endpoint_url, options.call_timeout or DEFAULT_CALL_TIMEOUT, max(10, options.concurrency))


def read_scope(options: AuditOptions, config: Config):
    """The audited regions of a run (for `ddbguard inventory --live`), and its errors."""
    clients = run_clients(options)
    units, _, errors = audit_units(options, None, clients)
    audited, region_errors = read_regions(units, options, config, options.now or dt.datetime.now(dt.timezone.utc),
                                          clients)
    errors += region_errors
    return audited, errors + clients.errors(errors)


def audit_units(options: AuditOptions, scope: dict | None, clients) -> tuple[list, list[str], list[InputError]]:
    """The (account, session, region) units of a run, its accounts, and the errors met finding them."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import CredentialsError, error_reason, open_session

    errors: list[InputError] = []

    def session_for(**kwargs):
        session = boto3.Session(**kwargs)
        if options.observer is not None:
            session.events.register("before-call", lambda model, **_: options.observer(
                f"{model.service_model.signing_name}:{model.name}"))
        return session

    try:
        base = open_session(options.profile, observer=options.observer)
        caller = clients.client(base, "sts", scope="credentials").get_caller_identity()["Account"]
    except CredentialsError as exc:
        return [], [], [InputError("credentials", str(exc))]
    except (ClientError, BotoCoreError) as exc:
        return [], [], [InputError("credentials", error_reason(exc, "sts:GetCallerIdentity"))]

    accounts = list(options.accounts) or [caller]
    if options.organization:
        try:
            listed = clients.client(base, "organizations", scope="organization").get_paginator(
                "list_accounts").paginate()
            accounts = active_accounts(account for page in listed for account in page["Accounts"])
        except (ClientError, BotoCoreError) as exc:
            return [], [], [InputError("organization", error_reason(exc, "organizations:ListAccounts"))]
    if scope is not None:
        scope.update(shard=list(options.shard) if options.shard else None, accounts_digest=accounts_digest(accounts))
        if not scope.get("regions") and base.region_name:  # the session's region
            scope["regions"] = [base.region_name]
    accounts = shard_accounts(accounts, options.shard)
    if scope is not None:
        scope["accounts"] = len(accounts)
    if not accounts:  # an empty scope is never a green run
        shard = f" (shard {options.shard[0]}/{options.shard[1]})" if options.shard else ""
        return [], [], [InputError("scope", f"no account to audit{shard}: the organization lists no ACTIVE account"
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
                session = assumed_session(clients.client(base, "sts", scope=account), role_arn, base.region_name,
                                          session_for)
            except (ClientError, BotoCoreError) as exc:
                errors.append(InputError(account, error_reason(exc, f"sts:AssumeRole {role_arn}")))
                continue
        regions = list(options.regions)
        if regions == ["all"]:
            try:
                regions = sorted(r["RegionName"] for r in clients.client(session, "ec2", scope=account).describe_regions()[
                    "Regions"])
            except (ClientError, BotoCoreError) as exc:
                errors.append(InputError(account, error_reason(exc, "ec2:DescribeRegions")))
                continue
        regions = regions or ([session.region_name] if session.region_name else [])
        if not regions:
            errors.append(InputError(account, "no region: pass --regions or set AWS_DEFAULT_REGION"))
            continue
        units += [(account, session, region) for region in regions]
    return units, accounts, errors


def assumed_session(sts, role_arn: str, region: str | None, session_for):
    """A session in another account whose credentials renew themselves (AssumeRole again before they
    expire), so a long audit never fails half-way on an expired token. The first AssumeRole happens now,
    so a role that cannot be assumed is that account's error at once."""
    from botocore.credentials import RefreshableCredentials
    from botocore.session import get_session

    def fetch() -> dict:
        issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="ddbguard-audit")["Credentials"]
        return {"access_key": issued["AccessKeyId"], "secret_key": issued["SecretAccessKey"],
                "token": issued["SessionToken"], "expiry_time": issued["Expiration"].isoformat()}

    core = get_session()
    core._credentials = RefreshableCredentials.create_from_metadata(fetch(), fetch, "sts-assume-role")
    return session_for(botocore_session=core, region_name=region)


def read_regions(units, options: AuditOptions, config: Config, now: dt.datetime, clients):
    """Every (account, session, region) read into a Scope: the regions' listings, then every table and stack
    of every region as its own task on one bounded pool (so a region of 1,000 tables is read concurrently),
    then the regions finished and joined (global table replicas)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import error_reason
    from ddbguard.live.collect import AccountCache, RegionFailed, finish_region, open_region, read_stack, read_table
    from ddbguard.kit.snapshot import Scope, Unknown

    caches: dict[str, AccountCache] = {}
    errors: list[InputError] = []
    works = []
    show = options.progress and sys.stderr.isatty() and not os.environ.get("CI")
    backup_since = now - dt.timedelta(days=config.max_backup_age_days)
    # what the selected rules need beyond the usual reads (rule.yaml's live_needs)
    needs = {need for rule in select_rules(config, ("live",)) for need in rule.live_needs}
    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        opened = {pool.submit(open_region, session, account, region, clients=clients,
                              table_prefix=options.table_prefix,
                              encryption_level=config.encryption_level, backup_since=backup_since,
                              account_cache=caches.setdefault(account, AccountCache()),
                              recovery_points="recovery_points" in needs,
                              old_backups_before=now - dt.timedelta(days=config.min_backup_retention_days)
                              if "old_backups" in needs else None,
                              dax_clusters="dax_clusters" in needs,
                              scalable_targets="scalable_targets" in needs,
                              # the plans cost calls (and permissions) only when `backup:` asks something of them
                              backup_plans="backup_plans" in needs and config.backup.any): (account, region)
                  for account, session, region in units}
        for future in as_completed(opened):
            account, region = opened[future]
            try:
                works.append(future.result())
            except RegionFailed as exc:
                errors.append(InputError(f"{account}/{region}", str(exc)))
            except (ClientError, BotoCoreError) as exc:  # e.g. the endpoint cannot be reached
                errors.append(InputError(f"{account}/{region}", error_reason(exc, "the region")))
        tables = {pool.submit(read_table, work, name): work for work in works for name in work.judged}
        stacks = [pool.submit(read_stack, work, stack) for work in works if not isinstance(work.stacks, Unknown)
                  for stack in work.stacks]
        found: dict[int, list] = {id(work): [] for work in works}
        for done, future in enumerate(as_completed(tables), start=1):
            work = tables[future]
            found[id(work)].append(future.result())
            if show:
                print(f"\rddbguard audit: {done}/{len(tables)} tables ({work.snapshot.account}/{work.snapshot.region})",
                      end="", file=sys.stderr)
        for future in stacks:
            future.result()
    if show:
        print(file=sys.stderr)
    scope = Scope({(w.snapshot.account, w.snapshot.region): finish_region(w, found[id(w)]) for w in works})
    join_replicas(scope)
    return scope, errors


def join_replicas(scope) -> None:
    """Global tables: a replica no stack of its own region owns belongs to the stack that owns the global
    table in another replica region; replicas in regions the run does not read are listed as such."""
    from ddbguard.kit.snapshot import Unknown

    for snapshot in scope.snapshots.values():
        snapshot.audited = scope
        for table in snapshot.tables:
            regions = table.replica_regions
            if not regions:
                continue
            peers = [scope.region(snapshot.account, region) for region in regions]
            outside = [region for region, peer in zip(regions, peers) if peer is None]
            if table.stack is None:
                owner = next((t for peer in peers if peer is not None for t in [peer.table(table.name)]
                              if t is not None and isinstance(t.stack, tuple)), None)
                if owner is not None:
                    table.stack, table.template_resource = owner.stack, owner.template_resource
                elif outside:
                    table.stack = Unknown(f"global table {table.name} may be owned by a stack in "
                                          f"{', '.join(outside)}, which this audit does not read")
            audited_regions = sorted([snapshot.region] + [r for r, p in zip(regions, peers) if p is not None])
            if snapshot.region == audited_regions[0]:  # one region reports the replicas nobody reads
                snapshot.replicas_outside += [
                    (table.name, region, table.arn.replace(f":{snapshot.region}:", f":{region}:", 1))
                    for region in outside]
