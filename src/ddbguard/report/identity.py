"""What makes a finding the same finding from one run to the next, whatever line it is on or how the file
is formatted: shared by --since, baselines and SARIF's partialFingerprints.

- live findings: rule, account, region, resource name;
- template findings: rule, stack, logical id, CDK construct path, and for cross-resource rules (one
  subject can fail for several reasons: two variables of one function) the message's subject, the text
  before its first ", " or ": ".
"""

from __future__ import annotations

import hashlib
import re

from ddbguard.catalog import load_catalog
from ddbguard.model import Finding

_SUBJECT_END = re.compile(r", |: ")


def subject(message: str) -> str:
    return _SUBJECT_END.split(message, 1)[0]


def identity(rule_id: str, stack: str, logical_id: str, cdk_path: str | None, message: str,
             live: tuple[str, str, str] | None) -> str:
    if live is not None:
        return "|".join((rule_id, *live))
    rule = load_catalog().get(rule_id)
    about = subject(message) if rule is not None and "graph" in rule.engines else ""
    return "|".join((rule_id, stack, logical_id, cdk_path or "", about)).rstrip("|")


def finding_identity(finding: Finding) -> str:
    live = (finding.live.account, finding.live.region, finding.live.resource_name) if finding.live else None
    return identity(finding.rule_id, finding.stack, finding.logical_id, finding.cdk_path, finding.message, live)


def dict_identity(item: dict) -> str:
    """The identity of a finding of a JSON report."""
    live = (item["account"], item["region"], item["resource_name"]) if "account" in item else None
    return identity(item["rule_id"], item["stack"], item["logical_id"], item.get("cdk_path"), item["message"], live)


def fingerprint(finding: Finding) -> str:
    # surrogatepass: a name read from a file name that is not UTF-8, or from a JSON escape, still has one
    return hashlib.sha256(finding_identity(finding).encode("utf-8", "surrogatepass")).hexdigest()
