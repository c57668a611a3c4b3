"""`ddbguard rules`: the rule catalog, as text, JSON or Markdown (docs/rules.md is its Markdown)."""

from __future__ import annotations

from ddbguard.catalog.render import render_catalog


def list_rules(fmt: str) -> str:
    return render_catalog(fmt)
