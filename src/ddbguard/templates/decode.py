"""Decode a CloudFormation template once, keeping the line of every mapping key.

Read as CloudFormation reads it:
- YAML short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long form so that
  everything downstream sees one shape.
- Scalars that look like dates or timestamps (`2010-09-09`) stay strings, as CloudFormation keeps them.
- Aliases and merge keys are rejected: CloudFormation does not support them, and an alias bomb must
  be an input error, not gigabytes of memory.
- JSON is decoded by the C JSON decoder; the lines of an object and of its keys are found in the text when first
  asked for (a run asks for the few that its findings report), not marked on every value as it is decoded.
"""

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
from pathlib import Path

import yaml


class MarkedDict(dict):
    """A mapping that remembers the 1-based line of itself and of each of its keys.

    The YAML decoder keeps the key lines as a compact tuple in key order (a template's mappings are many, and a
    dict of lines per mapping would double the memory of the whole template); `key_lines` is a dict made from it
    the first time it is asked for. A JSON object keeps only its document (`_source`): its lines are found in the
    document's text the first time they are asked for (`_JsonSource`).

    No __init__: the JSON decoder makes every object with `MarkedDict(pairs)`, which stays C code that way.
    """

    __slots__ = ("_line", "_lines", "_key_lines", "_source", "_start", "_end")

    @property
    def line(self) -> int:
        line = getattr(self, "_line", None)
        if line is None:
            source = getattr(self, "_source", None)
            line = self._line = source.line_of_object(self) if source is not None else 0
        return line

    @line.setter
    def line(self, value: int) -> None:
        self._line = value

    @property
    def key_lines(self) -> dict:
        key_lines = getattr(self, "_key_lines", None)
        if key_lines is None:
            lines, source = getattr(self, "_lines", None), getattr(self, "_source", None)
            if lines is not None:
                key_lines = dict(zip(self, lines))
            elif source is not None:
                key_lines = source.key_lines_of(self)
            else:
                key_lines = {}
            self._key_lines, self._lines = key_lines, None
        return key_lines

    @key_lines.setter
    def key_lines(self, value: dict) -> None:
        self._key_lines, self._lines = value, None

    # removing a key would shift the compact lines: make them a dict first
    def __delitem__(self, key):
        self.key_lines  # noqa: B018 - materializes
        super().__delitem__(key)

    def pop(self, *args):
        self.key_lines  # noqa: B018
        return super().pop(*args)

    def popitem(self):
        self.key_lines  # noqa: B018
        return super().popitem()


class DecodeError(Exception):
    pass


MAX_DEPTH = 100  # far beyond any real template; deeper input would exhaust the recursion of later steps

# Every short form CloudFormation accepts, and the function it stands for: the intrinsic and condition
# functions, AWS::LanguageExtensions' and the Rules section's (a valid template with `!Contains` in its
# Rules is not invalid YAML).
SHORT_FORMS = {f"!{name}": f"Fn::{name}" for name in (
    "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform",
    "And", "Equals", "If", "Not", "Or", "ToJsonString", "Length", "GetStackOutput", "Contains", "EachMemberEquals",
    "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll")} | {"!Ref": "Ref", "!Condition": "Condition"}
_YAML = "tag:yaml.org,2002:"
_COLLECTION_TAGS = (f"{_YAML}map", f"{_YAML}seq", "!")
_STR, _TIMESTAMP = f"{_YAML}str", f"{_YAML}timestamp"


def _key(key: object, text: str, line: int) -> object:
    """A mapping key as CloudFormation reads it: text. A YAML 1.1 number (`1:`) is its text; a boolean or null
    (`On:`, `Yes:`, `~:`) is an input error naming the key, since CloudFormation would read another name."""
    if isinstance(key, bool) or key is None:
        read = "null" if key is None else f"boolean {str(key).lower()}"
        raise DecodeError(f"line {line}: the key {text!r} is the YAML 1.1 {read}, not a name "
                          f"(CloudFormation reads YAML 1.1); quote it: '{text}'")
    if isinstance(key, (int, float)):
        return text
    if not isinstance(key, str):  # a mapping or list used as a key, as in `{{ .Values.x }}`
        raise DecodeError(f"line {line}: a mapping key must be a scalar")
    return sys.intern(key)  # the same few keys, thousands of times


class _Collection:
    """A mapping or sequence being built from the parser's events."""

    __slots__ = ("value", "line", "function", "lines", "key", "key_line")

    def __init__(self, value, line: int, function: str | None) -> None:
        self.value, self.line, self.function = value, line, function
        self.lines: list[int] = []
        self.key: object = _NO_KEY
        self.key_line = 0


_NO_KEY = object()
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


