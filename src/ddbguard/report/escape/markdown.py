"""Markdown (CommonMark and GitHub's GFM, which GitHub and GitLab render to HTML): untrusted text is
written as a code span, the one construct inside which nothing is interpreted (no emphasis, links,
autolinks, images, HTML, entities or headings), whichever renderer reads it.

The span's fence is one backtick longer than the longest run of backticks in the text, and padded with
a space where CommonMark would otherwise strip one or read a backtick as part of the fence. Control
characters are escapes first (terminal.py), so no line ending can end the span or the table row. In a
table cell, `|` is written `\\|`, which GFM reads as a pipe inside the cell, code spans included.

A report's own words (titles, engine names) come from the catalog, but a merged report reads them from
files: they stay as they are when they are plain words.
"""

from __future__ import annotations

import re

from ddbguard.report.escape.terminal import terminal_text

_BACKTICKS = re.compile("`+")
_WORDS = re.compile(r"[A-Za-z0-9 ,()'+-]*")  # inert in the middle of a line, whoever renders it


def markdown_code(text: str) -> str:
    """`text` as an inline code span (nothing when it is empty)."""
    shown = terminal_text(text)
    if not shown:
        return ""
    fence = "`" * (max(map(len, _BACKTICKS.findall(shown))) + 1) if "`" in shown else "`"
    if shown[0] == "`" or shown[-1] == "`" or (shown[0] == shown[-1] == " " and shown.strip(" ")):
        shown = f" {shown} "
    return f"{fence}{shown}{fence}"


def markdown_cell(text: str) -> str:
    """`text` as a code span in a GFM table cell."""
    return markdown_code(text).replace("|", "\\|")


def markdown_words(text: str, *, cell: bool = False) -> str:
    """Text that is plain words (a rule's title, an engine) as it is; anything else as a code span (in a
    table `cell`), because escaping punctuation does not stop GitHub from turning `@name`, `#1` or `:x:` in
    text into mentions, references and emoji."""
    if _WORDS.fullmatch(text):
        return text
    return markdown_cell(text) if cell else markdown_code(text)
