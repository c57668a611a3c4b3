"""Evaluations -> findings: catalog metadata, locations, unresolved values and suppressions.

Engines know nothing of titles, severities, files or suppressions; this is the one place that does.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from dataclasses import dataclass

from ddbguard.catalog import Rule
from ddbguard.config import Config, Suppression
from ddbguard.templates.model import CheckedStack
from ddbguard.model import ACKNOWLEDGED, CDK_FRAMEWORK, CDK_NAMESPACE, Evaluation, Finding, InputError, Severity, Status
from ddbguard.profiles import apply_profiles
from ddbguard.templates.decode import line_of
from ddbguard.templates.framework import framework_construct
from ddbguard.templates.resolve import is_intrinsic, pseudo_parameters_in, unknown_pseudo_parameters



FRAMEWORK_REASON = "CDK framework resource"  # the suppression reason of `framework_resources: exclude`


@dataclass(frozen=True)
class MetadataSuppression:
    rule: str
    reason: str


def cdk_path_of(stack: CheckedStack, logical_id: str) -> str | None:
    return stack.stack.cdk_path(logical_id)


def metadata_suppressions(stack: CheckedStack, errors: list[InputError]) -> dict[str, list[MetadataSuppression]]:
    """Resource metadata `ddbguard: {suppress: [{id, reason}]}`; one without a reason is an input error."""
    found: dict[str, list[MetadataSuppression]] = {}
    for logical_id, resource in stack.stack.template["Resources"].items():
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        entries = metadata.get("ddbguard", {}).get("suppress") if isinstance(metadata, dict) and isinstance(
            metadata.get("ddbguard"), dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            rule_id = entry.get("id") if isinstance(entry, dict) else None
            reason = entry.get("reason") if isinstance(entry, dict) else None
            if not isinstance(rule_id, str) or not isinstance(reason, str) or not reason.strip():
                line = line_of(stack.stack.template["Resources"], (logical_id, "Metadata", "ddbguard", "suppress", index))
                errors.append(InputError(f"{stack.stack.file}:{line}",
                                         f"suppression on {logical_id} needs both `id` and a non-empty `reason`"))
                continue
            found.setdefault(logical_id, []).append(MetadataSuppression(rule_id, reason.strip()))
    return found


def location_line(stack: CheckedStack, logical_id: str, path: tuple) -> int:
    """The line in the template as written (a StackSet's TemplateBody: in the file that holds it). A resource
    that a SAM expansion created (HandlerRole) is located at the resource it came from (Handler); a subject that
    is a section of the template (DDB009's `Transform`) at that section."""
    template = stack.stack.source or stack.stack.template
    written = template["Resources"]
    if logical_id in stack.stack.origins:  # made by Fn::ForEach or included: the loop or the include
        line = line_of(written, (stack.stack.origins[logical_id],))
    elif logical_id in written:
        line = line_of(written, (logical_id, *path))
    elif logical_id in template:
        line = line_of(template, (logical_id, *path))
    else:
        origin = max((name for name in written if logical_id.startswith(name)), key=len, default=None)
        line = line_of(written, (origin,)) if origin else getattr(written, "line", 0)
    return line + stack.stack.line_offset


def unresolved_message(resource: object, path: tuple, parameters: object = None, template: dict | None = None,
                       unknown_pseudo: frozenset[str] = frozenset()) -> str | None:
    """Say so when the failing value, or a value on the way to it, could not be resolved statically.

    Only the path itself is inspected: an unresolved value elsewhere in the resource is not the
    reason this rule failed (nor is an item of a list on the way; of the failing value itself, it is).
    `parameters` (the template's) tell an SSM parameter from one without a value;
    `template` and `unknown_pseudo` tell a value that depends on a pseudo parameter the input does not know.
    """
    node = resource
    for depth, step in enumerate(path):
        if is_intrinsic(node):
            return _unresolved(node, path[:depth], parameters, template, unknown_pseudo)
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    found = next((item for item in (node if isinstance(node, list) else (node,)) if is_intrinsic(item)), None)
    return _unresolved(found, path, parameters, template, unknown_pseudo) if found is not None else None


def _unresolved(found: dict, walked: tuple, parameters: object, template: dict | None,
                unknown_pseudo: frozenset[str]) -> str:
    dotted = ".".join(str(s) for s in walked)
    shown = json.dumps(found, separators=(",", ":"))
    declared = parameters.get(found.get("Ref")) if isinstance(parameters, dict) and isinstance(
        found.get("Ref"), str) else None
    kind = declared.get("Type") if isinstance(declared, dict) else None
    if isinstance(kind, str) and kind.startswith("AWS::SSM::Parameter::"):
        return (f"cannot be verified statically: {dotted} is {shown}, a parameter of type {kind} whose value "
                "CloudFormation reads from SSM at deploy time (its Default is the parameter's name); give "
                "the value with --parameters")
    pseudo = sorted(pseudo_parameters_in(found, template or {}) & unknown_pseudo)
    if pseudo:
        return (f"cannot be verified statically: {dotted} is {shown}, which depends on {', '.join(pseudo)}, "
                "decided when the stack is deployed (a template file names no stack, account or region; a "
                "cloud assembly does): give the value in --parameters, for example "
                f"{{\"{pseudo[0]}\": \"...\"}}")
    return (f"cannot be verified statically: {dotted} is {shown}, "
            "which has no value from --parameters or a parameter Default")


def _matches(suppression: Suppression, finding: Finding) -> bool:
    if suppression.rule not in ("*", finding.rule_id):
        return False
    names = [f"{finding.stack}/{finding.logical_id}", finding.logical_id]
    names += [n for n in (finding.cdk_path, finding.live.arn if finding.live else None) if n]
    return any(fnmatch.fnmatchcase(name, suppression.resource) for name in names)


def acknowledgements_of(stack, cdk_path: str | None) -> list[tuple[str, dict]]:
    """The CDK acknowledgements on the construct and each of its ancestors, nearest first, as CDK itself applies
    them to validation plugins (so that `check cdk.out` and the plugin agree): found once for all of a resource's
    rules."""
    if not cdk_path:
        return []
    while stack.parent is not None:  # nested stacks: the acknowledgements are in the top stack's metadata
        stack = stack.parent
    found, path = [], cdk_path
    while path and stack.acknowledgements:
        if path in stack.acknowledgements:
            found.append((path, stack.acknowledgements[path]))
        path = path.rpartition("/")[0]
    return found


def acknowledgement(acknowledged: list[tuple[str, dict]], rule_id: str) -> str | None:
    """The reason of the nearest acknowledgement of `ddbguard::RULE` (acknowledgements_of)."""
    for path, reasons in acknowledged:
        reason = reasons.get(f"{CDK_NAMESPACE}::{rule_id}")
        if reason is not None:
            return f"{ACKNOWLEDGED} ({path}): {reason}"
    return None


def _suppress(finding: Finding, reason: str | None, waiver: str | None = None) -> None:
    """Suppress with the user's reason, else with the rule's own waiver."""
    if (reason or waiver) and finding.status in (Status.FAIL, Status.UNKNOWN):
        finding.status = Status.SUPPRESSED
        finding.suppression_reason = reason or waiver
        finding.waived = not reason


def join(
    evaluations: list[Evaluation],
    stacks: list[CheckedStack],
    catalog: dict[str, Rule],
    config: Config,
    *,
    today: dt.date,
    with_expired: bool = True,
) -> tuple[list[Finding], list[InputError]]:
    """Evaluations -> findings: metadata from the catalog, a location (in the templates as written, or for a
    live evaluation its account, region and ARN), suppressions with their reasons, profiles. The one join of
    every command."""
    errors: list[InputError] = []
    by_name = {stack.name: stack for stack in stacks}
    in_metadata = {stack.name: metadata_suppressions(stack, errors) for stack in stacks}
    active = _active(config, today)
    overrides = config.severity_overrides

    findings, reasons = [], []
    # What the findings of one resource share, and the line of each path: found once (a resource has a finding of
    # every rule, most of them at the resource itself)
    resources: dict[tuple[str, str], tuple] = {}
    lines: dict[tuple[str, str, tuple], int] = {}
    unknown_pseudo: dict[str, frozenset[str]] = {}  # by stack
    for evaluation in evaluations:
        rule = catalog[evaluation.rule_id]
        severity = overrides.get(rule.id, evaluation.severity or rule.severity)
        if evaluation.live is not None:
            finding = Finding(rule_id=rule.id, title=rule.title, severity=severity, status=evaluation.status,
                              message=evaluation.message, stack=evaluation.stack, logical_id=evaluation.logical_id,
                              resource_type=None, cdk_path=None, file=evaluation.live.arn, line=0,
                              engine=evaluation.engine, remediation=rule.remediation.cli, live=evaluation.live,
                              notice=evaluation.notice)
            findings.append(finding)
            reasons.append(_configured(active, finding))
            continue
        stack = by_name[evaluation.stack]
        subject = (evaluation.stack, evaluation.logical_id)
        shared = resources.get(subject)
        if shared is None:
            shared = resources[subject] = _shared(stack, evaluation.logical_id, in_metadata[stack.name])
        resolved_resource, resource_type, cdk_path, made_by, source, stack_key, suppressions, acknowledged = shared
        where = (*subject, evaluation.path)
        line = lines.get(where)
        if line is None:
            line = lines[where] = location_line(stack, evaluation.logical_id, evaluation.path)
        message = evaluation.message
        if evaluation.status is Status.FAIL and evaluation.engine != "graph":  # graph rules say it themselves
            pseudo = unknown_pseudo.get(stack.name)
            if pseudo is None:
                pseudo = unknown_pseudo[stack.name] = unknown_pseudo_parameters(stack.stack)
            message = unresolved_message(resolved_resource, evaluation.path, stack.stack.template.get("Parameters"),
                                         stack.stack.template, pseudo) or message
        # in Finding's field order (tests/test_positional_fields.py holds it): keywords took a sixth of the join's time
        finding = Finding(rule.id, rule.title, severity, evaluation.status, message,  # rule_id, title, ... message
                          evaluation.stack, evaluation.logical_id, resource_type, cdk_path, stack.stack.file, line,
                          evaluation.engine, rule.remediation.cdk if cdk_path else rule.remediation.cloudformation,
                          None, None, source, None, False,  # suppression_reason, live, source, profile, waived
                          stack_key, evaluation.notice, CDK_FRAMEWORK if made_by is not None else "user")
        in_resource = (suppressions and next((s.reason for s in suppressions if s.rule == rule.id), None)) \
            or (acknowledged and acknowledgement(acknowledged, rule.id))
        findings.append(finding)
        reasons.append(in_resource or (active and _configured(active, finding)) or _excluded(made_by, config))
    declare_not_modelled(findings, reasons, stacks, catalog)
    for finding, reason, evaluation in zip(findings, reasons, evaluations):
        if reason or evaluation.waiver:
            _suppress(finding, reason, evaluation.waiver)
    findings = apply_profiles(findings, catalog, config)
    if config.framework_resources == "lower":
        for finding in findings:
            if finding.origin == CDK_FRAMEWORK:
                finding.severity = Severity.INFO
    return findings + (expired_suppressions(catalog, config, today) if with_expired else []), errors


def _shared(stack: CheckedStack, logical_id: str, suppressions: dict[str, list[MetadataSuppression]]) -> tuple:
    """What every finding of one resource shares: its resolved form, type, construct path, the CDK construct that
    made it (None: the user's), where the app created it, its stack's key, its metadata suppressions and CDK
    acknowledgements."""
    resolved_resource = stack.resolved["Resources"].get(logical_id)
    resource_type = (resolved_resource or {}).get("Type")
    cdk_path = cdk_path_of(stack, logical_id)
    return (resolved_resource, resource_type, cdk_path, framework_construct(stack.stack, logical_id, cdk_path,
                                                                            resource_type),
            stack.stack.cdk_sources.get(logical_id), stack.stack.file_key, suppressions.get(logical_id),
            acknowledgements_of(stack.stack, cdk_path))


def declare_not_modelled(findings: list[Finding], reasons: list[str | None], stacks: list[CheckedStack],
                         catalog: dict[str, Rule]) -> None:
    """The closed world: a verdict that a construct the reader does not model could change is unknown, not pass.

    A construct (the stacks' `not_modelled`) covers the resources it affects, or (None) every resource of its
    stack; a nested stack or StackSet it covers is covered with everything in it. A construct whose DDB009
    finding the user suppressed (the reason says what it does) is declared harmless and changes nothing.
    """
    rule = next((rule.id for rule in catalog.values() if "reader" in rule.engines), None)
    harmless = {(f.stack, f.logical_id) for f, reason in zip(findings, reasons) if f.rule_id == rule and reason}
    children: dict[tuple[str, str], list[str]] = {}
    for stack in stacks:
        if stack.stack.parent is not None:
            children.setdefault((stack.stack.parent.name, stack.stack.parent_logical_id), []).append(stack.name)

    def within(stack_name: str, logical_id: str | None) -> set[tuple[str, str | None]]:
        """The subject, and (for a nested stack resource or a whole stack) every stack below it, as (stack, None)."""
        covered = {(stack_name, logical_id)}
        pending = [name for (parent, lid), names in children.items() if parent == stack_name
                   and (logical_id is None or lid == logical_id) for name in names]
        while pending:
            name = pending.pop()
            covered.add((name, None))
            pending += [child for (parent, _), names in children.items() if parent == name for child in names]
        return covered

    by_subject: dict[tuple[str, str | None], object] = {}
    for record in (record for stack in stacks for record in stack.stack.not_modelled):
        if (record.stack, record.logical_id) in harmless:
            continue
        for stack_name, logical_id in ([(record.stack, None)] if record.affects is None else record.affects):
            for subject in within(stack_name, logical_id):
                by_subject.setdefault(subject, record)
    if not by_subject:
        return
    for finding in findings:
        record = by_subject.get((finding.stack, finding.logical_id)) or by_subject.get((finding.stack, None))
        if record is not None and finding.status is Status.PASS and finding.rule_id != rule:
            finding.status = Status.UNKNOWN
            finding.message = (f"compliant as written, but {record.construct} ({record.file}:{record.line}) is not "
                               f"modelled: {record.effect}")


def _excluded(made_by: str | None, config: Config) -> str | None:
    """`framework_resources: exclude`: the suppression reason of a finding on a resource CDK made for itself
    (`lower` is applied after profiles, so that nothing raises it again)."""
    return f"{FRAMEWORK_REASON}: {made_by}" if made_by is not None and config.framework_resources == "exclude" \
        else None


def _configured(active: list[Suppression], finding: Finding) -> str | None:
    """The reason of the first configured suppression that matches the finding."""
    return next((s.reason for s in active if _matches(s, finding)), None)


def _active(config: Config, today: dt.date) -> list[Suppression]:
    return [s for s in config.suppressions if s.expires is None or s.expires >= today]


def expired_suppressions(catalog: dict[str, Rule], config: Config, today: dt.date) -> list[Finding]:
    """An expired suppression no longer applies, and is a failure of its own (DDB000)."""
    rule = next(rule for rule in catalog.values() if "core" in rule.engines)  # the suppressions rule itself
    return [
        Finding(
            rule_id=rule.id, title=rule.title, severity=config.severity_overrides.get(rule.id, rule.severity),
            status=Status.FAIL,
            message=(f"suppression of {s.rule} for {s.resource!r} expired on {s.expires.isoformat()} "
                     f"(reason given: {s.reason})"),
            stack="", logical_id=s.resource, resource_type=None, cdk_path=None, file=config.source or "",
            line=s.line, engine="core", remediation=rule.remediation.cli,
        )
        for s in config.suppressions if s.expires is not None and s.expires < today
    ]
