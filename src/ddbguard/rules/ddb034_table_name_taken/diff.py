"""DDB034 diff (offline): NEW creates a table by a name that OLD uses as an imported table, so the table exists.

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
    if not references:
        return removed, []
    created = graph_of(new)  # the ARN each table of NEW gets, at its stack's account and region
    subjects = []
    for stack in new:
        for logical_id, resource in tables_of(stack).items():
            properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
            if "TableName" in properties:
                subjects += _judged(stack, logical_id, properties["TableName"], references, created)
    return removed, subjects


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
