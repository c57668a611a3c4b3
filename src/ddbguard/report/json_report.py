"""The JSON report: a versioned contract (schemas/report.schema.json) that CI consumers rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ddbguard import __version__, package_file
from ddbguard.model import Finding, LiveResource, Report, Severity, Status
from ddbguard.report import not_modelled_entries, summary
from ddbguard.report.escape.json import JsonTexts, json_document
from ddbguard.report.identity import relative_stack_key

SCHEMA_VERSION = 1


# A finding's members as json_document writes them, each key with what comes before it; the optional ones (profile,
# notice, stack_key, the live resource's) only when they hold something, at the end
_FIRST_FINDING, _NEXT_FINDING = '{"rule_id": ', ', {"rule_id": '
(_TITLE, _STATUS, _SEVERITY, _MESSAGE, _STACK, _LOGICAL_ID, _RESOURCE_TYPE, _CDK_PATH, _ORIGIN, _FILE, _LINE, _ENGINE,
 _REMEDIATION, _SUPPRESSION_REASON) = (f", {json_document(key)}: " for key in (
    "title", "status", "severity", "message", "stack", "logical_id", "resource_type", "cdk_path", "origin", "file",
    "line", "engine", "remediation", "suppression_reason"))


def _write_findings(findings: list[Finding], texts: JsonTexts, parts: list[str]) -> None:
    """The report's `findings` array as json_document writes it, in pieces added to `parts` (joined once, with the
    rest of the report): a report of 15,000 findings holds a few hundred distinct strings, and a dict per finding
    with each of its strings escaped again took longer than the rest of the report. The members findings share
    (a rule's, a verdict's, a resource's, an engine's) are written once and reused."""
    stack_keys: dict[str, str] = {}  # each stack key relative to the repository, found once
    rules: dict[tuple, str] = {}  # each run of members written once, by the values it shows
    resources: dict[tuple, str] = {}
    tails: dict[tuple, str] = {}
    add = parts.extend
    add("[")
    begin = _FIRST_FINDING
    for f in findings:
        rule = (f.rule_id, f.title, f.status, f.severity)
        rule_text = rules.get(rule)
        if rule_text is None:
            rule_text = rules[rule] = "".join((texts[f.rule_id], _TITLE, texts[f.title], _STATUS, texts[f.status],
                                                 _SEVERITY, texts[f.severity]))
        resource = (f.stack, f.logical_id, f.resource_type, f.cdk_path, f.origin, f.file)
        resource_text = resources.get(resource)
        if resource_text is None:
            resource_text = resources[resource] = "".join((
                _STACK, texts[f.stack], _LOGICAL_ID, texts[f.logical_id], _RESOURCE_TYPE, texts[f.resource_type],
                _CDK_PATH, texts[f.cdk_path], _ORIGIN, texts[f.origin], _FILE, texts[f.file]))
        tail = (f.engine, f.remediation, f.suppression_reason)
        tail_text = tails.get(tail)
        if tail_text is None:
            tail_text = tails[tail] = "".join((_ENGINE, texts[f.engine], _REMEDIATION, texts[f.remediation],
                                                 _SUPPRESSION_REASON, texts[f.suppression_reason]))
        line = f.line
        add((begin, rule_text, _MESSAGE, texts[f.message], resource_text, _LINE,
             repr(line) if type(line) is int else texts[line], tail_text))
        begin = _NEXT_FINDING
        if f.profile:
            add((', "profile": ', texts[f.profile]))
        if f.notice:
            add(', "notice": true')
        if f.stack_key:
            stack_key = stack_keys.get(f.stack_key)
            if stack_key is None:
                stack_key = stack_keys[f.stack_key] = texts[relative_stack_key(f.stack_key)]
            add((', "stack_key": ', stack_key))
        if f.live:
            add((', "account": ', texts[f.live.account], ', "region": ', texts[f.live.region], ', "arn": ',
                 texts[f.live.arn], ', "resource_name": ', texts[f.live.resource_name]))
        add("}")
    add("]")


def _members(report: Report, *, engine: str) -> dict:
    """The report's members in the report's order; `findings` is written by _write_findings."""
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ddbguard", "version": __version__, "engine": engine},
        "summary": summary(report),
        "findings": None,
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
    """Compact (`jq .` shows it indented): json_document's text, each member after `, ` and each key before `: `."""
    texts = JsonTexts({member: json_document(member.value) for member in (*Status, *Severity)})
    parts: list[str] = []
    for key, value in _members(report, engine=engine).items():
        parts += (", " if parts else "{", texts[key], ": ")
        if key == "findings":
            _write_findings(report.findings, texts, parts)
        else:
            parts.append(json_document(value))
    parts.append("}\n")
    return "".join(parts)


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
