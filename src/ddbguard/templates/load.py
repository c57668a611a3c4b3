"""Find the stacks in what the user named: cloud assemblies, template files, directories."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ddbguard.model import InputError
from ddbguard.templates.assembly import load_cloud_assembly
from ddbguard.templates.decode import DecodeError, decode_text, read_text
from ddbguard.templates.nested import load_nested_stacks, prepare_stack
from ddbguard.templates.stack import (
    SKIPPED_DIRS, TEMPLATE_TEXT, NESTED_STACK, TEMPLATE_SUFFIXES, Confinement, LoadResult, Stack, is_template,
    looks_like_template,
)
from ddbguard.templates.transforms import TransformError


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
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
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
        if explicit or TEMPLATE_TEXT.search(text):
            result.errors.append(InputError(str(path), str(exc)))
        return bool(TEMPLATE_TEXT.search(text))
    if not is_template(data):
        if explicit or looks_like_template(data):
            result.errors.append(InputError(str(path), "not a CloudFormation template (no Resources mapping)"))
        return looks_like_template(data)
    result.seen[resolved] = True
    stack = Stack(name=path.stem.removesuffix(".template"), file=str(path), template=data)
    if prepare_stack(stack, path.parent, result, text):
        result.stacks.append(stack)
        load_nested_stacks(stack, path.parent, result)
    return True
