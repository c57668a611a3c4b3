"""ddbguard's findings as pytest tests (registered as the `pytest11` entry point `ddbguard`):

    pytest --ddbguard cdk.out [--ddbguard-config FILE] [--ddbguard-allow-unknown]

collects one test per rule and resource that `ddbguard check cdk.out` evaluates, with the node id
`ddbguard::DDB001::<stack>/<logical id>`: a failure fails with its message and fix, an unknown fails unless
--ddbguard-allow-unknown (then it is skipped, never passed), a suppressed finding is skipped with its reason,
a pass passes, and an input that could not be checked is a failing `ddbguard::input-error::...` test. So
--junitxml, -k DDB001, -x and pytest-xdist work as for any test. --ddbguard may be given more than once: one
check of every path together (cross-stack rules see them all). Nothing is done without --ddbguard.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PREFIX = "ddbguard"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ddbguard", "ddbguard: DynamoDB safety checks of CloudFormation and CDK output")
    group.addoption("--ddbguard", action="append", default=[], metavar="PATH",
                    help="check PATH (cdk.out, a template or a directory of templates) with ddbguard: one test per "
                         "rule and resource (repeatable)")
    group.addoption("--ddbguard-config", metavar="FILE",
                    help="ddbguard configuration (default: .ddbguard.yaml or [tool.ddbguard] in pyproject.toml, "
                         "searched upwards from the working directory)")
    group.addoption("--ddbguard-allow-unknown", action="store_true",
                    help="skip (instead of fail) the rules ddbguard cannot judge statically")


@pytest.hookimpl(tryfirst=True)  # before -k, -m and --deselect select among the items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("ddbguard"):
        run = DdbguardRun.from_parent(session, name=PREFIX, nodeid=PREFIX)
        collected = run.collect_items()
        # said as collected, so that "collected N items" and the reports that count them include these
        config.hook.pytest_collectreport(report=pytest.CollectReport(run.nodeid, "passed", None, collected))
        items.extend(collected)


class DdbguardRun(pytest.Collector):
    """One `ddbguard check` of every --ddbguard path; its findings are the items, grouped by rule."""

    def collect(self) -> list[pytest.Item]:
        return self.collect_items()

    def collect_items(self) -> list[pytest.Item]:
        from ddbguard.commands.check import CheckOptions, run_check
        from ddbguard.config import ConfigError, find_config, load_config

        here = self.config.invocation_params.dir
        paths = [str(here / path) for path in self.config.getoption("ddbguard")]
        given = self.config.getoption("ddbguard_config")
        try:
            settings = load_config(here / given if given else find_config(here))
        except ConfigError as exc:
            raise pytest.UsageError(f"--ddbguard-config: {exc}") from None
        report = run_check(CheckOptions(paths=paths, engine=settings.engine), settings)
        allow_unknown = self.config.getoption("ddbguard_allow_unknown")
        groups: dict[str, pytest.Collector] = {}
        used: set[str] = set()
        items: list[pytest.Item] = []
        for finding in report.findings:
            group = groups.get(finding.rule_id)
            if group is None:
                group = groups[finding.rule_id] = RuleGroup.from_parent(
                    self, name=finding.rule_id, nodeid=f"{self.nodeid}::{finding.rule_id}")
            name = unique(f"{_name(finding.stack)}/{_name(finding.logical_id)}", used, finding.rule_id)
            items.append(FindingItem.from_parent(group, name=name, finding=finding, allow_unknown=allow_unknown))
        errors = RuleGroup.from_parent(self, name="input-error", nodeid=f"{self.nodeid}::input-error")
        for error in report.errors:
            name = unique(_name(error.file), used, "input-error")
            items.append(InputErrorItem.from_parent(errors, name=name, error=error))
        return items


class RuleGroup(pytest.Collector):
    def collect(self) -> list[pytest.Item]:  # its items are made by DdbguardRun
        return []


class DdbguardFailure(Exception):
    """A failing finding: reported as its text, without a traceback."""


class DdbguardItem(pytest.Item):
    """A test of ddbguard's: marked `ddbguard`, and a failure is its text (no traceback into this module)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_marker(pytest.mark.ddbguard)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, DdbguardFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class FindingItem(DdbguardItem):
    def __init__(self, *, finding, allow_unknown: bool, **kwargs) -> None:
        super().__init__(**kwargs)
        self.finding = finding
        self.allow_unknown = allow_unknown

    def runtest(self) -> None:
        from ddbguard.model import Status
        from ddbguard.report.escape.terminal import terminal_text

        finding = self.finding
        if finding.status is Status.FAIL:
            raise DdbguardFailure(self.text("FAIL"))
        if finding.status is Status.UNKNOWN:
            if self.allow_unknown:
                raise _skip(f"unknown (--ddbguard-allow-unknown): {terminal_text(finding.message)}")
            raise DdbguardFailure(self.text("UNKNOWN (ddbguard cannot judge it statically; --ddbguard-allow-unknown "
                                            "skips it)"))
        if finding.status is Status.SUPPRESSED:
            raise _skip(f"suppressed: {terminal_text(finding.suppression_reason or '')}")

    def text(self, verdict: str) -> str:
        from ddbguard.report.escape.terminal import terminal_text

        finding = self.finding
        lines = [f"{finding.rule_id} ({finding.severity.value}) {finding.title}: {verdict}",
                 f"{finding.stack}/{finding.logical_id}" + (f"  [{finding.cdk_path}]" if finding.cdk_path else ""),
                 f"at {finding.file}:{finding.line}", finding.message]
        if finding.remediation:
            lines.append(f"fix: {finding.remediation}")
        return "\n".join(terminal_text(line) for line in lines)

    def reportinfo(self):
        return Path(self.finding.file), max(self.finding.line - 1, 0), f"{self.finding.rule_id} {self.name}"


class InputErrorItem(DdbguardItem):
    """An input ddbguard could not check: never a pass."""

    def __init__(self, *, error, **kwargs) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        from ddbguard.report.escape.terminal import terminal_text

        raise DdbguardFailure(f"ddbguard could not check it: {terminal_text(str(self.error))}")

    def reportinfo(self):
        return self.path, None, f"input error {self.name}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ddbguard: a ddbguard finding (pytest --ddbguard PATH)")


def _skip(reason: str) -> BaseException:
    """A skip reported at the finding's template line (as a skip marker is at its test), not at this module's."""
    return pytest.skip.Exception(reason, _use_item_location=True)


def _name(text: str) -> str:
    """A part of a node id: shown escaped, and without `::` (which separates node id parts)."""
    from ddbguard.report.escape.terminal import terminal_text

    return terminal_text(text).replace("::", ":\\x3a")


def unique(name: str, used: set[str], group: str) -> str:
    """Two resources with one name in one run (two template files of one stack name) keep two node ids."""
    candidate, number = name, 1
    while f"{group}::{candidate}" in used:
        number += 1
        candidate = f"{name}#{number}"
    used.add(f"{group}::{candidate}")
    return candidate
