"""Decode a CloudFormation template once, keeping the line of every mapping key.

YAML short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long form so that
everything downstream sees one shape. JSON is decoded by the same YAML parser (JSON is YAML), which
keeps line marks for `cdk synth` output too.
"""

from __future__ import annotations

import json
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


class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    pass


def _construct_mapping(loader: _TemplateLoader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise DecodeError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


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


_TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _short in ("Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select",
               "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or", "ToJsonString", "Length"):
    _TemplateLoader.add_constructor(f"!{_short}", _intrinsic(f"Fn::{_short}"))
_TemplateLoader.add_constructor("!Ref", _intrinsic("Ref"))
_TemplateLoader.add_constructor("!Condition", _intrinsic("Condition"))


def decode_text(text: str) -> object:
    try:
        return yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        # PyYAML rejects a few things JSON allows (tabs in indentation); give JSON its own chance.
        if text.lstrip().startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError as json_exc:
                raise DecodeError(f"invalid JSON: line {json_exc.lineno}: {json_exc.msg}") from None
        raise DecodeError(f"invalid YAML: {where}{problem}") from None


def decode_file(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DecodeError("not a text file (cannot be decoded as UTF-8)") from None
    except OSError as exc:
        raise DecodeError(f"cannot read file: {exc.strerror or exc}") from None
    return decode_text(text)


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
