"""A stack as the reader found it, where templates may be read from (the template roots), and what one load
collects (stacks, errors, warnings)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ddbguard.model import InputError, NotModelled
from ddbguard.templates.transforms import TransformError

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
SKIPPED_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".tox"}


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
    construct_types: dict[str, str] = field(default_factory=dict)  # a cloud assembly's tree: path -> type (some)
    # the resources whose shape waits on an intrinsic function (shape_problem's `deferred`); None: every one
    shape_deferred: set[str] | None = None

    def cdk_path(self, logical_id: str) -> str | None:
        """The resource's construct path: its `aws:cdk:path` metadata, else the assembly's metadata."""
        resource = self.template["Resources"].get(logical_id)
        metadata = resource.get("Metadata") if isinstance(resource, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("aws:cdk:path"), str):
            return metadata["aws:cdk:path"]
        return self.cdk_paths.get(logical_id)

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
TEMPLATE_TEXT = re.compile(r"(^\s*[\"']?|[{,]\s*\")(AWSTemplateFormatVersion|Resources)[\"']?\s*:", re.MULTILINE)
