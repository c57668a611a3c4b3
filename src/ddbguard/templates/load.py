"""Find the stacks in what the user named: cloud assemblies, template files, directories."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ddbguard.model import InputError, NotModelled
from ddbguard.iam import aws_managed_policy_arns
from ddbguard.templates.decode import DecodeError, decode_text, line_of, read_text
from ddbguard.templates.resolve import condition_depth_problem, is_intrinsic
from ddbguard.templates.transforms import (
    INCLUDE, LANGUAGE_EXTENSIONS, PLACEHOLDER_S3, SAM_TRANSFORM, TransformError, expand_for_each, expand_includes,
    expand_sam, expand_top_level_includes, included_resources, serverless_without_transform, transforms_of,
)

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_SKIPPED_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".tox"}


@dataclass
class Stack:
    name: str
    file: str
    template: dict
    cdk_paths: dict[str, str] = field(default_factory=dict)  # logical id -> construct path
    # construct path -> {rule id: reason}: CDK's `Validations.of(construct).acknowledge(...)`
    acknowledgements: dict[str, dict[str, str]] = field(default_factory=dict)
    # logical id -> (file, line) of the app code that created it: `aws:cdk:creationStack` (TypeScript/JS apps)
    cdk_sources: dict[str, tuple[str, int]] = field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    # The CloudFormation stack name (AWS::StackName): a cloud assembly's manifest names it, --parameters may give
    # it; a template file has none (its file name is not a stack name), so values that depend on it are unknown.
    stack_name: str | None = None
    parent: Stack | None = None  # for a nested stack or a StackSet's template: the stack that creates it
    parent_logical_id: str | None = None  # ... and its AWS::CloudFormation::Stack (or StackSet) resource
    via: str = ""  # how its parent deploys it: "" (a top-level stack), NESTED_STACK or STACK_SET
    source: dict | None = None  # the template as written, when `template` is its expansion by transforms
    origins: dict[str, str] = field(default_factory=dict)  # logical id made by Fn::ForEach -> its loop's key
    context: bool = False  # loaded only so that references to it resolve (pre-commit project context)
    assembly: bool = False  # a stack artifact of a cloud assembly (its stack_name comes from the manifest)
    termination_protection: bool | None = None  # the artifact's terminationProtection; None: a template file
    not_modelled: list[NotModelled] = field(default_factory=list)  # what the reader does not model (closed world)
    unread_templates: dict[str, str] = field(default_factory=dict)  # StackSet logical id -> why its template is unread
    undecided: dict[str, str] = field(default_factory=dict)  # logical id -> a Condition the input cannot decide
    line_offset: int = 0  # a StackSet's TemplateBody: the line in `file` where its text begins, minus one


    @property
    def file_key(self) -> str | None:
        """What identifies a template file's stack from one run to the next: its top-level template file (an
        absolute path; identities make it relative to the repository) and the logical ids down to this stack.
        None for a cloud assembly's stacks, whose manifest names them."""
        chain, top = [], self
        while top.parent is not None:
            chain.append(str(top.parent_logical_id))
            top = top.parent
        if top.assembly:
            return None
        return os.path.abspath(top.file) + "".join(f"#{logical_id}" for logical_id in reversed(chain))


NESTED_STACK, STACK_SET = "AWS::CloudFormation::Stack", "AWS::CloudFormation::StackSet"
# Nested stacks that nest stacks, each many times, grow exponentially: far beyond any real application.
MAX_NESTING, MAX_STACKS = 20, 2000


class Confinement:
    """Where the loader may read: the directories of the inputs (a template file's folder, a directory or cloud
    assembly given), --template-root and --context folders. A reference that resolves outside them (through
    `..`, an absolute path or a symlink) is an input error naming it: nothing outside is read."""

    def __init__(self, directories) -> None:
        self.directories = tuple(dict.fromkeys(Path(os.path.realpath(d)) for d in directories))

    def __call__(self, path: Path, reference: str) -> Path:
        real = Path(os.path.realpath(path))
        if not any(real == root or real.is_relative_to(root) for root in self.directories):
            raise TransformError(f"{reference} resolves outside the template roots "
                                 f"({', '.join(map(str, self.directories))}), so it is not read (pass the folder that "
                                 "holds it with --template-root)")
        return path


