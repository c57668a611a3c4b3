"""JSON lines found on demand are the lines the eager decoder marks on every value, for every path of every fixture.

The eager decoder (`decode_json_eagerly`, one regex pass marking each object and key as it is decoded) is the
reference for two others, which must answer the same for every path (and for paths that go past what exists,
which fall back to the nearest parent): the C builder (`decode_json` where it is compiled), which marks every line
as it builds, and the Python decoder used where it is not (`decode_json_lazily`), which finds an object's lines in
the text only when they are asked for, in whatever order they are asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, RULES_DIR
from ddbguard.templates.decode import decode_file, decode_text, line_of
from ddbguard.templates.decode_json import decode_json, decode_json_eagerly, decode_json_lazily
from ddbguard.templates.marks import DecodeError, MarkedDict
from ddbguard.templates.speedups import SPEEDUPS

DECODERS = {"c builder": decode_json, "lines on demand": decode_json_lazily}


@pytest.fixture(params=DECODERS)
def decoder(request):
    return DECODERS[request.param]


def _built_by(decoder, text: str) -> None:
    """That `decoder` built `text` itself: the C builder did not leave it to Python, the lazy decoder to the eager."""
    if decoder is decode_json:
        assert SPEEDUPS is not None, "the C speedups are not compiled: install libyaml-dev, then make setup"
        assert SPEEDUPS.build_json(text) is not SPEEDUPS.BAIL
    else:
        assert getattr(decoder(text), "_source", None) is not None

TEMPLATE_FILES = sorted(path for folder in (FIXTURES, RULES_DIR) for suffix in ("*.yaml", "*.yml", "*.json")
                        for path in folder.rglob(suffix) if path.name not in ("rule.yaml", "rule_tests.yaml"))


def _json_documents() -> list[tuple[str, str]]:
    """(name, JSON text) for each JSON fixture as written, and each YAML or JSON fixture in three other layouts:
    cdk synth's (indent 1), one line, and wide indents with spaces before the colons."""
    documents = []
    for path in TEMPLATE_FILES:
        try:
            data = decode_file(path)
        except DecodeError:
            continue
        if not isinstance(data, dict):
            continue
        name = str(path.relative_to(FIXTURES.parent))
        if path.suffix == ".json":
            documents.append((name, path.read_text()))
        documents += [(f"{name} (indent 1)", json.dumps(data, indent=1)),
                      (f"{name} (one line)", json.dumps(data)),
                      (f"{name} (wide)", json.dumps(data, indent="    ", separators=(" , ", " : ")))]
    return documents


DOCUMENTS = _json_documents()


def _paths(node: object, prefix: tuple = ()):
    """Every path to a value of the document, and from each mapping and list one step past its end."""
    yield prefix
    if isinstance(node, dict):
        yield (*prefix, "NotAKey")
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        yield (*prefix, len(node))
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mappings(node: object, prefix: tuple = ()):
    """(path, mapping) for every mapping of the document, parents before their children."""
    if isinstance(node, dict):
        yield prefix, node
        for key, value in node.items():
            yield from _mappings(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, (*prefix, index))


def _at(node: object, path: tuple) -> object:
    for step in path:
        node = node[step]
    return node


def test_the_fixtures_give_json_documents_of_every_kind():
    assert len(DOCUMENTS) >= 4 * 13  # each JSON fixture as written, and every fixture in three layouts
    assert any(name.endswith(".json") for name, _ in DOCUMENTS)


