"""`ddbguard stack-policy TEMPLATE|cdk.out`: the stack policy that protects a stack's tables, in the form DDB007's live check accepts.

CDK does not manage stack policies, and a template cannot hold one, so this writes the policy from the template:
Deny `Update:Replace` and `Update:Delete` on `LogicalResourceId/<id>` of each table, and Allow `Update:*` on the
rest. What else can lose a table through an update is denied too: a nested stack (or StackSet) whose template owns
tables (or cannot be read, so may own some) is protected through its stack resource, and a CDK `Table`'s legacy
replica custom resources (`Custom::DynamoDBReplica`, whose deletion deletes that region's replica). A table behind a
`Condition` is protected whether or not the condition holds: a Deny on a resource that is not deployed costs
nothing, and a later update that deploys it is then protected from the start.

What the template cannot tell is said, never left silently unprotected: a nested stack or StackSet whose template is
not in the input, and constructs ddbguard does not model (macros, modules, custom resources, unknown types) whose
tables no logical id of this stack names. Each is a warning; the policy is still written, and the exit code is 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ddbguard.commands.read import read_input
from ddbguard.kit.values import LEGACY_REPLICA
from ddbguard.templates.resolve import TABLE_TYPES
from ddbguard.model import InputError

CHILD_STACKS = {"AWS::CloudFormation::Stack": "nested stack", "AWS::CloudFormation::StackSet": "StackSet"}
GUARDED_ACTIONS = ("Update:Replace", "Update:Delete")


@dataclass
class StackPolicy:
    stack: str  # ddbguard's name of the stack (`Stage/stack`, `parent/Nested`)
    stack_name: str | None  # CloudFormation's, when the input names it (a cloud assembly's manifest)
    protected: dict[str, str] = field(default_factory=dict)  # logical id -> what it is (why it is denied)
    warnings: list[str] = field(default_factory=list)  # what the template cannot tell
    notes: list[str] = field(default_factory=list)  # what else protects the tables (nested stacks' own policies)

    @property
    def document(self) -> dict:
        statements = [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]
        if self.protected:
            statements.append({"Effect": "Deny", "Action": list(GUARDED_ACTIONS), "Principal": "*",
                               "Resource": [f"LogicalResourceId/{logical_id}" for logical_id in self.protected]})
        return {"Statement": statements}

    def text(self) -> str:
        return json.dumps(self.document, indent=2) + "\n"


class StackPolicyError(Exception):
    """No policy can be written: the stack is not in the input, or the input names several and no --stack."""

    def __init__(self, message: str, errors: list[InputError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)  # the input's, which may say why the stack is missing


def stack_policy(path: str, config, *, stack: str | None = None, parameters: dict | None = None,
                 template_roots: tuple[str, ...] = ()) -> tuple[StackPolicy, list[InputError]]:
    """The policy of one stack of the input, and the input's errors (which the policy outlives when the stack itself
    was read: what they leave unread is protected)."""
    read = read_input([path], parameters, config, template_roots=template_roots)  # also finds what is not modelled
    errors = read.errors
    stacks = [checked.stack for checked in read.given]
    try:
        chosen = _choose(stacks, stack, errors)
    except StackPolicyError as exc:
        raise StackPolicyError(str(exc), errors) from None
    policy = StackPolicy(chosen.name, chosen.stack_name)
    children = {s.parent_logical_id: s for s in stacks if s.parent is chosen}
    for logical_id, resource in (chosen.template.get("Resources") or {}).items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind in TABLE_TYPES:
            policy.protected[logical_id] = "table"
        elif kind == LEGACY_REPLICA:
            policy.protected[logical_id] = "legacy replica of a CDK Table (its deletion deletes the replica)"
        elif kind in CHILD_STACKS:
            _child(policy, logical_id, CHILD_STACKS[kind], children.get(logical_id), chosen, stacks)
        condition = resource.get("Condition") if isinstance(resource, dict) else None
        if logical_id in policy.protected and condition is not None:
            policy.notes.append(f"{logical_id} ({policy.protected[logical_id]}) is behind Condition {condition}: "
                                "protected whether or not it holds")
    for record in chosen.not_modelled:
        if record.logical_id in policy.protected:
            continue
        policy.warnings.append(f"{record.construct} ({record.logical_id}) is not modelled: {record.effect}; a table "
                               "it creates has no logical id here that the policy could name")
    return policy, errors


def _choose(stacks: list, name: str | None, errors: list[InputError]):
    if name is not None:
        found = [s for s in stacks if name in (s.name, s.stack_name)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise StackPolicyError(f"--stack {name} names {len(found)} stacks of the input "
                                   f"({', '.join(s.name for s in found)}): name one by ddbguard's name")
        raise StackPolicyError(f"no stack {name} in the input" + (
            f" (its stacks: {', '.join(s.name for s in stacks)})" if stacks else _unread(errors)))
    top = [s for s in stacks if s.parent is None]
    if len(stacks) == 1 or len(top) == 1:
        return top[0] if top else stacks[0]
    if not stacks:
        raise StackPolicyError("the input holds no stack" + _unread(errors))
    raise StackPolicyError(f"the input holds {len(top)} stacks: name one with --stack "
                           f"({', '.join(s.name for s in top)})")


def _unread(errors: list[InputError]) -> str:
    return f" ({len(errors)} inputs could not be read)" if errors else ""


def _child(policy: StackPolicy, logical_id: str, what: str, child, parent, stacks: list) -> None:
    """A nested stack or StackSet: protected through its resource when its template owns tables or is not read."""
    if child is None:
        reason = parent.unread_templates.get(logical_id, "its template is not in the input")
        policy.protected[logical_id] = f"{what} whose template is not read, so it may own tables"
        policy.warnings.append(f"{what} {logical_id}: {reason}; it is protected through its resource, but what it "
                               "owns cannot be told, and needs a stack policy of its own")
        return
    owned = _tables_below(child, stacks)
    if not owned:
        return
    policy.protected[logical_id] = f"{what} {child.name}, which owns tables {', '.join(owned)}"
    own = "the stack policy of each stack it deploys" if what == "StackSet" else "its own stack policy"
    policy.notes.append(f"{what} {logical_id} ({child.name}) owns tables {', '.join(owned)}: this policy stops "
                        f"its replacement or removal; an update inside it is stopped only by {own} "
                        f"(`ddbguard stack-policy ... --stack {child.name}`)")


def _tables_below(stack, stacks: list) -> list[str]:
    """The tables a stack and the stacks it nests own (`Child/Logical` below it), and `?` for an unread template
    or a construct not modelled, which may own some."""
    owned = [logical_id for logical_id, resource in (stack.template.get("Resources") or {}).items()
             if isinstance(resource, dict) and resource.get("Type") in (*TABLE_TYPES, LEGACY_REPLICA)]
    children = {s.parent_logical_id: s for s in stacks if s.parent is stack}
    for logical_id, resource in (stack.template.get("Resources") or {}).items():
        if isinstance(resource, dict) and resource.get("Type") in CHILD_STACKS:
            below = _tables_below(children[logical_id], stacks) if logical_id in children else ["?"]
            owned += [f"{logical_id}/{name}" for name in below]
    if stack.not_modelled:
        owned.append("? (constructs not modelled)")
    return owned