@dataclass
class LoadResult:
    stacks: list[Stack] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    template_roots: tuple[Path, ...] = ()  # where S3 TemplateURLs of nested stacks are looked up
    confine: Confinement = field(default_factory=lambda: Confinement(()))
    parameters: dict[str, str] = field(default_factory=dict)  # for Fn::ForEach collections
    seen: dict[Path, bool] = field(default_factory=dict)  # file -> a template? A file named twice is read once
    warnings: list[InputError] = field(default_factory=list)  # context that could not be read (not the run's errors)


def is_template(data: object) -> bool:
    return isinstance(data, dict) and isinstance(data.get("Resources"), dict)


def looks_like_template(data: object) -> bool:
    """Meant as a CloudFormation template, whether or not its shape is right."""
    return isinstance(data, dict) and any(key in data for key in ("Resources", "AWSTemplateFormatVersion"))


# Meant as a template: a top-level key of one at the start of a line (YAML, indented JSON), or after `{` or `,` (JSON
# on one line, as minifiers and some tools write it)
_TEMPLATE_TEXT = re.compile(r"(^\s*[\"']?|[{,]\s*\")(AWSTemplateFormatVersion|Resources)[\"']?\s*:", re.MULTILINE)


def load_inputs(
    paths: list[str], *, ignore_non_templates: bool = False, template_roots: tuple[Path, ...] = (),
    parameters: dict[str, str] | None = None, context: list[str] = (),
) -> LoadResult:
    """Load every input; a bad input becomes an InputError and the others are still loaded.

    `context` names more templates that are loaded (so that references to them resolve) but marked
    as context: their stacks are not reported on, and their errors are not the run's.
    """
    inputs = [Path(raw) for raw in (*paths, *context) if Path(raw).exists()]
    result = LoadResult(template_roots=template_roots, parameters=dict(parameters or {}), confine=Confinement(
        [*(path if path.is_dir() else path.parent for path in inputs), *template_roots]))
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            result.errors.append(InputError(raw, "no such file or directory"))
        elif path.is_dir():
            if not _load_directory(path, result):
                what = "cloud assembly holds no stack" if (path / "manifest.json").is_file() else \
                    "no CloudFormation template found in this directory"
                result.errors.append(InputError(raw, what))
        else:
            _load_template_file(path, result, explicit=not ignore_non_templates)
    if context:
        given = len(result.stacks)
        errors = list(result.errors)
        for raw in context:
            path = Path(raw)
            if path.is_dir():
                _load_directory(path, result)
            elif path.is_file():
                _load_template_file(path, result, explicit=False)
        for stack in result.stacks[given:]:
            stack.context = True
        # context is context: a file the run was not asked to check is a warning, and what needed it is unknown
        result.warnings = [error for error in result.errors if error not in errors]
        result.errors = errors
    # --parameters may give a top-level stack's pseudo parameters (a cloud assembly's manifest wins); a nested
    # stack or a StackSet's instances get names (and a StackSet accounts and regions) of their own
    for stack in result.stacks:  # parents come before their children
        if stack.parent is None:
            stack.account = stack.account or result.parameters.get("AWS::AccountId")
            stack.region = stack.region or result.parameters.get("AWS::Region")
            stack.stack_name = stack.stack_name or result.parameters.get("AWS::StackName")
        elif stack.via == NESTED_STACK:
            stack.account, stack.region = stack.account or stack.parent.account, stack.region or stack.parent.region
    # CloudFormation rejects a parameter its template does not declare: a misspelt one must not be ignored
    declared = {name for stack in result.stacks if stack.parent is None and not stack.context
                for name in (stack.template.get("Parameters") or {})}
    for name in sorted(set(result.parameters) - declared):
        if not name.startswith("AWS::") and any(stack.parent is None for stack in result.stacks):
            result.errors.append(InputError("--parameters", f"{name} is declared by no template of the input "
                                                            "(CloudFormation rejects a parameter its template does "
                                                            "not declare)"))
    # A template reached as a nested stack is checked there, with the parameters its parent passes.
    nested_files = {Path(s.file).resolve() for s in result.stacks if s.parent is not None and s.file != s.parent.file}
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


