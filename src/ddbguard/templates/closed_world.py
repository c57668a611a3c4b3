"""The closed world: every construct of a template is modelled, irrelevant on purpose, or reported as not modelled.

This is the one place that decides. `classify` (templates/modelled.py) answers for every resource type (tests
walk every type of the CloudFormation registry schemas and every intrinsic function cfn-lint knows);
`find_not_modelled` lists what a stack holds that ddbguard does not model, and which verdicts it could change:

- a `Transform` that is a macro (anything but SAM, AWS::LanguageExtensions and AWS::Include, which ddbguard
  expands, and two AWS transforms that touch no table): it rewrites the template, so every verdict of the stack;
- `Fn::Transform` of a macro inside a resource: that resource's verdicts (elsewhere: the whole stack's);
- a module (`...::MODULE`), a type the registry schemas do not list (a private or third-party extension, or one
  newer than ddbguard's list), a custom resource: they may create tables ddbguard never sees, and they may
  change or remove the tables they name, whose verdicts become unknown;
- a type that deploys a template ddbguard cannot read (a Service Catalog product, a CodePipeline CloudFormation
  action; a StackSet whose template is not readable, reported by the loader).

A verdict a construct could change is `unknown` with the reason, never a pass; the construct itself is a DDB009
finding (unknown) in every report, which a suppression with a reason declares harmless.
"""

from __future__ import annotations

import json
import re

from ddbguard.model import NotModelled
from ddbguard.templates.decode import line_of, may_hold_key
from ddbguard.templates.modelled import (
    AWS_SDK_CALL, DEPLOYS, EXPANDED_TRANSFORMS, IRRELEVANT_TRANSFORMS, NOT_MODELLED, classify,
)
from ddbguard.templates.resolve import TABLE_TYPES, is_intrinsic, symbols_in
from ddbguard.templates.transforms import transforms_of


# -- finding what a stack does not model -----------------------------------------------------------
class TableIndex:
    """Every table of the run by the values that name it: its name, its ARN, and (in its own stack) its tokens."""

    def __init__(self) -> None:
        self._by_value: dict[str, list[tuple[str, str]]] = {}
        self._arns: list[tuple[str, str, str]] = []
        self._local: dict[str, dict[str, str]] = {}  # stack -> token -> logical id

    def add(self, stack: str, logical_id: str, name: str, arn: str) -> None:
        if not name.startswith("${"):
            self._by_value.setdefault(name, []).append((stack, logical_id))
        self._arns.append((arn, stack, logical_id))
        local = self._local.setdefault(stack, {})
        for token in (name, f"${{{logical_id}}}", f"${{{logical_id}.Arn}}", f"${{{logical_id}.StreamArn}}"):
            local[token] = logical_id

    def named_by(self, stack: str, value: object) -> set[tuple[str, str]]:
        """(stack, logical id) of every table a resolved value names anywhere inside it."""
        found: set[tuple[str, str]] = set()
        pending = [value]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
            elif isinstance(node, str):
                found |= self._in_text(stack, node)
        return found

    def _in_text(self, stack: str, text: str) -> set[tuple[str, str]]:
        """The tables a string names: as a whole, or as a word of it (`--table-name orders`, `a,orders`), a
        token in it (`${Orders}`) or an ARN in it."""
        local = self._local.get(stack, {})
        found = set(self._by_value.get(text, ()))
        for word in _WORDS.findall(text):
            found.update(self._by_value.get(word, ()))
        for token in [text, *symbols_in(text)]:
            if token in local:
                found.add((stack, local[token]))
        arns = [text, *_ARNS.findall(text)]
        found.update((s, lid) for arn, s, lid in self._arns for candidate in arns
                     if (candidate == arn or candidate.startswith(arn + "/")) and ("${" not in arn or s == stack))
        return found


_WORDS = re.compile(r"[A-Za-z0-9_.\-]{3,255}")  # the characters of a table name
_ARNS = re.compile(r"arn:[^\s,;\"'()]+")


def find_not_modelled(stack, resolved: dict, tables: TableIndex) -> list[NotModelled]:
    """What the stack (its template as written and as resolved) holds that ddbguard does not model."""
    written = stack.source or stack.template
    found: list[NotModelled] = []

    def record(construct: str, logical_id: str, effect: str, affects, path: tuple = ()) -> None:
        """`logical_id`: the resource that holds the construct, or the section of the template."""
        resources = written.get("Resources") or {}
        holder = resources if logical_id in resources else written
        found.append(NotModelled(construct, stack.name, stack.file, logical_id, effect, affects, path,
                                 line_of(holder, (logical_id, *path)) + stack.line_offset))

    for transform in transforms_of(written):
        name = transform.get("Name") if isinstance(transform, dict) else transform
        if name in EXPANDED_TRANSFORMS or name in IRRELEVANT_TRANSFORMS:
            continue
        shown = name if isinstance(name, str) else json.dumps(transform, default=str)
        record(f"Transform {shown}", "Transform",
               "a macro: CloudFormation runs it on the template before deploying, and what it makes of the stack "
               "is not modelled", None)
    for path, name in _macro_transforms(stack.template):
        in_resource = len(path) > 2 and path[0] == "Resources"
        construct = f"Fn::Transform {name}"
        if in_resource:
            logical_id = path[1]
            record(construct, logical_id, f"a macro: what it makes of {logical_id} is not modelled",
                   ((stack.name, logical_id),), tuple(path[2:]))
        else:  # in another section (or the whole Resources mapping): it may change any resource
            section = str(path[0]) if path else "Fn::Transform"
            record(construct, section, f"a macro at {'.'.join(map(str, path)) or 'the top level'}: what it makes "
                                       "of the stack is not modelled", None, tuple(path[1:]))
    for logical_id, resource in resolved["Resources"].items():
        kind = resource.get("Type")
        if not isinstance(kind, str):
            continue
        for action in _pipeline_deploy_actions(kind, resource.get("Properties")):
            record(f"type {kind}", logical_id, f"{DEPLOYS} (its action {action})", (), ("Properties", "Stages"))
        if logical_id in stack.unread_templates:
            record(f"type {kind}", logical_id, f"{DEPLOYS} ({stack.unread_templates[logical_id]})", (),
                   ("Properties",))
            continue
        classification = classify(kind)
        if classification.kind != NOT_MODELLED:
            continue
        properties = resource.get("Properties")
        calls = sdk_calls(properties) if kind == AWS_SDK_CALL else None
        named = tables.named_by(stack.name, [properties, calls]) if classification.acts_on_named_tables else set()
        if kind == AWS_SDK_CALL and sdk_calls_leave_tables_alone(calls):
            continue  # CDK's AwsCustomResource calling no DynamoDB API, or only reading and writing items
        tables_named = ", ".join(sorted(lid if s == stack.name else f"{s}/{lid}" for s, lid in named))
        effect = classification.reason + (f" (it names {tables_named})" if named else "")
        record(f"type {kind}", logical_id, effect, tuple(sorted(named)), ("Type",))
    return found


