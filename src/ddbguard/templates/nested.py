"""Nested stacks (AWS::CloudFormation::Stack, StackSets' templates) found and read locally, confined to the
template roots, and the transforms each template goes through as CloudFormation runs them."""

from __future__ import annotations

import json
from pathlib import Path

from ddbguard.iam import aws_managed_policy_arns
from ddbguard.model import InputError
from ddbguard.templates.decode import DecodeError, decode_text, line_of, read_text
from ddbguard.templates.resolve import is_intrinsic
from ddbguard.templates.shape import condition_depth_problem, policy_function_problem, shape_problem
from ddbguard.templates.stack import MAX_NESTING, MAX_STACKS, NESTED_STACK, STACK_SET, LoadResult, Stack, is_template
from ddbguard.templates.transforms import (
    INCLUDE, LANGUAGE_EXTENSIONS, PLACEHOLDER_S3, SAM_TRANSFORM, TransformError, expand_for_each, expand_includes, expand_sam,
    expand_top_level_includes, included_resources, serverless_without_transform, transforms_of,
)

def load_nested_stacks(parent: Stack, directory: Path, result: LoadResult, asset_files: dict | None = None) -> None:
    """Follow AWS::CloudFormation::Stack resources to their templates (one not found is an input error), and
    AWS::CloudFormation::StackSet resources to the template they deploy (one that cannot be read is not modelled).

    A CDK NestedStack's template is an asset: its TemplateURL ends in `<asset hash>.json` (and the
    CDK CLI also writes the file name into `aws:asset:path` metadata). Hand-written templates may
    give a relative TemplateURL, or an S3 URL found by its path suffix under the template roots.
    """
    ancestors = set()
    stack: Stack | None = parent
    while stack is not None:
        ancestors.add(Path(stack.file).resolve())
        stack = stack.parent
    depth = len(ancestors)
    for logical_id, resource in parent.template["Resources"].items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind not in (NESTED_STACK, STACK_SET):
            continue
        if depth >= MAX_NESTING or len(result.stacks) >= MAX_STACKS:
            result.errors.append(InputError(parent.file, f"nested stack {logical_id}: more than "
                                            + (f"{MAX_NESTING} levels of nested stacks" if depth >= MAX_NESTING
                                               else f"{MAX_STACKS} stacks in one run") + " (a limit ddbguard sets)"))
            return
        properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        url = properties.get("TemplateURL")
        offset = 0
        if url == PLACEHOLDER_S3:  # a SAM application from the Serverless Application Repository
            parent.unread_templates[logical_id] = ("an AWS SAM application whose template is in the Serverless "
                                                   "Application Repository, not in the input")
            continue
        try:
            if kind == STACK_SET and "TemplateBody" in properties:
                child_path, text = Path(parent.file), _template_body(properties["TemplateBody"])
                # the body's first line is the one after its key (`TemplateBody: |`)
                offset = line_of((parent.source or parent.template)["Resources"],
                                 (logical_id, "Properties", "TemplateBody")) + parent.line_offset
            else:
                child_path = _nested_template(resource, url, directory, result, asset_files or {})
                text = None
        except TransformError as exc:
            if kind == STACK_SET:  # its template may live elsewhere (another repository's S3 bucket)
                parent.unread_templates[logical_id] = str(exc)
            else:
                result.errors.append(InputError(parent.file, f"nested stack {logical_id}: {exc}"))
            continue
        if text is None and child_path.resolve() in ancestors:
            result.errors.append(InputError(parent.file, f"nested stack {logical_id}: TemplateURL {_shown(url)} "
                                                         f"names {child_path}, which contains this stack itself"))
            continue
        where = str(child_path) if text is None else f"{parent.file}: StackSet {logical_id} TemplateBody"
        try:
            text = read_text(child_path) if text is None else text
            template = decode_text(text)
        except DecodeError as exc:
            result.errors.append(InputError(where, str(exc)))
            continue
        if not is_template(template):
            result.errors.append(InputError(where, "not a CloudFormation template (no Resources mapping)"))
            continue
        child = Stack(
            name=f"{parent.name}/{_nested_stack_name(logical_id, resource)}",
            file=str(child_path),
            template=template,
            # a StackSet deploys into the accounts and regions of its instances: not the parent's
            account=parent.account if kind == NESTED_STACK else None,
            region=parent.region if kind == NESTED_STACK else None,
            parent=parent,
            parent_logical_id=logical_id,
            via=kind,
            context=parent.context,
            line_offset=offset,
        )
        if prepare_stack(child, child_path.parent, result, text):
            result.stacks.append(child)
            load_nested_stacks(child, child_path.parent, result, asset_files)