def _load_directory(path: Path, result: LoadResult) -> bool:
    """Load every template below `path`; whether any was found (an error about one counts)."""
    before = (len(result.stacks), len(result.errors))
    if (path / "manifest.json").is_file():
        load_cloud_assembly(path, result)
        return (len(result.stacks), len(result.errors)) != before
    if (path / "tree.json").is_file() or (path / "cdk.out").is_file():
        result.errors.append(InputError(str(path), "looks like a cdk.out cloud assembly but has no manifest.json"))
        return True
    found = False
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for directory in list(dirs):
            if (Path(root) / directory / "manifest.json").is_file():
                try:
                    result.confine(Path(root) / directory, f"cloud assembly {Path(root) / directory}")
                except TransformError as exc:
                    result.errors.append(InputError(str(Path(root) / directory), str(exc)))
                    continue
                found |= _load_directory(Path(root) / directory, result)
                dirs.remove(directory)
        for name in sorted(files):
            if name.lower().endswith(TEMPLATE_SUFFIXES) and _is_regular_file(Path(root) / name):
                try:  # a symlink in the directory may point anywhere
                    result.confine(Path(root) / name, f"{Path(root) / name}")
                except TransformError as exc:
                    result.errors.append(InputError(str(Path(root) / name), str(exc)))
                    continue
                found |= _load_template_file(Path(root) / name, result, explicit=False)
    return found or (len(result.stacks), len(result.errors)) != before


