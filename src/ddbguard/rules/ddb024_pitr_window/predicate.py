"""DDB024: point-in-time recovery keeps at least `min_pitr_recovery_days` of history, on the table and on every
replica of a global table. A table without point-in-time recovery is DDB002's failure, not this rule's."""

from __future__ import annotations

from ddbguard.kit.values import days as days_text
from ddbguard.kit.values import GLOBAL_TABLE, boolean, dig, holders, integer
from ddbguard.model import Problem, Unknown

SPECIFICATION = "PointInTimeRecoverySpecification"
LONGEST = 35  # DynamoDB keeps 1 to 35 days; 35 when RecoveryPeriodInDays is absent


def problems(resource: dict, settings) -> list[Problem]:
    minimum = settings.min_pitr_recovery_days
    where = "on a replica " if resource.get("Type") == GLOBAL_TABLE else ""
    found = []
    for path, holder in holders(resource):
        specification = dig(holder, SPECIFICATION)
        enabled = dig(specification, "PointInTimeRecoveryEnabled")
        if isinstance(enabled, Unknown):
            found.append(Problem(enabled.reason, (*path, SPECIFICATION), unknown=True))
            continue
        if enabled is None or boolean(enabled) is False:
            continue  # no point-in-time recovery at all: DDB002 fails it
        at = (*path, SPECIFICATION, "RecoveryPeriodInDays")
        value = dig(specification, "RecoveryPeriodInDays")
        if isinstance(value, Unknown):
            found.append(Problem(value.reason, at, unknown=True))
            continue
        days = LONGEST if value is None else integer(value)
        if days is None or not 1 <= days <= LONGEST:
            found.append(Problem(f"point-in-time recovery's RecoveryPeriodInDays {where}is not a whole number of days "
                                 f"from 1 to {LONGEST}", at))
        elif days < minimum:
            found.append(Problem(f"point-in-time recovery {where}keeps {days_text(days)} of history "
                                 f"(PointInTimeRecoverySpecification.RecoveryPeriodInDays), fewer than "
                                 f"min_pitr_recovery_days ({minimum})", at))
    return found