def _decode_yaml(text: str) -> object:
    """YAML to Python, built from the parser's events (no node graph: memory stays near the data's own size),
    the way CloudFormation reads it: dates stay text, aliases, anchors and merge keys are errors."""
    loader = _Loader(text)
    try:
        return _build(loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DecodeError(f"invalid YAML: {where}{problem}") from None
    finally:
        loader.dispose()


def _build(loader) -> object:
    stack: list[_Collection] = []
    root: object = None
    documents = 0
    # the event classes as locals: looked up for every event of the text
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end, get_event = yaml.MappingEndEvent, yaml.SequenceEndEvent, loader.get_event
    while True:
        event = get_event()
        kind = type(event)
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if kind is scalar_event:
            if event.anchor is not None:
                _no_anchor(event, line)
            value = _scalar(loader, event, line)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None:
                _no_anchor(event, line)
            function = _function(event.tag, line)
            if len(stack) >= MAX_DEPTH:
                raise DecodeError(f"line {line}: nested more than {MAX_DEPTH} levels deep")
            container = MarkedDict() if kind is mapping_start else []
            if isinstance(container, MarkedDict):
                container.line = line
            stack.append(_Collection(container, line, function))
            continue
        elif kind is mapping_end or kind is sequence_end:
            done = stack.pop()
            value = done.value
            if isinstance(value, MarkedDict):
                value._lines = tuple(done.lines)
            if done.function is not None:
                value = _wrapped(done.function, value, done.line)
        elif kind is yaml.AliasEvent:
            raise DecodeError(f"line {line}: YAML aliases and anchors (&name, *name) are not supported by "
                              "CloudFormation")
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise DecodeError(f"line {line}: a template is one YAML document, not several (---)")
            continue
        elif kind is yaml.StreamEndEvent:
            return root
        else:
            continue
        if not stack:
            root = value
            continue
        parent = stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif parent.key is _NO_KEY:
            if isinstance(value, _MergeKey):
                raise DecodeError(f"line {line}: YAML merge keys (<<) are not supported by CloudFormation")
            parent.key, parent.key_line = _key(value, getattr(event, "value", ""), line), line
        else:
            if parent.key in parent.value:
                raise DecodeError(f"line {parent.key_line}: duplicate key {parent.key!r}")
            parent.value[parent.key] = value
            parent.lines.append(parent.key_line)
            parent.key = _NO_KEY


class _MergeKey:
    """A plain `<<`, which YAML 1.1 reads as a merge key."""


def _no_anchor(event, line: int) -> None:
    if event.anchor is not None:
        raise DecodeError(f"line {line}: YAML aliases and anchors (&name, *name) are not supported by CloudFormation")


def _function(tag: str | None, line: int) -> str | None:
    """The intrinsic function a collection's tag stands for (None: a plain mapping or sequence)."""
    if tag is None or tag in _COLLECTION_TAGS:
        return None
    if tag in SHORT_FORMS:
        return SHORT_FORMS[tag]
    raise DecodeError(f"invalid YAML: line {line}: could not determine a constructor for the tag {tag!r}")


def _scalar(loader, event, line: int) -> object:
    tag = event.tag
    if tag in SHORT_FORMS:
        return _wrapped(SHORT_FORMS[tag], event.value, line)
    if tag is None or tag == "!":
        value, resolvers = event.value, loader.yaml_implicit_resolvers
        if (not event.implicit[0] or (value and value[0] not in resolvers)) and None not in resolvers \
                and not loader.yaml_path_resolvers:
            tag = _STR  # what the resolver answers when no pattern of it can match (most scalars): no call
        else:
            tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
    if tag == _STR or tag == _TIMESTAMP:  # CloudFormation keeps dates as text
        value = event.value
        return sys.intern(value) if len(value) < 64 else value  # templates repeat their words thousands of times
    if tag == f"{_YAML}merge":
        return _MergeKey()
    constructor = loader.yaml_constructors.get(tag) if tag.startswith(_YAML) else None
    if constructor is None or tag in (f"{_YAML}map", f"{_YAML}seq"):
        raise DecodeError(f"invalid YAML: line {line}: could not determine a constructor for the tag {tag!r}")
    return constructor(loader, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))


def _wrapped(function: str, value: object, line: int) -> MarkedDict:
    """`!GetAtt Table.Arn` is the string form of ["Table", "Arn"]; every short form becomes its long form."""
    if function == "Fn::GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    result = MarkedDict({function: value})
    result.line = line
    result._lines = (line,)
    return result