def _is_regular_file(path: Path) -> bool:
    """A FIFO or a device in a scanned directory would block the read: only regular files are read."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True  # a dangling link: reading it reports the problem


def _load_template_file(path: Path, result: LoadResult, *, explicit: bool) -> bool:
    """Load one file. `explicit`: the user named it as a template, so anything else is an error.

    Otherwise (directory scans, pre-commit) a file that is not a CloudFormation template, even one
    that does not decode (tsconfig.json with comments, a Helm chart, `!reference`), is skipped; a file
    that is meant as a template but is broken is still an error, never a silent pass. Returns whether
    the file is a template (a file read before answers as it did then).
    """
    resolved = path.resolve()
    if resolved in result.seen:
        return result.seen[resolved]
    result.seen[resolved] = False
    if not _is_regular_file(path):
        if explicit:
            result.errors.append(InputError(str(path), "not a regular file"))
        return False
    text = ""
    try:
        text = read_text(path)
        data = decode_text(text)
    except DecodeError as exc:
        if explicit or _TEMPLATE_TEXT.search(text):
            result.errors.append(InputError(str(path), str(exc)))
        return bool(_TEMPLATE_TEXT.search(text))
    if not is_template(data):
        if explicit or looks_like_template(data):
            result.errors.append(InputError(str(path), "not a CloudFormation template (no Resources mapping)"))
        return looks_like_template(data)
    result.seen[resolved] = True
    stack = Stack(name=path.stem.removesuffix(".template"), file=str(path), template=data)
    if _prepare(stack, path.parent, result, text):
        result.stacks.append(stack)
        _load_nested_stacks(stack, path.parent, result)
    return True


def load_cloud_assembly(directory: Path, result: LoadResult, assemblies: tuple[Path, ...] = ()) -> None:
    """Read manifest.json: every stack artifact, every stage (nested assembly), every nested stack.
    `assemblies`: the ones that (transitively) nest this one, so that an assembly that nests itself is an error."""
    assemblies = assemblies or (Path(os.path.realpath(directory)),)
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(read_text(manifest_path))
        artifacts = manifest["artifacts"]
        if not isinstance(artifacts, dict):
            raise TypeError
    except DecodeError as exc:
        result.errors.append(InputError(str(manifest_path), f"cannot read manifest: {exc}"))
        return
    except json.JSONDecodeError as exc:
        result.errors.append(InputError(str(manifest_path), f"invalid JSON: line {exc.lineno}: {exc.msg}"))
        return
    except (KeyError, TypeError):
        result.errors.append(InputError(str(manifest_path), "not a cloud assembly manifest (no artifacts mapping)"))
        return
    asset_files = _asset_files(directory, artifacts, result)
    for artifact_id, artifact in sorted(artifacts.items()):
        kind = artifact.get("type")
        properties = artifact.get("properties") or {}
        try:
            if kind == "cdk:cloud-assembly" and properties.get("directoryName"):
                nested = result.confine(directory / str(properties["directoryName"]),
                                        f"nested cloud assembly {artifact_id} (directoryName {properties['directoryName']})")
                if Path(os.path.realpath(nested)) in assemblies:
                    raise TransformError(f"nested cloud assembly {artifact_id} (directoryName "
                                         f"{properties['directoryName']}) contains this assembly itself")
                load_cloud_assembly(nested, result, (*assemblies, Path(os.path.realpath(nested))))
            elif kind == "aws:cloudformation:stack" and properties.get("templateFile"):
                result.confine(directory / str(properties["templateFile"]),
                               f"stack {artifact_id}'s templateFile {properties['templateFile']}")
                _load_assembly_stack(directory, artifact_id, artifact, result, asset_files)
        except TransformError as exc:
            result.errors.append(InputError(str(manifest_path), str(exc)))


def _asset_files(directory: Path, artifacts: dict, result: LoadResult) -> dict[str, str]:
    """Asset hash -> file in the assembly, from the asset manifests (nested stack templates are assets)."""
    found: dict[str, str] = {}
    for artifact in artifacts.values():
        manifest_file = (artifact.get("properties") or {}).get("file")
        if artifact.get("type") != "cdk:asset-manifest" or not isinstance(manifest_file, str):
            continue
        try:
            path = result.confine(directory / manifest_file, f"asset manifest {manifest_file}")
            files = json.loads(read_text(path)).get("files", {})
        except TransformError as exc:
            result.errors.append(InputError(str(directory / "manifest.json"), str(exc)))
            continue
        except (DecodeError, ValueError, AttributeError):
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
    if template_path.resolve() in result.seen:
        return
    result.seen[template_path.resolve()] = True
    try:
        text = read_text(template_path)
        template = decode_text(text)
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
        **_construct_metadata(directory, artifact, result),
        account=account,
        region=region,
        assembly=True,
        termination_protection=bool((artifact.get("properties") or {}).get("terminationProtection", False)),
    )
    if not _prepare(stack, directory, result, text):
        return
    result.stacks.append(stack)
    _load_nested_stacks(stack, directory, result, asset_files)


def _environment(env: str) -> tuple[str | None, str | None]:
    # "aws://123456789012/us-east-1"; CDK writes unknown-account / unknown-region when unset
    parts = env.removeprefix("aws://").split("/")
    if len(parts) != 2:
        return None, None
    account, region = parts
    return (None if account.startswith("unknown") else account, None if region.startswith("unknown") else region)


def _construct_metadata(directory: Path, artifact: dict, result: LoadResult) -> dict:
    """From the manifest's metadata or the <stack>.metadata.json file: logical id -> construct path
    (`cdk_paths`), and construct path -> the rules acknowledged there (`acknowledgements`)."""
    metadata = dict(artifact.get("metadata") or {})
    extra = (artifact.get("properties") or {}).get("additionalMetadataFile") or artifact.get("additionalMetadataFile")
    if isinstance(extra, str):
        try:
            metadata.update(json.loads(read_text(result.confine(directory / extra, f"additionalMetadataFile {extra}"))))
        except TransformError as exc:
            result.errors.append(InputError(str(directory / "manifest.json"), str(exc)))
        except (DecodeError, ValueError, TypeError):
            pass  # the aws:cdk:path resource metadata still gives the path when present
    paths: dict[str, str] = {}
    acknowledged: dict[str, dict[str, str]] = {}
    created: dict[str, tuple[str, int]] = {}  # construct path -> the app's frame
    for construct_path, entries in metadata.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("type") == "aws:cdk:logicalId":
                paths[str(entry.get("data"))] = construct_path.lstrip("/")
            elif isinstance(entry, dict) and entry.get("type") == "aws:cdk:creationStack":
                frame = _user_frame(entry.get("data"))
                if frame:
                    created[construct_path.lstrip("/")] = frame
            elif isinstance(entry, dict) and entry.get("type") == "aws:cdk:acknowledged-rules" and isinstance(
                    entry.get("data"), dict):
                acknowledged.setdefault(construct_path.lstrip("/"), {}).update(
                    {str(k): str(v) for k, v in entry["data"].items()})
    sources = {logical_id: created[path] for logical_id, path in paths.items() if path in created}
    return {"cdk_paths": paths, "acknowledgements": acknowledged, "cdk_sources": sources}


# "new DataStack (/repo/lib/data-stack.ts:12:5)", "<anonymous> (/repo/bin/app.js:5:1)", "at /repo/x.ts:3:1"
_FRAME = re.compile(r"(?:\(|^|\s)((?:[A-Za-z]:)?[/\\][^()]*?|file://[^()]*?):(\d+):\d+\)?$")


def _user_frame(trace: object) -> tuple[str, int] | None:
    """The first frame of a creation stack in the app's own code (CDK already folds library frames)."""
    for frame in trace if isinstance(trace, list) else []:
        match = _FRAME.search(frame) if isinstance(frame, str) else None
        if match and "node_modules" not in match.group(1) and not match.group(1).startswith("node:"):
            return match.group(1).removeprefix("file://"), int(match.group(2))
    return None


