"""`ddbguard check`: load -> resolve -> engines -> join -> report. Data flows one way."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ddbguard.catalog import Rule, load_catalog
from ddbguard.config import Config
from ddbguard.engines.common import EngineError
from ddbguard.commands.read import read_input
from ddbguard.templates.model import CheckedStack
from ddbguard.engines.graph import run_graph
from ddbguard.engines.reader import run_reader
from ddbguard.join import join
from ddbguard.model import Evaluation, InputError, Report, Status
from ddbguard.registry import select_rules
from ddbguard.templates.stack import TEMPLATE_SUFFIXES
from ddbguard.templates.noecho import Redaction

TEMPLATE_ENGINES = ("builtin", "guard", "checkov", "graph", "reader")
ENGINE_SETS = {"all": ("builtin", "guard", "checkov"), "both": ("guard", "checkov")}


@dataclass
class CheckOptions:
    paths: list[str]
    engine: str = "builtin"
    parameters: dict[str, str] | None = None
    guard_bin: str | None = None
    ignore_non_templates: bool = False
    template_roots: tuple[str, ...] = ()
    context: tuple[str, ...] = ()  # templates loaded only so that references to them resolve
    today: dt.date | None = None


def run_check(options: CheckOptions, config: Config) -> Report:
    context = list(options.context or config.context)
    if not context and options.ignore_non_templates:
        context = git_tracked_templates()
    read = read_input(options.paths, options.parameters, config, ignore_non_templates=options.ignore_non_templates,
                      template_roots=options.template_roots, context=context)
    report = Report(errors=list(read.errors), warnings=list(read.warnings))
    stacks, given, model = read.stacks, read.given, read.model
    rules = select_rules(config, TEMPLATE_ENGINES)
    evaluations: dict[str, list[Evaluation]] = {}
    # Context stacks take part in the cross-resource graph; findings are reported for the given files only.
    reported = {stack.name for stack in given}
    cross_resource = [e for e in run_graph(stacks, model, rules, config) if e.stack in reported]
    engines = ENGINE_SETS.get(options.engine, (options.engine,))
    with _workdir(engines) as workdir:
        for engine in engines:
            try:
                evaluations[engine] = _run_engine(engine, given, rules, options, config, Path(workdir))
            except EngineError as exc:
                report.errors.append(InputError(engine, str(exc)))
    combined = (combine(evaluations) if evaluations else []) + cross_resource + run_reader(given, rules)
    findings, join_errors = join(combined, stacks, load_catalog(), config, today=options.today or dt.date.today())
    report.findings = findings
    report.errors.extend(join_errors)
    report.not_modelled = [record for stack in given for record in stack.stack.not_modelled]
    return Redaction(read.secrets).report(report)


def _workdir(engines: tuple[str, ...]):
    """A scratch directory for the engines that write files (guard, checkov); the builtin one needs none, nor the
    20 ms of importing tempfile."""
    if all(engine == "builtin" for engine in engines):
        return contextlib.nullcontext("")
    import tempfile

    return tempfile.TemporaryDirectory(prefix="ddbguard-")


def git_tracked_templates() -> list[str]:
    """The templates git tracks in the repository around the working directory (pre-commit's context)."""
    import subprocess

    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True,
                             timeout=30).stdout.strip()
        listed = subprocess.run(["git", "ls-files", "-z", "--", *(f":(icase)*{suffix}" for suffix in TEMPLATE_SUFFIXES)],
                                cwd=top, capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []  # not in a git repository: the files given are all there is
    return [str(Path(top) / name) for name in listed.split("\0") if name]


def _builtin(stacks, rules, options, config, workdir):
    from ddbguard.engines.builtin import run_builtin

    return run_builtin(stacks, rules, config)


def _guard(stacks, rules, options, config, workdir):
    from ddbguard.engines.guard import find_guard_binary, run_guard

    return run_guard(stacks, rules, config, binary=find_guard_binary(options.guard_bin), workdir=workdir)


def _checkov(stacks, rules, options, config, workdir):
    from ddbguard.engines.checkov import run_checkov

    return run_checkov(stacks, rules, config, workdir=workdir)


# The per-table engines `--engine` chooses from (each imported only when chosen: checkov is heavy)
PER_TABLE_ENGINES = {"builtin": _builtin, "guard": _guard, "checkov": _checkov}


def _run_engine(engine: str, stacks: list[CheckedStack], rules: list[Rule], options: CheckOptions, config: Config,
                workdir: Path) -> list[Evaluation]:
    return PER_TABLE_ENGINES[engine](stacks, rules, options, config, workdir)


def combine(by_engine: dict[str, list[Evaluation]]) -> list[Evaluation]:
    """One evaluation per rule and resource. Engines that disagree give the failing (or unknown) side."""
    if len(by_engine) == 1:
        return next(iter(by_engine.values()))
    grouped: dict[tuple[str, str, str], list[Evaluation]] = {}
    for evaluations in by_engine.values():
        for evaluation in evaluations:
            grouped.setdefault((evaluation.rule_id, evaluation.stack, evaluation.logical_id), []).append(evaluation)
    combined = []
    for group in grouped.values():
        statuses = {e.status for e in group}
        engines = "+".join(e.engine for e in group)
        if len(statuses) == 1:
            chosen = next((e for e in group if e.status is not Status.PASS), group[0])
            combined.append(Evaluation(chosen.rule_id, chosen.stack, chosen.logical_id, chosen.status,
                                       chosen.message, engines, chosen.path))
            continue
        worst = next((e for e in group if e.status is Status.FAIL), None) or next(
            e for e in group if e.status is Status.UNKNOWN)
        verdicts = ", ".join(f"{e.engine}={e.status.value}" for e in group)
        combined.append(Evaluation(worst.rule_id, worst.stack, worst.logical_id, worst.status,
                                   f"{worst.message} (engines disagree: {verdicts})", engines, worst.path))
    return combined
