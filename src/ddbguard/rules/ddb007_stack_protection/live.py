"""DDB007 live: each stack that owns judged tables has termination protection (DescribeStacks; a nested
stack's is its root's) and a stack policy that denies Update:Replace and Update:Delete on each table."""

from ddbguard.kit.graph import as_list
from ddbguard.iam import action_matches, string_like
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown
from ddbguard.rules.ddb007_stack_protection.graph import message
from ddbguard.templates.resolve import TABLE_TYPES


_GUARDED = ("Update:Replace", "Update:Delete")


def denies_changes(policy: dict, logical_id: str) -> bool | Unknown:
    """A stack policy statement denies both guarded actions on the table (conditions other than its
    resource type cannot be judged here: unknown)."""
    uncertain = None
    statements = [s for s in as_list(policy.get("Statement")) if isinstance(s, dict) and s.get("Effect") == "Deny"]
    for action in _GUARDED:
        covered = False
        for statement in statements:
            actions, negated = (statement.get("NotAction"), True) if "NotAction" in statement else (
                statement.get("Action"), False)
            hit = any(isinstance(a, str) and action_matches(a, action) for a in as_list(actions))
            resources, out = (statement.get("NotResource"), True) if "NotResource" in statement else (
                statement.get("Resource"), False)
            on_table = any(isinstance(r, str) and string_like(r, f"LogicalResourceId/{logical_id}")
                           for r in as_list(resources))
            if (hit != negated) and (on_table != out):
                condition = statement.get("Condition")
                if not condition or _only_table_types(condition):
                    covered = True
                    break
                uncertain = Unknown(f"a Deny of the stack policy has a condition ddbguard cannot judge: {condition}")
        if not covered:
            return False if uncertain is None else uncertain
    return True


def _only_table_types(condition: dict) -> bool:
    """`StringEquals/StringLike ResourceType` that includes the DynamoDB table types."""
    for operator, keys in condition.items():
        if operator not in ("StringEquals", "StringLike") or set(keys) != {"ResourceType"}:
            return False
        if not any(isinstance(v, str) and any(action_matches(v, t) for t in TABLE_TYPES)
                   for v in as_list(keys["ResourceType"])):
            return False
    return True


def evaluate(snapshot, settings, now):
    subjects = []
    for stack in sorted(snapshot.stacks, key=lambda s: s.name):
        problems, unknown = [], []
        tables = sorted(stack.tables.values())
        if isinstance(stack.termination_protection, Unknown):
            unknown.append(stack.termination_protection.reason)
        elif not stack.termination_protection:
            problems.append(message(stack.name, tables))
        if isinstance(stack.policy, Unknown):
            unknown.append(stack.policy.reason)
        elif stack.policy is None:
            problems.append(f"stack {stack.name} has no stack policy: nothing stops an update from replacing or "
                            f"deleting {', '.join(tables)} (deny Update:Replace and Update:Delete on them)")
        else:
            answers = {logical: denies_changes(stack.policy, logical) for logical in sorted(stack.tables)}
            open_tables = [stack.tables[logical] for logical, answer in answers.items() if answer is False]
            if open_tables:
                problems.append(f"the stack policy of {stack.name} does not deny Update:Replace and Update:Delete "
                                f"on {', '.join(open_tables)}")
            unknown += [f"{stack.tables[logical]}: {answer.reason}" for logical, answer in answers.items()
                        if isinstance(answer, Unknown)]
        subjects.append(live_judged(stack.name, stack.arn, problems, unknown))
    return subjects
