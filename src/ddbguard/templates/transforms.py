"""The transforms CloudFormation runs before it deploys a template, done offline.

In CloudFormation's order: `AWS::Include` snippets (Fn::Transform), then `AWS::LanguageExtensions`
(Fn::ForEach; its other functions are resolved with the rest in resolve.py), then AWS SAM. What
cannot be expanded offline is an input error that says why: a table hidden in a snippet or a loop
is never left unchecked.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

from ddbguard.templates.decode import DecodeError, decode_file
from ddbguard.templates.marks import MarkedDict
from ddbguard.templates.resolve import UNRESOLVED, Resolver, has_unresolved

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
INCLUDE = "AWS::Include"
FOR_EACH = "Fn::ForEach::"


class TransformError(Exception):
    """The template cannot be expanded as CloudFormation would: one input error naming where and why."""


def transforms_of(template: dict) -> list:
    declared = template.get("Transform")
    return declared if isinstance(declared, list) else [declared] if declared is not None else []


# -- AWS::Include ----------------------------------------------------------------------------------
Locate = Callable[[str, Path], "Path | None"]  # (Location, the including file's folder) -> the local file
MAX_INCLUDES = 500  # snippets read for one template (a snippet may include others, each many times)


def expand_includes(template: dict, directory: Path, locate: Locate) -> dict:
    """Replace every `Fn::Transform: {Name: AWS::Include, Parameters: {Location}}` by its snippet.

    `locate` finds the file: a local Location relative to the template (as `aws cloudformation package`
    does), an S3 Location like a nested stack's S3 TemplateURL, confined to the template roots (it raises
    TransformError for a file outside them); None when there is no local copy, which is an error.
    """
    return _expand_includes(template, directory, locate, (), [])


def expand_top_level_includes(template: dict, directory: Path, locate: Locate) -> dict:
    """`Transform: {Name: AWS::Include, Parameters: {Location}}` inserts its snippet at the top level of the
    template, as `Fn::Transform` would there; the template keeps its other transforms."""
    declared = transforms_of(template)
    includes = [t for t in declared if isinstance(t, dict) and t.get("Name") == INCLUDE]
    if not includes:
        return template
    rest = [t for t in declared if t not in includes]
    result = MarkedDict((key, value) for key, value in template.items() if key != "Transform")
    result.line, result.key_lines = getattr(template, "line", 0), dict(getattr(template, "key_lines", {}))
    if rest:
        result["Transform"] = rest
    for include in includes:
        result["Fn::Transform"] = include
        result = _expand_includes(result, directory, locate, (), [])
    return result


def included_resources(written: dict, expanded: dict) -> dict[str, str]:
    """Logical ids that an AWS::Include snippet added to Resources -> the key that included them."""
    if "Fn::Transform" not in (written.get("Resources") or {}):
        return {}
    return {logical_id: "Fn::Transform" for logical_id in expanded["Resources"] if logical_id not in written["Resources"]}


def _expand_includes(node: object, directory: Path, locate: Locate, seen: tuple[Path, ...], read: list[Path]) -> object:
    if isinstance(node, list):
        return [_expand_includes(item, directory, locate, seen, read) for item in node]
    if not isinstance(node, dict):
        return node
    transform = node.get("Fn::Transform")
    snippet: object = None
    if isinstance(transform, dict) and transform.get("Name") == INCLUDE:
        snippet = _read_snippet(transform, directory, locate, seen, read)
        if len(node) == 1:
            return snippet
        if not isinstance(snippet, dict):
            raise TransformError(f"AWS::Include {_location(transform)}: the snippet must be a mapping to merge "
                                 "beside other keys")
    result = MarkedDict()
    result.line = getattr(node, "line", 0)
    for key, value in node.items():
        if key == "Fn::Transform" and snippet is not None:
            continue
        result[key] = _expand_includes(value, directory, locate, seen, read)
        result.key_lines[key] = getattr(node, "key_lines", {}).get(key, result.line)
    for key, value in (snippet or {}).items():
        if key in result:
            raise TransformError(f"AWS::Include {_location(transform)}: {key} is both in the snippet and beside it")
        result[key] = value
        result.key_lines[key] = result.line
    return result


def _location(transform: dict) -> str:
    parameters = transform.get("Parameters")
    return repr(parameters.get("Location")) if isinstance(parameters, dict) else "(no Location)"


def _read_snippet(transform: dict, directory: Path, locate: Locate, seen: tuple[Path, ...], read: list[Path]) -> object:
    if len(read) >= MAX_INCLUDES:  # `read`: every snippet read for this template so far
        raise TransformError(f"AWS::Include: the template includes more than {MAX_INCLUDES} snippets (snippets "
                             "that include snippets, each many times)")
    parameters = transform.get("Parameters")
    location = parameters.get("Location") if isinstance(parameters, dict) else None
    if not isinstance(location, str) or not location:
        raise TransformError(f"AWS::Include: Location {location!r} is not a literal path or S3 URL; it cannot be "
                             "read offline")
    path = locate(location, directory)
    if path is None or not path.is_file():
        raise TransformError(f"AWS::Include {location}: no local copy found (for an S3 location, pass the folder "
                             "that holds it with --template-root)")
    if path.resolve() in seen:
        raise TransformError(f"AWS::Include {location}: the snippet includes itself")
    read.append(path)
    try:
        snippet = decode_file(path)
    except DecodeError as exc:
        raise TransformError(f"AWS::Include {location}: {path}: {exc}") from None
    if not isinstance(snippet, (dict, list)):  # never a file's text as a value (nor echoed in a message)
        raise TransformError(f"AWS::Include {location}: {path} is not a YAML or JSON mapping or list")
    return _expand_includes(snippet, path.parent, locate, (*seen, path.resolve()), read)


# -- AWS::LanguageExtensions: Fn::ForEach ----------------------------------------------------------
# CloudFormation's quotas apply to the template a loop makes (at most 1 MB): a template that expands beyond this
# many values cannot be deployed, and a 1.5 KB template of nested loops must not take gigabytes to find that out.
MAX_EXPANDED_VALUES = 300_000


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_EXPANDED_VALUES

    def spend(self, loop: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise TransformError(f"{loop}: Fn::ForEach expands the template beyond {MAX_EXPANDED_VALUES:,} values, "
                                 "more than fits in the 1 MB CloudFormation accepts for the resulting template")


def expand_for_each(template: dict, parameters: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Every `Fn::ForEach::Name` expanded in place; also returns generated key -> the loop that made it."""
    resolver = Resolver(template, dict(parameters))
    origins: dict[str, str] = {}
    return _expand_loops(template, resolver, origins, None, _Budget()), origins


