"""`NoEcho` parameters: CloudFormation shows their values as `****` wherever it describes a stack, and so
does ddbguard. Messages quote resolved values (a TableName or a policy ARN built with !Sub from a NoEcho
parameter), so every text of a command's result is redacted once, at the end of the command: the value as
given with --parameters or passed by a parent stack (its Default too), each item of a list parameter, in
every form a message quotes it (as it is, JSON-escaped, as a Python repr).
"""

from __future__ import annotations

import dataclasses
import json
import re

from ddbguard.model import InputError, Report
from ddbguard.templates.model import InputModel

MASK = "****"


def noecho_values(model: InputModel) -> frozenset[str]:
    """The values of the run's NoEcho parameters, in every stack of the model."""
    values: set[str] = set()
    for stack in model.stacks:
        declared = stack.template.get("Parameters")
        for name, spec in declared.items() if isinstance(declared, dict) else ():
            if not isinstance(spec, dict) or str(spec.get("NoEcho")).lower() != "true":
                continue
            value = model.resolver(stack).parameter_value(name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, (str, int, float)) and not isinstance(item, bool) and str(item):
                    values.add(str(item))
    return frozenset(values)


class Redaction:
    """Replaces each NoEcho value, in each of its forms, with `****`."""

    def __init__(self, values: frozenset[str]) -> None:
        forms = {form for value in values for form in (
            value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]) if form}
        # the longest first, so that a value that holds another is masked whole
        self._pattern = re.compile("|".join(map(re.escape, sorted(forms, key=len, reverse=True)))) if forms else None

    def value(self, value: object) -> object:
        """A string, or the strings in a list or mapping (inventory records); anything else as it is."""
        if isinstance(value, str):
            return self._pattern.sub(MASK, value) if self._pattern is not None else value
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value

    def report(self, report: Report) -> Report:
        if self._pattern is None:
            return report
        for finding in report.findings:
            for field in ("message", "stack", "logical_id", "cdk_path", "file", "suppression_reason"):
                setattr(finding, field, self.value(getattr(finding, field)))
        report.errors, report.warnings = self.errors(report.errors), self.errors(report.warnings)
        report.not_modelled = [dataclasses.replace(r, **{field: self.value(getattr(r, field)) for field in (
            "construct", "stack", "file", "logical_id", "effect")}) for r in report.not_modelled]
        return report

    def errors(self, errors: list[InputError]) -> list[InputError]:
        return [dataclasses.replace(e, file=self.value(e.file), message=self.value(e.message)) for e in errors]