@pytest.mark.parametrize(("name", "text"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_on_demand_lines_are_the_eager_lines_for_every_path(name, text, decoder):
    eager, lazy = decode_json_eagerly(text), decoder(text)
    assert lazy == eager
    _built_by(decoder, text)  # not handed to the eager decoder
    paths = list(_paths(eager))
    assert [line_of(lazy, path) for path in paths] == [line_of(eager, path) for path in paths]
    for section, node in eager.items():  # from a section, as the join step asks (`template["Resources"]`)
        if isinstance(node, dict):
            fresh = decoder(text)
            section_paths = list(_paths(node))
            assert [line_of(fresh[section], path) for path in section_paths] == \
                [line_of(node, path) for path in section_paths], section


# Keys whose text is found where they are not keys of the object searched: in a nested object, in a string, escaped
MISLEADING = [
    '{"Outputs": {"Resources": {"Value": 1}},\n "Resources":\n {"T": {"Type": "X"}}}',
    '{"Resources": {"T": {"Type": "X",\n "Properties": {"Resources" : {"Type": 1}, "Type": 2}}},\n "Type": 3}',
    '{"Metadata": {"x": "a\\"Resources\\": {\\"T\\": 1}"},\n "Resources": {"T":\n {"Type": "X"}}}',
    '{"Outputs": {"Re\\u0073ources": {"T": 1}},\n "Resources": {"T": {"Properties":\n {"Type": "Y"}, "Type": "X"}}}',
    '{"Resources": {"T": {"Type": "X", "Properties": {"A": [{"Type": 1},\n {"Properties": {"Type": 2}}]}}}}',
    '{"Parameters": {"P": {"Type": "String"}}, "Resources":\n{"P": {"Type": "X", "Properties": {"P": "P"}}}}',
]
DOCUMENTS_IN_ANY_ORDER = DOCUMENTS + [(f"misleading {index}", text) for index, text in enumerate(MISLEADING)]


@pytest.mark.parametrize(("name", "text"), DOCUMENTS_IN_ANY_ORDER, ids=[name for name, _ in DOCUMENTS_IN_ANY_ORDER])
def test_on_demand_lines_are_the_eager_lines_in_any_order(name, text, decoder):
    """What one answer finds (an object's place, a key's line) serves the next: the answers are the same whatever
    was asked before, from the document, or from a section deepest path first, or in a shuffled order."""
    import random

    eager = decode_json_eagerly(text)
    paths = list(_paths(eager))
    random.Random(name).shuffle(paths)
    lazy = decoder(text)
    assert [line_of(lazy, path) for path in paths] == [line_of(eager, path) for path in paths]
    for section, node in eager.items():
        if isinstance(node, dict):
            fresh = decoder(text)[section]
            section_paths = sorted(_paths(node), key=len, reverse=True)
            assert [line_of(fresh, path) for path in section_paths] == \
                [line_of(node, path) for path in section_paths], section


@pytest.mark.parametrize(("name", "text"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_a_mapping_asked_before_its_parents_finds_its_lines(name, text, decoder):
    """Deepest first: no mapping's parent has been read when it is asked for its own lines."""
    eager, lazy = decode_json_eagerly(text), decoder(text)
    for path, node in reversed(list(_mappings(eager))):
        found = _at(lazy, path)
        assert isinstance(found, MarkedDict)
        assert (found.line, found.key_lines) == (node.line, node.key_lines), path


def test_lines_of_a_document_with_every_kind_of_value(decoder):
    text = ('{\n "A": [1, "x\\"y", {"B": null},\n  [[{"C": true}]], -2.5e3],\n'
            '   "D" :\n {"E":{},"F":[]} ,"G":"\\u00e9{",\n"H\\"\\u00e9": {"I": 1}}\n')
    eager, lazy = decode_json_eagerly(text), decoder(text)
    _built_by(decoder, text)
    assert lazy == eager == {"A": [1, 'x"y', {"B": None}, [[{"C": True}]], -2500.0], "D": {"E": {}, "F": []},
                             "G": "\u00e9{", 'H"\u00e9': {"I": 1}}
    assert [line_of(lazy, path) for path in (("A",), ("A", 2, "B"), ("A", 3, 0, 0, "C"), ("D",), ("D", "E"),
                                             ("D", "F"), ("G",), ("A", 3, 0, 0, "C", "Missing"),
                                             ('H"\u00e9', "I"))] == [2, 2, 3, 4, 5, 5, 5, 3, 6]


@pytest.mark.parametrize(("text", "error"), [
    ('{"a": 1, "a": 2}', "^line 1: duplicate key 'a'$"),
    ('{\n "a": {"b": 1,\n  "b": 2}}', "^line 3: duplicate key 'b'$"),
    ('{"a": ' + "[" * 100 + "]" * 100 + "}", "^line 1: nested more than 100 levels deep$"),
    ('{"a": 1,\n "b": }', "^invalid JSON: line 2: Expecting value$"),
    ('{"a": 1,\n "b": [' + "7" * 4301 + "]}", "^line 2: an integer of more than 4,300 digits, longer than Python reads$"),
])
def test_what_the_fast_decoder_leaves_is_worded_by_the_eager_one(text, error, decoder):
    with pytest.raises(DecodeError, match=error):
        decoder(text)
    with pytest.raises(DecodeError, match=error):
        decode_json_eagerly(text)


@pytest.mark.parametrize("text", [
    '{"a": NaN, "b": [Infinity, -Infinity]}', '{"a": 1e400, "b": -1e400, "c": 1E-400, "d": -0, "e": -0.0}',
    '{"a": ' + "9" * 4300 + ', "b": -12345678901234567890123, "c": 123456789012345678}',
    '{"a": "\\ud800", "b": "\\ud83d\\ude00", "c": "\\u00e9\\n\\t\\/\\b\\f\\r\\\\\\""}',
    '{"a": "é中😀", "中": {"😀": [true, false, null]}}',
    ' \t\r\n{"a" \n:\n[\n]\n,\n"b":{}}\n\n',
])
def test_what_json_loads_reads_every_decoder_reads(text, decoder):
    """The values json.loads gives (NaN and the infinities, which the C builder leaves to Python, included), and the
    eager decoder's lines."""
    decoded, eager, expected = decoder(text), decode_json_eagerly(text), json.loads(text)
    # the same text: NaN equal to NaN, 1 not 1.0 nor true, -0.0 not 0.0, the same keys in the same order
    assert json.dumps(decoded) == json.dumps(expected)
    assert [line_of(decoded, path) for path in _paths(eager)] == [line_of(eager, path) for path in _paths(eager)]


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=6), inner, max_size=4), max_leaves=25)
_layouts = st.fixed_dictionaries({"indent": st.sampled_from([None, 1, 2, "\t", " \r\n "]), "ensure_ascii": st.booleans(),
                                  "separators": st.sampled_from([(", ", ": "), (",", ":"), (" ,\n", " :\r\n ")])})
# what a hostile or broken file could hold instead of a character of a valid one
_EDITS = ['"', "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "\x00", "\x1f", "-", "0", "1", ".", "e", "+", "N",
          "I", "t", "n", "\u00e9", "\ud800", ""]


def _has_duplicate_key(text: str) -> bool:
    duplicates = []
    json.loads(text, object_pairs_hook=lambda pairs: duplicates.append(len(dict(pairs)) != len(pairs)))
    return any(duplicates)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.dictionaries(st.text(max_size=6), _values, max_size=6), _layouts, st.data())
