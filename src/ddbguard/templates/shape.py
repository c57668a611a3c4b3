"""The shape CloudFormation requires of a template before it reads its values: sections, and the properties
rules read (an ill-shaped one is an input error, never judged)."""

from __future__ import annotations

from ddbguard.templates.resolve import is_intrinsic
from ddbguard.templates.transforms import LANGUAGE_EXTENSIONS

def policy_function_problem(template: dict) -> str | None:
    """Intrinsic functions in DeletionPolicy and UpdateReplacePolicy need AWS::LanguageExtensions: without it
    CloudFormation rejects the template, so no verdict may be built on what they would resolve to."""
    resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
    for logical_id, resource in resources.items():
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            if isinstance(resource, dict) and isinstance(resource.get(attribute), dict):
                return (f"Resources.{logical_id}.{attribute}: an intrinsic function here needs `Transform: "
                        f"{LANGUAGE_EXTENSIONS}`, without which CloudFormation rejects the template")
    return None


_SECTIONS = ("Parameters", "Mappings", "Conditions", "Outputs", "Metadata", "Rules", "Globals")


def shape_problem(template: dict, deferred: set[str] | None = None, only: set[str] | None = None) -> str | None:
    """The first place where the template does not have the shape CloudFormation requires, as `path: problem`.

    Checked once here so that no rule meets a resource that is a list or Properties that are text. An intrinsic
    function is always allowed (it is checked again once resolved): `deferred` collects the resources where one
    stood in a checked place, and `only` (those of the template as written) limits the check of its resolved copy
    to them, since resolving changes nothing else.
    """
    if not isinstance(template.get("Resources"), dict):
        return "Resources: must be a mapping"
    for section in _SECTIONS:
        if section in template and not isinstance(template[section], dict):
            return f"{section}: must be a mapping, not {_kind_name(template[section])}"
    for section in ("Parameters", "Outputs"):
        for name, entry in (template.get(section) or {}).items():
            if not isinstance(entry, dict):
                return f"{section}.{name}: must be a mapping"
    resources = template["Resources"]
    for logical_id in resources if only is None else [name for name in resources if name in only]:
        problem = _resource_problem(resources[logical_id], logical_id, deferred)
        if problem:
            return problem
    return None


def _resource_problem(resource: object, logical_id: str, deferred: set[str] | None) -> str | None:
    if not isinstance(resource, dict):
        return f"Resources.{logical_id}: a resource must be a mapping, not {_kind_name(resource)}"
    kind = resource.get("Type")
    if not isinstance(kind, str):
        return f"Resources.{logical_id}.Type: must be a resource type name"
    intrinsic = False
    for key in _MAPPING_ATTRIBUTES:
        value = resource.get(key, _ABSENT)
        if value is not _ABSENT:
            if not isinstance(value, dict):
                return f"Resources.{logical_id}.{key}: must be a mapping, not {_kind_name(value)}"
            intrinsic = intrinsic or is_intrinsic(value)
    for key in _NAME_ATTRIBUTES:
        value = resource.get(key, _ABSENT)
        if value is not _ABSENT:
            if isinstance(value, dict):
                intrinsic = True
            elif not isinstance(value, str):
                return f"Resources.{logical_id}.{key}: must be a name"
    if not isinstance(resource.get("DependsOn", []), (str, list)):
        return f"Resources.{logical_id}.DependsOn: must be a name or a list of names"
    slots = _PROPERTY_SHAPES.get(kind)
    if slots:
        properties = resource.get("Properties") or {}
        for slot, shape, item_shape in slots:
            if slot[0] in properties:  # an absent slot has no shape to check
                problem = _slot_problem(properties, slot, shape, item_shape)
                if problem is _INTRINSIC:
                    intrinsic = True
                elif problem:
                    return f"Resources.{logical_id}.Properties.{problem}"
    if intrinsic and deferred is not None:
        deferred.add(logical_id)
    return None


_ABSENT = object()
_MAPPING_ATTRIBUTES = ("Properties", "Metadata")
_NAME_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "Condition")  # a name, or an intrinsic function


