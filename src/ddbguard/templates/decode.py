"""Decode a CloudFormation template once, keeping the line of every mapping key.

Read as CloudFormation reads it:
- YAML short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long form so that
  everything downstream sees one shape.
- Scalars that look like dates or timestamps (`2010-09-09`) stay strings, as CloudFormation keeps them.
- Aliases and merge keys are rejected: CloudFormation does not support them, and an alias bomb must
  be an input error, not gigabytes of memory.
- JSON is decoded by a JSON decoder (at JSON speed) that still marks the line of every key.
"""

from __future__ import annotations

import json
import re
from json import JSONDecodeError
from pathlib import Path

import yaml


class MarkedDict(dict):
    """A mapping that remembers the 1-based line of itself and of each of its keys."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict = {}


class DecodeError(Exception):
    pass


MAX_DEPTH = 100  # far beyond any real template; deeper input would exhaust the recursion of later steps


class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    def construct_object(self, node, deep=False):
        # A node met a second time was reached through an alias (`*name`).
        if node in self.constructed_objects or node in self.recursive_objects:
            raise DecodeError(f"line {node.start_mark.line + 1}: YAML aliases and anchors (&name, *name) are not "
                              "supported by CloudFormation")
        return super().construct_object(node, deep=deep)


def _construct_mapping(loader: _TemplateLoader, node: yaml.MappingNode) -> MarkedDict:
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise DecodeError(f"line {line}: YAML merge keys (<<) are not supported by CloudFormation")
        key = _key(loader.construct_object(key_node, deep=True), key_node, line)
        try:
            duplicate = key in result
        except TypeError:  # a mapping or list used as a key, as in `{{ .Values.x }}`
            raise DecodeError(f"line {line}: a mapping key must be a scalar") from None
        if duplicate:
            raise DecodeError(f"line {line}: duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _key(key: object, node: yaml.Node, line: int) -> object:
    """A mapping key as CloudFormation reads it: text. A YAML 1.1 number (`1:`) is its text; a boolean or null
    (`On:`, `Yes:`, `~:`) is an input error naming the key, since CloudFormation would read another name."""
    if isinstance(key, bool) or key is None:
        read = "null" if key is None else f"boolean {str(key).lower()}"
        raise DecodeError(f"line {line}: the key {node.value!r} is the YAML 1.1 {read}, not a name "
                          f"(CloudFormation reads YAML 1.1); quote it: '{node.value}'")
    if isinstance(key, (int, float)):
        return node.value
    return key


def _intrinsic(name: str):
    def construct(loader: _TemplateLoader, node: yaml.Node) -> MarkedDict:
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt" and isinstance(value, str):
                # `!GetAtt Table.Arn` is the string form of ["Table", "Arn"]
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = _construct_mapping(loader, node)
        result = MarkedDict({name: value})
        result.line = node.start_mark.line + 1
        result.key_lines[name] = result.line
        return result

    return construct


def _as_text(loader: _TemplateLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)  # CloudFormation keeps dates as text
# Every short form CloudFormation accepts: the intrinsic and condition functions, AWS::LanguageExtensions' and
# the Rules section's (a valid template with `!Contains` in its Rules is not invalid YAML).
for _short in ("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
               "Transform", "And", "Equals", "If", "Not", "Or", "ToJsonString", "Length", "GetStackOutput",
               "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll"):
    _TemplateLoader.add_constructor(f"!{_short}", _intrinsic(f"Fn::{_short}"))
_TemplateLoader.add_constructor("!Ref", _intrinsic("Ref"))
_TemplateLoader.add_constructor("!Condition", _intrinsic("Condition"))


def _decode_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DecodeError(f"invalid YAML: {where}{problem}") from None


# A JSON string (a key when a colon follows) or a brace: enough to know where each object and key is.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[{}\[\]]')


def _decode_json(text: str) -> object:
    """json.loads at C speed, every object a MarkedDict with the line of itself and of each key.

    The C decoder calls `object_pairs_hook` as each object closes; one regex pass over the text lists
    the objects in that same closing order, each with its line and the lines of its keys.
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
        result.key_lines = dict(zip(result, key_lines))  # keys in document order, as the pairs came
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
                return _decode_json(text)  # its depth is checked on the way
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


def read_text(path: Path) -> str:
    try:
        if not path.is_file():
            raise DecodeError("not a regular file")
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
            line = getattr(node, "key_lines", {}).get(step, line)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            line = getattr(node, "line", line)
        else:
            break
    return line
