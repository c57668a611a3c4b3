"""Write what is generated from the rule catalog: docs/rules.md, the README's rule table, and the validated
catalog every run reads (src/ddbguard/data/catalog.json: parsing and validating rule.yaml costs each run 0.15 s).

    python tools/generate_docs.py   (make docs runs it; tests/test_catalog.py keeps both current)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ddbguard.catalog import VALIDATED_CATALOG, load_catalog, validated_catalog  # noqa: E402
from ddbguard.catalog.render import render_catalog  # noqa: E402

BLOCK = re.compile(r"(<!-- rules: generated from the catalog by `make docs` -->\n)(.*?)(\n<!-- /rules -->)", re.DOTALL)


def readme_table() -> str:
    """The README's rule table: every rule, in catalog order, DDB000 (the suppressions rule) last."""
    rules = sorted(load_catalog().values(), key=lambda rule: (rule.id == "DDB000", rule.id))
    return "\n".join(["| Id | Severity | Title |", "|---|---|---|",
                      *(f"| {rule.id} | {rule.severity.value} | {rule.title} |" for rule in rules)])


def readme_with_table(readme: str) -> str:
    return BLOCK.sub(lambda match: match.group(1) + readme_table() + match.group(3), readme, count=1)


if __name__ == "__main__":
    (ROOT / "src" / "ddbguard" / "data" / VALIDATED_CATALOG).write_text(validated_catalog(), encoding="utf-8")
    (ROOT / "docs" / "rules.md").write_text(render_catalog("markdown"), encoding="utf-8")
    readme = ROOT / "README.md"
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
