"""DDB022: each table is selected by a backup plan of the input that keeps recovery points long enough;
an input without any backup plan says so at low severity (an organization backup policy may cover it)."""

from __future__ import annotations

from dataclasses import dataclass

from ddbguard.graph import Graph, as_list, token
from ddbguard.iam import resource_matches
from ddbguard.model import Evaluation, Problem, Severity
from ddbguard.engines.common import evaluation_of
from ddbguard.registry import rule_of
from ddbguard.rules.table import dig
from ddbguard.templates.resolve import TABLE_TYPES, is_intrinsic

RULE = rule_of(__package__)  # this folder's rule: its id comes from the catalog
# Organization backup policies and central backup accounts are common, so an input without any plan says so
# without failing; once it defines a plan, every table it leaves out fails.
NO_PLANS = ("the input defines no backup plan, so an organization backup policy may cover the table (ddbguard "
            "audit checks its recovery points); define a plan in the input to make tables it leaves out fail")


@dataclass
class Selection:
    logical_id: str
    plan: str  # the plan's logical id
    resources: list  # ARN patterns (resolved), or unresolved values
    not_resources: list
    tags: list[tuple[str, str]]  # ListOfTags STRINGEQUALS (key, value): any selects
    conditions: list[tuple[str, str, str]]  # Conditions (operator, tag key, value): all must hold
    unreadable: str | None = None  # why the selection cannot be read (CloudFormation would reject its shape)


def _plans(graph: Graph) -> dict[str, int | None | str]:
    """plan logical id -> the longest retention of its rules in days (None: forever), or why it is unknown."""
    plans = {}
    for stack in graph.stacks:
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") != "AWS::Backup::BackupPlan":
                continue
            rules = dig(resource, "Properties", "BackupPlan", "BackupPlanRule")
            days = [_retention(rule) for rule in rules] if isinstance(rules, list) else []
            if not days:
                plans[logical_id] = f"backup plan {logical_id} has no rule that can be read"
            elif any(d is None for d in days):
                plans[logical_id] = None
            elif all(isinstance(d, int) for d in days):
                plans[logical_id] = max(days)
            else:
                plans[logical_id] = f"the retention of backup plan {logical_id} cannot be resolved statically"
    return plans


def _retention(rule: object) -> int | None | str:
    """One plan rule's Lifecycle.DeleteAfterDays: days, None (kept forever), or a text when it cannot be read.
    A Ref to a Number parameter arrives as a string of digits, which CloudFormation reads as a number."""
    lifecycle = rule.get("Lifecycle") if isinstance(rule, dict) else rule
    if lifecycle is None:
        return None
    value = lifecycle.get("DeleteAfterDays") if isinstance(lifecycle, dict) else lifecycle
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return repr(value)


def selections(graph: Graph) -> list[Selection]:
    """The AWS Backup selections of the input (shared with `ddbguard inventory`)."""
    found = []
    for stack in graph.stacks:
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") != "AWS::Backup::BackupSelection":
                continue
            plan_id = dig(resource, "Properties", "BackupPlanId")
            plan = token(plan_id)
            selection = dig(resource, "Properties", "BackupSelection")
            selection = selection if isinstance(selection, dict) else {}
            conditions = selection.get("Conditions") or {}
            conditions = conditions if isinstance(conditions, dict) else {"": conditions}  # "" marks it malformed
            listed = [(operator, c) for operator, items in conditions.items() for c in as_list(items)]
            # lists where CloudFormation requires lists, mappings inside them
            parts = [selection.get(key) for key in ("Resources", "NotResources", "ListOfTags")] + list(
                conditions.values())
            malformed = (not selection or "" in conditions
                         or any(p is not None and not isinstance(p, list) for p in parts)
                         or any(not isinstance(t, dict) for t in as_list(selection.get("ListOfTags")))
                         or any(not isinstance(c, dict) for _, c in listed))
            found.append(Selection(
                logical_id=logical_id,
                plan=plan[0] if plan else str(plan_id),
                resources=as_list(selection.get("Resources")),
                not_resources=as_list(selection.get("NotResources")),
                tags=[(t.get("ConditionKey"), t.get("ConditionValue")) for t in as_list(selection.get("ListOfTags"))
                      if isinstance(t, dict) and t.get("ConditionType") == "STRINGEQUALS"],
                conditions=[(operator, _tag_key(c.get("ConditionKey")), c.get("ConditionValue"))
                            for operator, c in listed if isinstance(c, dict)],
                unreadable=f"backup selection {logical_id} does not have the shape CloudFormation requires"
                if malformed else None))
    return found


def _tag_key(key: object) -> object:
    return key.removeprefix("aws:ResourceTag/") if isinstance(key, str) else key


# AWS Backup's selection conditions: whether the table's tag value (None: no such tag) meets the condition
# (StringLike: the `*` wildcard AWS Backup documents, case-sensitive; a `?` is not documented: unknown)
_CONDITIONS = {
    "StringEquals": lambda tag, value: tag == value,
    "StringNotEquals": lambda tag, value: tag != value,
    "StringLike": lambda tag, value: tag is not None and resource_matches(value, tag),
    "StringNotLike": lambda tag, value: tag is None or not resource_matches(value, tag),
}