# A JSON string (a key when a colon follows) or a brace: enough to know where each object and key is.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[{}\[\]]')
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: twice as fast as an alternation
_NOT_BRACKETS = re.compile(r"[^{}\[\]]+")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_MEMBER = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\n\r]*:[ \t\n\r]*')  # a key (as written), up to its value
_AFTER_VALUE = re.compile(r"[ \t\n\r]*,?[ \t\n\r]*")
_SEARCHED_KEYS = 16  # an object of more keys is read whole once (a search per key would read it again and again)
_KEY_PATTERNS: dict[str, re.Pattern] = {}  # `"key":`, by key: templates use the same few keys
# Skips a value of a document already decoded once (its objects are not built twice: `len` of their pairs).
_skip_value = make_scanner(json.JSONDecoder(object_pairs_hook=len))


def _decode_json(text: str) -> object:
    """json.loads at C speed; every object a MarkedDict that finds its lines in `text` when they are asked for.

    Whatever this fast path does not accept (a duplicate key, nesting too deep, invalid JSON) is decoded again by
    `_decode_json_eagerly`, whose error (with its line) is the one to report.
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
        if _nesting(text) > MAX_DEPTH:
            raise _Duplicate  # the eager decoder says where
        data = json.loads(text, object_pairs_hook=marked)
    except (_Duplicate, JSONDecodeError, RecursionError):
        return _decode_json_eagerly(text)
    data._start, data._end = len(text) - len(text.lstrip()), len(text)  # the document's `{`, and its end
    source.root = data
    return data


class _Duplicate(Exception):
    """A JSON object with a key twice (or a document nested too deep): worded by the eager decoder."""


def _nesting(text: str) -> int:
    """How deeply the document's objects and lists nest: its brackets outside strings, innermost pairs removed
    until none is left (a template nests a few levels, so a few passes of C string code)."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    depth = 0
    while brackets and depth <= MAX_DEPTH:
        shorter = brackets.replace("{}", "").replace("[]", "")
        if len(shorter) == len(brackets):
            break  # unbalanced: not JSON, which the decoder says
        brackets, depth = shorter, depth + 1
    return depth


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
        start, end = getattr(node, "_start", None), getattr(node, "_end", None)
        if start is None or end is None or len(node) > _SEARCHED_KEYS or self.text.find("\\", start, end) >= 0:
            return None
        pattern = _KEY_PATTERNS.get(key)
        if pattern is None:
            pattern = _KEY_PATTERNS[key] = re.compile('"' + re.escape(key) + '"[ \t\n\r]*:[ \t\n\r]*')
        matches = pattern.finditer(self.text, start, end)
        found = next(matches, None)
        if found is None or next(matches, None) is not None:
            return None
        value = node[key]
        if isinstance(value, (dict, list)):
            self._position(value, found.end(), end)
        return bisect_right(self._line_starts or self._find_line_starts(), found.start())

    def _start_of(self, node: MarkedDict) -> int | None:
        start = getattr(node, "_start", None)
        if start is None and self.root is not None:
            self._read_down_to(node)
            start = getattr(node, "_start", None)
        return start

    def _read_down_to(self, wanted: MarkedDict) -> None:
        """Read objects from the root down, level by level, until `wanted` is positioned."""
        level: list = [self.root]
        while level and getattr(wanted, "_start", None) is None:
            below = []
            for node in level:
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


def _decode_json_eagerly(text: str) -> object:
    """json.loads at C speed, every object a MarkedDict with the line of itself and of each key.

    The C decoder calls `object_pairs_hook` as each object closes; one regex pass over the text lists
    the objects in that same closing order, each with its line and the lines of its keys. Slower than
    `_decode_json` (a Python step for every string of the text); it words the errors that one leaves to it.
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


def decode_text(text: str) -> object:
    text = text.removeprefix("\ufeff")
    try:
        if text.lstrip().startswith("{"):
            try:
                return _decode_json(text)  # its depth is checked first
            except DecodeError as json_error:
                try:  # a YAML flow mapping also starts with `{`
                    data = _decode_yaml(text)
                except DecodeError:
                    raise json_error from None
        else:
            data = _decode_yaml(text)
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


def line_of(node: object, path: tuple) -> int:
    """Line of the deepest existing key along `path`, falling back to the nearest parent."""
    line = getattr(node, "line", 0)
    for step in path:
        if isinstance(node, dict) and step in node:
            line = _key_line(node, step, line)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _key_line(node: dict, key: str, default: int) -> int:
    source = getattr(node, "_source", None)
    if source is not None and getattr(node, "_key_lines", None) is None:  # a JSON object not read whole yet
        line = source.key_line(node, key)
        if line is not None:
            return line
    return getattr(node, "key_lines", {}).get(key, default)


def may_hold_key(node: object, key: str) -> bool:
    """Whether a key `key` may be anywhere in `node`. False only for a JSON document just as decoded whose text has
    no escapes and does not contain the key's text: a search of the text instead of a walk of every value."""
    source = getattr(node, "_source", None)
    if source is None or node is not source.root:
        return True
    return "\\" in source.text or f'"{key}"' in source.text
