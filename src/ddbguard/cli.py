"""Command line: arguments -> command -> report -> exit code. Heavy modules load only when needed."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys

from ddbguard import __version__
from ddbguard.arguments import parser
from ddbguard.model import Report, Severity


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == ["--version"]:  # before the parser is built
        print(f"ddbguard {__version__}")
        return 0
    args = parser(arguments).parse_args(arguments)
    try:
        _check_outputs(args)
        return COMMANDS[args.command](args)
    except _Usage as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless asked for
        if os.environ.get("DDBGUARD_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {exc} (set DDBGUARD_DEBUG=1 for details)")


def console() -> int:
    """The `ddbguard` command: main(), after which the process ends. What the run built is left out of the cycle
    collection Python makes as it exits (gc.freeze): walking all of it once more cost 2% of a check."""
    code = main()
    gc.freeze()
    return code


_WRITTEN = (("output", "report"), ("write_baseline", "baseline"))


def _check_outputs(args: argparse.Namespace) -> None:
    """A file that cannot be written is said before the run (an audit can take an hour)."""
    from ddbguard.report.output import output_problem

    for option, what in _WRITTEN:
        path = getattr(args, option, None)
        problem = output_problem(path) if path else None
        if problem:
            raise _Usage(f"{path}: cannot write {_what(args, what)}: {problem}")


def _what(args: argparse.Namespace, what: str) -> str:
    if what == "report" and args.command in ("inventory", "stack-policy"):
        return args.command.replace("-", " ")
    return what


def _write(path: str, text: str, what: str) -> str | None:
    """Write `text` to `path` atomically (report/output.py); the problem, as the line to say, when it fails."""
    from ddbguard.report.output import OutputError, write_atomically

    try:
        write_atomically(path, text)
    except OutputError as exc:
        return f"{path}: cannot write {what}: {exc}"
    return None


def _say(message: str) -> None:
    """Every line ddbguard writes to standard error: it names files, resources and values from the input, so
    it is escaped for the terminal or CI log that shows it (report/escape/terminal.py)."""
    from ddbguard.report.escape.terminal import terminal_text

    print(f"ddbguard: {terminal_text(message)}", file=sys.stderr)


def _fail(message: str) -> int:
    _say(message)
    return 2


class _Usage(Exception):
    """A bad configuration, parameters file or flag: one line on stderr and exit code 2."""


def _config_and_parameters(args: argparse.Namespace):
    from ddbguard.config import ConfigError
    from ddbguard.templates.parameters import ParametersError, load_parameters_file

    try:
        parameters = getattr(args, "parameters", None)  # audit and merge take none
        return _load_config(args), load_parameters_file(parameters) if parameters else None
    except (ConfigError, ParametersError) as exc:
        raise _Usage(str(exc)) from None


def _check(args: argparse.Namespace) -> int:
    from ddbguard.commands.check import CheckOptions, run_check

    config, parameters = _config_and_parameters(args)
    engine = args.engine or config.engine
    options = CheckOptions(paths=args.paths, engine=engine, parameters=parameters, guard_bin=args.guard_bin,
                           ignore_non_templates=args.ignore_non_templates, template_roots=tuple(args.template_root),
                           context=tuple(args.context))
    with _trees_only():
        report = run_check(options, config)
        return _deliver(report, args, config, engine=engine, unknown_fails=True)


@contextlib.contextmanager
def _trees_only():
    """Without Python's cycle collector: what a check builds (templates, their resolved copies, findings) lives until
    it ends, so each collection would only walk all of it again (0.2 s of a 50-stack check). After it, those objects
    join the oldest generation, unwalked (else the first allocation walks all of them), and are collected with it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():  # the caller froze nothing that unfreezing would release
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _deliver(report, args: argparse.Namespace, config, *, engine: str, unknown_fails: bool) -> int:
    """The delivery steps asked for (commands/deliver.py), then the report rendered where it was asked for, and
    the exit code."""
    from ddbguard.commands.deliver import Delivery, DeliveryError, deliver
    from ddbguard.report import exit_code, render, summary

    report.command = args.command or "check"
    delivery = Delivery(**{name: getattr(args, name, None) for name in Delivery.__dataclass_fields__})
    try:
        deliver(report, delivery, _say)
    except DeliveryError as exc:
        return _fail(str(exc))
    if args.format == "asff" and any(f.live is None for f in report.findings):
        left_out = sum(1 for f in report.findings if f.live is None)
        _say(f"{left_out} findings name no AWS resource (templates, configuration) and are not in the ASFF output")
    rendered = render(report, args.format, engine=engine)
    if args.output:
        problem = _write(args.output, rendered, "report")
        if problem:
            return _fail(problem)
        counts = summary(report)
        _say(f"{counts['fail']} failed, {counts['unknown']} unknown, {counts['suppressed']} suppressed, "
             f"{counts['pass']} passed, {counts['errors']} errors; {args.format} report written to {args.output}")
    else:
        sys.stdout.write(rendered)
    if args.format != "text":
        for error in report.errors:  # machine formats carry them too; people read stderr
            _say(str(error))
        for warning in report.warnings:
            _say(f"warning: {warning}")
    if report.baseline and report.baseline["stale"]:
        _say(f"{len(report.baseline['stale'])} baseline entries match nothing now (fixed: remove them with "
             f"--write-baseline {report.baseline['file']})")
    if args.write_baseline and not args.baseline:
        return int(exit_code(Report(errors=report.errors), None))  # recording a baseline is not a failure
    fail_on = Severity(args.fail_on) if args.fail_on else config.fail_on
    return int(exit_code(report, fail_on, unknown_fails=unknown_fails))


