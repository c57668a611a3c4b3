"""The YAML decoder against PyYAML's own composer: same values, same line for every mapping and every key.

Two builders are held to it: the C one over libyaml that decodes a template's common shapes
(`_speedups.c`, compiled by `make setup`) and the Python one over PyYAML's events that decodes everything else.
The Python builder builds templates from libyaml's parser events with shortcuts for speed (the collection being built in
local variables, plain scalars decoded once per text, anchors looked for only when the text has a `&`). The
reference here takes none of them: `yaml.compose` with the same libyaml parser builds the node graph, and a plain
walk over the nodes reads it as CloudFormation does (short forms in their long form, dates and numeric keys as
text) with each mapping's and key's line from the node's own start mark. Hypothesis writes the templates: block
and flow mappings and sequences, plain, quoted and multi-line scalars of every YAML 1.1 type, tagged scalars and
collections, comments.
"""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, RULES_DIR
from ddbguard.templates import decode_yaml as decoder
from ddbguard.templates.decode_yaml import SHORT_FORMS, decode_yaml
from ddbguard.templates.marks import DecodeError, MarkedDict

_YAML = "tag:yaml.org,2002:"
_CONSTRUCTORS = yaml.SafeLoader("").yaml_constructors


def _reference(text: str) -> object:
    """What the decoder must answer, as a comparable shape: the composed node graph walked as CloudFormation
    reads it."""
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    return None if node is None else _node_shape(node)


def _node_shape(node) -> tuple:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        entries = []
        for key, value in node.value:
            assert isinstance(key, yaml.ScalarNode) and key.tag in (f"{_YAML}str", f"{_YAML}int", f"{_YAML}timestamp",
                                                                    f"{_YAML}float"), key
            entries.append((key.value, key.start_mark.line + 1, _node_shape(value)))
        shape = ("map", line, tuple(entries))
    elif isinstance(node, yaml.SequenceNode):
        shape = ("seq", tuple(_node_shape(item) for item in node.value))
    elif node.tag in SHORT_FORMS or node.tag in (f"{_YAML}str", f"{_YAML}timestamp"):
        shape = ("str", repr(node.value))
    else:
        value = _CONSTRUCTORS[node.tag](yaml.SafeLoader(""), node)
        shape = (type(value).__name__, repr(value))
    if node.tag in SHORT_FORMS:
        function = SHORT_FORMS[node.tag]
        if function == "Fn::GetAtt" and shape[0] == "str":
            shape = ("seq", tuple(("str", repr(part)) for part in node.value.split(".", 1)))
        shape = ("map", line, ((function, line, shape),))
    return shape


