"""What makes a finding the same finding from one run to the next, whatever line it is on or how the file
is formatted: shared by --since, baselines and SARIF's partialFingerprints.

- live findings: rule, account, region, resource name;
- template findings: rule, stack, logical id, CDK construct path, and for cross-resource rules (one
  subject can fail for several reasons: two variables of one function) the message's subject, the text
  before its first ", " or ": ". A cloud assembly's stack is its name; a template file's stack is its path
  relative to the repository root (`svc-a/template.yaml`, and `#Child` for the stacks it nests), never its file
  stem: in a monorepo, `svc-a/template.yaml` and `svc-b/template.yaml` are different stacks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ddbguard.catalog import load_catalog
from ddbguard.model import Finding
from ddbguard.report.locations import repository_root

_SUBJECT_END = re.compile(r", |: ")


def subject(message: str) -> str:
    return _SUBJECT_END.split(message, 1)[0]


def relative_stack_key(stack_key: str | None, root: Path | None = None) -> str | None:
    """A Stack.file_key with its file relative to the repository root (the nearest `.git` above the working
    directory), '/'-separated, so that the identity is the same on every machine and checkout."""
    if stack_key is None:
        return None
    file, _, chain = stack_key.partition("#")
    if not os.path.isabs(file):
        return stack_key  # read back from a JSON report: relative already
    relative = Path(os.path.relpath(file, root or repository_root())).as_posix()
    return relative + (f"#{chain}" if chain else "")


def identity(rule_id: str, stack: str, logical_id: str, cdk_path: str | None, message: str,
             live: tuple[str, str, str] | None) -> str:
    if live is not None:
        return "|".join((rule_id, *live))
    rule = load_catalog().get(rule_id)
    about = subject(message) if rule is not None and "graph" in rule.engines else ""
    return "|".join((rule_id, stack, logical_id, cdk_path or "", about)).rstrip("|")


def finding_identity(finding: Finding, *, legacy: bool = False) -> str:
    """`legacy`: as baselines of format 1 wrote it, a template file's stack by its file stem."""
    live = (finding.live.account, finding.live.region, finding.live.resource_name) if finding.live else None
    stack = finding.stack if legacy else relative_stack_key(finding.stack_key) or finding.stack
    return identity(finding.rule_id, stack, finding.logical_id, finding.cdk_path, finding.message, live)


def dict_identity(item: dict) -> str:
    """The identity of a finding of a JSON report (`stack_key` is already relative)."""
    live = (item["account"], item["region"], item["resource_name"]) if "account" in item else None
    return identity(item["rule_id"], item.get("stack_key") or item["stack"], item["logical_id"], item.get("cdk_path"),
                    item["message"], live)


def fingerprint(finding: Finding) -> str:
    import hashlib  # here: OpenSSL takes 2 ms to load, and only fingerprints need it

    # surrogatepass: a name read from a file name that is not UTF-8, or from a JSON escape, still has one
    return hashlib.sha256(finding_identity(finding).encode("utf-8", "surrogatepass")).hexdigest()