def _load_config(args: argparse.Namespace):
    from pathlib import Path

    from ddbguard.config import find_config, load_config

    return load_config(Path(args.config) if args.config else find_config(Path.cwd()))


def _audit(args: argparse.Namespace) -> int:
    from ddbguard.commands.audit import AuditOptions, run_audit

    config, _ = _config_and_parameters(args)
    shard = None
    if args.shard:
        try:
            index, count = (int(part) for part in args.shard.split("/"))
        except ValueError:
            return _fail(f"--shard {args.shard}: expected I/N, for example 1/4")
        if not 1 <= index <= count:
            return _fail(f"--shard {args.shard}: I must be between 1 and N")
        shard = (index, count)
    if args.concurrency < 1:
        return _fail("--concurrency must be at least 1")
    options = AuditOptions(
        profile=args.profile,
        regions=[r.strip() for r in args.regions.split(",") if r.strip()] if args.regions else [],
        accounts=[a.strip() for a in args.accounts.split(",") if a.strip()] if args.accounts else [],
        role_name=args.role_name, organization=args.organization, table_prefix=args.table_prefix,
        concurrency=args.concurrency, shard=shard, run_id=args.run_id, endpoint_url=args.endpoint_url,
        call_timeout=args.call_timeout,
        progress=True,
    )
    return _deliver(run_audit(options, config), args, config, engine="live", unknown_fails=args.fail_on_unknown)


def _merge(args: argparse.Namespace) -> int:
    from ddbguard.commands.merge import ReportFileError, merge_reports

    config, _ = _config_and_parameters(args)
    try:
        report, engine = merge_reports(args.reports)
    except ReportFileError as exc:
        return _fail(str(exc))
    return _deliver(report, args, config, engine=engine, unknown_fails=args.fail_on_unknown)


def _diff(args: argparse.Namespace) -> int:
    from ddbguard.commands.diff import run_diff

    config, parameters = _config_and_parameters(args)
    report = run_diff([args.old], [args.new], config, parameters=parameters)
    # findings located on OLD's side (a comparison checkout) are reported at the same place on NEW's
    report.path_aliases = {os.path.abspath(args.old): os.path.abspath(args.new)}
    return _deliver(report, args, config, engine="diff", unknown_fails=True)


def _plan(args: argparse.Namespace) -> int:
    from ddbguard.aws import CredentialsError, open_session
    from ddbguard.commands.plan import run_plan

    config, parameters = _config_and_parameters(args)
    try:
        session = open_session(args.profile)
    except CredentialsError as exc:
        return _fail(f"credentials: {exc}")
    report = run_plan(args.paths, config, session=session, endpoint_url=args.endpoint_url, region=args.region,
                      parameters=parameters, stack_names=tuple(args.stack_name), call_timeout=args.call_timeout)
    return _deliver(report, args, config, engine="plan", unknown_fails=True)


def _inventory(args: argparse.Namespace) -> int:
    from ddbguard.commands.inventory import live_inventory, render, template_inventory

    config, parameters = _config_and_parameters(args)
    if args.live:
        from ddbguard.live.scope import AuditOptions, read_scope

        options = AuditOptions(
            profile=args.profile, regions=[r.strip() for r in (args.regions or "").split(",") if r.strip()],
            accounts=[a.strip() for a in (args.accounts or "").split(",") if a.strip()], role_name=args.role_name,
            organization=args.organization, table_prefix=args.table_prefix, endpoint_url=args.endpoint_url,
            call_timeout=args.call_timeout)
        audited, errors = read_scope(options, config)
        records, clusters = live_inventory(audited)
    elif not args.paths:
        return _fail("inventory: give templates, directories or cloud assemblies, or --live")
    else:
        records, clusters, errors = template_inventory(args.paths, config, parameters)

    def order(r):
        return r["account"] or "", r["region"] or "", r["stack"] or "", r["name"] or r["logical_id"] or ""

    rendered = render(sorted(records, key=order), args.format, sorted(clusters, key=order))
    problem = _write(args.output, rendered, "inventory") if args.output else None
    if not args.output:
        sys.stdout.write(rendered)
    for error in errors:
        _say(str(error))
    return _fail(problem) if problem else 2 if errors else 0


def _stack_policy(args: argparse.Namespace) -> int:
    from ddbguard.commands.stack_policy import StackPolicyError, stack_policy

    config, parameters = _config_and_parameters(args)
    try:
        policy, errors = stack_policy(args.path, config, stack=args.stack, parameters=parameters,
                                      template_roots=tuple(args.template_root))
    except StackPolicyError as exc:
        for error in exc.errors:
            _say(str(error))
        return _fail(str(exc))
    problem = _write(args.output, policy.text(), "stack policy") if args.output else None
    if problem:
        return _fail(problem)
    if not args.output:
        sys.stdout.write(policy.text())
    for error in errors:
        _say(str(error))
    for line in policy.warnings:
        _say(f"warning: {line}")
    for line in policy.notes:
        _say(f"note: {line}")
    named = f"{policy.stack} ({policy.stack_name})" if policy.stack_name and policy.stack_name != policy.stack \
        else policy.stack
    denied = ", ".join(policy.protected) or "nothing (the stack owns no table)"
    _say(f"stack policy of {named}: denies Update:Replace and Update:Delete on {denied}; allows Update:* on the rest"
         + (f"; written to {args.output}" if args.output else ""))
    return 1 if errors or policy.warnings else 0


def _rules(args: argparse.Namespace) -> int:
    from ddbguard.commands.rules import list_rules

    sys.stdout.write(list_rules(args.format))
    return 0


COMMANDS = {"check": _check, "audit": _audit, "merge": _merge, "diff": _diff, "plan": _plan, "inventory": _inventory,
            "stack-policy": _stack_policy, "rules": _rules}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
