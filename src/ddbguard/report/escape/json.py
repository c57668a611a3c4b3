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
