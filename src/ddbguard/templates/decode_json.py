"""JSON templates, decoded by the C JSON decoder: the lines of an object and of its keys are found in the text when
first asked for (a run asks for the few that its findings report). The eager decoder, which marks every object as
it reads it, words the errors and is the reference the tests compare the lines with."""

from __future__ import annotations

import json
import re
import sys
from array import array
from bisect import bisect_right
from itertools import accumulate, repeat
from json import JSONDecodeError
from json.decoder import scanstring
from json.scanner import make_scanner
from operator import add

from ddbguard.templates.marks import MAX_DEPTH, TOO_MANY_DIGITS, DecodeError, MarkedDict
from ddbguard.templates.speedups import SPEEDUPS


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[{}\[\]]')
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_MEMBER = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\n\r]*:[ \t\n\r]*')  # a key (as written), up to its value
_AFTER_VALUE = re.compile(r"[ \t\n\r]*,?[ \t\n\r]*")
_SEARCHED_KEYS = 16  # an object of more keys is read whole once (a search per key would read it again and again)
_COLON = re.compile(r"[ \t\n\r]*:[ \t\n\r]*")  # after a key, up to its value
# Skips a value of a document already decoded once (its objects are not built twice: `len` of their pairs).
_skip_value = make_scanner(json.JSONDecoder(object_pairs_hook=len))
if SPEEDUPS is not None:
    SPEEDUPS.configure_json(scanstring)  # json's own reader of a string with escapes


def decode_json(text: str) -> object:
    """json.loads' values, every object a MarkedDict with its lines: built in C with the lines marked where the C
    speedups are compiled, and otherwise by `decode_json_lazily`. A document either leaves (a duplicate key,
    nesting too deep, invalid JSON, NaN) is worded by `decode_json_eagerly`."""
    if SPEEDUPS is not None:
        data = SPEEDUPS.build_json(text)
        if data is not SPEEDUPS.BAIL:
            if isinstance(data, MarkedDict):
                data._text = text
            return data
    return decode_json_lazily(text)


def decode_json_lazily(text: str) -> object:
    """json.loads at C speed; every object a MarkedDict that finds its lines in `text` when they are asked for.

    Whatever this fast path does not accept (a duplicate key, nesting too deep, invalid JSON) is decoded again by
    `decode_json_eagerly`, whose error (with its line) is the one to report.
    """
    source = _JsonSource(text)

    def marked(pairs: list[tuple[str, object]], new=MarkedDict, length=len) -> MarkedDict:
        result = new(pairs)
        if length(result) != length(pairs):
            raise _Duplicate
        # every slot set: reading one that is not costs an AttributeError each time
        result._source, result._start, result._end, result._line, result._key_lines = source, None, None, None, None
        return result

    try:
        data = json.loads(text, object_pairs_hook=marked)
        if _nested_deeper_than(data, MAX_DEPTH):
            raise _Duplicate  # the eager decoder says where
    except (_Duplicate, ValueError, RecursionError):  # ValueError: JSONDecodeError, or an integer too long
        return decode_json_eagerly(text)
    data._start, data._end = len(text) - len(text.lstrip()), len(text)  # the document's `{`, and its end
    data._text = source.text
    source.root = data
    return data


class _Duplicate(Exception):
    """A JSON object with a key twice (or a document nested too deep): worded by the eager decoder."""


def _nested_deeper_than(data: object, limit: int) -> bool:
    """Whether the document's objects and lists nest more than `limit` levels: one level of them at a time (a
    template nests a few levels; measuring the text instead took longer than decoding it)."""
    level, depth = [data], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [value for node in level for value in (node.values() if isinstance(node, dict) else node)
                 if isinstance(value, (dict, list))]
    return False


