"""Run ddbguard's checkov checks in-process over resolved templates, offline and with no other checks."""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path

from ddbguard.catalog import Rule
from ddbguard.engines.common import (
    CheckedStack, EngineError, applicable_resources, engine_input, evaluation, join_messages,
)
from ddbguard.model import Evaluation

# checkov reaches for the network (package update check, Bridgecrew mappings) unless told not to.
_OFFLINE_ENVIRONMENT = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE", "SKIP_MAPPING": "TRUE"}


def checks_directory() -> str:
    return str(resources.files("ddbguard.checks"))


def run_checkov(
    stacks: list[CheckedStack], rules: list[Rule], *, encryption_level: str, workdir: Path
) -> list[Evaluation]:
    rules = [rule for rule in rules if "checkov" in rule.engines]
    if not rules or not stacks:
        return []
    os.environ.update(_OFFLINE_ENVIRONMENT)
    os.environ["DDBGUARD_ENCRYPTION_LEVEL"] = encryption_level
    logging.getLogger("checkov").setLevel(logging.CRITICAL)
    try:
        from checkov.cloudformation.runner import Runner
        from checkov.runner_filter import RunnerFilter

        from ddbguard.checkov_support import EVIDENCE
    except ImportError as exc:  # pragma: no cover - checkov is a dependency
        raise EngineError(f"checkov: cannot import: {exc}") from None

    data_dir = workdir / "checkov-data"
    data_dir.mkdir()
    for index, stack in enumerate(stacks):
        (data_dir / f"{index}.json").write_text(engine_input(stack.resolved), encoding="utf-8")
    EVIDENCE.clear()
    runner_filter = RunnerFilter(framework=["cloudformation"], checks=[rule.id for rule in rules])

    def scan(folder: Path):
        logging.disable(logging.WARNING)  # checkov logs parse trouble on the root logger
        try:
            return Runner().run(root_folder=str(folder), external_checks_dir=[checks_directory()],
                                runner_filter=runner_filter)
        finally:
            logging.disable(logging.NOTSET)

    reports, crashed = [], {}
    try:
        reports.append(scan(data_dir))
    except Exception:  # noqa: BLE001 - a crash on one template: scan each on its own to find it
        for data_file in sorted(data_dir.iterdir()):
            alone = workdir / f"checkov-alone-{data_file.stem}"
            alone.mkdir()
            data_file.rename(alone / data_file.name)
            try:
                reports.append(scan(alone))
            except Exception as exc:  # noqa: BLE001 - that template is unknown; the others are still judged
                crashed[data_file.name] = f"checkov failed on this template: {exc}"
        if len(crashed) == len(stacks):
            raise EngineError(f"checkov: the scan failed: {next(iter(crashed.values()))}") from None

    outcomes: dict[tuple[str, str, str], bool] = {}  # (file, rule id, logical id) -> passed
    for report in reports:
        for passed, records in ((True, report.passed_checks), (False, report.failed_checks)):
            for record in records:
                outcomes[(Path(record.file_path).name, record.check_id, record.resource.split(".")[-1])] = passed

    evaluations = []
    for index, stack in enumerate(stacks):
        file_name = f"{index}.json"
        for rule in rules:
            for logical_id in applicable_resources(stack.resolved, rule):
                passed = outcomes.get((file_name, rule.id, logical_id))
                if passed is None:
                    why = crashed.get(file_name, "checkov did not evaluate this resource")
                    evaluations.append(evaluation(rule, stack, logical_id, "checkov", unknown=why))
                elif passed:
                    evaluations.append(evaluation(rule, stack, logical_id, "checkov"))
                else:
                    resource_type = stack.resolved["Resources"][logical_id]["Type"]
                    problems = EVIDENCE.get((rule.id, f"/{file_name}:{resource_type}:{logical_id}")) or [
                        ("the checkov check failed", ())]
                    evaluations.append(evaluation(rule, stack, logical_id, "checkov", path=problems[0][1],
                                                  failed=join_messages(message for message, _ in problems)))
    return evaluations