def _expand_loops(node: object, resolver: Resolver, origins: dict[str, str], origin: str | None,
                  budget: _Budget) -> object:
    if isinstance(node, list):
        return [_expand_loops(item, resolver, origins, origin, budget) for item in node]
    if not isinstance(node, dict):
        return node
    result = MarkedDict()
    result.line = getattr(node, "line", 0)
    for key, value in node.items():
        line = getattr(node, "key_lines", {}).get(key, result.line)
        if not (isinstance(key, str) and key.startswith(FOR_EACH)):
            result[key] = _expand_loops(value, resolver, origins, origin, budget)
            result.key_lines[key] = line
            continue
        for generated_key, generated in _generated(key, value, resolver, budget):
            if generated_key in result:
                raise TransformError(f"{key}: generates {generated_key}, which already exists")
            result[generated_key] = _expand_loops(generated, resolver, origins, origin or key, budget)
            result.key_lines[generated_key] = line
            origins[generated_key] = origin or key
    return result


def _generated(key: str, value: object, resolver: Resolver, budget: _Budget):
    """What a loop makes: a loop in its output (nested loops, each iteration naming the inner loop alike) is
    expanded within that iteration."""
    for generated_key, generated in _loop(key, value, resolver, budget):
        if isinstance(generated_key, str) and generated_key.startswith(FOR_EACH):
            yield from _generated(generated_key, generated, resolver, budget)
        else:
            yield generated_key, generated


def _loop(key: str, value: object, resolver: Resolver, budget: _Budget):
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[2], dict)):
        raise TransformError(f"{key}: expected [Identifier, Collection, {{OutputKey: OutputValue}}]")
    identifier, collection, outputs = value
    items = resolver.resolve(collection)
    if not isinstance(items, list) or has_unresolved(items) or items is UNRESOLVED or not all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in items):
        raise TransformError(f"{key}: the collection {json.dumps(collection, default=str)} cannot be resolved "
                             "statically (give its parameter a value with --parameters)")
    for item in items:
        text = str(item)
        for output_key, output_value in outputs.items():
            yield _substitute(output_key, identifier, text, budget, key), \
                _substitute(output_value, identifier, text, budget, key)


def _substitute(node: object, identifier: str, value: str, budget: _Budget, loop: str) -> object:
    """The loop variable in keys, `Ref: Identifier`, `${Identifier}` and `&{Identifier}` (alphanumerics only)."""
    budget.spend(loop)
    if isinstance(node, str):
        return node.replace("${" + identifier + "}", value).replace(
            "&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", value))
    if isinstance(node, list):
        return [_substitute(item, identifier, value, budget, loop) for item in node]
    if not isinstance(node, dict):
        return node
    if node.keys() == {"Ref"} and node["Ref"] == identifier:
        return value
    result = MarkedDict()
    result.line = getattr(node, "line", 0)
    for key, item in node.items():
        new_key = _substitute(key, identifier, value, budget, loop)
        result[new_key] = _substitute(item, identifier, value, budget, loop)
        result.key_lines[new_key] = getattr(node, "key_lines", {}).get(key, result.line)
    return result