def _decoded_shape(value: object) -> tuple:
    """The decoder's answer in the same shape, lines read the way every later step reads them."""
    if isinstance(value, MarkedDict):
        key_lines = value.key_lines
        return ("map", value.line, tuple((key, key_lines[key], _decoded_shape(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("seq", tuple(_decoded_shape(item) for item in value))
    return (type(value).__name__, repr(value))


# decode_yaml tries the C builder first; _decode_events is the Python builder alone
BUILDERS = {"c builder first": decode_yaml, "python builder": decoder._decode_events}


def _assert_same(text: str) -> None:
    expected = _reference(text)  # the strategy writes valid YAML only: a text PyYAML rejects fails here
    for name, decode in BUILDERS.items():
        decoded = decode(text)
        assert (None if decoded is None else _decoded_shape(decoded)) == expected, (name, text)


def _c_must_build(text: str) -> bool:
    """Whether the C builder must build `text` itself rather than leave it to the Python builder: no anchor, alias
    or `!!` tag, and every key text (numbers and booleans as keys are the Python builder's to read or refuse)."""
    if any(mark in text for mark in ("&", "*", "!!")):
        return False
    pending = [yaml.compose(text, Loader=yaml.CSafeLoader)]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            if any(key.tag not in (f"{_YAML}str", f"{_YAML}timestamp") for key, _ in node.value):
                return False
            pending.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
    return True


def _assert_c_built(text: str) -> None:
    if _c_must_build(text):
        assert decoder._C_BUILDER.build_yaml(text.encode()) is not decoder._C_BUILDER.BAIL, text


def test_the_c_builder_is_compiled_and_builds_templates():
    """`make setup` compiles it (with Debian's libyaml-dev): without it every YAML template takes the Python
    builder, right but about 2x slower, and this test says so rather than the suite passing on one builder."""
    assert decoder._C_BUILDER is not None, "the C YAML builder is not compiled: install libyaml-dev, then make setup"
    text = "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {A: !GetAtt T.Arn, B: [1, 'x']}\n"
    assert decoder._C_BUILDER.build_yaml(text.encode()) == {"Resources": {"T": {
        "Type": "AWS::DynamoDB::Table", "Properties": {"A": {"Fn::GetAtt": ["T", "Arn"]}, "B": [1, "x"]}}}}
    # what it leaves to the Python builder: anchors, aliases, other tags, keys that are not text, duplicates, errors
    for rare in ("a: &x 1\n", "a: *x\n", "a: !!str 1\n", "1: a\n", "a: 1\na: 2\n", "a: [\n", "a: 1\n---\nb: 2\n"):
        assert decoder._C_BUILDER.build_yaml(rare.encode()) is decoder._C_BUILDER.BAIL, rare


# Plain scalars of every YAML 1.1 type, many of them twice in a template so that decoding once per text is tested
PLAIN = ["true", "False", "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "1", "-2", "+3", "0x1F", "0o17",
         "017", "0b101", "1_000", "1:20", "190:20:30", "3.5", "-1e3", "6.8523015e+5", ".inf", "-.Inf", ".NaN",
         "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2002-12-14 21:59:43.10 -5", "Type", "table-1", "team-7",
         "AWS::DynamoDB::Table", "HASH", "Retain", "hello world", "t-x", "0.5.1", "1.2.3", "-x", "12:30:00",
         "o'clock", "n/a", "Yesterday", "offline", "nullable", "truex", "~x", "a" * 70, "t" * 70]
KEYS = ["Type", "Properties", "TableName", "Tags", "Key", "Value", "1", "2.5", "0x10", "'yes'", '"on"', "'~'",
        "tree", "note", "y-axis", "Output1", "some key", '"quoted: key"', "'2001-01-01'", "2001-12-14", "0o7"]
FLOW_SAFE_PLAIN = [word for word in PLAIN if not any(c in word for c in ",[]{}:#'")]
TAGGED = ["!Ref Table", "!GetAtt Table.Arn", "!GetAtt Table.StreamSpecification.StreamViewType", "!Sub 'x-${A}'",
          '!Base64 "a b"', "!!str 1", "!!str true", "!!int '3'", "!!float '1'", "!!bool 'yes'", "!Ref 'true'",
          "!GetAZs ''", "!ImportValue shared-table"]
TAGGED_COLLECTIONS = ["!Join ['', [a, !Ref B]]", "!Sub ['${A}-x', {A: !Ref T}]", "!Select [0, !GetAZs '']",
                      "!If [Cond, yes, !Ref AWS::NoValue]", "!Equals [!Ref Env, prod]", "!GetAtt [Table, Arn]",
                      "!FindInMap [M, !Ref AWS::Region, 1]", "!Split [',', 'a,b']"]


def _quoted(word: str) -> str:
    return "'" + word.replace("'", "''") + "'" if len(word) % 2 else '"' + word.replace('"', '\\"') + '\\t"'


scalars = st.one_of(st.sampled_from(PLAIN), st.sampled_from(PLAIN).map(_quoted), st.sampled_from(TAGGED),
                    st.sampled_from(TAGGED_COLLECTIONS))
comments = st.sampled_from(["", "  # a comment", " #: not a key", "   # yes: no"])


@st.composite
def flow(draw, depth: int) -> str:
    """A flow collection, nested at most `depth` more levels."""
    item = st.one_of(st.sampled_from(FLOW_SAFE_PLAIN), st.sampled_from(PLAIN).map(_quoted),
                     st.sampled_from(TAGGED_COLLECTIONS))
    if depth > 0:
        item = st.one_of(item, flow(depth - 1))
    if draw(st.booleans()):
        return "[" + ", ".join(draw(st.lists(item, max_size=4))) + "]"
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True))
    return "{" + ", ".join(f"{key}: {draw(item)}" for key in keys) + "}"


@st.composite
def multiline(draw, indent: int) -> str:
    """A literal or folded block scalar, on the lines after its key."""
    header = draw(st.sampled_from(["|", ">", "|-", ">+", "|2", ">-"]))
    # the first line sets the indentation: lines after it may be blank or indented further
    body = [draw(st.sampled_from(PLAIN))] + draw(st.lists(st.sampled_from(
        PLAIN + ["", "  more indented", "# not a comment"]), max_size=3))
    pad = " " * (indent + 2)
    lines = [pad + line if line else "" for line in body]
    if header == "|2":
        lines = [pad + "  " + line.lstrip() for line in body]
    return header + "\n" + "\n".join(lines)


@st.composite
def block_value(draw, indent: int, depth: int) -> str:
    """What follows `key:` (or `- `): inline text, or the lines of a nested block collection."""
    kinds = ["scalar", "flow", "multiline"] + (["map", "seq"] * 2 if depth > 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "scalar":
        return " " + draw(scalars) + draw(comments)
    if kind == "flow":
        return " " + draw(flow(2)) + draw(comments)
    if kind == "multiline":
        return " " + draw(multiline(indent))
    tag = draw(st.sampled_from(["", "", " !Sub", " !If", " !!map" if kind == "map" else " !!seq"]))
    nested = draw(block_map(indent + 2, depth - 1)) if kind == "map" else draw(block_seq(indent + 2, depth - 1))
    return tag + draw(comments) + "\n" + nested


@st.composite
def block_map(draw, indent: int, depth: int) -> str:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=5, unique=True))
    lines = []
    for key in keys:
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append(" " * indent + "# a comment line")
        lines.append(" " * indent + key + ":" + draw(block_value(indent, depth)))
    return "\n".join(lines)


@st.composite
def block_seq(draw, indent: int, depth: int) -> str:
    items = []
    for _ in range(draw(st.integers(1, 4))):
        if depth > 0 and draw(st.booleans()):  # a compact mapping: `- key: value` and its other keys under it
            nested = draw(block_map(indent + 2, depth - 1))
            items.append(" " * indent + "- " + nested[indent + 2:])
        else:
            items.append(" " * indent + "-" + draw(block_value(indent, depth)))
    return "\n".join(items)


templates = st.builds(lambda head, body, tail: head + body + tail,
                      st.sampled_from(["", "---\n", "# ddbguard\n", "%YAML 1.1\n---\n"]), block_map(0, 4),
                      st.sampled_from(["", "\n", "\n...\n", "\n# end\n"]))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(templates)
def test_generated_templates_decode_as_pyyaml_composes_them(text):
    _assert_same(text)
    _assert_c_built(text)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(templates.map(lambda text: re.sub(r"(?<![\w.'\"-])(1|2\.5|0x10|0o7):(?=\s)", r"'\1':",
                                         re.sub(r"!!\w+ ?", "", text))))
def test_generated_templates_of_short_forms_only_are_built_in_c(text):
    """The shapes real templates are made of: the `!!` tags and numeric keys of the test above, which would leave
    most generated texts to the Python builder, taken out (the keys quoted)."""
    _assert_same(text)
    _assert_c_built(text)


def test_every_yaml_fixture_decodes_as_pyyaml_composes_it():
    paths = sorted(path for folder in (FIXTURES, RULES_DIR) for suffix in ("*.yaml", "*.yml")
                   for path in folder.rglob(suffix) if path.name not in ("rule.yaml", "rule_tests.yaml"))
    assert len(paths) > 50
    for path in paths:
        _assert_same(path.read_text())
        _assert_c_built(path.read_text())


def test_scalars_decoded_once_per_text_are_the_same_everywhere():
    """A plain text first met as a value and then as a key (and the other way round) is decoded in its place."""
    text = "a: 1\n1: true\nb: [1, true, yes, 2001-01-01]\n2001-01-01: 1\nc: {1: 1}\nd: 1\n"
    decoded = decode_yaml(text)
    assert decoded == {"a": 1, "1": True, "b": [1, True, True, "2001-01-01"], "2001-01-01": 1, "c": {"1": 1},
                       "d": 1}
    assert decoded.key_lines == {"a": 1, "1": 2, "b": 3, "2001-01-01": 4, "c": 5, "d": 6}
    assert type(decoded["a"]) is int and type(decoded["b"][1]) is bool
    _assert_same(text)


_ANCHORS = "YAML aliases and anchors (&name, *name) are not supported by CloudFormation"


@pytest.mark.parametrize("text, message", [
    ("a: &x 1\n", f"line 1: {_ANCHORS}"),
    ("a:\n  b: 1\n  c: &m {d: 1}\n", f"line 3: {_ANCHORS}"),
    ("a:\n  &k b: 1\n", f"line 2: {_ANCHORS}"),
    ("a: [1, 2]\nb: *x\n", f"line 2: {_ANCHORS}"),
    ("a:\n  b: 1\n  c: 2\n  b: 3\n", "line 4: duplicate key 'b'"),
    ("a:\n  b: 1\n  b: 2\nc: [\n", "line 3: duplicate key 'b'"),  # met before the syntax error after it
    ("a:\n  2001-01-01: 1\n  '2001-01-01': 2\n", "line 3: duplicate key '2001-01-01'"),
    ("a:\n  1: 1\n  '1': 2\n", "line 3: duplicate key '1'"),
    ("a: {b: 1, yes: 2}\n", "line 1: the key 'yes' is the YAML 1.1 boolean true, not a name (CloudFormation reads "
                            "YAML 1.1); quote it: 'yes'"),
    ("a:\n  ~: 1\n", "line 2: the key '~' is the YAML 1.1 null, not a name (CloudFormation reads YAML 1.1); quote "
                     "it: '~'"),
    ("a:\n  b: 1\n  <<: {c: 1}\n", "line 3: YAML merge keys (<<) are not supported by CloudFormation"),
    ("a:\n  b: <<\n", "line 2: YAML merge keys (<<) are not supported by CloudFormation"),  # a value too
    ("a: [x, <<]\n", "line 1: YAML merge keys (<<) are not supported by CloudFormation"),
    ("a: 1\n---\nb: 2\n", "line 2: a template is one YAML document, not several (---)"),
    ("a: " + "[" * 101 + "]" * 101 + "\n", "line 1: nested more than 100 levels deep"),
    ("a:\n  ? {b: 1,\n     c: 2}\n  : 3\n", "line 3: a mapping key must be a scalar"),  # where the key ends
    ("a:\n  !Ref b: 1\n", "line 2: a mapping key must be a scalar"),
    ("a:\n  !!binary aGk=: 1\n",
     "invalid YAML: line 2: could not determine a constructor for the tag 'tag:yaml.org,2002:binary'"),
    # YAML 1.1 types that are no CloudFormation value (PyYAML would give bytes, or a generator for !!omap)
    ("a: !!binary aGk=\n", "invalid YAML: line 1: could not determine a constructor for the tag "
                           "'tag:yaml.org,2002:binary'"),
    ("a: !!omap x\n", "invalid YAML: line 1: could not determine a constructor for the tag 'tag:yaml.org,2002:omap'"),
    ("a: !Nope 1\n", "invalid YAML: line 1: could not determine a constructor for the tag '!Nope'"),
    ("a: !Nope [1]\n", "invalid YAML: line 1: could not determine a constructor for the tag '!Nope'"),
    ("a: =\n", "invalid YAML: line 1: could not determine a constructor for the tag 'tag:yaml.org,2002:value'"),
    ("a: 1\nb: [x, y\n", "invalid YAML: line 3: did not find expected ',' or ']'"),
    ("a: 1\nb: [x, " + "7" * 4301 + "]\n", "line 2: an integer of more than 4,300 digits, longer than Python reads"),
])
@pytest.mark.parametrize("builder", BUILDERS)
def test_input_errors_name_their_line(text, message, builder):
    """The decoder's own errors, met in the order the events come (the composer would report other lines)."""
    with pytest.raises(DecodeError) as raised:
        BUILDERS[builder](text)
    assert str(raised.value) == message


def test_an_ampersand_in_text_is_not_an_anchor():
    assert decode_yaml("a: 'R&D'\nb: \"&x\"\nc: R&D\n") == {"a": "R&D", "b": "&x", "c": "R&D"}


# what a hostile or broken file could hold instead of a character of a valid one
_EDITS = [":", "-", " ", "\n", "\t", "[", "]", "{", "}", ",", "'", '"', "!", "&", "*", "#", "|", ">", "?", "%", "@",
          "\\", "\x00", "\x85", "\ufeff", "\u00e9", "~", "<<", "0", "1.5", "on", "!Ref ", "!!str ", "---\n", "..."]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(templates, st.data())
def test_corrupted_templates_decode_alike_in_both_builders(text, data):
    """A generated template with one character replaced, added or removed: the C builder (first) and the Python one
    give the same values and lines, or the same input error, whatever the damage."""
    at = data.draw(st.integers(0, len(text)))
    corrupted = text[:at] + data.draw(st.sampled_from(_EDITS)) + text[at + data.draw(st.integers(0, 1)):]
    outcomes = []
    for decode in BUILDERS.values():
        try:
            decoded = decode(corrupted)
            outcomes.append(None if decoded is None else _decoded_shape(decoded))
        except DecodeError as error:
            outcomes.append(("error", str(error)))
    assert outcomes[0] == outcomes[1], corrupted