class _JsonSource:
    """The text of one JSON document, and where its objects are, found when their lines are first asked for.

    An object's position (`_start`, the offset of its `{`, and `_end`, an offset its text surely ends before) is
    learned when its parent is read: reading an object walks its keys in the text (skipping each value with the C
    scanner) and positions the objects among its values. The line of one key of a small object is found by
    searching its text for the key instead (`key_line`). An object asked for before its parent was read is found
    by reading from the document's root down.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.root: MarkedDict | None = None
        self._line_starts: array | None = None  # found when a line is first asked for; 8 bytes a line

    def line_at(self, offset: int) -> int:
        return bisect_right(self._line_starts or self._find_line_starts(), offset)

    def _find_line_starts(self) -> array:
        """The offset where each line begins, by C code over the whole text."""
        self._line_starts = array("q", accumulate(map(add, map(len, self.text.split("\n")), repeat(1)), initial=0))
        return self._line_starts

    def line_of_object(self, node: MarkedDict) -> int:
        start = self._start_of(node)
        return self.line_at(start) if start is not None else 0

    def key_lines_of(self, node: MarkedDict) -> dict:
        """The line of each key of `node`, read from the text; the objects among its values learn where they are."""
        start = self._start_of(node)
        if start is None:
            return {}
        text, line_starts, get = self.text, self._line_starts or self._find_line_starts(), node.get
        key_lines = {}
        at = _WHITESPACE.match(text, start + 1).end()
        while (member := _MEMBER.match(text, at)) is not None:  # a key, its colon, and the value's offset
            key = member.group(1)
            if "\\" in key:
                key = scanstring(text, at + 1)[0]
            key_lines[key] = bisect_right(line_starts, at)
            value_at = member.end()
            value = get(key)
            value_end = _skip_value(text, value_at)[1]
            if isinstance(value, (dict, list)):
                self._position(value, value_at, value_end)
            at = _AFTER_VALUE.match(text, value_end).end()
        return key_lines

    def key_line(self, node: MarkedDict, key: str) -> int | None:
        """The line of one key of a small object, and where its value is, from one search of the object's text: when
        `"key":` occurs there exactly once and the text has no escapes, it is that key (the key is in the object, so
        its text is there; a key of a nested object would be a second match). None: read the whole object."""
        return self._line_found(node, node, key)

    def deepest_key_line(self, node: MarkedDict, path: tuple) -> int | None:
        """The line `line_of(node, path)` gives, when the step that decides it (the deepest that exists) is a key of
        an object of this document below `node`: from one search of `node`'s text for that key (it is below `node`,
        so its text is there) instead of one search per step. None when an item's own line decides, or the text
        cannot say (the key is there more than once): walk the path a step at a time."""
        holder, key, value = None, None, node
        for step in path:
            if isinstance(value, dict) and step in value:
                holder, key, value = value, step, value[step]
            elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                value = value[step]
                if hasattr(value, "line"):  # its own line, unless a key below
                    holder = None
            else:
                break
        if holder is None or getattr(holder, "_source", None) is not self:
            return None
        if holder._key_lines is not None:  # read whole already
            return holder._key_lines.get(key)
        return self._line_found(node, holder, key)

    def _line_found(self, within: MarkedDict, holder: MarkedDict, key: str) -> int | None:
        """The line of `holder`'s `key`, from a search of the text of `within` (holder or an object holding it) that
        finds `"key":` exactly once; the key's value learns where it is."""
        start, end = getattr(within, "_start", None), getattr(within, "_end", None)
        if start is None or end is None or len(within) > _SEARCHED_KEYS or self.text.find("\\", start, end) >= 0:
            return None
        text, quoted = self.text, f'"{key}"'
        found, at = None, text.find(quoted, start, end)
        while at >= 0:  # each `"key"` followed by its colon; one without is a value
            after = at + len(quoted)
            colon = _COLON.match(text, after, end)
            if colon is not None:
                if found is not None:
                    return None
                found = (at, colon.end())
            at = text.find(quoted, after, end)
        if found is None:
            return None
        value = holder[key]
        if isinstance(value, (dict, list)):
            self._position(value, found[1], end)
        return bisect_right(self._line_starts or self._find_line_starts(), found[0])

    def _start_of(self, node: MarkedDict) -> int | None:
        start = getattr(node, "_start", None)
        if start is None and self.root is not None:
            self._read_down_to(node)
            start = getattr(node, "_start", None)
        return start

    def _read_down_to(self, wanted: MarkedDict) -> None:
        """Read objects from the root down, level by level, until `wanted` is positioned. An object that holds
        `wanted` as the value of a key searches its text for that key first (`key_line`): a section of a template
        (`Resources`) is found without reading every other section's values."""
        level: list = [self.root]
        while level and getattr(wanted, "_start", None) is None:
            below = []
            for node in level:
                key = next((key for key, value in node.items() if value is wanted), None)
                if key is not None and self.key_line(node, key) is not None:
                    return
                node.key_lines  # noqa: B018 - reads it, positioning the objects among its values
                below.extend(item for item in _objects_in(node.values()) if getattr(item, "_source", None) is self)
            level = below

    def _position(self, value: object, at: int, end: int) -> None:
        """`value` (an object or a list of the document) starts at `at` and ends before `end`."""
        if isinstance(value, MarkedDict):
            if getattr(value, "_source", None) is self and getattr(value, "_start", None) is None:
                value._start, value._end = at, end
        elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
            text = self.text
            at = _WHITESPACE.match(text, at + 1).end()
            for item in value:
                item_end = _skip_value(text, at)[1]
                self._position(item, at, item_end)
                at = _AFTER_VALUE.match(text, item_end).end()