# -- AWS SAM ---------------------------------------------------------------------------------------
PLACEHOLDER_S3 = "s3://ddbguard-placeholder/artifact"
# property -> resource types whose local artifact paths `sam package` would upload
_ARTIFACTS = {
    "AWS::Serverless::Function": ("CodeUri", "ImageUri"),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Application": ("Location",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::GraphQLApi": ("SchemaUri",),
}


def serverless_without_transform(template: dict) -> list[str]:
    """Logical ids of AWS::Serverless::* resources in a template that does not declare the SAM transform."""
    if SAM_TRANSFORM in transforms_of(template):
        return []
    resources = template.get("Resources") or {}
    return [logical_id for logical_id, resource in resources.items()
            if isinstance(resource, dict) and str(resource.get("Type", "")).startswith("AWS::Serverless::")]


def prepare_for_sam(template: dict) -> dict:
    """What `sam package` would hand CloudFormation: local artifact paths become S3 URIs.

    Like cfn-lint: every local (or missing) code location gets a placeholder S3 URI, so that the
    translator, which rejects local paths, expands the template without any AWS call. None of these
    properties is read by a rule.
    """
    prepared = copy.deepcopy(template)
    resources = prepared.get("Resources") if isinstance(prepared.get("Resources"), dict) else {}
    globals_section = prepared.get("Globals") if isinstance(prepared.get("Globals"), dict) else {}
    function_globals = globals_section.get("Function") if isinstance(globals_section.get("Function"), dict) else {}
    global_code = function_globals.pop("CodeUri", None)  # a global CodeUri conflicts with a function's InlineCode
    for resource in resources.values():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties", {}), dict):
            continue
        kind = resource.get("Type")
        properties = resource.setdefault("Properties", {})
        if kind == "AWS::Serverless::Function":
            if "InlineCode" in properties:
                properties.pop("CodeUri", None)
                continue
            if properties.get("PackageType") == "Image":
                properties["ImageUri"] = _s3_or_placeholder(properties.get("ImageUri"))
                continue
            properties["CodeUri"] = _s3_or_placeholder(properties.get("CodeUri", global_code))
            continue
        for name in _ARTIFACTS.get(kind, ()):
            if name == "DefinitionUri" and "DefinitionBody" in properties:
                continue
            if name in properties:
                # A Serverless Application Repository Location would make SAM call AWS: a placeholder instead.
                properties[name] = _s3_or_placeholder(properties[name])
    return prepared


def local_applications(template: dict) -> dict[str, str]:
    """AWS::Serverless::Application resources whose Location is a local template: logical id -> path.

    SAM turns them into nested stacks; `sam package` would upload the local template, so ddbguard
    follows it there instead of the placeholder.
    """
    resources = template.get("Resources") if isinstance(template.get("Resources"), dict) else {}
    return {logical_id: resource["Properties"]["Location"] for logical_id, resource in resources.items()
            if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Application"
            and isinstance(resource.get("Properties"), dict)
            and isinstance(resource["Properties"].get("Location"), str)
            and "://" not in resource["Properties"]["Location"]}


def _s3_or_placeholder(value: object) -> object:
    if isinstance(value, str) and value.startswith(("s3://", "https://")):
        return value
    if isinstance(value, dict) and set(value) >= {"Bucket", "Key"}:
        return value
    return PLACEHOLDER_S3


def expand_sam(template: dict, region: str | None, managed_policies: dict[str, str]) -> dict:
    """The SAM translator's output for the prepared template, or TransformError with its own causes."""
    import logging  # here: the logging package takes 25 ms to import, and only SAM templates need it

    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    # The session only names a region (SAM picks the partition from it); nothing is called.
    session = boto3.session.Session(region_name=region or "us-east-1")
    translator = Translator(None, Parser(), boto_session=session)
    prepared = json.loads(json.dumps(prepare_for_sam(template)))
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints notes about metrics and feature toggles
            expanded = translator.translate(prepared, parameter_values={},
                                            get_managed_policy_map=lambda: dict(managed_policies))
    except InvalidDocumentException as exc:
        causes = "; ".join(dict.fromkeys(getattr(cause, "message", str(cause)) for cause in exc.causes))
        raise TransformError(f"AWS SAM template could not be expanded: {causes}") from None
    except Exception as exc:  # noqa: BLE001 - the translator raises many kinds; each is one input error
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise TransformError(f"AWS SAM template could not be expanded: {message}") from None
    for logical_id, location in local_applications(template).items():
        nested = expanded.get("Resources", {}).get(logical_id)
        if isinstance(nested, dict) and isinstance(nested.get("Properties"), dict):
            nested["Properties"]["TemplateURL"] = location
    return expanded
