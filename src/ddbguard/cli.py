"""Command line: arguments -> command -> report -> exit code. Heavy modules load only when needed."""

from __future__ import annotations

import argparse
import os
import sys

from ddbguard import __version__
from ddbguard.model import Severity
from ddbguard.report import FORMATS



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
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    check.add_argument("--engine", choices=("guard", "checkov", "both"), help="default: guard (or the config's engine)")
    check.add_argument("--parameters", metavar="FILE",
                       help="CloudFormation parameters JSON (as for create-stack --parameters file://FILE)")
    check.add_argument("--fail-on", choices=[s.value for s in Severity], help="lowest severity that fails the run (default: any)")
    check.add_argument("--config", metavar="FILE", help="configuration file (default: .ddbguard.yaml or "
                                                        "[tool.ddbguard] in pyproject.toml, searched upwards)")
    check.add_argument("--guard-bin", metavar="PATH", help="cfn-guard binary (default: $CFN_GUARD_BIN, the pinned "
                                                          "npm package, then PATH)")
    check.add_argument("--template-root", action="append", default=[], metavar="DIR",
                       help="where to look for nested stack templates whose TemplateURL is an S3 URL "
                            "(matched by path suffix; repeatable)")
    check.add_argument("--ignore-non-templates", action="store_true",
                       help="skip files that are not CloudFormation templates instead of reporting them "
                            "(for pre-commit, which passes every YAML/JSON file)")

    rules = commands.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "rules":
            return _rules(args)
        return _check(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless asked for
        if os.environ.get("DDBGUARD_DEBUG"):
            raise
        print(f"ddbguard: internal error: {type(exc).__name__}: {exc} (set DDBGUARD_DEBUG=1 for details)",
              file=sys.stderr)
        return 2


def _fail(message: str) -> int:
    print(f"ddbguard: {message}", file=sys.stderr)
    return 2


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ddbguard.check import CheckOptions, run_check
    from ddbguard.config import ConfigError, find_config, load_config
    from ddbguard.report import exit_code, render, summary
    from ddbguard.templates.resolve import ParametersError, load_parameters_file

    try:
        config = load_config(Path(args.config) if args.config else find_config(Path.cwd()))
        parameters = load_parameters_file(args.parameters) if args.parameters else None
    except (ConfigError, ParametersError) as exc:
        return _fail(str(exc))
    engine = args.engine or config.engine
    options = CheckOptions(paths=args.paths, engine=engine, parameters=parameters, guard_bin=args.guard_bin,
                           ignore_non_templates=args.ignore_non_templates, template_roots=tuple(args.template_root))
    report = run_check(options, config)
    rendered = render(report, args.format, engine=engine)
    if args.output:
        try:
            Path(args.output).write_text(rendered, encoding="utf-8")
        except OSError as exc:
            return _fail(f"{args.output}: cannot write report: {exc.strerror or exc}")
        counts = summary(report)
        print(f"ddbguard: {counts['fail']} failed, {counts['unknown']} unknown, {counts['suppressed']} suppressed, "
              f"{counts['pass']} passed, {counts['errors']} errors; {args.format} report written to {args.output}",
              file=sys.stderr)
    else:
        sys.stdout.write(rendered)
    if args.format != "text":
        for error in report.errors:  # machine formats carry them too; people read stderr
            print(f"ddbguard: {error}", file=sys.stderr)
    fail_on = Severity(args.fail_on) if args.fail_on else config.fail_on
    return int(exit_code(report, fail_on))


def _rules(args: argparse.Namespace) -> int:
    from ddbguard.catalog.render import render_catalog

    sys.stdout.write(render_catalog(args.format))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