def _load_nested_stacks(parent: Stack, directory: Path, result: LoadResult, asset_files: dict | None = None) -> None:
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
        if _prepare(child, child_path.parent, result, text):
            result.stacks.append(child)
            _load_nested_stacks(child, child_path.parent, result, asset_files)


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


def _prepare(stack: Stack, directory: Path, result: LoadResult, text: str) -> bool:
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
            problem = _policy_function_problem(template)
            if problem:
                raise TransformError(problem)
        if LANGUAGE_EXTENSIONS in transforms:
            template, loops = expand_for_each(template, result.parameters if stack.parent is None else {})
            stack.origins.update(loops)
        if SAM_TRANSFORM in transforms:
            template = expand_sam(template, stack.region, aws_managed_policy_arns())
        problem = shape_problem(template) or condition_depth_problem(template)
        if problem:
            raise TransformError(problem)
    except TransformError as exc:
        result.errors.append(InputError(stack.file, str(exc)))
        return False
    if template is not written:
        stack.source = written
        stack.template = template
    return True


def _policy_function_problem(template: dict) -> str | None:
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


def shape_problem(template: dict) -> str | None:
    """The first place where the template does not have the shape CloudFormation requires, as `path: problem`.

    Checked once here so that no rule meets a resource that is a list or Properties that are text.
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
    for logical_id, resource in template["Resources"].items():
        where = f"Resources.{logical_id}"
        if not isinstance(resource, dict):
            return f"{where}: a resource must be a mapping, not {_kind_name(resource)}"
        if not isinstance(resource.get("Type"), str):
            return f"{where}.Type: must be a resource type name"
        for key in ("Properties", "Metadata"):
            if key in resource and not isinstance(resource[key], dict):
                return f"{where}.{key}: must be a mapping, not {_kind_name(resource[key])}"
        for key in ("DeletionPolicy", "UpdateReplacePolicy", "Condition"):
            if key in resource and not isinstance(resource[key], (str, dict)):
                return f"{where}.{key}: must be a name"
        if not isinstance(resource.get("DependsOn", []), (str, list)):
            return f"{where}.DependsOn: must be a name or a list of names"
        properties = resource.get("Properties") or {}
        for slot, kind, item_kind in _PROPERTY_SHAPES.get(resource["Type"], ()):
            if slot[0] in properties:  # an absent slot has no shape to check
                problem = _slot_problem(properties, slot, kind, item_kind)
                if problem:
                    return f"{where}.Properties.{problem}"
    return None


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


def _slot_problem(properties: dict, slot: tuple, kind: type, item_kind: type | None) -> str | None:
    """`path: must be a mapping` when the value at `slot` has the wrong shape; an intrinsic function
    (resolved later, or unknown) is always allowed."""
    value: object = properties
    for step in slot:
        if not isinstance(value, dict) or step not in value or is_intrinsic(value):
            return None
        value = value[step]
    if is_intrinsic(value):
        return None
    if not isinstance(value, kind):
        return f"{'.'.join(slot)}: must be {'a mapping' if kind is dict else 'a list'}, not {_kind_name(value)}"
    for index, item in enumerate(value if item_kind is not None else []):
        if not (isinstance(item, item_kind) or is_intrinsic(item)):
            return f"{'.'.join(slot)}.{index}: must be a mapping, not {_kind_name(item)}"
    return None


def _kind_name(value: object) -> str:
    if value is None:
        return "null"
    return {str: "text", bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)