def test_generated_documents_and_their_corruptions_decode_as_json_loads(document, layout, data):
    """Every decoder reads a generated document as json.loads does, with the eager decoder's lines; and the same
    document with one character replaced, added or removed either decodes to what json.loads gives or is an input
    error for all of them alike: the C builder accepts nothing that json.loads refuses."""
    text = json.dumps(document, **layout)
    at = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(_EDITS))
    corrupted = text[:at] + edit + text[at + data.draw(st.integers(0, 1)):]
    for candidate in (text, corrupted):
        try:
            expected = json.dumps(json.loads(candidate))
        except ValueError:
            expected = None
        for name, decode in DECODERS.items():
            try:
                decoded = decode(candidate)
            except DecodeError:  # what json.loads refuses, or a key twice (which it takes, the last one winning)
                assert expected is None or _has_duplicate_key(candidate), (name, candidate)
                continue
            assert json.dumps(decoded) == expected, (name, candidate)
            eager = decode_json_eagerly(candidate)
            paths = list(_paths(eager))
            assert [line_of(decoded, path) for path in paths] == [line_of(eager, path) for path in paths], name


def test_nesting_at_the_limit_is_decoded():
    text = '{"a": ' + "[" * 99 + "]" * 99 + "}"  # the object and 99 lists: 100 levels
    assert decode_text(text) == decode_json_eagerly(text)
    assert line_of(decode_text(text), ("a",) + (0,) * 200) == 1


def test_a_cdk_synth_assembly_is_located_as_the_eager_decoder_locates_it(cdk_assembly, decoder):
    templates = sorted(Path(cdk_assembly).rglob("*.template.json"))
    assert templates
    for path in templates:
        text = path.read_text()
        _built_by(decoder, text)
        eager, lazy = decode_json_eagerly(text), decoder(text)
        paths = list(_paths(eager))
        assert [line_of(lazy, p) for p in paths] == [line_of(eager, p) for p in paths], path


