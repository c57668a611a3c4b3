"""AWS Backup selections of the input (or of AWS Backup, live): which plan selects which table (DDB022 and
`ddbguard inventory`)."""

from __future__ import annotations

from dataclasses import dataclass

from ddbguard.arns import arn_segments
from ddbguard.iam import string_like
from ddbguard.kit.graph import Graph, as_list, token
from ddbguard.kit.values import dig
from ddbguard.templates.resolve import is_intrinsic


@dataclass
class Selection:
    logical_id: str
    plan: str  # the plan's logical id
    resources: list  # ARN patterns (resolved), or unresolved values
    not_resources: list
    tags: list[tuple[str, str]]  # ListOfTags STRINGEQUALS (key, value): any selects
    conditions: list[tuple[str, str, str]]  # Conditions (operator, tag key, value): all must hold
    unreadable: str | None = None  # why the selection cannot be read (CloudFormation would reject its shape)


def selections(graph: Graph) -> list[Selection]:
    """The AWS Backup selections of the input (shared with `ddbguard inventory`)."""
    found = []
    for stack in graph.stacks:
        for logical_id, resource in stack.resources_of(("AWS::Backup::BackupSelection",)):
            plan_id = dig(resource, "Properties", "BackupPlanId")
            plan = token(plan_id)
            found.append(selection_from(logical_id, plan[0] if plan else str(plan_id),
                                        dig(resource, "Properties", "BackupSelection")))
    return found


def selection_from(name: str, plan: str, selection: object) -> Selection:
    """A selection from its BackupSelection: CloudFormation's property, which is also GetBackupSelection's answer."""
    selection = selection if isinstance(selection, dict) else {}
    conditions = selection.get("Conditions") or {}
    conditions = conditions if isinstance(conditions, dict) else {"": conditions}  # "" marks it malformed
    listed = [(operator, c) for operator, items in conditions.items() for c in as_list(items)]
    # lists where CloudFormation requires lists, mappings inside them
    parts = [selection.get(key) for key in ("Resources", "NotResources", "ListOfTags")] + list(conditions.values())
    malformed = (not selection or "" in conditions
                 or any(p is not None and not isinstance(p, list) for p in parts)
                 or any(not isinstance(t, dict) for t in as_list(selection.get("ListOfTags")))
                 or any(not isinstance(c, dict) for _, c in listed))
    return Selection(
        logical_id=name,
        plan=plan,
        resources=as_list(selection.get("Resources")),
        not_resources=as_list(selection.get("NotResources")),
        tags=[(t.get("ConditionKey"), t.get("ConditionValue")) for t in as_list(selection.get("ListOfTags"))
              if isinstance(t, dict) and t.get("ConditionType") == "STRINGEQUALS"],
        conditions=[(operator, _tag_key(c.get("ConditionKey")), c.get("ConditionValue"))
                    for operator, c in listed if isinstance(c, dict)],
        unreadable=f"backup selection {name} does not have the shape CloudFormation requires" if malformed else None)


def _tag_key(key: object) -> object:
    return key.removeprefix("aws:ResourceTag/") if isinstance(key, str) else key


# AWS Backup's selection conditions: whether the table's tag value (None: no such tag) meets the condition
# (StringLike: the `*` wildcard AWS Backup documents, case-sensitive; a `?` is not documented: unknown)
_CONDITIONS = {
    "StringEquals": lambda tag, value: tag == value,
    "StringNotEquals": lambda tag, value: tag != value,
    "StringLike": lambda tag, value: tag is not None and string_like(value, tag),
    "StringNotLike": lambda tag, value: tag is None or not string_like(value, tag),
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
        return (f"backup selection {selection.logical_id} names tables by ARNs of one partition, region or account, "
                "and where the table is deployed is not known (a template file does not say: give AWS::Region and "
                "AWS::AccountId with --parameters)")
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


# The fields of a table ARN that a template file leaves to where it is deployed: partition, region, account
_PSEUDO_FIELDS = {1: "${AWS::Partition}", 3: "${AWS::Region}", 4: "${AWS::AccountId}"}


def _matches(pattern: str, arn: str) -> bool | None:
    """Whether an ARN pattern matches the table's ARN; None when that depends on where the stack is deployed, which
    a template file does not say (`arn:aws:dynamodb:eu-west-1:*:table/*` selects it only in the `aws` partition
    and in eu-west-1)."""
    if string_like(pattern, arn):
        return True
    fields = _arn_fields(arn)
    wanted = pattern.split(":", 5)
    if fields is None or len(wanted) < 6 or not any(fields[i] == symbol for i, symbol in _PSEUDO_FIELDS.items()):
        return False
    # the table's ARN where it would have to be deployed for the pattern to match
    placed = [wanted[i] if fields[i] == _PSEUDO_FIELDS.get(i) else field for i, field in enumerate(fields)]
    return None if string_like(pattern, ":".join(placed)) else False


def _arn_fields(arn: str) -> list[str] | None:
    """An ARN's six fields, a `${...}` kept whole (the `::` of `${AWS::Region}` is no separator)."""
    segments = arn_segments(arn)
    return [*segments[:5], ":".join(segments[5:])] if len(segments) >= 6 and segments[0] == "arn" else None


def table_tags(resource: dict) -> dict | None:
    """The table's tags by key; None when they cannot be read statically (an unresolved or malformed value)."""
    raw = dig(resource, "Properties", "Tags") or []
    if not isinstance(raw, list) or not all(isinstance(t, dict) and isinstance(t.get("Key"), str) for t in raw):
        return None
    return {t["Key"]: t.get("Value") for t in raw}
