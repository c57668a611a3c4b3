"""YAML templates as CloudFormation reads them, from libyaml's events: short forms in their long form, dates kept as
text, no aliases or merge keys (an alias bomb is an input error), the line of every mapping and key."""

from __future__ import annotations

import gc
import sys

import yaml

from ddbguard.templates.marks import MAX_DEPTH, TOO_MANY_DIGITS, DecodeError, MarkedDict
from ddbguard.templates.speedups import SPEEDUPS


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
_SCALAR_TAGS = frozenset(f"{_YAML}{name}" for name in ("null", "bool", "int", "float"))  # built by PyYAML's constructors


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


_NO_KEY = object()
_UNDECODED = object()  # a plain text not in the table of decoded texts yet
# decoded plain scalars that may be shared: immutable, and their text alone decides them
_SHAREABLE = frozenset((str, bool, int, float, type(None)))
_PLAIN_CACHE_SIZE = 10_000  # distinct texts; a template of unique names must not grow a second copy of them
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


def decode_yaml(text: str) -> object:
    """YAML to Python, built from the parser's events (no node graph: memory stays near the data's own size),
    the way CloudFormation reads it: dates stay text, aliases, anchors and merge keys are errors."""
    collecting = gc.isenabled()
    gc.disable()  # what is built holds no cycle: a collection would only walk the ever-growing template, in vain
    try:
        if _C_BUILDER is not None:
            try:
                built = _C_BUILDER.build_yaml(text.encode("utf-8"))
            except UnicodeEncodeError:  # a lone surrogate: PyYAML's own error, below
                built = None
            else:
                if built is not _C_BUILDER.BAIL:
                    return built
        return _decode_events(text)
    finally:
        if collecting:
            gc.enable()


