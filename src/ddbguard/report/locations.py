"""Where a finding is, as code scanning and CI tools want it: a path relative to the repository root,
'/'-separated; never a path outside the repository and never an ARN.

The repository is the nearest directory above the working directory that holds `.git` (else the working
directory). A finding is placed on the CDK app's own line when the assembly recorded it. A file in another checkout (`ddbguard diff main-checkout/cdk.out cdk.out`) maps, through the
report's path aliases, to the same path in this one; a file with no place in the repository has none.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from ddbguard.model import Finding, Report


def repository_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    return next((d for d in (here, *here.parents) if (d / ".git").exists()), here)


def repository_path(finding: Finding, report: Report, root: Path) -> str | None:
    """The finding's template, relative to the repository."""
    if finding.live is not None or not finding.file:
        return None
    return relative_path(finding.file, report, root)


def place(finding: Finding, report: Report, root: Path) -> tuple[str, int] | None:
    """Where a reviewer should look: the line of the CDK app that created the resource when the assembly
    recorded it (`aws:cdk:creationStack`, TypeScript/JavaScript apps) and it is in the repository, else
    the synthesized template's line."""
    if finding.source is not None:
        relative = relative_path(finding.source[0], report, root)
        if relative is not None:
            return relative, max(finding.source[1], 1)
    relative = repository_path(finding, report, root)
    return (relative, max(finding.line, 1)) if relative is not None else None


def relative_path(file: str, report: Report, root: Path) -> str | None:
    """A file's path relative to the repository (through the report's path aliases); None when outside it."""
    path = Path(os.path.abspath(file))
    for source, target in report.path_aliases.items():
        if path.is_relative_to(source):
            path = Path(target) / path.relative_to(source)
            break
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def uri(relative: str) -> str:
    """A relative path as a URI reference (percent-encoded, '/' kept). A file name that is not UTF-8 is
    its own bytes (Python reads it with surrogateescape)."""
    try:
        raw = relative.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        raw = relative.encode("utf-8", "surrogatepass")
    return quote(raw, safe="/")
