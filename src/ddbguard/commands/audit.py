"""`ddbguard audit`: accounts x regions, fetched concurrently, checked by the live rules, one report."""

from __future__ import annotations

import datetime as dt

from ddbguard.catalog import load_catalog
from ddbguard.config import Config
from ddbguard.join import join
from ddbguard.live.scope import AuditOptions, audit_units, read_regions, run_clients
from ddbguard.model import Evaluation, InputError, Report
from ddbguard.registry import select_rules


def run_audit(options: AuditOptions, config: Config) -> Report:
    """The audit's report: every live rule on every account and region in scope, and that scope (which `merge`
    compares: shards of one run share it)."""
    from ddbguard import __version__

    started = options.now or dt.datetime.now(dt.timezone.utc)
    scope: dict = {"run_id": options.run_id or new_run_id(started),
                   "started_at": started.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "regions": sorted(set(options.regions)), "table_prefix": options.table_prefix,
                   "version": __version__}
    evaluations, errors = audit_evaluations(options, config, scope)
    findings, _ = join(evaluations, [], load_catalog(), config, today=started.date())
    return Report(findings=findings, errors=errors,
                  audit=scope if "accounts_digest" in scope else None)


def new_run_id(started: dt.datetime) -> str:
    """A run id for a run that was given none: its start time and a random suffix."""
    import secrets

    return f"{started.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def audit_evaluations(options: AuditOptions, config: Config,
                      scope: dict | None = None) -> tuple[list[Evaluation], list[InputError]]:
    """The live rules' evaluations and the errors of the run; `scope` (when given) is told the shard and the
    digest of the account list it was cut from."""
    from ddbguard.aws import Unknown
    from ddbguard.engines.live import judge_region

    clients = run_clients(options)
    units, accounts, errors = audit_units(options, scope, clients)
    now = options.now or dt.datetime.now(dt.timezone.utc)
    audited, region_errors = read_regions(units, options, config, now, clients)
    errors += region_errors
    rules = select_rules(config, ("live",))
    evaluations: list[Evaluation] = []
    for snapshot in audited.snapshots.values():
        if isinstance(snapshot.functions, Unknown):  # the function rules cannot run here: say so
            errors.append(InputError(f"{snapshot.account}/{snapshot.region}",
                                     f"Lambda functions not checked: {snapshot.functions.reason}"))
        if isinstance(snapshot.dax_clusters, Unknown):  # the DAX rules cannot run here: say so
            errors.append(InputError(f"{snapshot.account}/{snapshot.region}",
                                     f"DAX clusters not checked: {snapshot.dax_clusters.reason}"))
        evaluations += judge_region(snapshot, rules, config, now)
    # A global table's replica outside the audited regions is named once per rule, whichever region saw it.
    evaluations = list({(e.rule_id, e.stack, e.logical_id): e for e in evaluations}.values())
    tables_seen = sum(len(s.tables) for s in audited.snapshots.values())
    # A mistyped prefix, region or account is not a clean audit. (One shard of an organization may hold only
    # accounts without tables: the merged report is what the whole run is judged on.)
    if not tables_seen and not errors and options.shard is None:
        prefix = f" whose name starts with {options.table_prefix!r}" if options.table_prefix else ""
        errors.append(InputError("scope", f"no DynamoDB table{prefix} in {len(accounts)} account(s) x "
                                          f"{len({region for _, _, region in units})} region(s)"))
    return evaluations, errors + clients.errors(errors)