_CLOUDFORMATION_PROVIDERS = ("CloudFormation", "CloudFormationStackSet", "CloudFormationStackInstances")


def _pipeline_deploy_actions(kind: str, properties: object) -> list[str]:
    """A CodePipeline's CloudFormation actions, which deploy (and may replace or delete) stacks from templates of
    a pipeline artifact: the one way a type of an otherwise irrelevant service deploys tables."""
    if kind != "AWS::CodePipeline::Pipeline" or not isinstance(properties, dict):
        return []
    found = []
    for stage in properties.get("Stages") if isinstance(properties.get("Stages"), list) else []:
        for action in (stage.get("Actions") or []) if isinstance(stage, dict) else []:
            provider = (action.get("ActionTypeId") or {}).get("Provider") if isinstance(action, dict) else None
            if provider in _CLOUDFORMATION_PROVIDERS or (isinstance(action, dict) and is_intrinsic(provider)):
                configuration = action.get("Configuration") if isinstance(action.get("Configuration"), dict) else {}
                target = configuration.get("StackName") or configuration.get("StackSetName")
                found.append(f"{action.get('Name')} deploys "
                             + (f"{target} " if isinstance(target, str) else "a stack ")
                             + f"with {provider if isinstance(provider, str) else 'an unresolved provider'}"
                             + (f" ({configuration['ActionMode']})" if isinstance(configuration.get("ActionMode"), str)
                                else ""))
    return found


def _macro_transforms(template: dict) -> list[tuple[tuple, str]]:
    """(path, macro name) of every Fn::Transform left after AWS::Include was expanded."""
    if not may_hold_key(template, "Fn::Transform"):
        return []
    found, pending = [], [((), template)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, dict):
            transform = node.get("Fn::Transform")
            if transform is not None:
                name = transform.get("Name") if isinstance(transform, dict) else None
                found.append((path, name if isinstance(name, str) else json.dumps(transform, default=str)))
            pending.extend(((*path, key), value) for key, value in node.items() if key != "Fn::Transform")
        elif isinstance(node, list):
            pending.extend(((*path, index), value) for index, value in enumerate(node))
    return sorted(found, key=lambda item: [str(step) for step in item[0]])


# DynamoDB calls of an AwsCustomResource that read or write items, or read settings: none changes a verdict.
_ITEM_AND_READ_CALLS = frozenset(name.lower() for name in (
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"))


def sdk_calls(properties: object) -> list[dict] | None:
    """CDK's AwsCustomResource: the SDK calls written in Create/Update/Delete (JSON text); None when one cannot
    be read (a value that did not resolve)."""
    calls = []
    for key in ("Create", "Update", "Delete", "OnCreate", "OnUpdate", "OnDelete"):
        call = properties.get(key) if isinstance(properties, dict) else None
        if call is None:
            continue
        try:
            call = json.loads(call) if isinstance(call, str) else call
        except ValueError:
            return None
        if not isinstance(call, dict) or is_intrinsic(call):
            return None
        calls.append(call)
    return calls


def sdk_calls_leave_tables_alone(calls: list[dict] | None) -> bool:
    """Every call is readable, and none of DynamoDB's is one that can change a table's settings or existence
    (only item reads and writes, and Describe/List/Get)."""
    if calls is None:
        return False
    for call in calls:
        service = str(call.get("service", "")).lower().removeprefix("@aws-sdk/client-").replace("-", "")
        action = str(call.get("action", "")).removesuffix("Command").lower()
        if service in ("dynamodb", "dynamodbstreams") and not (
                action in _ITEM_AND_READ_CALLS or action.startswith(("describe", "list", "get"))):
            return False
    return True


def table_index(entries) -> TableIndex:
    """The index of every table of the run, from (stack name, resolver, resolved template) triples."""
    index = TableIndex()
    for name, resolver, resolved in entries:
        for logical_id, resource in resolved["Resources"].items():
            if resource.get("Type") in TABLE_TYPES:
                index.add(name, logical_id, resolver.table_name(logical_id), resolver.table_arn(logical_id))
    return index
