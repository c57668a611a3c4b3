"""Command line: arguments -> command -> report -> exit code. Heavy modules load only when needed."""

from __future__ import annotations

import argparse
import os
import sys

from ddbguard import __version__
from ddbguard.model import Report, Severity
from ddbguard.report import FORMATS

ENGINES = ("builtin", "guard", "checkov", "all", "both")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ddbguard", description="Policy-as-code checks that keep DynamoDB data safe in CDK and CloudFormation.")
    parser.add_argument("--version", action="version", version=f"ddbguard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser(
        "check", help="check cloud assemblies (cdk.out), templates or directories of templates",
        description="Check synthesized templates against the rule catalog. Exit codes: 0 no failure at or above "
                    "--fail-on, 1 failures (or unknowns), 2 usage error or an input that could not be checked.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="cdk.out directory, template file or directory")
    check.add_argument("--engine", choices=ENGINES,
                       help="builtin (default, or the config's engine): the rules' Python predicates, in-process; "
                            "guard: cfn-guard; checkov: checkov (pip install 'ddbguard[checkov]'); all: every engine, "
                            "and disagreements reported; both: guard and checkov")
    check.add_argument("--parameters", metavar="FILE",
                       help="CloudFormation parameters JSON (as for create-stack --parameters file://FILE)")
    check.add_argument("--guard-bin", metavar="PATH", help="cfn-guard binary (default: $CFN_GUARD_BIN, the pinned "
                                                          "npm package, then PATH)")
    check.add_argument("--template-root", action="append", default=[], metavar="DIR",
                       help="where to look for nested stack templates whose TemplateURL is an S3 URL "
                            "(matched by path suffix; repeatable)")
    check.add_argument("--context", action="append", default=[], metavar="PATH",
                       help="more templates or directories loaded only so that references to them resolve; "
                            "findings are reported for PATH only (repeatable; default: the config's `context`, and "
                            "with --ignore-non-templates the templates git tracks)")
    check.add_argument("--ignore-non-templates", action="store_true",
                       help="skip files that are not CloudFormation templates instead of reporting them "
                            "(for pre-commit, which passes every YAML/JSON file)")
    _report_options(check)

    audit = commands.add_parser(
        "audit", help="audit live AWS accounts and regions (read-only)",
        description="Audit the DynamoDB tables and Lambda functions of live accounts. Exit codes: 0 no failure at or "
                    "above --fail-on, 1 failures (unknowns too with --fail-on-unknown), 2 usage error, no "
                    "credentials, or an account or region that could not be audited.")
    audit.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    audit.add_argument("--regions", help="comma-separated regions, or `all` for every enabled region "
                                         "(default: the session's region)")
    audit.add_argument("--accounts", help="comma-separated account ids (with --role-name for other accounts)")
    audit.add_argument("--role-name", help="role to assume in each account")
    audit.add_argument("--organization", action="store_true", help="audit every active account of the organization")
    audit.add_argument("--table-prefix", help="only tables whose names start with this")
    audit.add_argument("--concurrency", type=int, default=8,
                       help="API reads in flight at once, across and inside regions (default 8)")
    audit.add_argument("--shard", metavar="I/N", help="audit only the I-th of N deterministic slices of the accounts")
    audit.add_argument("--run-id", type=_run_id, metavar="ID",
                       help="the run this audit belongs to, recorded in the report: give the shards of one run the "
                            "same id (merge refuses reports of different runs; default: the start time and a random "
                            "suffix)")
    audit.add_argument("--endpoint-url", help="an AWS-compatible endpoint (for example a local moto server)")
    _call_timeout_option(audit)
    audit.add_argument("--fail-on-unknown", action="store_true", help="unknown results (denied calls) exit 1 too")
    _security_hub_options(audit)
    _notification_options(audit)
    _report_options(audit)

    merge = commands.add_parser("merge", help="combine JSON reports (for example from audit shards) into one")
    merge.add_argument("reports", nargs="+", metavar="REPORT.json")
    merge.add_argument("--fail-on-unknown", action="store_true")
    merge.add_argument("--profile", help="AWS profile for --security-hub")
    merge.add_argument("--endpoint-url", help="an AWS-compatible endpoint for --security-hub")
    _call_timeout_option(merge)
    _security_hub_options(merge)
    _notification_options(merge)
    _report_options(merge)

    diff = commands.add_parser(
        "diff", help="what deploying NEW over OLD does to each table (offline)",
        description="Compare two cloud assemblies or templates (for example main's cdk synth and the pull "
                    "request's) and report tables that the change deletes or replaces (DDB030, DDB031).")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--parameters", metavar="FILE", help="CloudFormation parameters JSON for both sides")
    _report_options(diff)

    plan = commands.add_parser(
        "plan", help="what deploying PATH would do to the target account's tables (read-only)",
        description="Diff each stack against its deployed template (DDB030, DDB031) and look up the tables the "
                    "input imports (DDB032, DDB033) or creates by name (DDB034). Stacks not deployed yet are fine.")
    plan.add_argument("paths", nargs="+", metavar="PATH")
    plan.add_argument("--profile")
    plan.add_argument("--region", help="target region (default: the session's region)")
    plan.add_argument("--endpoint-url", help="an AWS-compatible endpoint (for example a local moto server)")
    _call_timeout_option(plan)
    plan.add_argument("--parameters", metavar="FILE")
    plan.add_argument("--stack-name", action="append", default=[], metavar="[TEMPLATE=]NAME",
                      help="the deployed stack to compare a template file with (repeatable as TEMPLATE=NAME). A "
                           "template file names no stack: without it, its tables are unknown; a cloud assembly names "
                           "its stacks itself")
    _report_options(plan)

    inventory = commands.add_parser(
        "inventory", help="document every table: where it is defined, its settings, backups, and who is granted what",
        description="Per-table documentation (guide: Best Practice 8, pre-migration checklist) from templates and "
                    "cloud assemblies, or with --live from the accounts the audit reads. Exit codes: 0, or 2 for an "
                    "input or account that could not be read.")
    inventory.add_argument("paths", nargs="*", metavar="PATH")
    inventory.add_argument("--live", action="store_true", help="read the tables from AWS (the audit's options)")
    inventory.add_argument("--profile")
    inventory.add_argument("--regions")
    inventory.add_argument("--accounts")
    inventory.add_argument("--role-name")
    inventory.add_argument("--organization", action="store_true")
    inventory.add_argument("--table-prefix")
    inventory.add_argument("--endpoint-url")
    _call_timeout_option(inventory)
    inventory.add_argument("--parameters", metavar="FILE")
    inventory.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")
    inventory.add_argument("--output", "-o", metavar="FILE")
    inventory.add_argument("--config", metavar="FILE")

    rules = commands.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    return parser


def _run_id(text: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: letters, digits and . _ : - only (at most 128)")
    return text


def _call_timeout(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{text}: give seconds between 0 and 3600")
    return seconds


def _call_timeout_option(parser: argparse.ArgumentParser) -> None:
    from ddbguard.aws import DEFAULT_CALL_TIMEOUT

    parser.add_argument("--call-timeout", type=_call_timeout, default=DEFAULT_CALL_TIMEOUT, metavar="SECONDS",
                        help="give up an AWS call that has no complete answer after SECONDS, connect, reads and "
                             f"retries together (default {DEFAULT_CALL_TIMEOUT:g}); calls AWS does not answer are "
                             "errors of their account, region and service (exit 2)")


def _security_hub_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--security-hub", action="store_true",
                        help="also import the live findings into Security Hub (BatchImportFindings) in the caller's "
                             "account and --security-hub-region; the next run updates the same findings")
    parser.add_argument("--security-hub-region", help="Security Hub's region (default: the session's region)")


def _topic_arn(text: str) -> str:
    import re

    if not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an SNS topic ARN")
    return text


def _notification_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sns-topic", type=_topic_arn, metavar="ARN",
                        help="publish a short summary (counts, the first errors and new findings, --report-url) to "
                             "this SNS topic when the run has errors or findings not passing that are new since "
                             "--since (all of them without it); a notification that cannot be sent is an error "
                             "(exit 2)")
    parser.add_argument("--report-url", metavar="URL", help="where the full report is, for the notification")


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--baseline", metavar="FILE",
                        help="report the failures recorded in FILE as suppressed (reason: baseline); fail on new ones")
    parser.add_argument("--write-baseline", metavar="FILE",
                        help="record today's failures and unknowns in FILE (keeps the order of the entries it keeps)")
    parser.add_argument("--since", metavar="PREVIOUS.json",
                        help="compare with a previous JSON report: new, fixed and still failing lead the report")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    parser.add_argument("--fail-on", choices=[s.value for s in Severity],
                        help="lowest severity that fails the run (default: any failure)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: .ddbguard.yaml or "
                                                         "[tool.ddbguard] in pyproject.toml, searched upwards)")


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:  # before the parser, whose options import the AWS layer
        print(f"ddbguard {__version__}")
        return 0
    args = _parser().parse_args(argv)
    try:
        _check_outputs(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "merge":
            return _merge(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "inventory":
            return _inventory(args)
        return _check(args)
    except _Usage as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless asked for
        if os.environ.get("DDBGUARD_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {exc} (set DDBGUARD_DEBUG=1 for details)")


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
    return "inventory" if what == "report" and args.command == "inventory" else what


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
    from ddbguard.templates.resolve import ParametersError, load_parameters_file

    try:
        parameters = getattr(args, "parameters", None)  # audit and merge take none
        return _load_config(args), load_parameters_file(parameters) if parameters else None
    except (ConfigError, ParametersError) as exc:
        raise _Usage(str(exc)) from None


def _check(args: argparse.Namespace) -> int:
    from ddbguard.check import CheckOptions, run_check

    config, parameters = _config_and_parameters(args)
    engine = args.engine or config.engine
    options = CheckOptions(paths=args.paths, engine=engine, parameters=parameters, guard_bin=args.guard_bin,
                           ignore_non_templates=args.ignore_non_templates, template_roots=tuple(args.template_root),
                           context=tuple(args.context))
    report = run_check(options, config)
    return _deliver(report, args, config, engine=engine, unknown_fails=True)


def _deliver(report, args: argparse.Namespace, config, *, engine: str, unknown_fails: bool) -> int:
    """Render the report where it was asked for, and turn it into the exit code."""
    from ddbguard.report import exit_code, render, summary

    report.command = args.command or "check"
    if args.write_baseline:
        from ddbguard.baseline import write_baseline
        from ddbguard.report.output import OutputError

        try:
            entries, added, removed = write_baseline(report, args.write_baseline)
        except OutputError as exc:
            return _fail(f"{args.write_baseline}: cannot write baseline: {exc}")
        _say(f"baseline {args.write_baseline}: {entries} entries ({added} added, {removed} removed)")
    if args.baseline:
        from ddbguard.baseline import BaselineError, apply_baseline, read_baseline

        try:
            apply_baseline(report, read_baseline(args.baseline), args.baseline)
        except BaselineError as exc:
            return _fail(str(exc))
    if args.since:
        from ddbguard.report.changes import compare
        from ddbguard.report.json_report import ReportFileError, report_schema, read_report

        try:
            report.changes = compare(read_report(args.since, report_schema()), report)
        except ReportFileError as exc:
            return _fail(f"--since {exc}")
    if getattr(args, "security_hub", False):
        report.errors += _send_to_security_hub(report, args)
    if getattr(args, "sns_topic", None):
        report.errors += _notify(report, args)
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


def _send_to_security_hub(report, args: argparse.Namespace) -> list:
    """Import the report into Security Hub; what could not be imported is an error of the run (exit 2)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ddbguard.aws import Clients, CredentialsError, error_reason, open_session
    from ddbguard.model import InputError
    from ddbguard.report.asff import send_to_security_hub

    clients = Clients(args.endpoint_url, args.call_timeout)
    try:
        session = open_session(args.profile)
        region = args.security_hub_region or session.region_name or "us-east-1"
        account = clients.client(session, "sts", region, scope="security-hub").get_caller_identity()["Account"]
        securityhub = clients.client(session, "securityhub", region, scope="security-hub")
    except CredentialsError as exc:
        return [InputError("security-hub", str(exc))]
    except (ClientError, BotoCoreError) as exc:
        return [InputError("security-hub", error_reason(exc, "sts:GetCallerIdentity"))]
    problems = send_to_security_hub(report, securityhub, account, region)
    if not problems:
        sent = sum(1 for f in report.findings if f.live)
        _say(f"{sent} findings imported into Security Hub ({account}, {region})")
    return [InputError("security-hub", problem) for problem in problems]


def _notify(report, args: argparse.Namespace) -> list:
    """Publish the run's summary to --sns-topic (in the topic's region); a failed publish is an error (exit 2)."""
    from ddbguard.aws import Clients, CredentialsError, open_session
    from ddbguard.model import InputError
    from ddbguard.report.notification import publish

    try:
        session = open_session(args.profile)
    except CredentialsError as exc:
        return [InputError("sns", str(exc))]
    sns = Clients(args.endpoint_url, args.call_timeout).client(session, "sns", args.sns_topic.split(":")[3],
                                                               scope="sns")
    return [InputError("sns", problem) for problem in publish(report, sns, args.sns_topic, args.report_url)]


def _load_config(args: argparse.Namespace):
    from pathlib import Path

    from ddbguard.config import find_config, load_config

    return load_config(Path(args.config) if args.config else find_config(Path.cwd()))


def _audit(args: argparse.Namespace) -> int:
    from ddbguard.live.audit import AuditOptions, run_audit

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
    from ddbguard.report.json_report import ReportFileError, merge_reports

    config, _ = _config_and_parameters(args)
    try:
        report, engine = merge_reports(args.reports)
    except ReportFileError as exc:
        return _fail(str(exc))
    return _deliver(report, args, config, engine=engine, unknown_fails=args.fail_on_unknown)


def _diff(args: argparse.Namespace) -> int:
    from ddbguard.plan.run import run_diff

    config, parameters = _config_and_parameters(args)
    report = run_diff([args.old], [args.new], config, parameters=parameters)
    # findings located on OLD's side (a comparison checkout) are reported at the same place on NEW's
    report.path_aliases = {os.path.abspath(args.old): os.path.abspath(args.new)}
    return _deliver(report, args, config, engine="diff", unknown_fails=True)


def _plan(args: argparse.Namespace) -> int:
    from ddbguard.aws import CredentialsError, open_session
    from ddbguard.plan.deployed import run_plan

    config, parameters = _config_and_parameters(args)
    try:
        session = open_session(args.profile)
    except CredentialsError as exc:
        return _fail(f"credentials: {exc}")
    report = run_plan(args.paths, config, session=session, endpoint_url=args.endpoint_url, region=args.region,
                      parameters=parameters, stack_names=tuple(args.stack_name), call_timeout=args.call_timeout)
    return _deliver(report, args, config, engine="plan", unknown_fails=True)


def _inventory(args: argparse.Namespace) -> int:
    from ddbguard.inventory import live_inventory, render, template_inventory

    config, parameters = _config_and_parameters(args)
    if args.live:
        from ddbguard.live.audit import AuditOptions, read_scope

        options = AuditOptions(
            profile=args.profile, regions=[r.strip() for r in (args.regions or "").split(",") if r.strip()],
            accounts=[a.strip() for a in (args.accounts or "").split(",") if a.strip()], role_name=args.role_name,
            organization=args.organization, table_prefix=args.table_prefix, endpoint_url=args.endpoint_url,
            call_timeout=args.call_timeout)
        audited, errors = read_scope(options, config)
        records = live_inventory(audited)
    elif not args.paths:
        return _fail("inventory: give templates, directories or cloud assemblies, or --live")
    else:
        records, errors = template_inventory(args.paths, config, parameters)
    rendered = render(sorted(records, key=lambda r: (r["account"] or "", r["region"] or "", r["stack"] or "",
                                                     r["name"] or r["logical_id"] or "")), args.format)
    problem = _write(args.output, rendered, "inventory") if args.output else None
    if not args.output:
        sys.stdout.write(rendered)
    for error in errors:
        _say(str(error))
    return _fail(problem) if problem else 2 if errors else 0


def _rules(args: argparse.Namespace) -> int:
    from ddbguard.catalog.render import render_catalog

    sys.stdout.write(render_catalog(args.format))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
