"""HTML (the `html` report, opened in a browser): untrusted text is character data or a quoted attribute value,
never markup. `&`, `<`, `>`, `"` and `'` become character references, so no text can open or close an element
(`</script>`, `<img onerror=...>`), end an attribute or add one; and the report builds no URL from text (no
`href` or `src` at all), so `javascript:` is only ever shown. Control, bidi and invisible characters are escapes
first (terminal.py), as in every format: the page shows what the text held.

The page's own script reads the finding's fields back from `data-*` attributes and the cells' text, never from
text inserted into the script, so nothing untrusted is ever inside `<script>` or `<style>`.
"""

from __future__ import annotations

import html

from ddbguard.report.escape.terminal import terminal_text


def html_text(text: str) -> str:
    """`text` for an element's content or a quoted attribute value."""
    return html.escape(terminal_text(text), quote=True)