@pytest.mark.parametrize(("text", "holds"), [
    ('{"Resources": {"T": {"Type": "X", "Properties": {"A": {"Fn::Transform": {"Name": "M"}}}}}}', True),
    ('{"Resources": {"T": {"Type": "X", "Properties": {"A": "no Fn::Transform"}}}}', False),  # not the key's text
    ('{"Resources": {"T": {"Type": "X", "Properties": {"A": "Fn::Transform"}}}}', True),  # its text: walked
    ('{"Resources": {"T": {"Type": "X", "Properties": {"A": "\\"Fn::Transform\\""}}}}', True),  # escapes: a walk
    ('{"Resources": {"T": {"Type": "X", "Properties": {"A": {"Fn::Transfor\\u006d": {}}}}}}', True),
    ('{"Resources": {"T": {"Type": "X"}}}', False),
    ("Resources:\n  T:\n    Type: X\n", True),  # YAML: no text kept, always walked
])
def test_a_key_is_looked_for_in_the_text_only_when_the_text_can_say(text, holds):
    from ddbguard.templates.decode import may_hold_key

    template = decode_text(text)
    assert may_hold_key(template, "Fn::Transform") is holds
    assert may_hold_key(template["Resources"], "Fn::Transform") is True  # a part of a document: always walked


PLAIN_SCALARS = ["true", "Yes", "off", "ON", "n", "~", "null", "Null", "", "12", "-3", "+4", "0x1F", "0o17", "017",
                 "1_000", "1.5", "-.5", "6.8523015e+5", ".inf", "-.Inf", ".NaN", "190:20:30", "2010-09-09",
                 "2001-12-14t21:59:43.10-05:00", "text", "AWS::Region", "arn:aws:s3:::b/*", "x*.example", "x&y",
                 "'quoted'", '"12"', "!!str 12", "a b", "Fn::Sub", "Yes please", "0.5.1"]


@pytest.mark.parametrize("scalar", PLAIN_SCALARS)
def test_a_yaml_scalar_reads_as_the_yaml_resolver_reads_it(scalar):
    """Most scalars are known to be text without asking the resolver: the answer is the resolver's either way (a
    date stays text, as CloudFormation keeps it)."""
    import math

    import yaml

    text = f"A: {scalar}\n"
    event = next(e for e in yaml.parse(text, Loader=yaml.SafeLoader) if isinstance(e, yaml.ScalarEvent)
                 and e.value != "A")
    tag = event.tag if event.tag not in (None, "!") else yaml.SafeLoader("").resolve(yaml.ScalarNode, event.value,
                                                                                   event.implicit)
    decoded = decode_text(text)["A"]
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        assert decoded == event.value and isinstance(decoded, str)
    else:
        expected = yaml.load(text, Loader=yaml.SafeLoader)["A"]  # noqa: S506 - the safe loader
        assert type(decoded) is type(expected)
        assert math.isnan(decoded) if isinstance(expected, float) and math.isnan(expected) else decoded == expected


def _line_of_documents():
    """Every fixture decoded by each decoder, and every mapping of it asked for its lines (as a finding's line is
    found) in a copy, so that both walks meet mappings whose lines are still a tuple and ones already a dict."""
    for name, text in DOCUMENTS:
        for decoder in (decode_json, decode_json_eagerly, decode_json_lazily):
            yield f"{name} {decoder.__name__}", lambda text=text, decoder=decoder: decoder(text)
    for path in TEMPLATE_FILES:
        if path.suffix != ".json":
            yield str(path.relative_to(FIXTURES.parent)), lambda path=path: decode_file(path)


def test_line_of_in_c_is_line_of_in_python():
    """The C walk (`_speedups.line_of`) answers what `line_of_in_python` answers on every path of every fixture,
    decoded each way, or leaves the path to it (BAIL): it leaves only what a JSON text must be searched for."""
    from ddbguard.templates.decode import line_of_in_python

    assert SPEEDUPS is not None, "the C speedups are not compiled: install libyaml-dev, then make setup"
    answered = 0
    for name, decode in _line_of_documents():
        try:
            document = decode()
        except DecodeError:
            continue
        paths = list(_paths(document))
        for lines_read in (False, True):
            if lines_read:  # the lines of every mapping read once: dicts now, where they were tuples
                for _, mapping in _mappings(document):
                    mapping.key_lines  # noqa: B018
            for path in paths:
                found = SPEEDUPS.line_of(document, path)
                if found is SPEEDUPS.BAIL:
                    assert getattr(document, "_source", None) is not None, (name, path)
                    continue
                assert found == line_of_in_python(document, path), (name, path, lines_read)
                answered += 1
    assert answered > 10_000
