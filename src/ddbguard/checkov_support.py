"""Shared base for the checkov checks in `checks/` (checkov executes each check file on its own).

The checks work under plain `checkov --external-checks-dir checks` as well as inside ddbguard. When
ddbguard runs them, each failing check leaves its reason in EVIDENCE, because checkov's
CloudFormation records do not carry a check's details.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from pathlib import Path

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

from ddbguard.catalog import load_catalog
from ddbguard.resource_policy import Problem, dig
from ddbguard.templates.decode import DecodeError, decode_file


__all__ = ["EVIDENCE", "TRUE_VALUES", "DdbguardCheck", "Problem", "dig", "replicas"]  # what the checks import

# (rule id, "<scanned file>:<type>:<logical id>") -> the problems found, for the run in progress
EVIDENCE: dict[tuple[str, str], list[Problem]] = {}

TRUE_VALUES = (True, "true")  # CloudFormation accepts the string "true" for booleans


class DdbguardCheck(BaseResourceCheck):
    rule_id = ""

    def __init__(self) -> None:
        rule = load_catalog()[self.rule_id]
        super().__init__(
            name=rule.title,
            id=rule.id,
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=list(rule.resource_types),
        )

    def problems(self, resource: dict) -> list[Problem]:
        raise NotImplementedError

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        found = self.problems(without_line_marks(conf))
        if found:
            EVIDENCE[(self.id, self.entity_path)] = found
            return CheckResult.FAILED
        EVIDENCE.pop((self.id, self.entity_path), None)
        return CheckResult.PASSED

    def raw_resource(self) -> dict | None:
        """The resource as written, with the attributes checkov leaves out of `conf`.

        checkov hands a check only Type, Properties and Metadata; DeletionPolicy and
        UpdateReplacePolicy live beside them. The CloudFormation runner's frame holds the absolute
        template path and the logical id, so read the resource from the file itself.
        """
        frame = inspect.currentframe()
        while frame is not None:
            local = frame.f_locals
            if isinstance(local.get("file_abs_path"), (str, Path)) and isinstance(local.get("resource_name"), str):
                resources = _decoded_resources(str(local["file_abs_path"]))
                resource = resources.get(local["resource_name"]) if resources else None
                return resource if isinstance(resource, dict) else None
            frame = frame.f_back
        return None


@lru_cache(maxsize=256)
def _decoded_resources(path: str) -> dict | None:
    try:
        template = decode_file(Path(path))
    except DecodeError:
        return None
    return template.get("Resources") if isinstance(template, dict) else None


def replicas(resource: dict) -> list[tuple[tuple, object]]:
    """(path, replica) for each replica of a GlobalTable; an unusable Replicas value is one entry."""
    value = (resource.get("Properties") or {}).get("Replicas")
    if not isinstance(value, list) or not value:
        return [(("Properties", "Replicas"), value)]
    return [(("Properties", "Replicas", index), replica) for index, replica in enumerate(value)]


def without_line_marks(value: object) -> object:
    """checkov adds `__startline__`/`__endline__` keys to every nested mapping; rules must not see them."""
    if isinstance(value, dict):
        return {k: without_line_marks(v) for k, v in value.items() if not (str(k).startswith("__") and str(k).endswith("__"))}
    if isinstance(value, list):
        return [without_line_marks(v) for v in value]
    return value
