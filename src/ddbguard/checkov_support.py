"""The bridge that lets checkov run ddbguard's rule predicates through its own check API.

Each file in `checks/` is one line, `check = register_check(__file__)`: the file's stem names the
rule, whose predicate (rules/<stem>/predicate.py) decides. Inside ddbguard, the checkov engine hands
checkov resources whose Metadata carries what checkov leaves out of a check's input (DeletionPolicy,
UpdateReplacePolicy) and the run's configuration (`ddbguard:attributes`, `ddbguard:config`). Run
standalone (`checkov --external-checks-dir checks`), a check reads those attributes from the template
file itself and the encryption level from DDBGUARD_ENCRYPTION_LEVEL.
"""

from __future__ import annotations

import inspect
import os
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from ddbguard.catalog import load_catalog
from ddbguard.registry import predicate
from ddbguard.engines.checkov import ATTRIBUTES, CONFIG
from ddbguard.templates.decode import DecodeError, decode_file

RESOURCE_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy")


class DdbguardCheck(BaseResourceCheck):
    def __init__(self, stem: str) -> None:
        self.rule = next(rule for rule in load_catalog().values() if rule.stem == stem)
        self.problems = predicate(self.rule)
        super().__init__(name=self.rule.title, id=self.rule.id, categories=[CheckCategories.BACKUP_AND_RECOVERY],
                         supported_resources=list(self.rule.resource_types))

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        resource = without_line_marks(conf)
        metadata = resource.get("Metadata") if isinstance(resource.get("Metadata"), dict) else {}
        attributes = metadata.get(ATTRIBUTES)
        resource.update(attributes if isinstance(attributes, dict) else self._attributes_from_file())
        settings = metadata.get(CONFIG) if isinstance(metadata.get(CONFIG), dict) else {
            "encryption_level": os.environ.get("DDBGUARD_ENCRYPTION_LEVEL", "aws-managed")}
        found = self.problems(resource, SimpleNamespace(**settings))
        if any(not problem.unknown for problem in found):
            return CheckResult.FAILED
        return CheckResult.UNKNOWN if found else CheckResult.PASSED

    def _attributes_from_file(self) -> dict:
        """Standalone checkov: DeletionPolicy and UpdateReplacePolicy from the template file itself.

        checkov hands a check only Type, Properties and Metadata; its CloudFormation runner's frame
        holds the template's path and the logical id.
        """
        frame = inspect.currentframe()
        while frame is not None:
            local = frame.f_locals
            if isinstance(local.get("file_abs_path"), (str, Path)) and isinstance(local.get("resource_name"), str):
                resource = (_decoded_resources(str(local["file_abs_path"])) or {}).get(local["resource_name"])
                return {key: resource[key] for key in RESOURCE_ATTRIBUTES if isinstance(resource, dict)
                        and key in resource}
            frame = frame.f_back
        return {}


def register_check(check_file: str) -> DdbguardCheck:
    """The check for the rule whose stem is the file's name (checkov registers it on creation)."""
    return DdbguardCheck(Path(check_file).stem)


@lru_cache(maxsize=256)
def _decoded_resources(path: str) -> dict | None:
    try:
        template = decode_file(Path(path))
    except DecodeError:
        return None
    return template.get("Resources") if isinstance(template, dict) else None


def without_line_marks(value: object) -> object:
    """checkov adds `__startline__`/`__endline__` keys to every nested mapping; rules must not see them."""
    if isinstance(value, dict):
        return {k: without_line_marks(v) for k, v in value.items() if not (str(k).startswith("__") and str(k).endswith("__"))}
    if isinstance(value, list):
        return [without_line_marks(v) for v in value]
    return value
