"""Text for a terminal or a CI log: what a terminal or the GitHub Actions runner would interpret is
shown as escapes instead.

- Control characters: C0 (ESC starts terminal sequences, CR and BS overwrite what is shown, LF starts a
  new line), DEL and C1 (U+009B is a CSI on some terminals) are written `\\n`, `\\x1b`, `\\x9b`.
- Characters that change what is shown without being seen: format characters (bidi controls reorder text,
  as in "Trojan Source"; zero-width and tag characters hide it), line and paragraph separators; lone
  surrogates (no encoding can write them) and unassigned code points too: `\\u202e`.
- GitHub Actions workflow commands: the runner runs a line that starts with `::` after white space, and
  a line with `##[` and a command name anywhere (its legacy syntax), so the first colon of a leading `::`
  is written `\\x3a` and `##[` is written `#\\x23[`.

A backslash is left as it is (Windows paths): the escapes are for showing, not for reading back.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")
_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp", "Cn"))  # control, format, surrogate, separators, unassigned
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_LEADING_COMMAND = re.compile(r"^(\s*):(?=:)")


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@lru_cache(maxsize=4096)  # a report repeats its files, stacks, titles and messages thousands of times
def terminal_text(text: str) -> str:
    """`text` as one line that shows exactly what it holds and drives neither a terminal nor a CI runner."""
    if not text.isascii():
        shown = "".join(_escape(char) if unicodedata.category(char) in _HIDDEN else char for char in text)
    elif _ASCII_CONTROL.search(text):
        shown = _ASCII_CONTROL.sub(lambda match: _escape(match.group()), text)
    else:  # the usual case, and a fast one
        shown = text
    if "::" in shown:
        shown = _LEADING_COMMAND.sub(r"\1\\x3a", shown)
    return shown.replace("##[", "#\\x23[") if "##[" in shown else shown
