"""The JSON report: a versioned contract (schemas/report.schema.json) that CI consumers rely on."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

from ddbguard import __version__
from ddbguard.model import Finding, InputError, LiveResource, Report, Severity, Status
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
        "file": f.file,
        "line": f.line,
        "engine": f.engine,
        "remediation": f.remediation,
        "suppression_reason": f.suppression_reason,
        **({"profile": f.profile} if f.profile else {}),
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
        live=live, profile=data.get("profile"), stack_key=data.get("stack_key"),
    )


def report_schema() -> dict:
    return json.loads(resources.files("ddbguard.schemas").joinpath("report.schema.json").read_text())


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
_RUN_SCOPE = (("run_id", "run id"), ("regions", "regions"), ("table_prefix", "table prefix"),
              ("version", "ddbguard version"))


def merge_reports(paths: list[str]) -> tuple[Report, str]:
    """One report from several JSON reports (shards of an audit, or checks of several apps).

    Audit reports must be of one run: the same run id, regions, table prefix, ddbguard version and account list
    (the digest each records); a missing or repeated shard is an error of the merged report. A live finding is
    kept once (rule and resource): when reports disagree the gravest verdict wins, the failure over a later pass,
    so that Security Hub never shows a failing table as resolved. Other findings and errors that several reports
    share (a report given twice, configuration findings every shard makes) count once."""
    schema = report_schema()
    merged, engines = Report(), []
    seen: set[bytes] = set()
    live: dict[tuple[str, str], int] = {}  # (rule, ARN) -> index in merged.findings
    shards: dict[tuple[int, int], list[str]] = {}
    digests: dict[str, str] = {}
    scopes: list[tuple[str, dict]] = []
    for path in paths:
        data = read_report(path, schema)
        for item in data["findings"]:
            if "arn" in item:
                finding, key = finding_from_dict(item), (item["rule_id"], item["arn"])
                if key not in live:
                    live[key] = len(merged.findings)
                    merged.findings.append(finding)
                elif finding.status.gravity > merged.findings[live[key]].status.gravity:
                    merged.findings[live[key]] = finding
                continue
            digest = hashlib.blake2b(json.dumps(item, sort_keys=True).encode(), digest_size=16).digest()
            if digest not in seen:
                seen.add(digest)
                merged.findings.append(finding_from_dict(item))
        merged.errors += [InputError(e["file"], e["message"]) for e in data["errors"]]
        engines.append(data["tool"]["engine"])
        scope = data.get("audit")
        if scope:
            scopes.append((path, {**scope, "version": scope.get("version", data["tool"]["version"])}))
            digests.setdefault(scope["accounts_digest"], path)
            if scope.get("shard"):
                shards.setdefault(tuple(scope["shard"]), []).append(path)
    _one_run(scopes)
    if len(digests) > 1:
        raise ReportFileError("the reports audited different account lists (" + ", ".join(
            f"{digest} in {path}" for digest, path in digests.items()) + "): merge the shards of one run")
    merged.errors = list(dict.fromkeys(merged.errors))
    counts = {count for _, count in shards}
    if len(counts) > 1:
        raise ReportFileError(f"the shards split the accounts {' and '.join(map(str, sorted(counts)))} ways: "
                              "merge the shards of one run")
    if scopes:
        first = scopes[0][1]
        merged.audit = {key: first.get(key) for key, _ in _RUN_SCOPE if key in first}
        starts = [scope["started_at"] for _, scope in scopes if scope.get("started_at")]
        if starts:
            merged.audit["started_at"] = min(starts)
        merged.audit.update(shard=None, accounts_digest=next(iter(digests)))
    if shards:
        count = counts.pop()
        present = {index for index, _ in shards}
        merged.errors += [InputError("merge", f"shard {index}/{count} is missing: its accounts are not in this report")
                          for index in range(1, count + 1) if index not in present]
        merged.errors += [InputError("merge", f"shard {index}/{count} is given more than once ({', '.join(files)})")
                          for (index, _), files in sorted(shards.items()) if len(files) > 1]
        merged.audit["shards"] = count
    return merged, "+".join(dict.fromkeys(engines))


def _one_run(scopes: list[tuple[str, dict]]) -> None:
    """Refuse audit reports that are not of one run, naming the first difference and the two files."""
    if not scopes:
        return
    first_path, first = scopes[0]
    for key, name in _RUN_SCOPE:
        for path, scope in scopes[1:]:
            if scope.get(key) != first.get(key):
                raise ReportFileError(f"the reports are not of one run: {name} {_shown(first.get(key))} in {first_path}, "
                                      f"{_shown(scope.get(key))} in {path}: merge the shards of one run")


def _shown(value) -> str:
    if value is None:
        return "none"
    return ",".join(value) if isinstance(value, list) else str(value)
