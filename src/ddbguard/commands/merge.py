"""`ddbguard merge`: one report from several JSON reports (audit shards of one run, or checks of several apps)."""

from __future__ import annotations

import hashlib
import json

from ddbguard.model import InputError, Report
from ddbguard.report.json_report import ReportFileError, finding_from_dict, read_report, report_schema

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
