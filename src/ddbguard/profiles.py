"""Environment profiles: `profiles:` maps stack or table name patterns to rule overrides (PITR and deletion
protection required only for `*-prod`, DDB017 on for everything), for every command. The first profile
whose pattern matches a finding's stack, logical id, construct path or live resource name applies; the
finding says which. A rule a profile turns off is not reported for what the profile matches; a rule
that is off by default runs when any profile turns it on, and is reported only where one does."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from ddbguard.model import Finding, Severity


@dataclass(frozen=True)
class Profile:
    name: str
    match: tuple[str, ...]
    enabled: dict[str, bool] = field(default_factory=dict)  # rule id -> on/off here
    severity: dict[str, Severity] = field(default_factory=dict)  # rule id -> severity here


def parse_profiles(data: dict) -> tuple[Profile, ...]:
    return tuple(Profile(name=name, match=tuple(spec["match"]),
                         enabled={r: s["enabled"] for r, s in (spec.get("rules") or {}).items() if "enabled" in s},
                         severity={r: Severity(s["severity"]) for r, s in (spec.get("rules") or {}).items()
                                   if "severity" in s})
                 for name, spec in data.items())


def profile_of(finding: Finding, profiles) -> Profile | None:
    names = [n for n in (finding.stack, finding.logical_id, finding.cdk_path,
                         finding.live.resource_name if finding.live else None) if n]
    return next((p for p in profiles if any(fnmatch.fnmatchcase(n, pattern) for pattern in p.match for n in names)),
                None)


def enabled_somewhere(rule_id: str, profiles) -> bool:
    return any(p.enabled.get(rule_id) for p in profiles)


def apply_profiles(findings: list[Finding], catalog: dict, config) -> list[Finding]:
    if not config.profiles:
        return findings
    kept = []
    for finding in findings:
        profile = profile_of(finding, config.profiles)
        rule = catalog.get(finding.rule_id)
        default = rule is None or ((rule.enabled_by_default or finding.rule_id in config.enabled_rules)
                                   and finding.rule_id not in config.disabled_rules)
        if not (profile.enabled.get(finding.rule_id, default) if profile else default):
            continue
        if profile is not None:
            finding.profile = profile.name
            finding.severity = profile.severity.get(finding.rule_id, finding.severity)
        kept.append(finding)
    return kept
