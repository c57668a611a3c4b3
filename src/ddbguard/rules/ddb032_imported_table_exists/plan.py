"""DDB032 plan: every table the input uses but does not define (an import) exists in the target account."""

from __future__ import annotations

from ddbguard.model import Subject
from ddbguard.kit.subjects import judged



def evaluate(context, settings=None) -> list[Subject]:
    subjects = []
    for (_, logical_id), (stack, tables) in context.imported_tables().items():
        missing, unknown = [], []
        for name in sorted(tables):
            live = context.lookups.table(name)
            if isinstance(live, str):
                unknown.append((live, ()))
            elif live is None:
                missing.append((f"table {name} does not exist in {context.lookups.region} (the deploy succeeds, every "
                                "call fails)", ()))
        subjects.append(judged(stack, logical_id, missing, unknown))
    return subjects
