"""Find the stacks in what the user named: cloud assemblies, template files, directories."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ddbguard.model import InputError
from ddbguard.templates.decode import DecodeError, decode_file

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_SKIPPED_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".tox"}


@dataclass
class Stack:
    name: str
    file: str
    template: dict
    cdk_paths: dict[str, str] = field(default_factory=dict)  # logical id -> construct path
    account: str | None = None
    region: str | None = None
    stack_name: str = ""  # the CloudFormation stack name (AWS::StackName); defaults to name
    parent: Stack | None = None  # for a nested stack: the stack that creates it
    parent_logical_id: str | None = None  # ... and its AWS::CloudFormation::Stack resource
    source: dict | None = None  # the template as written, when `template` is its SAM expansion

    def __post_init__(self) -> None:
        self.stack_name = self.stack_name or self.name


@dataclass
class LoadResult:
    stacks: list[Stack] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    template_roots: tuple[Path, ...] = ()  # where S3 TemplateURLs of nested stacks are looked up


def is_template(data: object) -> bool:
    return isinstance(data, dict) and isinstance(data.get("Resources"), dict)


def load_inputs(
    paths: list[str], *, ignore_non_templates: bool = False, template_roots: tuple[Path, ...] = ()
) -> LoadResult:
    """Load every input; a bad input becomes an InputError and the others are still loaded."""
    result = LoadResult(template_roots=template_roots)
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            result.errors.append(InputError(raw, "no such file or directory"))
        elif path.is_dir():
            _load_directory(path, result)
        else:
            _load_template_file(path, result, explicit=not ignore_non_templates)
    # A template reached as a nested stack is checked there, with the parameters its parent passes.
    nested_files = {Path(s.file).resolve() for s in result.stacks if s.parent is not None}
    result.stacks = [s for s in result.stacks if s.parent is not None or Path(s.file).resolve() not in nested_files]
    _make_names_unique(result.stacks)
    return result


def _make_names_unique(stacks: list[Stack]) -> None:
    """Two inputs may hold stacks of one name (two `template.yaml`s): name those by their file."""
    counts: dict[str, int] = {}
    for stack in stacks:
        counts[stack.name] = counts.get(stack.name, 0) + 1
    for stack in stacks:
        if counts[stack.name] > 1:
            stack.name = f"{stack.name} ({stack.file})"


def _load_directory(path: Path, result: LoadResult) -> None:
    if (path / "manifest.json").is_file():
        load_cloud_assembly(path, result)
        return
    if (path / "tree.json").is_file() or (path / "cdk.out").is_file():
        result.errors.append(InputError(str(path), "looks like a cdk.out cloud assembly but has no manifest.json"))
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for directory in list(dirs):
            if (Path(root) / directory / "manifest.json").is_file():
                load_cloud_assembly(Path(root) / directory, result)
                dirs.remove(directory)
        for name in sorted(files):
            if name.endswith(TEMPLATE_SUFFIXES):
                _load_template_file(Path(root) / name, result, explicit=False)


def _load_template_file(path: Path, result: LoadResult, *, explicit: bool) -> None:
    try:
        data = decode_file(path)
    except DecodeError as exc:
        result.errors.append(InputError(str(path), str(exc)))
        return
    if not is_template(data):
        if explicit:  # in a directory, or for pre-commit, other YAML and JSON files are simply not templates
            result.errors.append(InputError(str(path), "not a CloudFormation template (no Resources mapping)"))
        return
    stack = Stack(name=path.stem.removesuffix(".template"), file=str(path), template=data)
    if not _expand_serverless(stack, result):
        return
    result.stacks.append(stack)
    _load_nested_stacks(stack, path.parent, result)


def load_cloud_assembly(directory: Path, result: LoadResult) -> None:
    """Read manifest.json: every stack artifact, every stage (nested assembly), every nested stack."""
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        artifacts = manifest["artifacts"]
        if not isinstance(artifacts, dict):
            raise TypeError
    except (OSError, UnicodeDecodeError) as exc:
        result.errors.append(InputError(str(manifest_path), f"cannot read manifest: {exc}"))
        return
    except json.JSONDecodeError as exc:
        result.errors.append(InputError(str(manifest_path), f"invalid JSON: line {exc.lineno}: {exc.msg}"))
        return
    except (KeyError, TypeError):
        result.errors.append(InputError(str(manifest_path), "not a cloud assembly manifest (no artifacts mapping)"))
        return
    asset_files = _asset_files(directory, artifacts)
    for artifact_id, artifact in sorted(artifacts.items()):
        kind = artifact.get("type")
        properties = artifact.get("properties") or {}
        if kind == "cdk:cloud-assembly" and properties.get("directoryName"):
            load_cloud_assembly(directory / properties["directoryName"], result)
        elif kind == "aws:cloudformation:stack" and properties.get("templateFile"):
            _load_assembly_stack(directory, artifact_id, artifact, result, asset_files)


def _asset_files(directory: Path, artifacts: dict) -> dict[str, str]:
    """Asset hash -> file in the assembly, from the asset manifests (nested stack templates are assets)."""
    found: dict[str, str] = {}
    for artifact in artifacts.values():
        manifest_file = (artifact.get("properties") or {}).get("file")
        if artifact.get("type") != "cdk:asset-manifest" or not manifest_file:
            continue
        try:
            files = json.loads((directory / manifest_file).read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError, AttributeError):
            continue  # without it nested stacks are not followed; their parent is still checked
        for asset_hash, asset in files.items():
            source = (asset.get("source") or {}).get("path") if isinstance(asset, dict) else None
            if isinstance(source, str) and source.endswith(".json"):
                found[asset_hash] = source
    return found


def _load_assembly_stack(
    directory: Path, artifact_id: str, artifact: dict, result: LoadResult, asset_files: dict[str, str]
) -> None:
    template_path = directory / artifact["properties"]["templateFile"]
    try:
        template = decode_file(template_path)
    except DecodeError as exc:
        result.errors.append(InputError(str(template_path), str(exc)))
        return
    if not is_template(template):
        result.errors.append(InputError(str(template_path), "not a CloudFormation template (no Resources mapping)"))
        return
    account, region = _environment(artifact.get("environment", ""))
    stack = Stack(
        name=artifact.get("displayName") or artifact_id,
        stack_name=(artifact.get("properties") or {}).get("stackName") or artifact_id,
        file=str(template_path),
        template=template,
        cdk_paths=_construct_paths(directory, artifact),
        account=account,
        region=region,
    )
    result.stacks.append(stack)
    _load_nested_stacks(stack, directory, result, asset_files)


def _environment(env: str) -> tuple[str | None, str | None]:
    # "aws://123456789012/us-east-1"; CDK writes unknown-account / unknown-region when unset
    parts = env.removeprefix("aws://").split("/")
    if len(parts) != 2:
        return None, None
    account, region = parts
    return (None if account.startswith("unknown") else account, None if region.startswith("unknown") else region)


def _construct_paths(directory: Path, artifact: dict) -> dict[str, str]:
    """logical id -> construct path, from the manifest's metadata or the <stack>.metadata.json file."""
    metadata = dict(artifact.get("metadata") or {})
    extra = (artifact.get("properties") or {}).get("additionalMetadataFile") or artifact.get("additionalMetadataFile")
    if extra:
        try:
            metadata.update(json.loads((directory / extra).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass  # the aws:cdk:path resource metadata still gives the path when present
    paths: dict[str, str] = {}
    for construct_path, entries in metadata.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId":
                paths[str(entry.get("data"))] = construct_path.lstrip("/")
    return paths


def _load_nested_stacks(parent: Stack, directory: Path, result: LoadResult, asset_files: dict | None = None) -> None:
    """Follow AWS::CloudFormation::Stack resources whose template is a local file.

    A CDK NestedStack's template is an asset: its TemplateURL ends in `<asset hash>.json` (and the
    CDK CLI also writes the file name into `aws:asset:path` metadata). Hand-written templates may
    give a relative TemplateURL.
    """
    for logical_id, resource in parent.template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::CloudFormation::Stack":
            continue
        metadata = resource.get("Metadata") or {}
        candidate = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        url = (resource.get("Properties") or {}).get("TemplateURL")
        if not isinstance(candidate, str) and asset_files:
            url_text = json.dumps(url)
            candidate = next((path for asset_hash, path in asset_files.items() if f"{asset_hash}.json" in url_text), None)
        if not isinstance(candidate, str):
            candidate = url if isinstance(url, str) and "://" not in url else None
        child_path = directory / candidate if candidate and (directory / candidate).is_file() else None
        child_path = child_path or _find_by_url_suffix(url, (directory, *result.template_roots))
        if child_path is None:
            continue
        try:
            template = decode_file(child_path)
        except DecodeError as exc:
            result.errors.append(InputError(str(child_path), str(exc)))
            continue
        if not is_template(template):
            result.errors.append(InputError(str(child_path), "not a CloudFormation template (no Resources mapping)"))
            continue
        child = Stack(
            name=f"{parent.name}/{_nested_stack_name(logical_id, resource)}",
            file=str(child_path),
            template=template,
            account=parent.account,
            region=parent.region,
            parent=parent,
            parent_logical_id=logical_id,
        )
        if _expand_serverless(child, result):
            result.stacks.append(child)
            _load_nested_stacks(child, child_path.parent, result, asset_files)


def _nested_stack_name(logical_id: str, resource: dict) -> str:
    """CDK nested stacks carry their construct id in the path (`Stack/Audit.NestedStack/...`)."""
    cdk_path = (resource.get("Metadata") or {}).get("aws:cdk:path")
    if isinstance(cdk_path, str) and ".NestedStack/" in cdk_path:
        return cdk_path.split(".NestedStack/")[0].rsplit("/", 1)[-1]
    return logical_id


def _find_by_url_suffix(url: object, roots: tuple[Path, ...]) -> Path | None:
    """Map an S3 TemplateURL to a local file by its path suffix.

    `https://s3.amazonaws.com/${SourceBucket}/cfn/database-stack.yaml` is found as
    `ROOT/cfn/database-stack.yaml` or `ROOT/database-stack.yaml` under each root, longest suffix first.
    """
    if isinstance(url, dict) and len(url) == 1 and "Fn::Sub" in url:
        url = url["Fn::Sub"] if isinstance(url["Fn::Sub"], str) else url["Fn::Sub"][0]
    if not isinstance(url, str) or "://" not in url:
        return None
    parts = [p for p in url.split("://", 1)[1].split("?")[0].split("/")[1:] if p and "${" not in p]
    for start in range(len(parts)):
        for root in roots:
            candidate = root.joinpath(*parts[start:])
            if candidate.is_file():
                return candidate
    return None


SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def _expand_serverless(stack: Stack, result: LoadResult) -> bool:
    """Expand an AWS SAM template with the SAM translator, as CloudFormation would before deploying.

    Returns False (and records an input error) when the translator rejects the template.
    """
    transform = stack.template.get("Transform")
    if SAM_TRANSFORM not in (transform if isinstance(transform, list) else [transform]):
        return True
    import copy

    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # The session only names a region (SAM picks the partition from it); nothing is called. Managed
    # policy names stay as written: SAM would list them through IAM.
    session = boto3.session.Session(region_name=stack.region or "us-east-1")
    translator = Translator({}, Parser(), boto_session=session)
    try:
        expanded = translator.translate(json.loads(json.dumps(stack.template)), parameter_values={},
                                        get_managed_policy_map=dict)
    except Exception as exc:  # noqa: BLE001 - the translator raises many kinds; each is one input error
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        result.errors.append(InputError(stack.file, f"AWS SAM template could not be expanded: {message}"))
        return False
    stack.source = stack.template
    stack.template = copy.copy(expanded)
    return True
