"""DDB007 live: each stack that owns judged tables has termination protection (DescribeStacks; a nested
stack's is its root's) where deleting it would lose a table, and a stack policy that denies Update:Replace and
Update:Delete on each table that a deletion or replacement would lose (the deployed template's DeletionPolicy
and UpdateReplacePolicy, GetTemplate). A legacy replica of a table (`Custom::DynamoDBReplica` in the deployed
template) is at stake on delete like a table. A stack whose tables are all retained gets a low-severity note."""

from ddbguard.kit.graph import as_list
from ddbguard.iam import action_matches, string_like
from ddbguard.kit.subjects import live_judged
from ddbguard.kit.snapshot import Unknown
from ddbguard.model import Severity
from ddbguard.rules.ddb007_stack_protection.graph import OFF, message
from ddbguard.rules.ddb007_stack_protection.stake import ON_DELETE, ON_REPLACE, ORPHANED, Replica, kept, orphaned, split
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


def _stakes(snapshot, stack) -> dict[str, tuple[bool | Unknown, bool | Unknown]]:
    """Table name -> (kept on delete, kept on replace), from the stack's deployed template (GetTemplate); a
    template that could not be read leaves both unknown."""
    stakes = {}
    for name in stack.tables.values():
        table = snapshot.table(name)
        resource = table.template_resource if table is not None else None
        if isinstance(getattr(table, "stack", None), Unknown):
            resource = table.stack
        elif resource is None:
            resource = Unknown(f"table {name} is not in the deployed template of stack {stack.name}")
        stakes[name] = (kept(resource, *ON_DELETE), kept(resource, *ON_REPLACE))
    return stakes


def _replica_stakes(snapshot, stack) -> dict[Replica, bool | Unknown]:
    """Each legacy replica of the stack's tables -> kept on delete (its DeletionPolicy, deployed template)."""
    return {Replica.of(name, region): kept(resource, *ON_DELETE) for name in stack.tables.values()
            if (table := snapshot.table(name)) is not None for region, resource in table.legacy_replicas.items()}


def evaluate(snapshot, settings, now):
    subjects = []
    for stack in sorted(snapshot.stacks, key=lambda s: s.name):
        stakes = _stakes(snapshot, stack)
        deleted, unknown_on_delete, kept_on_delete = split(
            {**{name: on_delete for name, (on_delete, _) in stakes.items()}, **_replica_stakes(snapshot, stack)})
        exposed, unknown_either, retained = split({  # lost on delete or on replace
            name: False if False in answers else next((a for a in answers if isinstance(a, Unknown)), True)
            for name, answers in stakes.items()})
        problems, unknown, notes = [], [], []
        if isinstance(stack.termination_protection, Unknown):
            unknown.append(stack.termination_protection.reason)
        elif not stack.termination_protection:
            if deleted:
                problems.append(message(stack.name, deleted))
            unknown += unknown_on_delete
            if not deleted and not unknown_on_delete:
                kept_replicas = [name for name in kept_on_delete if isinstance(name, Replica)]
                notes.append(orphaned(OFF, stack.name, retained + kept_replicas))
        guarded = {logical: name for logical, name in stack.tables.items() if name in exposed}
        unknown += unknown_either  # whether the stack policy must protect them
        if not guarded and not unknown_either:
            if stack.policy is None:
                notes.append(orphaned("there is no stack policy", stack.name, retained,
                                      "an update that replaces or removes a table"))
        elif isinstance(stack.policy, Unknown):
            unknown.append(stack.policy.reason)
        elif guarded and stack.policy is None:
            problems.append(f"stack {stack.name} has no stack policy: nothing stops an update from replacing or "
                            f"deleting {', '.join(sorted(guarded.values()))} (deny Update:Replace and Update:Delete "
                            "on them)")
        elif guarded:
            answers = {logical: denies_changes(stack.policy, logical) for logical in sorted(guarded)}
            open_tables = [guarded[logical] for logical, answer in answers.items() if answer is False]
            if open_tables:
                problems.append(f"the stack policy of {stack.name} does not deny Update:Replace and Update:Delete "
                                f"on {', '.join(open_tables)}")
            unknown += [f"{guarded[logical]}: {answer.reason}" for logical, answer in answers.items()
                        if isinstance(answer, Unknown)]
        if problems or unknown or not notes:
            subjects.append(live_judged(stack.name, stack.arn, problems, unknown))
        else:
            subjects.append(live_judged(stack.name, stack.arn, notes, severity=Severity.LOW, waiver=ORPHANED))
    return subjects