def selects(selection: Selection, arn: str, tags: dict | None) -> bool | str:
    """Whether the selection picks the table; a string says why it cannot be told."""
    if selection.unreadable:
        return selection.unreadable
    if any(is_intrinsic(r) or not isinstance(r, str) for r in selection.resources + selection.not_resources):
        return "a backup selection's resources cannot be resolved statically"
    excluded = [_matches(r, arn) for r in selection.not_resources]
    if True in excluded:
        return False
    included = [_matches(r, arn) for r in selection.resources]
    if None in excluded or (None in included and True not in included):
        return (f"backup selection {selection.logical_id} names tables by ARNs of one partition, and the table's "
                "partition is not known (a template file names no region: give AWS::Region with --parameters)")
    # neither resources nor tags: AWS Backup selects every supported resource (then filtered by Conditions)
    by_resource = True in included or not (selection.resources or selection.tags)
    if not by_resource and not selection.tags:
        return False
    # from here the table's tags decide
    compared = [(key, value) for key, value in selection.tags] + [(k, v) for _, k, v in selection.conditions]
    if (compared and tags is None) or any(not isinstance(part, str) for pair in compared for part in pair) or any(
            not isinstance(tags.get(key), (str, type(None))) for key, _ in compared):
        return "a backup selection's tag condition or the table's tags cannot be resolved statically"
    unknown_operator = next((op for op, _, _ in selection.conditions if op not in _CONDITIONS), None)
    if unknown_operator:
        return f"backup selection {selection.logical_id} uses condition {unknown_operator}, which ddbguard does not read"
    if any(op.endswith("Like") and "?" in value for op, _, value in selection.conditions):
        return (f"backup selection {selection.logical_id} has a `?` in a StringLike pattern, whose meaning AWS Backup "
                "does not document")
    picked = by_resource or any(tags.get(key) == value for key, value in selection.tags)
    return picked and all(_CONDITIONS[op](tags.get(key), value) for op, key, value in selection.conditions)


_UNKNOWN_PARTITION = "arn:${AWS::Partition}:"


def _matches(pattern: str, arn: str) -> bool | None:
    """Whether an ARN pattern matches the table's ARN; None when that depends on the table's partition, which a
    template file does not know (`arn:aws:dynamodb:*:*:table/*` selects it only in the `aws` partition)."""
    if resource_matches(pattern, arn):
        return True
    if arn.startswith(_UNKNOWN_PARTITION) and pattern.startswith("arn:") and pattern.count(":") >= 2:
        partition = pattern.split(":", 2)[1]
        return None if resource_matches(pattern, f"arn:{partition}:" + arn.removeprefix(_UNKNOWN_PARTITION)) else False
    return False


def table_tags(resource: dict) -> dict | None:
    """The table's tags by key; None when they cannot be read statically (an unresolved or malformed value)."""
    raw = dig(resource, "Properties", "Tags") or []
    if not isinstance(raw, list) or not all(isinstance(t, dict) and isinstance(t.get("Key"), str) for t in raw):
        return None
    return {t["Key"]: t.get("Value") for t in raw}


def evaluate(graph: Graph, config) -> list[Evaluation]:
    plans = _plans(graph)
    chosen = selections(graph)
    minimum = config.min_backup_retention_days
    evaluations = []
    for stack in graph.stacks:
        resolver = graph.model.resolver(stack.stack)
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") not in TABLE_TYPES:
                continue
            name = resolver.table_name(logical_id)
            shown = f"{logical_id} (its name is generated by CloudFormation)" if name.startswith("${") else name
            tags = table_tags(resource)
            if not plans:
                evaluations.append(evaluation_of(RULE.id, stack.name, logical_id, [Problem(
                    f"no backup plan selects table {shown}: the input defines no AWS Backup plan")],
                    "graph", severity=Severity.LOW, waiver=NO_PLANS))
                continue
            retained, unknown = [], []
            arn = resolver.table_arn(logical_id)
            for selection in chosen:
                picked = selects(selection, arn, tags)
                if isinstance(picked, str):
                    unknown.append(picked)
                elif picked:
                    retention = plans.get(selection.plan, f"backup plan {selection.plan} is not in the input")
                    if isinstance(retention, str):
                        unknown.append(retention)
                    else:
                        retained.append(retention)
            keeps = any(days is None or days >= minimum for days in retained)
            problems, reasons = [], []
            if keeps:
                pass
            elif unknown:
                reasons = [f"whether a backup plan keeps table {shown} is unknown: {unknown[0]}"]
            elif retained:
                problems = [f"the backup plans that select table {shown} keep recovery points at most "
                            f"{max(retained)} days, less than min_backup_retention_days ({minimum})"]
            else:
                problems = [f"no backup plan of the input selects table {shown}"]
            evaluations.append(evaluation_of(RULE.id, stack.name, logical_id, [Problem(m) for m in problems] + [
                Problem(m, unknown=True) for m in reasons], "graph"))
    return evaluations
