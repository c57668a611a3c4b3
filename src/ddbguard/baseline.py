"""Baselines, for adopting ddbguard on an existing codebase: `--write-baseline FILE` records today's
failures and unknowns; `--baseline FILE` reports them as `suppressed` (reason "baseline") so that only
new ones fail, and names the entries that no longer match anything (fixed: remove them).

Entries are finding identities (report/identity.py): rule, stack, logical id, construct path (and the
message's subject for cross-resource rules), or rule, account, region and resource for the audit; never
line numbers. Rewriting a baseline keeps the order of the entries it keeps, so its diff is reviewable.
"""

from __future__ import annotations

import json
from pathlib import Path

from ddbguard.model import Report, Status
from ddbguard.report.escape.json import json_document
from ddbguard.report.identity import finding_identity
from ddbguard.report.output import write_atomically

FORMAT = 1
BLOCKING = (Status.FAIL, Status.UNKNOWN)


class BaselineError(Exception):
    """A baseline file that cannot be read: one line, exit 2."""


def read_baseline(path: str) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON: {exc}") from None
    entries = data.get("entries") if isinstance(data, dict) and data.get("ddbguard_baseline") == FORMAT else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
        raise BaselineError(f"{path}: not a ddbguard baseline (expected {{\"ddbguard_baseline\": 1, \"entries\": "
                            "[{\"id\": ...}]}})")
    return entries


def apply_baseline(report: Report, entries: list[dict], path: str) -> None:
    """Failures and unknowns the baseline knows become suppressed; entries nothing matches are reported."""
    known = {entry["id"] for entry in entries}
    matched = set()
    for finding in report.findings:
        identity = finding_identity(finding)
        if finding.status in BLOCKING and identity in known:
            finding.status, finding.suppression_reason = Status.SUPPRESSED, "baseline"
            matched.add(identity)
    stale = [entry["id"] for entry in entries if entry["id"] not in matched]
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
        previous = read_baseline(path) if Path(path).exists() else []
    except BaselineError:
        previous = []
    kept = [current[entry["id"]] for entry in previous if entry["id"] in current]
    kept_ids = {entry["id"] for entry in kept}
    added = [current[identity] for identity in sorted(current) if identity not in kept_ids]
    write_atomically(path, json_document({"ddbguard_baseline": FORMAT, "entries": kept + added}, indent=2) + "\n")
    return len(kept) + len(added), len(added), len(previous) - len(kept)
