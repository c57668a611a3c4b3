"""DDB033 plan: the indexes a grant names (or the configuration declares) for an imported table are the live
table's indexes."""

from __future__ import annotations

from ddbguard.model import Subject
from ddbguard.kit.subjects import judged



def evaluate(context, settings=None) -> list[Subject]:
    subjects = []
    for (_, logical_id), (stack, tables) in context.imported_tables().items():
        problems, checked = [], False
        for name, granted in sorted(tables.items()):
            live = context.lookups.table(name)
            if not isinstance(live, dict):
                continue  # missing or unknown: DDB032 says so
            live_indexes = {i["IndexName"] for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                            for i in live.get(key) or []}
            declared = set((settings.tables.get(name) or {}).get("indexes") or [])
            checked |= bool(granted or declared)
            for index in sorted(granted - live_indexes):
                problems.append((f"grants on index {index} of {name}, which has no such index "
                                 f"(live: {', '.join(sorted(live_indexes)) or 'none'})", ()))
            if declared and declared != live_indexes:
                problems.append((f"the configuration declares indexes {', '.join(sorted(declared))} for {name}, "
                                 f"the live table has {', '.join(sorted(live_indexes)) or 'none'}", ()))
        if checked:
            subjects.append(judged(stack, logical_id, problems))
    return subjects
