"""JSON that every parser reads and that is safe to print: ASCII only (every other character is a
`\\u` escape, control characters included), no NaN or Infinity (not JSON; such a float is written as
its text), no lone surrogates (strict parsers reject them; they are written as the text of their
escape, `\\ud800`), and `##[` written `##\\u005b`, so that no line of it printed in a GitHub Actions log
is a workflow command. Parsers read the same strings.
"""

from __future__ import annotations

import json
import math
import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_document(data: object, **options) -> str:
    try:
        text = json.dumps(data, ensure_ascii=True, allow_nan=False, **options)
    except ValueError:  # NaN or Infinity
        text = json.dumps(_portable(data), ensure_ascii=True, allow_nan=False, **options)
    if "\\ud" in text:  # a surrogate pair (fine) or a lone surrogate
        text = json.dumps(_portable(data), ensure_ascii=True, allow_nan=False, **options)
    return text.replace("##[", "##\\u005b")  # `#` occurs only inside strings


class JsonTexts(dict):
    """value -> `json_document(value)`, each distinct string escaped once: a report repeats a few hundred strings
    (titles, remediations, messages, files) thousands of times.

    Every rule of json_document holds value by value (a NaN, a lone surrogate, `##[` are each within one value), so
    a compact document joined from these texts, `, ` between members and `: ` after each key, is the text
    json_document writes. Only strings and None are kept (and what the dict is made with): 1, 1.0 and True are one
    key to a dict and three different texts."""

    def __missing__(self, value: object) -> str:
        text = json_document(value)
        if value is None or type(value) is str:
            self[value] = text
        return text


def _portable(value: object) -> object:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_portable(key): _portable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_portable(item) for item in value]
    return value
