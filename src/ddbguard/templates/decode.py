"""Decode a CloudFormation template once, keeping the line of every mapping key.

Read as CloudFormation reads it:
- YAML short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long form so that
  everything downstream sees one shape.
- Scalars that look like dates or timestamps (`2010-09-09`) stay strings, as CloudFormation keeps them.
- Aliases and merge keys are rejected: CloudFormation does not support them, and an alias bomb must
  be an input error, not gigabytes of memory.
- JSON is built by the C speedups with every line marked; where they are not compiled, by Python's C JSON decoder,
  the lines of an object and of its keys found in the text when first asked for (a run asks for the few that its
  findings report).
"""

from __future__ import annotations

from pathlib import Path

from ddbguard.templates.decode_json import decode_json
from ddbguard.templates.marks import MAX_DEPTH, DecodeError
from ddbguard.templates.speedups import SPEEDUPS


def decode_yaml(text: str) -> object:
    """The YAML decoder, imported by the first YAML input (PyYAML takes 30 ms to import; a cdk.out is JSON)."""
    from ddbguard.templates.decode_yaml import decode_yaml as decode

    return decode(text)


def decode_text(text: str) -> object:
    text = text.removeprefix("\ufeff")
    try:
        if text.lstrip().startswith("{"):
            try:
                return decode_json(text)  # its depth is checked first
            except DecodeError as json_error:
                try:  # a YAML flow mapping also starts with `{`
                    data = decode_yaml(text)
                except DecodeError:
                    raise json_error from None
        else:
            data = decode_yaml(text)
    except RecursionError:
        raise DecodeError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(data)
    return data


def _check_depth(data: object) -> None:
    pending = [(data, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise DecodeError(f"line {getattr(node, 'line', 0) or '?'}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            pending.extend((value, depth + 1) for value in node.values() if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            pending.extend((value, depth + 1) for value in node if isinstance(value, (dict, list)))


# CloudFormation accepts templates of up to 1 MB; far larger input is refused before it is read, so that a
# hostile file cannot make a run use unbounded memory (decoding costs about ten times the file's size).
MAX_TEMPLATE_BYTES = 64 * 1024 * 1024


def read_text(path: Path) -> str:
    try:
        if not path.is_file():
            raise DecodeError("not a regular file")
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise DecodeError(f"larger than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MB, far beyond the 1 MB "
                              "CloudFormation accepts for a template: not read")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DecodeError("not a text file (cannot be decoded as UTF-8)") from None
    except OSError as exc:
        raise DecodeError(f"cannot read file: {exc.strerror or exc}") from None


def decode_file(path: Path) -> object:
    return decode_text(read_text(path))


_NO_LINES: dict = {}  # a plain dict's: it knows no line


def line_of(node: object, path: tuple) -> int:
    """Line of the deepest existing key along `path`, falling back to the nearest parent."""
    if SPEEDUPS is not None and type(path) is tuple:  # the walk in C where the lines were marked as built
        found = SPEEDUPS.line_of(node, path)
        if found is not SPEEDUPS.BAIL:
            return found
    return line_of_in_python(node, path)


def line_of_in_python(node: object, path: tuple) -> int:
    """line_of's walk in Python: the reference for the C one, and the one that reads lines from a JSON text."""
    top, line = node, None  # `top`'s own line is found only when no step of the path exists
    for depth, step in enumerate(path):
        if isinstance(node, dict) and step in node:
            source = getattr(node, "_source", None)
            if source is None:  # its lines marked as it was built (YAML, and JSON built in C), or a plain dict
                line = getattr(node, "key_lines", _NO_LINES).get(step, line)
                node = node[step]
                continue
            # a JSON object not read whole: the key that decides may be found by one search of its text
            if getattr(node, "_key_lines", None) is None and depth < len(path) - 1:
                found = source.deepest_key_line(node, path[depth:])
                if found is not None:
                    return found
            line = _key_line(node, step, line)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            line = getattr(node, "line", line)
        else:
            break
    return getattr(top, "line", 0) if line is None else line


def _key_line(node: dict, key: str, default: int | None) -> int | None:
    source = getattr(node, "_source", None)
    if source is not None and getattr(node, "_key_lines", None) is None:  # a JSON object not read whole yet
        line = source.key_line(node, key)
        if line is not None:
            return line
    return getattr(node, "key_lines", {}).get(key, default)


def may_hold_key(node: object, key: str) -> bool:
    """Whether a key `key` may be anywhere in `node`. False only for a JSON document just as decoded whose text has
    no escapes and does not contain the key's text: a search of the text instead of a walk of every value."""
    text = getattr(node, "_text", None)  # a JSON document's root only
    if text is None:
        return True
    return "\\" in text or f'"{key}"' in text
