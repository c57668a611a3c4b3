"""Baselines, for adopting ddbguard on an existing codebase: `--write-baseline FILE` records today's
failures and unknowns; `--baseline FILE` reports them as `suppressed` (reason "baseline") so that only
new ones fail, and names the entries that no longer match anything (fixed: remove them).

Entries are finding identities (report/identity.py): rule, stack, logical id, construct path (and the
message's subject for cross-resource rules), or rule, account, region and resource for the audit; never
line numbers. Rewriting a baseline keeps the order of the entries it keeps, so its diff is reviewable.

Format 2 names a template file's stack by its path in the repository. Format 1 named it by its file stem, so an
entry written for `svc-a/template.yaml` also matched `svc-b/template.yaml`: such entries are not applied (a
warning names them) until the baseline is rewritten; entries of cloud-assembly stacks still apply.
"""

from __future__ import annotations

import json
from pathlib import Path

from ddbguard.model import InputError, Report, Status
from ddbguard.report.escape.json import json_document
from ddbguard.report.identity import finding_identity
from ddbguard.report.output import write_atomically

FORMAT = 2
LEGACY_FORMAT = 1  # template-file stacks by their file stem
BLOCKING = (Status.FAIL, Status.UNKNOWN)


class BaselineError(Exception):
    """A baseline file that cannot be read: one line, exit 2."""


def read_baseline(path: str) -> tuple[int, list[dict]]:
    """(format, entries)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON: {exc}") from None
    version = data.get("ddbguard_baseline") if isinstance(data, dict) else None
    entries = data.get("entries") if version in (FORMAT, LEGACY_FORMAT) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
        raise BaselineError(f"{path}: not a ddbguard baseline (expected {{\"ddbguard_baseline\": {FORMAT}, "
                            "\"entries\": [{\"id\": ...}]}})")
    return version, entries


def apply_baseline(report: Report, baseline: tuple[int, list[dict]], path: str) -> None:
    """Failures and unknowns the baseline knows become suppressed; entries nothing matches are reported."""
    version, entries = baseline
    known = {entry["id"] for entry in entries}
    matched, unsafe = set(), set()
    for finding in report.findings:
        identity = finding_identity(finding)
        if version == LEGACY_FORMAT and finding.stack_key is not None:
            legacy = finding_identity(finding, legacy=True)  # a template file by its stem: cannot tell which
            if legacy in known:
                unsafe.add(legacy)
            continue
        if finding.status in BLOCKING and identity in known:
            finding.status, finding.suppression_reason = Status.SUPPRESSED, "baseline"
            matched.add(identity)
    if unsafe:
        report.warnings.append(InputError(path, (
            f"baseline format {LEGACY_FORMAT} names template files by their file stem, which another template of the "
            f"same name also matches, so {len(unsafe)} entries are not applied: {', '.join(sorted(unsafe))}; rewrite "
            f"it with --write-baseline {path} (format {FORMAT} names them by their path in the repository)")))
    stale = [entry["id"] for entry in entries if entry["id"] not in matched and entry["id"] not in unsafe]
    report.baseline = {"file": path, "matched": len(matched), "stale": stale}


def write_baseline(report: Report, path: str) -> tuple[int, int, int]:
    """Record the report's failures and unknowns; returns (entries, added, removed). Raises OutputError."""
    current = {}
    for finding in report.findings:
        if finding.status in BLOCKING:
            identity = finding_identity(finding)
            current.setdefault(identity, {
                "id": identity, "rule_id": finding.rule_id, "status": finding.status.value,
                "message": finding.message})
    try:
        version, previous = read_baseline(path) if Path(path).exists() else (FORMAT, [])
    except BaselineError:
        version, previous = FORMAT, []
    if version == LEGACY_FORMAT:  # its template-file entries are rewritten by path: kept where they still fail
        legacy = {finding_identity(f, legacy=True): finding_identity(f) for f in report.findings
                  if f.status in BLOCKING and f.stack_key is not None}
        previous = [{**entry, "id": legacy.get(entry["id"], entry["id"])} for entry in previous]
    kept = [current[entry["id"]] for entry in previous if entry["id"] in current]
    kept_ids = {entry["id"] for entry in kept}
    added = [current[identity] for identity in sorted(current) if identity not in kept_ids]
    write_atomically(path, json_document({"ddbguard_baseline": FORMAT, "entries": kept + added}, indent=2) + "\n")
    return len(kept) + len(added), len(added), len(previous) - len(kept)
