"""Resolving in C (`_speedups.resolve`) against resolve.py's own walk: the same resolved template, value for value
and type for type (a plain dict where the template had a mapping, the intrinsic function as written where it does
not resolve), for every fixture template and for generated values with every intrinsic function in every place."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, RULES_DIR
from ddbguard.templates import resolve
from ddbguard.templates.decode import decode_file, decode_text
from ddbguard.templates.marks import DecodeError
from ddbguard.templates.resolve import resolve_template
from ddbguard.templates.speedups import SPEEDUPS

TEMPLATES = sorted(path for folder in (FIXTURES, RULES_DIR) for suffix in ("*.yaml", "*.yml", "*.json")
                   for path in folder.rglob(suffix) if path.name not in ("rule.yaml", "rule_tests.yaml"))


def _shape(value: object) -> object:
    """A value with its types: what `==` alone would not tell apart (1 and True, a dict and a MarkedDict)."""
    if isinstance(value, dict):
        return (type(value).__name__, [(key, _shape(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(item) for item in value])
    return (type(value).__name__, repr(value))


def _both(monkeypatch, template: dict, **where) -> tuple:
    in_c = resolve_template(template, {"Env": "prod"}, **where)
    with monkeypatch.context() as patched:
        patched.setattr(resolve, "SPEEDUPS", None)  # every Resolver.resolve, nested ones too, in Python
        in_python = resolve_template(template, {"Env": "prod"}, **where)
    return _shape(in_c), _shape(in_python)


def test_the_c_resolver_is_compiled():
    assert SPEEDUPS is not None, "the C speedups are not compiled: install libyaml-dev, then make setup"
    assert resolve.SPEEDUPS is SPEEDUPS


def test_every_fixture_template_resolves_alike(monkeypatch):
    compared = 0
    for path in TEMPLATES:
        try:
            template = decode_file(path)
        except DecodeError:
            continue
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            continue
        for where in ({}, {"account": "111122223333", "region": "eu-west-1", "stack_name": "s"}):
            in_c, in_python = _both(monkeypatch, template, **where)
            assert in_c == in_python, path
        compared += 1
    assert compared > 100


_names = st.sampled_from(["Env", "Missing", "Table", "Role", "AWS::Region", "AWS::AccountId", "AWS::NoValue",
                          "AWS::StackName", "AWS::Partition", "AWS::URLSuffix", "IsProd"])
_scalars = st.one_of(st.sampled_from(["x", "", "Fn::Join", "Ref", "${Env}-t", "${AWS::Region}"]), st.integers(),
                     st.booleans(), st.none(), st.floats(allow_nan=False))


def _intrinsics(inner):
    return st.one_of(
        st.builds(lambda name: {"Ref": name}, _names),
        st.builds(lambda name, att: {"Fn::GetAtt": [name, att]}, _names, st.sampled_from(["Arn", "StreamArn"])),
        st.builds(lambda text: {"Fn::Sub": text}, st.sampled_from(["${Env}-x", "${Table}", "${AWS::Region}", "a"])),
        st.builds(lambda items: {"Fn::Join": ["-", items]}, st.lists(inner, max_size=3)),
        st.builds(lambda a, b: {"Fn::If": ["IsProd", a, b]}, inner, inner),
        st.builds(lambda items: {"Fn::Select": [0, items]}, st.lists(inner, max_size=3)),
        st.builds(lambda value: {"Fn::ImportValue": value}, inner),
        st.builds(lambda value: {"Fn::Unknown": value}, inner),  # kept as written
        st.builds(lambda value: {"NotAFunction": value}, inner),  # a one-key mapping that is no function
        st.builds(lambda value: {1: value}, inner),  # a key that is not text
    )


_values = st.recursive(_scalars, lambda inner: st.one_of(
    _intrinsics(inner), st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["A", "B", "Ref", "Fn::Sub", "Condition"]), inner, max_size=3)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.dictionaries(st.sampled_from(["TableName", "Tags", "Policy", "Environment", "Items"]), _values,
                       max_size=4), st.booleans())
def test_generated_values_resolve_alike(properties, in_account):
    template = {
        "Parameters": {"Env": {"Type": "String"}, "Missing": {"Type": "String"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Fn::Sub": "${Env}-t"}}},
                      "Role": {"Type": "AWS::IAM::Role"},
                      "Subject": {"Type": "AWS::Lambda::Function", "Properties": properties}},
    }
    where = {"account": "111122223333", "region": "cn-north-1"} if in_account else {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        in_c, in_python = _both(monkeypatch, template, **where)
    assert in_c == in_python


def test_a_yaml_template_with_short_forms_resolves_alike(monkeypatch):
    template = decode_text("Parameters:\n  Env: {Type: String}\nResources:\n  T:\n    Type: AWS::DynamoDB::Table\n"
                           "    Properties:\n      TableName: !Sub '${Env}-${AWS::Region}'\n"
                           "      Tags: [{Key: a, Value: !Ref AWS::NoValue}, !Ref AWS::NoValue, !GetAtt T.Arn]\n")
    in_c, in_python = _both(monkeypatch, template, region="us-east-1")
    assert in_c == in_python
    assert resolve_template(template, {"Env": "prod"}, region="us-east-1")["Resources"]["T"]["Properties"] == {
        "TableName": "prod-us-east-1",
        "Tags": [{"Key": "a"}, "arn:aws:dynamodb:us-east-1:${AWS::AccountId}:table/prod-us-east-1"]}
