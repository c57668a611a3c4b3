"""`ddbguard plan PATH`: the diff rules against what is deployed, and the look-ups a deploy depends on.

For each stack of the input: GetTemplate of the deployed stack (not deployed yet: nothing to diff),
then DDB030/DDB031 against it; DDB032/DDB033 for tables the input imports; DDB034 for tables it
creates by name (looked up, and offline against what the deployed template imports: one verdict each). A denied or failed call is unknown, never a pass.
"""

from __future__ import annotations

import datetime as dt

from ddbguard.aws import DEFAULT_CALL_TIMEOUT, Clients
from ddbguard.catalog import load_catalog
from ddbguard.commands.read import read_input
from ddbguard.config import Config
from ddbguard.engines.diff import across_stacks, diff_stacks
from ddbguard.engines.plan import Lookups, PlanContext, one_verdict_each, run_plan_rules
from ddbguard.engines.reader import run_reader
from ddbguard.join import join
from ddbguard.model import Evaluation, InputError, Report, Status
from ddbguard.registry import implementation, select_rules
from ddbguard.templates.stack import Stack
from ddbguard.templates.model import CheckedStack
from ddbguard.templates.noecho import Redaction
from ddbguard.templates.resolve import TABLE_TYPES, resolve_template


def run_plan(paths: list[str], config: Config, *, session, endpoint_url: str | None = None, region: str | None = None,
             parameters: dict | None = None, stack_names: tuple[str, ...] = (), today: dt.date | None = None,
             call_timeout: float = DEFAULT_CALL_TIMEOUT) -> Report:
    read = read_input(paths, parameters, config)
    new, errors, secrets = read.stacks, read.errors, read.secrets
    report = Report(errors=list(errors))
    top_level = [s for s in new if s.stack.parent is None]
    problem = name_stacks(top_level, stack_names)
    if problem:
        report.errors.append(InputError(" ".join(paths), problem))
        return Redaction(secrets).report(report)
    clients = Clients(endpoint_url, call_timeout)
    lookups = Lookups(session, clients, region)
    old_stacks, removed, evaluations = [], [], []
    # the diff rules that judge what NEW does to a deployed table also say when there is nothing deployed
    judged_in_new = [rule for rule in select_rules(config, ("diff",)) if implementation(rule.id, "diff").LOCATED_IN == "new"]
    for stack in top_level:
        deployed = lookups.deployed_template(stack.stack.stack_name)
        if deployed is None or isinstance(deployed, str):
            status, message = (Status.UNKNOWN, deployed) if deployed else (
                Status.PASS, f"stack {stack.stack.stack_name} is not deployed in {lookups.region}: nothing to replace")
            evaluations += [Evaluation(rule.id, stack.name, lid, status, message, "plan") for rule in judged_in_new
                            for lid, r in stack.resolved["Resources"].items() if r.get("Type") in TABLE_TYPES]
        else:
            template, deployed_parameters = deployed
            old = CheckedStack(Stack(name=stack.name, file=f"deployed stack {stack.stack.stack_name}", template=template),
                               resolve_template(template, deployed_parameters, stack_name=stack.stack.stack_name))
            old_stacks.append(old)
            gone, kept = diff_stacks(old, stack, config)
            removed += gone
            evaluations += kept
    # a table that leaves one deployed stack for another, an export still imported: the whole change shows them
    removed, added = across_stacks(removed, old_stacks, new, {old.name: old.name for old in old_stacks}, config)
    evaluations += added + run_reader(new, select_rules(config, ("reader",)))
    evaluations = one_verdict_each(evaluations, run_plan_rules(PlanContext(new, top_level, lookups, config), config))
    catalog = load_catalog()
    today = today or dt.date.today()
    old_findings, _ = join(removed, old_stacks, catalog, config, today=today, with_expired=False)
    new_findings, join_errors = join(evaluations, new, catalog, config, today=today)
    report.findings = old_findings + new_findings
    report.errors += join_errors
    report.not_modelled = [record for stack in new for record in stack.stack.not_modelled]
    report.errors += clients.errors(report.errors)  # lookups AWS did not answer: the plan is not complete
    return Redaction(secrets).report(report)


def name_stacks(top_level: list[CheckedStack], given: tuple[str, ...]) -> str | None:
    """Apply `--stack-name NAME` (the one stack of the input) or `--stack-name TEMPLATE=NAME` (repeatable) to the
    template files; the problem, when they do not fit the input."""
    from pathlib import Path

    by_file = {Path(s.stack.file).resolve(): s for s in top_level}
    for entry in given:
        template, _, name = entry.rpartition("=")
        if not name:
            return f"--stack-name {entry}: expected NAME or TEMPLATE=NAME"
        if not template:
            if len(given) != 1 or len(top_level) != 1:
                return f"--stack-name {entry} names one stack, but the input has {len(top_level)} (use TEMPLATE=NAME)"
            top_level[0].stack.stack_name = name
            continue
        stack = by_file.get(Path(template).resolve())
        if stack is None:
            return f"--stack-name {entry}: {template} is not a template of the input"
        stack.stack.stack_name = name
    return None