_MAPPING, _LIST = dict, list
_TABLE_SLOTS = (
    (("PointInTimeRecoverySpecification",), _MAPPING, None), (("SSESpecification",), _MAPPING, None),
    (("StreamSpecification",), _MAPPING, None), (("ResourcePolicy",), _MAPPING, None),
    (("ResourcePolicy", "PolicyDocument"), _MAPPING, None), (("StreamSpecification", "ResourcePolicy"), _MAPPING, None),
    (("StreamSpecification", "ResourcePolicy", "PolicyDocument"), _MAPPING, None), (("KeySchema",), _LIST, _MAPPING),
    (("AttributeDefinitions",), _LIST, _MAPPING), (("GlobalSecondaryIndexes",), _LIST, _MAPPING),
    (("LocalSecondaryIndexes",), _LIST, _MAPPING), (("Replicas",), _LIST, _MAPPING),
)
_POLICY_SLOTS = ((("PolicyDocument",), _MAPPING, None),)
_ATTACHED_SLOTS = ((("Roles",), _LIST, None), (("Users",), _LIST, None), (("Groups",), _LIST, None))
_IDENTITY_SLOTS = ((("Policies",), _LIST, _MAPPING), (("ManagedPolicyArns",), _LIST, None))
# The properties rules read, by resource type: (path, shape, shape of each item of a list).
_PROPERTY_SHAPES = {
    "AWS::DynamoDB::Table": _TABLE_SLOTS,
    "AWS::DynamoDB::GlobalTable": _TABLE_SLOTS,
    "AWS::Lambda::Function": ((("Environment",), _MAPPING, None), (("Environment", "Variables"), _MAPPING, None)),
    "AWS::IAM::Role": _IDENTITY_SLOTS,
    "AWS::IAM::User": (*_IDENTITY_SLOTS, (("Groups",), _LIST, None)),
    "AWS::IAM::Group": _IDENTITY_SLOTS,
    "AWS::IAM::Policy": (*_POLICY_SLOTS, *_ATTACHED_SLOTS),
    "AWS::IAM::ManagedPolicy": (*_POLICY_SLOTS, *_ATTACHED_SLOTS),
    "AWS::IAM::RolePolicy": _POLICY_SLOTS,
    "AWS::IAM::UserPolicy": _POLICY_SLOTS,
    "AWS::IAM::GroupPolicy": _POLICY_SLOTS,
    "AWS::IAM::UserToGroupAddition": ((("Users",), _LIST, None),),
    "AWS::SSO::PermissionSet": ((("ManagedPolicies",), _LIST, None), (("CustomerManagedPolicyReferences",), _LIST,
                                                                       _MAPPING)),
    "AWS::CloudFormation::Stack": ((("Parameters",), _MAPPING, None),),
}


_INTRINSIC = "intrinsic"  # what _slot_problem says of an intrinsic function on the way: no problem until resolved


def _slot_problem(properties: dict, slot: tuple, kind: type, item_kind: type | None) -> str | None:
    """`path: must be a mapping` when the value at `slot` has the wrong shape; _INTRINSIC when an intrinsic
    function (resolved later, or unknown) stands on the way, at the slot or as an item of its list."""
    value: object = properties
    for step in slot:
        if not isinstance(value, dict):
            return None
        if is_intrinsic(value):
            return _INTRINSIC
        if step not in value:
            return None
        value = value[step]
    if is_intrinsic(value):
        return _INTRINSIC
    if not isinstance(value, kind):
        return f"{'.'.join(slot)}: must be {'a mapping' if kind is dict else 'a list'}, not {_kind_name(value)}"
    found = None
    for index, item in enumerate(value if item_kind is not None else []):
        if is_intrinsic(item):
            found = _INTRINSIC
        elif not isinstance(item, item_kind):
            return f"{'.'.join(slot)}.{index}: must be a mapping, not {_kind_name(item)}"
    return found


def _kind_name(value: object) -> str:
    if value is None:
        return "null"
    return {str: "text", bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


MAX_CONDITION_DEPTH = 50  # conditions that refer to conditions


def condition_depth_problem(template: dict) -> str | None:
    """`Conditions.X: ...` when a condition refers to itself through others (CloudFormation rejects circular
    conditions) or refers, through others, deeper than MAX_CONDITION_DEPTH."""
    conditions = template.get("Conditions") if isinstance(template.get("Conditions"), dict) else {}
    refs = {name: [r for r in _condition_refs(expression) if r in conditions] for name, expression in conditions.items()}
    depth: dict[str, int] = {}  # a condition -> how deep the conditions it refers to go
    for root in conditions:
        path, pending = [root], [iter(refs[root])]  # depth first, without recursion
        while pending:
            ref = next((r for r in pending[-1] if r not in depth), None)
            if ref is None:  # every condition it refers to is measured: so is it
                name = path.pop()
                pending.pop()
                depth[name] = 1 + max((depth[r] for r in refs[name]), default=0)
                if depth[name] > MAX_CONDITION_DEPTH:
                    return (f"Conditions.{name}: conditions refer to conditions more than {MAX_CONDITION_DEPTH} deep "
                            "(a limit ddbguard sets; CloudFormation templates never come close)")
                continue
            if ref in path:
                cycle = " -> ".join(path[path.index(ref):] + [ref])
                return f"Conditions.{ref}: refers to itself ({cycle}), which CloudFormation rejects"
            path.append(ref)
            pending.append(iter(refs[ref]))
    return None


def _condition_refs(expression: object) -> list[str]:
    found, pending = [], [expression]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("Condition"), str):
                found.append(node["Condition"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found
