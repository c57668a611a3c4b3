"""The house reads top-down: every import of the package points down a layer (docs/architecture.json), and
nothing outside rules/ imports a rule folder (the registry loads them by name)."""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "src" / "ddbguard"
ARCHITECTURE = json.loads((ROOT / "docs" / "architecture.json").read_text())


def _part_of(module: str) -> str:
    """The part a module (dotted name) belongs to: the longest path of architecture.json that holds its file."""
    path = _modules()[module].relative_to(ROOT).as_posix()
    best, part_found = "", None
    for part, spec in ARCHITECTURE["parts"].items():
        for entry in spec["is"]:
            if (path == entry or (entry.endswith("/") and path.startswith(entry))) and len(entry) > len(best):
                best, part_found = entry, part
    assert part_found is not None, f"{path} is on no part of docs/architecture.json"
    return part_found


@cache
def _modules() -> dict[str, Path]:
    """Every module of the package, except the packages that only hold data (schemas/, data/: no code)."""
    found = {}
    for file in PACKAGE.rglob("*.py"):
        if file.name == "__init__.py" and file.parent.name in ("schemas", "data") and not file.read_text().strip():
            continue
        relative = file.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = file
    return found


def _imports(module: str, file: Path) -> set[str]:
    """Every ddbguard module `file` imports, at the top or inside a function."""
    package = module if file.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    modules = _modules()
    return {name for name in names if name in modules and name != module}


def _reach() -> dict[str, set[str]]:
    """Each part, and every part its arrows reach, directly or through others: what it may import."""
    below = {part: set() for part in ARCHITECTURE["parts"]}
    for start, end, *_ in ARCHITECTURE["arrows"]:
        below[start].add(end)
    reach = {}
    for part in below:
        seen, pending = {part}, [part]
        while pending:
            for step in below[pending.pop()] - seen:
                seen.add(step)
                pending.append(step)
        reach[part] = seen
    return reach


def test_every_module_is_on_a_part():
    for module in _modules():
        _part_of(module)


def test_no_import_runs_back_up_a_layer():
    reach, nevers = _reach(), {(a, b) for a, b, _ in ARCHITECTURE["never"]}
    upward = []
    for module, file in sorted(_modules().items()):
        part = _part_of(module)
        for imported in sorted(_imports(module, file)):
            target = _part_of(imported)
            if target not in reach[part] or (part, target) in nevers:
                upward.append(f"{module} ({part}) imports {imported} ({target})")
    assert upward == []


def test_nothing_outside_rules_imports_a_rule_folder_and_rules_import_only_the_kit():
    crossings = []
    for module, file in sorted(_modules().items()):
        for imported in sorted(_imports(module, file)):
            if not imported.startswith("ddbguard.rules.") or imported == "ddbguard.rules":
                continue
            folder = imported.split(".")[2]
            if not module.startswith(f"ddbguard.rules.{folder}"):
                crossings.append(f"{module} imports {imported}")
    assert crossings == []
