"""The rule packs people point cfn-guard and checkov at, exported from the rule folders.

`policies/` holds each rule's cfn-guard file (`<stem>.guard`) with its tests (`tests/<stem>_tests.yaml`),
and `checks/` one checkov check per rule, each a line that runs the rule's predicate. The rule folders
(src/ddbguard/rules/<stem>/) are the source; `make export` writes the packs and a test keeps them current.
The checkov engine writes the same checks into its work folder, so the installed package needs no copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ddbguard import package_file
from ddbguard.catalog import Rule, load_catalog

_CHECKS_INIT = "# checkov loads the checks in this folder only when it is a package (it needs this file).\n"


def checkov_check_source(rule: Rule) -> str:
    return (f'"""{rule.id} for checkov: the rule\'s predicate (src/ddbguard/rules/{rule.stem}/predicate.py) through '
            "checkov's check API.\"\"\"\n\nfrom ddbguard.checkov_support import register_check\n\n"
            "check = register_check(__file__)\n")


def write_checkov_checks(rules: list[Rule], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "__init__.py").write_text(_CHECKS_INIT)
    for rule in rules:
        (directory / f"{rule.stem}.py").write_text(checkov_check_source(rule))
    return directory


def exported_files(root: Path) -> dict[Path, str]:
    """Every file of the two packs under `root`, with the content it must have."""
    files = {root / "checks" / "__init__.py": _CHECKS_INIT}
    for rule in load_catalog().values():
        folder = package_file("rules", rule.stem)
        if "guard" in rule.engines:
            files[root / "policies" / f"{rule.stem}.guard"] = folder.joinpath("rule.guard").read_text()
            files[root / "policies" / "tests" / f"{rule.stem}_tests.yaml"] = folder.joinpath("rule_tests.yaml").read_text()
        if "checkov" in rule.engines:
            files[root / "checks" / f"{rule.stem}.py"] = checkov_check_source(rule)
    return files


def export(root: Path) -> None:
    for folder in (root / "policies", root / "checks"):  # rules that are gone leave no file behind
        for stale in folder.rglob("*") if folder.is_dir() else []:
            if stale.is_file() and stale.suffix in (".guard", ".yaml", ".py"):
                stale.unlink()
    for path, text in exported_files(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":  # python -m ddbguard.rule_packs ROOT
    export(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
