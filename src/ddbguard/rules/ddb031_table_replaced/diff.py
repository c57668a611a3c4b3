"""DDB031 diff: a change that forces replacement recreates the table empty (and deletes the old one unless
OLD says UpdateReplacePolicy Retain); a change of type cannot be deployed; a Retain -> Delete flip is high."""

from __future__ import annotations

from ddbguard.templates.model import CheckedStack
from ddbguard.kit.subjects import judged
from ddbguard.model import Severity, Subject
from ddbguard.kit.replacement import replacement_changes, tables_of
from ddbguard.kit.values import RETAINED

LOCATED_IN = "new"  # a changed table is found in the template that changes it


def evaluate(old: CheckedStack, new: CheckedStack | None, settings=None) -> list[Subject]:
    if new is None:
        return []  # a removed stack changes no table: DDB030 says what happens to them
    old_tables = tables_of(old)
    changed = []
    for logical_id, resource in tables_of(new).items():
        before = old_tables.get(logical_id)
        if before is not None:
            changed.append(_change(new, logical_id, before, resource))
    return changed


def _change(new: CheckedStack, logical_id: str, before: dict, after: dict) -> Subject:
    if before.get("Type") != after.get("Type"):
        return judged(new, logical_id, [(
            f"Type changes from {before.get('Type')} to {after.get('Type')}: CloudFormation cannot update a "
            "table into another type. Safe path: set DeletionPolicy Retain, remove the resource from the stack, "
            "then import the table as the new type (resource import / `cdk import`)", ("Type",))])
    problems, flips = [], []
    changes, undecidable = replacement_changes(before, after)
    # Which template's UpdateReplacePolicy CloudFormation applies to an update that changes it too is not
    # documented: the old table is kept only when both keep it.
    old_policy, new_policy = before.get("UpdateReplacePolicy", "Delete"), after.get("UpdateReplacePolicy", "Delete")
    kept = old_policy == new_policy == "Retain"
    if changes and not kept:
        shown = old_policy if old_policy != "Retain" else f"Retain, and becomes {new_policy}"
        problems.append(f"{'; '.join(changes)} forces replacement: the table is recreated empty and the old one is "
                        f"deleted (UpdateReplacePolicy is {shown})")
    for attribute, keeping in (("DeletionPolicy", RETAINED), ("UpdateReplacePolicy", ("Retain",))):
        if before.get(attribute) in keeping and after.get(attribute) not in keeping:
            flips.append(f"{attribute} changes from {before.get(attribute)} to {after.get(attribute, 'Delete')}")
    if problems:
        return judged(new, logical_id, [("; ".join(problems + flips), ("Properties",))])
    if flips:
        return judged(new, logical_id, [("; ".join(flips), ("DeletionPolicy",))], severity=Severity.HIGH)
    note = f"{'; '.join(changes)}; UpdateReplacePolicy Retain keeps the old table" if changes else "no replacement"
    if undecidable and not kept:
        return judged(new, logical_id, unknown=[(
            f"{'; '.join(undecidable)}: whether this forces replacement depends on a value that cannot be resolved "
            "statically (give it with --parameters); a replacement would recreate the table empty and delete the old "
            "one", ("Properties",))])
    condition = new.stack.undecided.get(logical_id)
    if condition is not None:
        return judged(new, logical_id, unknown=[(
            f"{note}, if the table exists in the new template: its Condition {condition} cannot be decided "
            "statically (give its parameters with --parameters)", ("Condition",))])
    return judged(new, logical_id, note=note)
