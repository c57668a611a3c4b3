"""Run ddbguard's checks in-process through checkov, offline and with no other checks.

checkov decides pass or fail by running each rule's predicate through its check API (checks/). The
configuration and the attributes checkov leaves out of a check's input travel in the data itself
(each resource's Metadata), never through the environment; a failure's messages come from the same
predicate, read in-process.
"""

from __future__ import annotations

import json
import logging
import os

from pathlib import Path

from ddbguard.catalog import Rule
from ddbguard.config import Config
from ddbguard.registry import predicate, settings_for
from ddbguard.engines.common import (
    EngineError, engine_data, evaluation, evaluation_of,
)
from ddbguard.model import Evaluation
from ddbguard.templates.model import CheckedStack
from ddbguard.rule_packs import write_checkov_checks

# checkov reaches for the network (package update check, Bridgecrew mappings) unless told not to.
_OFFLINE_ENVIRONMENT = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE", "SKIP_MAPPING": "TRUE"}
ATTRIBUTES = "ddbguard:attributes"  # Metadata key: the resource attributes checkov does not pass to a check
CONFIG = "ddbguard:config"  # Metadata key: the settings of the run


def checkov_input(resolved: dict, settings: dict) -> str:
    """The resources as checkov reads them, each carrying the run's settings and its DeletionPolicy and
    UpdateReplacePolicy in its Metadata (checkov gives a check only Type, Properties and Metadata)."""
    data = engine_data(resolved)
    for resource in data["Resources"].values():
        metadata = resource.get("Metadata") if isinstance(resource.get("Metadata"), dict) else {}
        metadata[ATTRIBUTES] = {key: resource[key] for key in ("DeletionPolicy", "UpdateReplacePolicy")
                                 if key in resource}
        metadata[CONFIG] = settings
        resource["Metadata"] = metadata
    return json.dumps(data, ensure_ascii=False)


def run_checkov(stacks: list[CheckedStack], rules: list[Rule], config: Config, *, workdir: Path) -> list[Evaluation]:
    rules = [rule for rule in rules if "checkov" in rule.engines]
    if not rules or not stacks:
        return []
    for name, value in _OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logging.getLogger("checkov").setLevel(logging.CRITICAL)
    try:
        from checkov.cloudformation.runner import Runner
        from checkov.runner_filter import RunnerFilter
    except ImportError:
        raise EngineError("checkov is not installed: `pip install 'ddbguard[checkov]'` (or use the default "
                          "--engine builtin)") from None

    # the settings the rules declare cross into checkov as data
    settings = {name: value for rule in rules for name, value in vars(settings_for(rule, config)).items()}
    data_dir = workdir / "checkov-data"
    data_dir.mkdir()
    for index, stack in enumerate(stacks):
        (data_dir / f"{index}.json").write_text(checkov_input(stack.resolved, settings), encoding="utf-8")
    runner_filter = RunnerFilter(framework=["cloudformation"], checks=[rule.id for rule in rules])
    checks = str(write_checkov_checks(rules, workdir / "checkov-checks"))

    def scan(folder: Path):
        logging.disable(logging.WARNING)  # checkov logs parse trouble on the root logger
        try:
            return Runner().run(root_folder=str(folder), external_checks_dir=[checks],
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
            for logical_id, _ in stack.resources_of(rule.resource_types):
                passed = outcomes.get((file_name, rule.id, logical_id))
                if passed is None:
                    why = crashed.get(file_name, "checkov did not evaluate this resource")
                    evaluations.append(evaluation(rule, stack, logical_id, "checkov", unknown=why))
                elif passed:
                    evaluations.append(evaluation(rule, stack, logical_id, "checkov"))
                else:  # checkov's verdict; the reasons from the same predicate
                    found = [p for p in predicate(rule)(stack.resolved["Resources"][logical_id], settings_for(rule, config))
                             if not p.unknown]
                    evaluations.append(evaluation_of(rule.id, stack.name, logical_id, found, "checkov")
                                       if found else evaluation(rule, stack, logical_id, "checkov",
                                                                failed="the checkov check failed"))
    return evaluations