def _template_body(body: object) -> str:
    """A StackSet's TemplateBody: the template's text. One built with intrinsic functions is not read."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict) and not is_intrinsic(body):
        return json.dumps(body)  # written as a mapping: the template itself
    raise TransformError(f"its TemplateBody is {json.dumps(body, default=str)[:80]}, not the template's text")


def _shown(url: object) -> str:
    return _url_text(url) or json.dumps(url, default=str)


def _nested_template(resource: dict, url: object, directory: Path, result: LoadResult, asset_files: dict) -> Path:
    metadata = resource.get("Metadata") if isinstance(resource.get("Metadata"), dict) else {}
    candidate = metadata.get("aws:asset:path")
    if not isinstance(candidate, str) and asset_files:
        url_text = json.dumps(url, default=str)
        candidate = next((path for asset_hash, path in asset_files.items() if f"{asset_hash}.json" in url_text), None)
    if isinstance(candidate, str):  # a CDK asset: the file must be in the assembly
        result.confine(directory / candidate, f"its template {candidate} (aws:asset:path)")
        if (directory / candidate).is_file():
            return directory / candidate
        raise TransformError(f"its template {candidate} (TemplateURL {_shown(url)}) is missing from {directory}")
    if isinstance(url, str) and url and "://" not in url:
        result.confine(directory / url, f"TemplateURL {url}")
        if (directory / url).is_file():
            return directory / url
        raise TransformError(f"TemplateURL {url} names no file next to the parent template")
    found = find_by_url_suffix(url, (directory, *result.template_roots))
    if found is None:
        raise TransformError(f"template {_shown(url)} not found locally (pass the folder that holds it with "
                             "--template-root)")
    return result.confine(found, f"TemplateURL {_shown(url)}")


def find_by_url_suffix(url: object, roots: tuple[Path, ...]) -> Path | None:
    """Map an S3 URL to a local file by its path suffix; raises TransformError when two files match.

    `https://s3.amazonaws.com/${SourceBucket}/cfn/database-stack.yaml` is found as
    `ROOT/cfn/database-stack.yaml` before `ROOT/database-stack.yaml`: the longest suffix wins.
    """
    text = _url_text(url)
    if text is None or "://" not in text:
        return None
    parts = [p for p in text.split("://", 1)[1].split("?")[0].split("/")[1:] if p and "${" not in p]
    for start in range(len(parts)):
        found = {candidate.resolve(): candidate for root in roots
                 for candidate in [root.joinpath(*parts[start:])] if candidate.is_file()}
        if len(found) > 1:
            raise TransformError(f"{text} matches more than one local file ({', '.join(sorted(map(str, found.values())))}); "
                                 "pass only the --template-root that holds the right one")
        if found:
            return next(iter(found.values()))
    return None


def _url_text(url: object) -> str | None:
    """A TemplateURL as text, with `${...}` for the parts that are not literal (Fn::Sub, Fn::Join)."""
    if isinstance(url, str):
        return url
    if isinstance(url, dict) and len(url) == 1 and "Fn::Sub" in url:
        value = url["Fn::Sub"]
        return value if isinstance(value, str) else value[0] if isinstance(value, list) and value and \
            isinstance(value[0], str) else None
    if isinstance(url, dict) and len(url) == 1 and "Fn::Join" in url:
        value = url["Fn::Join"]
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], list):
            return value[0].join(item if isinstance(item, str) else "${value}" for item in value[1])
    return None


def _nested_stack_name(logical_id: str, resource: dict) -> str:
    """CDK nested stacks carry their construct id in the path (`Stack/Audit.NestedStack/...`)."""
    cdk_path = (resource.get("Metadata") or {}).get("aws:cdk:path")
    if isinstance(cdk_path, str) and ".NestedStack/" in cdk_path:
        return cdk_path.split(".NestedStack/")[0].rsplit("/", 1)[-1]
    return logical_id


def prepare_stack(stack: Stack, directory: Path, result: LoadResult, text: str) -> bool:
    """Run the template's transforms as CloudFormation would; False (and an input error) when it cannot."""
    written = stack.template
    try:
        def locate(location: str, where: Path) -> Path | None:
            """An AWS::Include Location as a local file, confined to the template roots."""
            path = find_by_url_suffix(location, (where, *result.template_roots)) if "://" in location else \
                where / location
            return None if path is None else result.confine(path, f"AWS::Include Location {location}")

        template = expand_includes(expand_top_level_includes(written, directory, locate), directory,
                                   locate) if INCLUDE in text else written
        stack.origins = included_resources(written, template) if isinstance(template.get("Resources"), dict) else {}
        serverless = serverless_without_transform(template)
        if serverless:
            raise TransformError(f"declares {', '.join(serverless)} of type AWS::Serverless::* but not "
                                 f"`Transform: {SAM_TRANSFORM}`, so CloudFormation rejects it")
        transforms = transforms_of(template)
        if LANGUAGE_EXTENSIONS not in transforms:
            problem = policy_function_problem(template)
            if problem:
                raise TransformError(problem)
        if LANGUAGE_EXTENSIONS in transforms:
            template, loops = expand_for_each(template, result.parameters if stack.parent is None else {})
            stack.origins.update(loops)
        if SAM_TRANSFORM in transforms:
            template = expand_sam(template, stack.region, aws_managed_policy_arns())
        deferred: set[str] = set()
        problem = shape_problem(template, deferred) or condition_depth_problem(template)
        if problem:
            raise TransformError(problem)
    except TransformError as exc:
        result.errors.append(InputError(stack.file, str(exc)))
        return False
    if template is not written:
        stack.source = written
        stack.template = template
    stack.shape_deferred = deferred
    return True