def _decode_events(text: str) -> object:
    """The builder of every shape, in Python: what the C builder does not build, and everything where it was not
    compiled."""
    loader = _Loader(text)
    try:
        return _build(loader, text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DecodeError(f"invalid YAML: {where}{problem}") from None
    finally:
        loader.dispose()


def _build(loader, text: str) -> object:  # noqa: C901 - one loop on purpose: it runs once per parser event
    """One pass over the events. The collection being built lives in local variables (its enclosing ones'
    are saved on `stack`): every event of the text passes here, and locals are what Python reads fastest.
    A scalar's line is read only where it is used (a key, an error, a short form)."""
    get_event, intern, resolvers = loader.get_event, sys.intern, loader.yaml_implicit_resolvers
    # a plain scalar that no implicit resolver can match (most of them) is text without asking the resolver
    no_resolver_matches_all = None not in resolvers and not loader.yaml_path_resolvers
    plain: dict[str, object] = {}  # what a plain scalar's text decoded to
    decoded_plain = plain.get
    may_anchor = "&" in text  # an anchor is written `&name`: without a `&` no event can carry one
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    stack: list[tuple] = []  # the enclosing collections' state, saved
    # the collection being built: its value (None: none, at the top), whether a list, its pending key and that
    # key's line, its keys' lines, the function its tag stands for, its line
    container, in_list, key, key_line, lines, function, start_line = None, False, _NO_KEY, 0, None, None, 0
    root: object = None
    documents = 0
    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            if may_anchor and event.anchor is not None:
                _no_anchor(event, _line(event))
            value = event.value
            if event.tag is not None or not no_resolver_matches_all:
                value = _scalar(loader, event, _line(event))
            elif not event.implicit[0]:  # quoted: text
                if len(value) < 64:  # templates repeat their words thousands of times
                    value = intern(value)
            else:  # plain: its text alone decides what it is, and templates repeat their words thousands of times
                decoded = decoded_plain(value, _UNDECODED)
                if decoded is _UNDECODED:
                    if value and value[0] not in resolvers:  # no YAML 1.1 pattern can match: text
                        decoded = intern(value) if len(value) < 64 else value
                    else:
                        decoded = _scalar(loader, event, _line(event))
                    if type(decoded) in _SHAREABLE and len(plain) < _PLAIN_CACHE_SIZE:
                        plain[value] = decoded
                value = decoded
        elif kind is mapping_start or kind is sequence_start:
            line = _line(event)
            if event.anchor is not None:
                _no_anchor(event, line)
            tag = event.tag
            opened_function = None if tag is None else _function(tag, line)
            if len(stack) >= MAX_DEPTH:
                raise DecodeError(f"line {line}: nested more than {MAX_DEPTH} levels deep")
            stack.append((container, in_list, key, key_line, lines, function, start_line))
            if kind is mapping_start:
                container, in_list, lines = MarkedDict(), False, []
                container._line = line
            else:
                container, in_list, lines = [], True, None
            key, function, start_line = _NO_KEY, opened_function, line
            continue
        elif kind is mapping_end or kind is sequence_end:
            value = container
            if not in_list:
                value._lines = tuple(lines)
            if function is not None:
                value = _wrapped(function, value, start_line)
            container, in_list, key, key_line, lines, function, start_line = stack.pop()
        elif kind is yaml.AliasEvent:
            raise DecodeError(f"line {_line(event)}: YAML aliases and anchors (&name, *name) are not supported by "
                              "CloudFormation")
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise DecodeError(f"line {_line(event)}: a template is one YAML document, not several (---)")
            continue
        elif kind is yaml.StreamEndEvent:
            return root
        else:
            continue
        if container is None:
            root = value
        elif in_list:
            container.append(value)
        elif key is _NO_KEY:
            mark = event.start_mark
            key_line = mark.line + 1 if mark is not None else 0
            if type(value) is str:
                key = value if len(value) < 64 else intern(value)  # shorter text is interned already
            else:
                key = _key(value, getattr(event, "value", ""), key_line)
        else:
            if key in container:
                raise DecodeError(f"line {key_line}: duplicate key {key!r}")
            container[key] = value
            lines.append(key_line)
            key = _NO_KEY


def _line(event) -> int:
    """The 1-based line an event starts on."""
    return event.start_mark.line + 1 if event.start_mark is not None else 0


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
    return _typed(loader, tag, event.value, line)


def _typed(loader, tag: str, value: str, line: int) -> object:
    """A scalar's value once its tag is known."""
    if tag == _STR or tag == _TIMESTAMP:  # CloudFormation keeps dates as text
        return sys.intern(value) if len(value) < 64 else value  # templates repeat their words thousands of times
    if tag == f"{_YAML}merge":  # a key or a value: YAML 1.1 reads a plain `<<` as the merge key, nothing else
        raise DecodeError(f"line {line}: YAML merge keys (<<) are not supported by CloudFormation")
    constructor = loader.yaml_constructors.get(tag) if tag in _SCALAR_TAGS else None
    if constructor is None:  # !!binary, !!omap, !!set ...: no CloudFormation value (omap's would be a generator)
        raise DecodeError(f"invalid YAML: line {line}: could not determine a constructor for the tag {tag!r}")
    try:
        return constructor(loader, yaml.ScalarNode(tag, value))  # null, bool, int, float: read from the text alone
    except ValueError:
        raise DecodeError(f"line {line}: {TOO_MANY_DIGITS}") from None


_RESOLVER = yaml.SafeLoader("")  # the implicit resolvers and scalar constructors hold no state of a text


def _plain(value: str, line: int) -> object:
    """What the C builder asks for: an untagged plain scalar that some YAML 1.1 pattern may match."""
    return _typed(_RESOLVER, _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)), value, line)


def _c_builder():
    """The C builder (speedups.SPEEDUPS) set up with this module's tables, or None. It serves the resolvers PyYAML
    ships; a program that added its own to SafeLoader gets the Python builder."""
    resolvers = _Loader.yaml_implicit_resolvers
    if SPEEDUPS is None or None in resolvers or _Loader.yaml_path_resolvers or any(
            len(first) != 1 or not first.isascii() for first in resolvers if first):
        return None
    SPEEDUPS.configure_yaml(SHORT_FORMS, frozenset(_COLLECTION_TAGS), "".join(resolvers), _plain)
    return SPEEDUPS


_C_BUILDER = _c_builder()


def _wrapped(function: str, value: object, line: int) -> MarkedDict:
    """`!GetAtt Table.Arn` is the string form of ["Table", "Arn"]; every short form becomes its long form."""
    if function == "Fn::GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    result = MarkedDict({function: value})
    result._line = line  # the slot behind `line`: its setter would be one more call per short form
    result._lines = (line,)
    return result


# A JSON string (a key when a colon follows) or a brace: enough to know where each object and key is.
