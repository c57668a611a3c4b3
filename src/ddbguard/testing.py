"""ddbguard in a project's own unit tests: `assert_compliant` fails a test with ddbguard's findings.

    from aws_cdk.assertions import Template
    from ddbguard.testing import assert_compliant

    def test_the_data_stack_keeps_its_tables():
        assert_compliant(Template.from_stack(stack).to_json())

It runs the same check as `ddbguard check` (the same rules, the project's configuration) and raises
AssertionError listing each failing rule, resource and message; an unknown fails too (never a false pass),
and so does an input that could not be checked. Suppressed findings (the configuration, resource metadata,
CDK acknowledgements in a cloud assembly) do not fail.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ddbguard.config import Config
from ddbguard.model import Report, Status

__all__ = ["assert_compliant", "check_source"]


def assert_compliant(source: object, rules: Iterable[str] | None = None,
                     config: str | os.PathLike | dict | Config | None = None) -> None:
    """Raise AssertionError unless `source` fails no ddbguard rule (of `rules`, default: every rule the
    configuration applies).

    source: a path (template file, directory of templates, cloud assembly directory), a cloud assembly
    object (what `app.synth()` returns: anything with a `directory`), or a template dict (such as
    `Template.from_stack(stack).to_json()`). A dict is checked alone in a new private directory, so
    nothing outside it is read: a nested stack or include it names is not found, and what it would
    have decided is not a pass.
    config: a configuration file, its contents as a dict, or a Config (default: the .ddbguard.yaml or
    [tool.ddbguard] found from the working directory upwards, as `ddbguard check`).
    """
    from ddbguard.report.escape.terminal import terminal_text

    selected = _selected_rules(rules)
    report = check_source(source, config)
    problems = [f"{f.rule_id} {f.stack}/{f.logical_id} ({f.status.value}): {f.message}" for f in report.findings
                if f.status in (Status.FAIL, Status.UNKNOWN) and (selected is None or f.rule_id in selected)]
    problems += [f"input error: {error}" for error in report.errors]
    if problems:
        heading = f"ddbguard: {len(problems)} {'finding fails' if len(problems) == 1 else 'findings fail'}"
        raise AssertionError("\n  ".join([f"{heading}:", *(terminal_text(p) for p in problems)]))


def check_source(source: object, config: str | os.PathLike | dict | Config | None = None) -> Report:
    """The report of `ddbguard check` on `source` (as assert_compliant takes it)."""
    from ddbguard.commands.check import CheckOptions, run_check

    settings = _config(config)
    if isinstance(source, dict):
        try:
            text = json.dumps(source, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"assert_compliant: the template dict is not JSON: {exc}") from None
        with tempfile.TemporaryDirectory(prefix="ddbguard-template-") as directory:
            template = Path(directory) / "template.json"
            template.write_text(text, encoding="utf-8")
            return run_check(CheckOptions(paths=[str(template)], engine=settings.engine), settings)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
    elif isinstance(getattr(source, "directory", None), str):  # a CDK CloudAssembly (cx_api.CloudAssembly)
        path = source.directory
    else:
        raise TypeError("assert_compliant: expected a path, a cloud assembly (app.synth()) or a template dict, "
                        f"not {type(source).__name__}")
    return run_check(CheckOptions(paths=[path], engine=settings.engine), settings)


def _config(config: str | os.PathLike | dict | Config | None) -> Config:
    from ddbguard.config import find_config, load_config, parse_config

    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return parse_config(config, source="assert_compliant(config=...)")
    if config is None:
        return load_config(find_config(Path.cwd()))
    return load_config(Path(config))


def _selected_rules(rules: Iterable[str] | None) -> set[str] | None:
    if rules is None:
        return None
    from ddbguard.catalog import load_catalog

    selected = {rules} if isinstance(rules, str) else set(rules)
    unknown = sorted(selected - set(load_catalog()))
    if unknown or not selected:  # a typo would check nothing and pass
        raise ValueError(f"assert_compliant: unknown rules {', '.join(unknown)} (see `ddbguard rules`)" if unknown
                         else "assert_compliant: rules is empty (None checks every rule)")
    return selected
