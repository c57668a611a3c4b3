"""The command line's grammar: every command, its arguments and what each accepts (cli.py wires them)."""

from __future__ import annotations

import argparse

from ddbguard import __version__
from ddbguard.model import DEFAULT_CALL_TIMEOUT, Severity
from ddbguard.report import FORMATS

ENGINES = ("builtin", "guard", "checkov", "all", "both")


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given the arguments, only the command they name is built (building all of them
    costs every run 40 ms); the usage line names every command either way."""
    parser = argparse.ArgumentParser(
        prog="ddbguard", description="Policy-as-code checks that keep DynamoDB data safe in CDK and CloudFormation.")
    parser.add_argument("--version", action="version", version=f"ddbguard {__version__}")
    named = argv[0] if argv and argv[0] in COMMAND_ARGUMENTS else None
    # the usage line of one command built still names them all (a wrong command's error builds all, and names it so)
    every = {"metavar": "{" + ",".join(COMMAND_ARGUMENTS) + "}"} if named else {}
    commands = parser.add_subparsers(dest="command", required=True, **every)
    for name, build in COMMAND_ARGUMENTS.items():
        if named in (None, name):
            build(commands)
    return parser


def _check_command(commands) -> None:
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


def _audit_command(commands) -> None:
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


def _merge_command(commands) -> None:
    merge = commands.add_parser("merge", help="combine JSON reports (for example from audit shards) into one")
    merge.add_argument("reports", nargs="+", metavar="REPORT.json")
    merge.add_argument("--fail-on-unknown", action="store_true")
    merge.add_argument("--profile", help="AWS profile for --security-hub")
    merge.add_argument("--endpoint-url", help="an AWS-compatible endpoint for --security-hub")
    _call_timeout_option(merge)
    _security_hub_options(merge)
    _notification_options(merge)
    _report_options(merge)


def _diff_command(commands) -> None:
    diff = commands.add_parser(
        "diff", help="what deploying NEW over OLD does to each table (offline)",
        description="Compare two cloud assemblies or templates (for example main's cdk synth and the pull "
                    "request's) and report tables that the change deletes or replaces (DDB030, DDB031).")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--parameters", metavar="FILE", help="CloudFormation parameters JSON for both sides")
    _report_options(diff)


def _plan_command(commands) -> None:
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


def _inventory_command(commands) -> None:
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


def _stack_policy_command(commands) -> None:
    policy = commands.add_parser(
        "stack-policy", help="write the stack policy that protects a stack's tables (for set-stack-policy)",
        description="The stack policy DDB007's audit asks for: Deny Update:Replace and Update:Delete on each table "
                    "(nested stacks' tables through their stack resource), Allow Update:* on the rest. Exit codes: 0 "
                    "written; 1 written, but the warnings on standard error say what the template cannot tell (a "
                    "nested template not in the input, a construct not modelled); 2 no policy (no such stack, or "
                    "several and no --stack).")
    policy.add_argument("path", metavar="TEMPLATE|cdk.out")
    policy.add_argument("--stack", metavar="NAME", help="the stack: ddbguard's name (Stage/stack, parent/Nested) or "
                                                        "CloudFormation's; needed when the input holds several")
    policy.add_argument("--output", "-o", metavar="FILE", help="write the policy to FILE instead of standard output")
    policy.add_argument("--parameters", metavar="FILE")
    policy.add_argument("--template-root", action="append", default=[], metavar="DIR")
    policy.add_argument("--config", metavar="FILE")


def _rules_command(commands) -> None:
    rules = commands.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")


# Every command, in the order --help lists them, and what builds its arguments
COMMAND_ARGUMENTS = {
    "check": _check_command,
    "audit": _audit_command,
    "merge": _merge_command,
    "diff": _diff_command,
    "plan": _plan_command,
    "inventory": _inventory_command,
    "stack-policy": _stack_policy_command,
    "rules": _rules_command,
}


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
