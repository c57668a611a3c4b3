"""Cloud assemblies (cdk.out): the manifest's stacks, their assets and nested stacks, construct metadata."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ddbguard.model import InputError
from ddbguard.templates.decode import DecodeError, decode_text, read_text
from ddbguard.templates.framework import TYPED_SCOPES
from ddbguard.templates.nested import load_nested_stacks, prepare_stack
from ddbguard.templates.stack import LoadResult, Stack, is_template
from ddbguard.templates.transforms import TransformError

def load_cloud_assembly(directory: Path, result: LoadResult, assemblies: tuple[Path, ...] = (),
                        construct_types: dict[str, str] | None = None) -> None:
    """Read manifest.json: every stack artifact, every stage (nested assembly), every nested stack.
    `assemblies`: the ones that (transitively) nest this one, so that an assembly that nests itself is an error;
    `construct_types`: the constructs of the app's tree (tree.json, written at the top) that templates/framework.py
    reads."""
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
    if construct_types is None:
        construct_types = _construct_types(directory, artifacts, result)
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
                load_cloud_assembly(nested, result, (*assemblies, Path(os.path.realpath(nested))),
                                    construct_types)
            elif kind == "aws:cloudformation:stack" and properties.get("templateFile"):
                result.confine(directory / str(properties["templateFile"]),
                               f"stack {artifact_id}'s templateFile {properties['templateFile']}")
                _load_assembly_stack(directory, artifact_id, artifact, result, asset_files, construct_types)
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


def _construct_types(directory: Path, artifacts: dict, result: LoadResult) -> dict[str, str]:
    """Construct path -> type (`constructInfo.fqn`) from the app's tree, for the types that tell a resource CDK
    made for itself (TYPED_SCOPES). A tree that cannot be read tells nothing: those resources stay the user's."""
    tree_file = next((str((a.get("properties") or {}).get("file")) for a in artifacts.values()
                      if isinstance(a, dict) and a.get("type") == "cdk:tree"), None)
    if tree_file is None:
        return {}
    try:
        pending = [json.loads(read_text(result.confine(directory / tree_file, f"tree file {tree_file}")))["tree"]]
    except TransformError as exc:
        result.errors.append(InputError(str(directory / "manifest.json"), str(exc)))
        return {}
    except (DecodeError, ValueError, TypeError, KeyError, RecursionError):
        return {}
    found: dict[str, str] = {}
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        fqn = (node.get("constructInfo") or {}).get("fqn") if isinstance(node.get("constructInfo"), dict) else None
        if fqn in TYPED_SCOPES and isinstance(node.get("path"), str):
            found[node["path"]] = fqn
        if isinstance(node.get("children"), dict):
            pending.extend(node["children"].values())
    return found


def _load_assembly_stack(
    directory: Path, artifact_id: str, artifact: dict, result: LoadResult, asset_files: dict[str, str],
    construct_types: dict[str, str],
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
        construct_types=construct_types,
        termination_protection=bool((artifact.get("properties") or {}).get("terminationProtection", False)),
    )
    if not prepare_stack(stack, directory, result, text):
        return
    result.stacks.append(stack)
    load_nested_stacks(stack, directory, result, asset_files)


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
