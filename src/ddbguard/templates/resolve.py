"""Resolve intrinsic functions so that every engine checks the values CloudFormation would deploy.

A value that cannot be known statically (a parameter without a value or Default, an import, a
condition on such a parameter) is left as its intrinsic function. Rules compare against concrete
values, so an unresolved value fails; the join step then says it cannot be verified statically.

References to resources and unknown pseudo parameters become symbolic strings such as
`${Role.Arn}` or `${AWS::AccountId}`: they name one specific thing (never `*`), which is all that
the rules need to know about them.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from ddbguard.templates.speedups import SPEEDUPS


UNRESOLVED = object()  # a value that cannot be known statically
_NO_VALUE = object()
_SCALARS = frozenset({str, int, float, bool, type(None)})  # values that resolve to themselves
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")
if SPEEDUPS is not None:
    SPEEDUPS.configure_resolve(_NO_VALUE, UNRESOLVED)


def is_intrinsic(value: object) -> bool:
    """A one-key mapping whose key is `Ref` or `Fn::...`."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    for key in value:  # the only one
        return key == "Ref" or (isinstance(key, str) and key.startswith("Fn::"))
    return False


TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


@dataclass
class Resolver:
    template: dict
    parameters: dict[str, object] = field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    stack_name: str | None = None
    # Cross-stack lookups, provided by the input model: Fn::ImportValue, and GetAtt Nested.Outputs.X
    import_value: Callable[[str], object] | None = None
    nested_output: Callable[[str, str], object] | None = None
    _conditions: dict[str, object] = field(default_factory=dict)
    # logical id -> its Condition, for resources whose condition cannot be decided (checked as if created)
    undecided: dict[str, str] = field(default_factory=dict)

    # -- parameters and conditions -------------------------------------------------------------
    def parameter_value(self, name: str) -> object:
        declared = (self.template.get("Parameters") or {}).get(name)
        if declared is None:
            return UNRESOLVED
        if name in self.parameters:
            raw: object = self.parameters[name]
            if raw is None:  # UsePreviousValue: the deployed value, not the Default
                return UNRESOLVED
        elif isinstance(declared, dict) and "Default" in declared:
            raw = declared["Default"]
        else:
            return UNRESOLVED
        kind = declared.get("Type", "String") if isinstance(declared, dict) else "String"
        if isinstance(kind, str) and kind.startswith("AWS::SSM::Parameter::") and name not in self.parameters:
            return UNRESOLVED  # the Default is the parameter's path in SSM, not its value
        if isinstance(raw, str) and isinstance(kind, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
            return [item.strip() for item in raw.split(",")]
        return raw

    def condition(self, name: str) -> object:
        """True, False or UNRESOLVED."""
        if name not in self._conditions:
            self._conditions[name] = UNRESOLVED  # guards against cycles
            definition = (self.template.get("Conditions") or {}).get(name, UNRESOLVED)
            self._conditions[name] = self._evaluate_condition(definition)
        return self._conditions[name]

    def _evaluate_condition(self, expression: object) -> object:
        if not isinstance(expression, dict) or len(expression) != 1:
            return UNRESOLVED
        (function, args), = expression.items()
        if function == "Condition" and isinstance(args, str):
            return self.condition(args)
        if function == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
            left, right = (self.resolve(arg) for arg in args)
            if any(is_intrinsic(side) or side is UNRESOLVED for side in (left, right)):
                return UNRESOLVED
            left, right = cloudformation_text(left), cloudformation_text(right)
            if left != right and (has_symbol(left) or has_symbol(right)):
                return UNRESOLVED  # `${AWS::StackName}-prod` may or may not be `app-prod`
            return left == right
        if function in ("Fn::And", "Fn::Or", "Fn::Not") and isinstance(args, list):
            values = [self._evaluate_condition(arg) for arg in args]
            if function == "Fn::Not":
                return UNRESOLVED if len(values) != 1 or values[0] is UNRESOLVED else not values[0]
            decisive = function == "Fn::Or"  # True decides an Or, False decides an And
            if decisive in values:
                return decisive
            return UNRESOLVED if UNRESOLVED in values else not decisive
        return UNRESOLVED

    # -- values --------------------------------------------------------------------------------
    def pseudo_parameter(self, name: str) -> object:
        """A pseudo parameter's value when the input knows it (a cloud assembly's environment and stack name, or
        --parameters); else the symbol `${AWS::Name}`, which names one unknown value and equals no literal."""
        if name == "AWS::AccountId":  # a chain, not a dict of all five: asked for by every ARN a run builds
            known = self.account
        elif name == "AWS::Region":
            known = self.region
        elif name == "AWS::StackName":
            known = self.stack_name
        elif name == "AWS::Partition":
            known = partition_of(self.region)
        elif name == "AWS::URLSuffix":
            partition = partition_of(self.region)
            known = None if partition is None else "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        else:
            known = None
        return known if known else "${" + name + "}"

    def table_name(self, logical_id: str) -> str:
        """A table's name: its TableName when known, else `${LogicalId}` (CloudFormation generates one)."""
        properties = self.template["Resources"][logical_id].get("Properties") or {}
        name = self.resolve(properties.get("TableName")) if isinstance(properties, dict) else None
        return name if isinstance(name, str) and name else "${" + logical_id + "}"

    def table_arn(self, logical_id: str) -> str:
        return (f"arn:{self.pseudo_parameter('AWS::Partition')}:dynamodb:{self.pseudo_parameter('AWS::Region')}:"
                f"{self.pseudo_parameter('AWS::AccountId')}:table/{self.table_name(logical_id)}")

    def resolve(self, value: object) -> object:
        """Return the value with every resolvable intrinsic replaced; _NO_VALUE for AWS::NoValue."""
        if SPEEDUPS is not None:  # the same walk in C (resolve_in_python is its twin)
            return SPEEDUPS.resolve(value, self._resolve_function)
        return self.resolve_in_python(value)

    def resolve_in_python(self, value: object) -> object:
        if isinstance(value, list):
            items = [item if item.__class__ in _SCALARS else self.resolve_in_python(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:  # is_intrinsic, without a call for every mapping
            (function, args), = value.items()
            if function == "Ref" or (isinstance(function, str) and function.startswith("Fn::")):
                resolved = self._resolve_function(function, args)
                return value if resolved is UNRESOLVED else resolved
        # a plain dict: findings are located in the template as written, never in a resolved copy
        result = {}
        for key, item in value.items():
            if item.__class__ in _SCALARS:  # most values: no call for them
                result[key] = item
                continue
            resolved = self.resolve_in_python(item)
            if resolved is not _NO_VALUE:
                result[key] = resolved
        return result

    def _resolve_function(self, function: str, args: object) -> object:
        resources = self.template.get("Resources") or {}
        if function == "Ref" and isinstance(args, str):
            if args == "AWS::NoValue":
                return _NO_VALUE
            if args.startswith("AWS::"):
                return self.pseudo_parameter(args)
            if args in resources:
                if _resource_type(resources[args]) in TABLE_TYPES:
                    return self.table_name(args)
                return "${" + args + "}"
            return self.parameter_value(args)
        if function == "Fn::GetAtt":
            parts = args.split(".", 1) if isinstance(args, str) else args
            if isinstance(parts, list) and len(parts) == 2 and isinstance(parts[0], str) and parts[0] in resources \
                    and isinstance(parts[1], str):
                kind = _resource_type(resources[parts[0]])
                if kind in TABLE_TYPES and parts[1] == "Arn":
                    return self.table_arn(parts[0])
                if kind == "AWS::CloudFormation::Stack" and parts[1].startswith("Outputs.") and self.nested_output:
                    return self.nested_output(parts[0], parts[1].removeprefix("Outputs."))
                return "${" + f"{parts[0]}.{parts[1]}" + "}"
            return UNRESOLVED
        if function == "Fn::ImportValue" and self.import_value is not None:
            name = self.resolve(args)
            return self.import_value(name) if isinstance(name, str) else UNRESOLVED
        if function == "Fn::If" and isinstance(args, list) and len(args) == 3 and isinstance(args[0], str):
            chosen = self.condition(args[0])
            if chosen is UNRESOLVED:
                return UNRESOLVED
            return self.resolve(args[1] if chosen else args[2])
        if function == "Fn::Sub":
            return self._resolve_sub(args)
        if function == "Fn::Join" and isinstance(args, list) and len(args) == 2:
            delimiter, items = args[0], self.resolve(args[1])
            if isinstance(delimiter, str) and isinstance(items, list) and all(
                isinstance(item, (str, int, float)) for item in items
            ):
                return delimiter.join(str(item) for item in items)
            return UNRESOLVED
        if function == "Fn::Select" and isinstance(args, list) and len(args) == 2:
            index, items = self.resolve(args[0]), self.resolve(args[1])
            try:
                return items[int(index)] if isinstance(items, list) else UNRESOLVED
            except (ValueError, TypeError, IndexError):
                return UNRESOLVED
        if function == "Fn::FindInMap" and isinstance(args, list) and len(args) in (3, 4):
            return self._find_in_map(args)
        if function == "Fn::Split" and isinstance(args, list) and len(args) == 2:
            delimiter, text = self.resolve(args[0]), self.resolve(args[1])
            if isinstance(delimiter, str) and delimiter and isinstance(text, str):
                return text.split(delimiter)
            return UNRESOLVED
        if function == "Fn::Length":  # AWS::LanguageExtensions
            items = self.resolve(args)
            return len(items) if isinstance(items, list) and not has_unresolved(items) else UNRESOLVED
        if function == "Fn::ToJsonString":  # AWS::LanguageExtensions
            value = self.resolve(args)
            if isinstance(value, (dict, list)) and not has_unresolved(value):
                return json.dumps(value, separators=(",", ":"))
            return UNRESOLVED
        return UNRESOLVED

    def _find_in_map(self, args: list) -> object:
        """Fn::FindInMap, with AWS::LanguageExtensions' `{DefaultValue: ...}` as a fourth argument."""
        default = args[3].get("DefaultValue", UNRESOLVED) if len(args) == 4 and isinstance(args[3], dict) else UNRESOLVED
        keys = [self.resolve(arg) for arg in args[:3]]
        node: object = self.template.get("Mappings") or {}
        for key in keys:
            if not isinstance(key, str) or not isinstance(node, dict):
                return UNRESOLVED
            if key not in node:
                return UNRESOLVED if default is UNRESOLVED else self.resolve(default)
            node = node[key]
        # CloudFormation allows no functions in Mappings: one there is not followed (a mapping of mappings that
        # refer to each other twice over would otherwise grow exponentially)
        return UNRESOLVED if has_unresolved(node) else self.resolve(node)

    def _resolve_sub(self, args: object) -> object:
        if isinstance(args, str):
            text, variables = args, {}
        elif isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], dict):
            text, variables = args[0], {k: self.resolve(v) for k, v in args[1].items()}
        else:
            return UNRESOLVED
        unresolved = False

        def substitute(match: re.Match) -> str:
            nonlocal unresolved
            name = match.group(1)
            if name in variables:
                value = variables[name]
            elif "." in name:
                value = self._resolve_function("Fn::GetAtt", name.split(".", 1))
            else:
                value = self._resolve_function("Ref", name)
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                unresolved = True
                return match.group(0)
            return str(value)

        result = _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")
        return UNRESOLVED if unresolved else result


def cloudformation_text(value: object) -> object:
    """A value as CloudFormation compares it in Fn::Equals: `true` and "true" are equal, and so are 1 and "1"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [cloudformation_text(item) for item in value]
    return value


def unknown_pseudo_parameters(stack) -> frozenset[str]:
    """The pseudo parameters a stack's resolver cannot know (its stack name, account or region are not given)."""
    unknown = {"AWS::StackId", "AWS::NotificationARNs"}  # known only once CloudFormation runs the stack
    unknown |= {"AWS::StackName"} if not stack.stack_name else set()
    unknown |= {"AWS::AccountId"} if not stack.account else set()
    unknown |= {"AWS::Region", "AWS::Partition", "AWS::URLSuffix"} if not stack.region else set()
    return frozenset(unknown)


def pseudo_parameters_in(value: object, template: dict) -> set[str]:
    """The pseudo parameters a value depends on: referenced in it (Ref, Fn::Sub) or in the conditions it uses."""
    found: set[str] = set()
    conditions = template.get("Conditions") if isinstance(template.get("Conditions"), dict) else {}
    seen: set[str] = set()
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str):
            found.update(f"AWS::{name}" for name in re.findall(r"\$\{AWS::([A-Za-z]+)\}", node))
        elif isinstance(node, dict):
            for key, item in node.items():
                if key == "Ref" and isinstance(item, str) and item.startswith("AWS::"):
                    found.add(item)
                elif key in ("Condition", "Fn::If") and (isinstance(item, str) or isinstance(item, list) and item):
                    name = item if isinstance(item, str) else item[0]
                    if isinstance(name, str) and name not in seen:
                        seen.add(name)
                        pending.append(conditions.get(name))
                    pending.append(item if isinstance(item, list) else None)
                else:
                    pending.append(item)
    return found


