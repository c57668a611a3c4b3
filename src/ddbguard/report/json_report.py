"""The JSON report: a versioned contract (schemas/report.schema.json) that CI consumers rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ddbguard import package_file
from ddbguard import __version__
from ddbguard.model import Finding, LiveResource, Report, Severity, Status
from ddbguard.report import not_modelled_entries, summary
from ddbguard.report.escape.json import json_document
from ddbguard.report.identity import relative_stack_key

SCHEMA_VERSION = 1


def finding_to_dict(f: Finding) -> dict:
    live = {"account": f.live.account, "region": f.live.region, "arn": f.live.arn,
            "resource_name": f.live.resource_name} if f.live else {}
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "status": f.status.value,
        "severity": f.severity.value,
        "message": f.message,
        "stack": f.stack,
        "logical_id": f.logical_id,
        "resource_type": f.resource_type,
        "cdk_path": f.cdk_path,
        "origin": f.origin,
        "file": f.file,
        "line": f.line,
        "engine": f.engine,
        "remediation": f.remediation,
        "suppression_reason": f.suppression_reason,
        **({"profile": f.profile} if f.profile else {}),
        **({"notice": True} if f.notice else {}),
        **({"stack_key": relative_stack_key(f.stack_key)} if f.stack_key else {}),
        **live,
    }


def report_to_dict(report: Report, *, engine: str) -> dict:
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ddbguard", "version": __version__, "engine": engine},
        "summary": summary(report),
        "findings": [finding_to_dict(f) for f in report.findings],
        "errors": [{"file": e.file, "message": e.message} for e in report.errors],
    }
    if report.not_modelled:
        data["not_modelled"] = not_modelled_entries(report)
    if report.warnings:
        data["warnings"] = [{"file": w.file, "message": w.message} for w in report.warnings]
    if report.audit is not None:
        data["audit"] = report.audit
    if report.changes is not None:
        data["changes"] = report.changes
    if report.baseline is not None:
        data["baseline"] = report.baseline
    return data


def render_json(report: Report, *, engine: str) -> str:
    # Compact: the C encoder writes 10,000 findings in milliseconds; `jq .` shows them indented.
    return json_document(report_to_dict(report, engine=engine)) + "\n"


class ReportFileError(Exception):
    pass


def finding_from_dict(data: dict) -> Finding:
    live = LiveResource(data["account"], data["region"], data["arn"], data["resource_name"]) if "account" in data \
        else None
    return Finding(
        rule_id=data["rule_id"], title=data["title"], severity=Severity(data["severity"]), status=Status(data["status"]),
        message=data["message"], stack=data["stack"], logical_id=data["logical_id"],
        resource_type=data.get("resource_type"), cdk_path=data.get("cdk_path"), file=data["file"], line=data["line"],
        engine=data["engine"], remediation=data.get("remediation", ""), suppression_reason=data.get("suppression_reason"),
        live=live, profile=data.get("profile"), stack_key=data.get("stack_key"), notice=data.get("notice", False),
        origin=data.get("origin", "user"),
    )


def report_schema() -> dict:
    return json.loads(package_file("schemas", "report.schema.json").read_text())


_JSON_TYPES = {"string": (str,), "object": (dict,), "array": (list,), "null": (type(None),), "boolean": (bool,),
               "integer": (int,)}


def finding_checker(definition: dict):
    """A function that says why one finding does not meet the schema's flat `finding` definition, or None.

    The checks jsonschema makes for that definition (required, additionalProperties, type, enum, pattern,
    minimum, dependentRequired, the suppressed -> reason rule), compiled once: a merge of two 5,000-table
    reports checks 80,000 findings, which jsonschema takes ten seconds over. A test keeps the two in
    agreement."""
    required = tuple(definition["required"])
    fields = {}
    for key, spec in definition["properties"].items():
        kinds = spec.get("type")
        names = tuple(kinds if isinstance(kinds, list) else [kinds]) if kinds else ()
        fields[key] = (tuple(t for name in names for t in _JSON_TYPES[name]), "integer" in names, names,
                       frozenset(spec["enum"]) if "enum" in spec else None,
                       re.compile(spec["pattern"]) if "pattern" in spec else None, spec.get("minimum"))
    dependent = tuple(definition.get("dependentRequired", {}).items())

    def problem(item: object) -> str | None:
        if not isinstance(item, dict):
            return "a finding is not an object"
        for key in required:
            if key not in item:
                return f"a finding has no {key!r}"
        for key, value in item.items():
            field = fields.get(key)
            if field is None:
                return f"a finding has an unknown field {key!r}"
            types, integer, names, enum, pattern, minimum = field
            if integer and isinstance(value, float) and value.is_integer():
                pass  # JSON Schema: 3.0 is an integer
            elif types and (not isinstance(value, types) or (isinstance(value, bool) and "boolean" not in names)):
                return f"finding field {key!r} is {type(value).__name__}, not {'/'.join(names)}"
            if enum is not None and value not in enum:
                return f"finding field {key!r} is {value!r}, not one of {sorted(enum)}"
            if pattern is not None and not pattern.search(value):
                return f"finding field {key!r} is {value!r}, which does not match {pattern.pattern}"
            if minimum is not None and value < minimum:
                return f"finding field {key!r} is below {minimum}"
        for key, needed in dependent:
            if key in item and any(other not in item for other in needed):
                return f"a finding with {key!r} needs {needed}"
        if item["status"] == "suppressed" and not (isinstance(item.get("suppression_reason"), str)
                                                   and item["suppression_reason"]):
            return "a suppressed finding has no suppression_reason"
        return None

    return problem


def read_report(path: str, schema: dict) -> dict:
    """A JSON report, checked against the schema (the envelope by jsonschema, findings one by one)."""
    import jsonschema

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        envelope = {**data, "findings": []} if isinstance(data, dict) else data
        jsonschema.validate(envelope, schema)
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportFileError(f"{path}: not JSON: {exc}") from None
    except jsonschema.ValidationError as exc:
        raise ReportFileError(f"{path}: not a ddbguard JSON report: {exc.message}") from None
    if not isinstance(data["findings"], list):
        raise ReportFileError(f"{path}: not a ddbguard JSON report: findings is not a list")
    problem_of = finding_checker(schema["$defs"]["finding"])
    for index, item in enumerate(data["findings"]):
        problem = problem_of(item)
        if problem:
            raise ReportFileError(f"{path}: not a ddbguard JSON report: findings[{index}]: {problem}")
    return data


# What the shards of one run share (the audit's scope), and how a difference is named.