def _objects_in(values) -> list:
    found = []
    for value in values:
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):
            found.extend(_objects_in(value))
    return found


def decode_json_eagerly(text: str) -> object:
    """json.loads at C speed, every object a MarkedDict with the line of itself and of each key.

    The C decoder calls `object_pairs_hook` as each object closes; one regex pass over the text lists
    the objects in that same closing order, each with its line and the lines of its keys. Slower than
    `decode_json` (a Python step for every string of the text); it words the errors that one leaves to it.
    """
    objects: list[tuple[int, list[int]]] = []
    open_objects: list[tuple[int, list[int]]] = []
    line, position, depth = 1, 0, 0
    for match in _JSON_TOKEN.finditer(text):
        start = match.start()
        line += text.count("\n", position, start)
        position = start
        first = text[start]
        if first == "{":
            open_objects.append((line, []))
            depth += 1
        elif first == "}":
            if not open_objects:
                break  # not JSON: the decoder says where
            objects.append(open_objects.pop())
            depth -= 1
        elif first == "[":
            depth += 1
        elif first == "]":
            depth -= 1
        elif match.group(1) and open_objects:
            open_objects[-1][1].append(line)
        if depth > MAX_DEPTH:
            raise DecodeError(f"line {line}: nested more than {MAX_DEPTH} levels deep")
    marks = iter(objects)

    def marked(pairs: list[tuple[str, object]]) -> MarkedDict:
        object_line, key_lines = next(marks, (0, []))
        result = MarkedDict(pairs)
        result.line = object_line
        if len(result) != len(pairs):
            seen: set[str] = set()
            for (key, _), key_line in zip(pairs, key_lines):
                if key in seen:
                    raise DecodeError(f"line {key_line}: duplicate key {key!r}")
                seen.add(key)
        result._lines = tuple(key_lines[:len(result)])  # keys in document order, as the pairs came
        return result

    try:
        return json.loads(text, object_pairs_hook=marked)
    except JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: line {exc.lineno}: {exc.msg}") from None
    except ValueError:  # int() refuses an integer of more digits than sys.get_int_max_str_digits()
        found = re.search(r"\d{%d}" % (sys.get_int_max_str_digits() + 1), text)
        line = text.count("\n", 0, found.start()) + 1 if found else 0
        raise DecodeError(f"line {line}: {TOO_MANY_DIGITS}") from None
