"""JSON lines found on demand are the lines the eager decoder marks on every value, for every path of every fixture.

The eager decoder (`decode_json_eagerly`, one regex pass marking each object and key as it is decoded) is the
reference: the default decoder finds an object's lines in the text only when they are asked for, in whatever
order they are asked for, and must answer the same for every path (and for paths that go past what exists,
which fall back to the nearest parent).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, RULES_DIR
from ddbguard.templates.decode import decode_file, decode_text, line_of
from ddbguard.templates.decode_json import decode_json, decode_json_eagerly
from ddbguard.templates.marks import DecodeError, MarkedDict

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
def test_on_demand_lines_are_the_eager_lines_for_every_path(name, text):
    eager, lazy = decode_json_eagerly(text), decode_json(text)
    assert lazy == eager
    assert getattr(lazy, "_source", None) is not None  # decoded by the fast path, not handed to the eager one
    paths = list(_paths(eager))
    assert [line_of(lazy, path) for path in paths] == [line_of(eager, path) for path in paths]
    for section, node in eager.items():  # from a section, as the join step asks (`template["Resources"]`)
        if isinstance(node, dict):
            fresh = decode_json(text)
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
def test_on_demand_lines_are_the_eager_lines_in_any_order(name, text):
    """What one answer finds (an object's place, a key's line) serves the next: the answers are the same whatever
    was asked before, from the document, or from a section deepest path first, or in a shuffled order."""
    import random

    eager = decode_json_eagerly(text)
    paths = list(_paths(eager))
    random.Random(name).shuffle(paths)
    lazy = decode_json(text)
    assert [line_of(lazy, path) for path in paths] == [line_of(eager, path) for path in paths]
    for section, node in eager.items():
        if isinstance(node, dict):
            fresh = decode_json(text)[section]
            section_paths = sorted(_paths(node), key=len, reverse=True)
            assert [line_of(fresh, path) for path in section_paths] == \
                [line_of(node, path) for path in section_paths], section


@pytest.mark.parametrize(("name", "text"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_a_mapping_asked_before_its_parents_finds_its_lines(name, text):
    """Deepest first: no mapping's parent has been read when it is asked for its own lines."""
    eager, lazy = decode_json_eagerly(text), decode_json(text)
    for path, node in reversed(list(_mappings(eager))):
        found = _at(lazy, path)
        assert isinstance(found, MarkedDict)
        assert (found.line, found.key_lines) == (node.line, node.key_lines), path


def test_lines_of_a_document_with_every_kind_of_value():
    text = ('{\n "A": [1, "x\\"y", {"B": null},\n  [[{"C": true}]], -2.5e3],\n'
            '   "D" :\n {"E":{},"F":[]} ,"G":"\\u00e9{",\n"H\\"\\u00e9": {"I": 1}}\n')
    eager, lazy = decode_json_eagerly(text), decode_json(text)
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
])
def test_what_the_fast_decoder_leaves_is_worded_by_the_eager_one(text, error):
    with pytest.raises(DecodeError, match=error):
        decode_json(text)
    with pytest.raises(DecodeError, match=error):
        decode_json_eagerly(text)


def test_nesting_at_the_limit_is_decoded():
    text = '{"a": ' + "[" * 99 + "]" * 99 + "}"  # the object and 99 lists: 100 levels
    assert decode_text(text) == decode_json_eagerly(text)
    assert line_of(decode_text(text), ("a",) + (0,) * 200) == 1


def test_a_cdk_synth_assembly_is_located_as_the_eager_decoder_locates_it(cdk_assembly):
    templates = sorted(Path(cdk_assembly).rglob("*.template.json"))
    assert templates
    for path in templates:
        text = path.read_text()
        eager, lazy = decode_json_eagerly(text), decode_json(text)
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
