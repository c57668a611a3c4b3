"""DDB034 diff (offline): NEW creates a table by a name that exists: one OLD uses as an imported table, or one OLD
defines at another logical id or in another stack (a rename or a move: CloudFormation creates before it removes, and
a plain deploy of another stack creates while the old stack still holds or retains it).

What OLD imports (a name or ARN in a Resource or a table variable, `Table.fromTableName`, an `Fn::ImportValue` of
another stack's export) exists outside OLD's stacks: creating it by that name fails the deploy. Only what the
inputs show is judged here; whether any other table of that name exists is `ddbguard plan`'s look-up."""

from __future__ import annotations

import json

from ddbguard.kit.access import same_place
from ddbguard.kit.graph import Graph
from ddbguard.kit.references import Reference, graph_of, imported_tables
from ddbguard.kit.replacement import tables_of
from ddbguard.kit.subjects import judged
from ddbguard.model import Subject
from ddbguard.templates.model import CheckedStack

LOCATED_IN = "old"  # evaluate() judges no single stack pair; across() reports at the table NEW creates

_PATH = ("Properties", "TableName")


def evaluate(old: CheckedStack, new: CheckedStack | None, settings=None) -> list[Subject]:
    return []  # what OLD imports may be in any of its stacks: see across()


def across(removed: list[Subject], old: list[CheckedStack], new: list[CheckedStack], paired: dict[str, str],
           settings=None):
    references = imported_tables(graph_of(old), settings) if old else []
    defined = {(stack.name, logical_id): resource for stack in old for logical_id, resource in tables_of(stack).items()}
    kept = {(old_name, logical_id) for old_name, new_name in paired.items() for stack in new if stack.name == new_name
            for logical_id in tables_of(stack) if (old_name, logical_id) in defined}
    created = graph_of(new) if references else None  # the ARN each table of NEW gets, at its stack's account and region
    subjects = []
    for stack in new:
        for logical_id, resource in tables_of(stack).items():
            properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
            if "TableName" not in properties:
                continue
            updated = [key for key in defined if paired.get(key[0]) == stack.name and key[1] == logical_id]
            if updated and _name(defined[updated[0]]) == properties["TableName"]:
                continue  # the same table, updated in place
            elsewhere = {key: r for key, r in defined.items() if key not in updated}
            left = {key: r for key, r in elsewhere.items() if key not in kept}
            found = _defined_elsewhere(stack, logical_id, properties["TableName"], elsewhere, left, paired)
            if found is None and references:
                found = _judged(stack, logical_id, properties["TableName"], references, created)
            subjects += found or []
    return removed, subjects


def _name(resource: dict) -> object:
    properties = resource.get("Properties")
    return properties.get("TableName") if isinstance(properties, dict) else None


def _resolved(name: object) -> bool:
    return isinstance(name, str) and "${" not in name


def _defined_elsewhere(stack: CheckedStack, logical_id: str, name: object, old: dict, left: dict,
                       paired: dict[str, str]) -> list[Subject] | None:
    """A table of OLD at another logical id or stack (old; left: those NEW no longer has at their place) that has
    NEW's name exists when NEW creates it: the create fails. None when no table of OLD may have the name."""
    if not _resolved(name):
        named = sorted(f"{s}/{lid}" for (s, lid), r in left.items() if _resolved(_name(r)))
        if not named:
            return None
        shown = name if isinstance(name, str) else json.dumps(name, separators=(",", ":"))
        return [judged(stack, logical_id, unknown=[(
            f"TableName is {shown}, which cannot be resolved statically, so whether it is the name of a table OLD "
            f"defines elsewhere ({', '.join(named)}), which exists, is unknown (give its parameters with "
            "--parameters)", _PATH)])]
    same = sorted(key for key, r in old.items() if _name(r) == name)
    if same:
        where, why = same[0], ("CloudFormation creates it before it removes the old resource"
                               if paired.get(same[0][0]) == stack.name else
                               "the deployed stack still holds it, or retains it when it leaves")
        return [judged(stack, logical_id, [(
            f"NEW creates table {name} as {stack.name}/{logical_id}, but OLD's {where[0]}/{where[1]} has that name: "
            f"the table exists, so the create fails ({why}); import it instead (cdk import / IMPORT change set): "
            "retain it in OLD's resource, deploy its removal, then import it as the new resource", _PATH)])]
    # a table that leaves its place with a name the input leaves unresolved may have this name
    moved = sorted(key for key, r in left.items() if not _resolved(_name(r)) and _name(r) is not None)
    if moved:
        return [judged(stack, logical_id, unknown=[(
            f"OLD's {moved[0][0]}/{moved[0][1]} leaves its place with a TableName that cannot be resolved "
            f"statically, which may be {name}: if it is, the table exists and the create fails", _PATH)])]
    return None


def _judged(stack: CheckedStack, logical_id: str, name: object, references: list[Reference], created: Graph
            ) -> list[Subject]:
    if not isinstance(name, str) or "${" in name:
        shown = name if isinstance(name, str) else json.dumps(name, separators=(",", ":"))
        return [judged(stack, logical_id, unknown=[(
            f"TableName is {shown}, which cannot be resolved statically, so whether it is one of the tables OLD "
            f"imports ({', '.join(sorted({r.name for r in references}))}) is unknown (give its parameters with "
            "--parameters)", _PATH)])]
    here = created.tables[name].arn if name in created.tables else f"arn:aws:dynamodb:*:*:table/{name}"
    places = [(r, same_place(here, r.arn)) for r in references if r.name == name]
    same = [r for r, place in places if place]
    maybe = [r for r, place in places if place is None]
    unresolved = [r for r in references if "${" in r.name]
    if not same and (maybe or unresolved):
        reference = (maybe or unresolved)[0]
        why = (f"OLD imports a table of that name ({reference.arn} at {reference.stack.name}/{reference.logical_id}) "
               "at an account or region that may be this stack's") if maybe else (
               f"OLD imports a table whose name cannot be resolved statically ({reference.name} at "
               f"{reference.stack.name}/{reference.logical_id}), which may be {name}")
        return [judged(stack, logical_id, unknown=[(why, _PATH)])]
    if not same:
        return []
    users = ", ".join(sorted({f"{r.stack.name}/{r.logical_id}" for r in same}))
    return [judged(stack, logical_id, [(
        f"table {name} exists: OLD (what is deployed) uses it as an imported table ({users}) and no stack of OLD "
        "defines it; creating it by name fails the deploy (the name is taken): import it into the stack instead "
        "(`cdk import`, or a resource import change set)", _PATH)])]