def has_unresolved(value: object) -> bool:
    if is_intrinsic(value):
        return True
    if isinstance(value, dict):
        return any(has_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unresolved(v) for v in value)
    return False


def _resource_type(resource: object) -> object:
    return resource.get("Type") if isinstance(resource, dict) else None


_SYMBOL = re.compile(r"\$\{[^}]+\}")


def symbols_in(text: str) -> list[str]:
    """Every `${...}` symbol in a resolved string (`arn:aws:kms:...:key/${Key}` -> [`${Key}`])."""
    return _SYMBOL.findall(text)


def has_symbol(value: object) -> bool:
    """The value holds a symbol for something decided at deploy time (`${AWS::StackName}`, `${Role.Arn}`)."""
    if isinstance(value, list):
        return any(has_symbol(item) for item in value)
    return isinstance(value, str) and "${" in value


# Region prefixes of the partitions other than `aws` (the AWS SDKs' partition table).
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-iso-", "aws-iso"),
               ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"), ("eusc-", "aws-eusc"))


@lru_cache(maxsize=256)  # asked for every ARN a run builds, of the few regions it has
def partition_of(region: str | None) -> str | None:
    """The partition of a region; None when the region is not known (a template file)."""
    if not region:
        return None
    return next((partition for prefix, partition in _PARTITIONS if region.startswith(prefix)), "aws")


def resolve_template(
    template: dict,
    parameters: dict[str, str] | None = None,
    *,
    account: str | None = None,
    region: str | None = None,
    stack_name: str | None = None,
) -> dict:
    """A resolved copy of one template on its own; resources whose Condition is false are left out."""
    return resolve_with(Resolver(template, dict(parameters or {}), account, region, stack_name))


def resolve_with(resolver: Resolver) -> dict:
    template = resolver.template
    resolved = copy.copy(template)
    resources = {}
    source = template.get("Resources") or {}
    for logical_id, resource in source.items():
        if isinstance(resource, dict) and isinstance(resource.get("Condition"), str):
            decided = resolver.condition(resource["Condition"])
            if decided is False:
                continue
            if decided is UNRESOLVED:
                resolver.undecided[logical_id] = resource["Condition"]
            # Decided here (or unknown, which is checked as if created): no engine decides again.
            resource = {key: value for key, value in resource.items() if key != "Condition"}
        resources[logical_id] = resolver.resolve(resource)
    resolved["Resources"] = resources
    return resolved
