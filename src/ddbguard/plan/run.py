"""`ddbguard diff OLD NEW` (offline) and the loading both sides share."""

from __future__ import annotations

import datetime as dt

from ddbguard.catalog import load_catalog
from ddbguard.config import Config
from ddbguard.engines.common import CheckedStack
from ddbguard.join import join
from ddbguard.model import Evaluation, InputError, Report
from ddbguard.plan.diff import diff_stacks
from ddbguard.templates.load import load_inputs
from ddbguard.templates.model import InputModel


def checked_stacks(paths: list[str], parameters: dict | None, config: Config) -> tuple[list[CheckedStack], list]:
    loaded = load_inputs(paths, parameters=parameters)
    model = InputModel(loaded.stacks, parameters, config.external_exports)
    return [CheckedStack(stack, model.resolved(stack)) for stack in loaded.stacks], loaded.errors


def enabled(evaluations: list[Evaluation], config: Config) -> list[Evaluation]:
    return [e for e in evaluations if e.rule_id not in config.disabled_rules]


def run_diff(old_paths: list[str], new_paths: list[str], config: Config, *, parameters: dict | None = None,
             today: dt.date | None = None) -> Report:
    old, old_errors = checked_stacks(old_paths, parameters, config)
    new, new_errors = checked_stacks(new_paths, parameters, config)
    report = Report(errors=[*old_errors, *new_errors])
    if not old and not old_errors:
        report.errors.append(InputError(" ".join(old_paths), "no stack in OLD to compare with"))
    removed, changed = [], []
    new_by_name = {stack.stack.stack_name: stack for stack in new}
    if len(old) == 1 and len(new) == 1:  # two template files: they are the same stack whatever their names
        new_by_name = {old[0].stack.stack_name: new[0]}
    for before in old:
        after = new_by_name.get(before.stack.stack_name)
        if after is None:
            continue  # a stack that leaves the app is not deleted by a deploy of the others
        gone, kept = diff_stacks(before, after)
        removed += gone
        changed += kept
    today = today or dt.date.today()
    catalog = load_catalog()
    old_findings, _ = join(enabled(removed, config), old, catalog, config, today=today, with_expired=False)
    new_findings, errors = join(enabled(changed, config), new, catalog, config, today=today)
    report.findings = old_findings + new_findings
    report.errors += errors
    return report
