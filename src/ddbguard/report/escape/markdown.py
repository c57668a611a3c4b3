"""Markdown (CommonMark and GitHub's GFM, which GitHub and GitLab render to HTML): untrusted text is
written as a code span, the one construct inside which nothing is interpreted (no emphasis, links,
autolinks, images, HTML, entities or headings), whichever renderer reads it.

The span's fence is one backtick longer than the longest run of backticks in the text, and padded with
a space where CommonMark would otherwise strip one or read a backtick as part of the fence. Control
characters are escapes first (terminal.py), so no line ending can end the span or the table row. In a
table cell, `|` is written `\\|`, which GFM reads as a pipe inside the cell, code spans included.
"""

from __future__ import annotations

import re

from ddbguard.report.escape.terminal import terminal_text

_BACKTICKS = re.compile("`+")


def markdown_code(text: str) -> str:
    """`text` as an inline code span (nothing when it is empty)."""
    shown = terminal_text(text)
    if not shown:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    if shown[0] == "`" or shown[-1] == "`" or (shown[0] == shown[-1] == " " and shown.strip(" ")):
        shown = f" {shown} "
    return f"{fence}{shown}{fence}"


def markdown_cell(text: str) -> str:
    """`text` as a code span in a GFM table cell."""
    return markdown_code(text).replace("|", "\\|")
