"""`ddbguard diff OLD NEW` (offline): what deploying NEW over OLD does to each table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ddbguard.catalog import load_catalog
from ddbguard.config import Config
from ddbguard.commands.read import read_input
from ddbguard.join import join
from ddbguard.engines.reader import run_reader
from ddbguard.model import InputError, Report
from ddbguard.engines.diff import across_stacks, diff_stacks
from ddbguard.registry import select_rules
from ddbguard.templates.stack import Stack
from ddbguard.templates.noecho import Redaction


def pair_key(stack: Stack, root: Path) -> tuple:
    """What identifies a stack across OLD and NEW: its stack name in a cloud assembly, its path relative to
    the directory given for a template file (never only its file stem), and for a nested stack its parent's
    key and its resource's logical id."""
    if stack.parent is not None:
        return (*pair_key(stack.parent, root), stack.parent_logical_id)
    if stack.assembly:
        return ("stack", stack.stack_name)
    file = Path(stack.file)
    return ("file", file.relative_to(root).as_posix() if root.is_dir() and file.is_relative_to(root) else file.name)


def run_diff(old_paths: list[str], new_paths: list[str], config: Config, *, parameters: dict | None = None,
             today: dt.date | None = None) -> Report:
    old_input, new_input = read_input(old_paths, parameters, config), read_input(new_paths, parameters, config)
    old, old_errors, old_secrets = old_input.stacks, old_input.errors, old_input.secrets
    new, new_errors, new_secrets = new_input.stacks, new_input.errors, new_input.secrets
    report = Report(errors=[*old_errors, *new_errors])
    old_keys = {id(s): pair_key(s.stack, Path(old_paths[0])) for s in old}
    new_by_key = {pair_key(s.stack, Path(new_paths[0])): s for s in new}
    top_old = [s for s in old if s.stack.parent is None]
    top_new = [s for s in new if s.stack.parent is None]
    if len(top_old) == 1 and len(top_new) == 1:  # two template files: they are the same stack whatever their names
        for stack in old:
            old_keys[id(stack)] = (*pair_key(top_new[0].stack, Path(new_paths[0])),
                                   *old_keys[id(stack)][len(pair_key(top_old[0].stack, Path(old_paths[0]))):])
    removed, changed = [], []
    paired = 0
    counterparts: dict[str, str] = {}
    for before in old:
        after = new_by_key.get(old_keys[id(before)])
        if after is not None:
            paired += 1
            counterparts[before.name] = after.name
            gone, kept = diff_stacks(before, after, config)
            removed += gone
            changed += kept
        elif before.stack.parent is not None and new_by_key.get(old_keys[id(before)][:-1]) is not None:
            removed += diff_stacks(before, None, config)[0]
        # a top-level stack that leaves the app is not deleted by a deploy of the others
    if old and new and not paired:
        report.errors.append(InputError(f"{' '.join(old_paths)} {' '.join(new_paths)}",
                                        "OLD and NEW share no stack (stacks are paired by stack name in a cloud "
                                        "assembly and by path relative to the directory given)"))
    if not old and not old_errors:
        report.errors.append(InputError(" ".join(old_paths), "no stack in OLD to compare with"))
    removed, added = across_stacks(removed, old, new, counterparts, config)
    changed += added + run_reader(new, select_rules(config, ("reader",)))
    today = today or dt.date.today()
    catalog = load_catalog()
    old_findings, _ = join(removed, old, catalog, config, today=today, with_expired=False)
    new_findings, errors = join(changed, new, catalog, config, today=today)
    report.findings = old_findings + new_findings
    report.errors += errors
    report.not_modelled = [record for stack in new for record in stack.stack.not_modelled]
    return Redaction(old_secrets | new_secrets).report(report)
