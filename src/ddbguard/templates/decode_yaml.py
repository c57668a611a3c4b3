"""YAML templates as CloudFormation reads them, from libyaml's events: short forms in their long form, dates kept as
text, no aliases or merge keys (an alias bomb is an input error), the line of every mapping and key."""

from __future__ import annotations

import sys

import yaml

from ddbguard.templates.marks import MAX_DEPTH, DecodeError, MarkedDict


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


def decode_yaml(text: str) -> object:
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
