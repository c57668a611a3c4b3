"""The resolved template's shape is checked only where the template as written had an intrinsic function in a
checked place (`shape_problem`'s `deferred` and `only`). Proof that this skips nothing: for generated resources
holding intrinsic functions (parameters of every kind, conditions true, false and unknown, AWS::NoValue) in every
checked place and elsewhere, the restricted check of the resolved copy says exactly what the full check says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ddbguard.templates.resolve import resolve_template
from ddbguard.templates.shape import _PROPERTY_SHAPES, shape_problem

PARAMETERS = {
    "Text": {"Type": "String", "Default": "text"},
    "Items": {"Type": "CommaDelimitedList", "Default": "a,b"},
    "Unset": {"Type": "String"},
}
CONDITIONS = {"Yes": {"Fn::Equals": ["a", "a"]}, "No": {"Fn::Equals": ["a", "b"]},
              "Maybe": {"Fn::Equals": [{"Ref": "Unset"}, "x"]}}

plain = st.one_of(st.text(max_size=3), st.integers(), st.booleans(), st.none())
mapping = st.dictionaries(st.sampled_from(["A", "B", "Enabled"]), plain, max_size=2)


def intrinsic(inner):
    return st.one_of(
        st.builds(lambda name: {"Ref": name}, st.sampled_from([*PARAMETERS, "AWS::NoValue", "AWS::Region", "T0"])),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, st.sampled_from(list(CONDITIONS)), inner, inner),
        st.builds(lambda a: {"Fn::Sub": a}, st.sampled_from(["x-${Text}", "${AWS::StackName}"])),
        st.builds(lambda a: {"Fn::GetAtt": ["T0", a]}, st.sampled_from(["Arn", "StreamArn"])),
    )


value = st.recursive(st.one_of(plain, mapping), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["A", "PolicyDocument", "Variables"]), inner,
                                                 max_size=2), intrinsic(inner)), max_leaves=6)
SLOTS = sorted({step for slots in _PROPERTY_SHAPES.values() for slot, _, _ in slots for step in slot})


@st.composite
def resource(draw):
    kind = draw(st.sampled_from([*_PROPERTY_SHAPES, "AWS::SQS::Queue"]))
    properties = draw(st.one_of(
        st.dictionaries(st.sampled_from([*SLOTS, "Other"]), value, max_size=4), intrinsic(value)))
    found = {"Type": kind, "Properties": properties}
    for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
        if draw(st.booleans()):
            found[attribute] = draw(st.one_of(st.just("Retain"), intrinsic(st.just("Delete"))))
    if draw(st.booleans()):
        found["Condition"] = draw(st.sampled_from(list(CONDITIONS)))
    return found


@settings(max_examples=250, deadline=None)
@given(st.lists(resource(), min_size=1, max_size=4))
def test_the_restricted_check_of_the_resolved_template_is_the_full_check(resources):
    template = {"Parameters": PARAMETERS, "Conditions": CONDITIONS,
                "Resources": {f"T{index}": r for index, r in enumerate(resources)}}
    deferred: set[str] = set()
    if shape_problem(template, deferred) is not None:
        return  # an error of the template as written: it is never resolved
    resolved = resolve_template(template)
    assert shape_problem(resolved, only=deferred) == shape_problem(resolved)


def test_an_intrinsic_in_a_checked_place_defers_the_resource_and_nothing_else_does():
    template = {"Parameters": PARAMETERS, "Conditions": CONDITIONS, "Resources": {
        "Plain": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "Text"}, "KeySchema": []}},
        "AtSlot": {"Type": "AWS::DynamoDB::Table", "Properties": {"SSESpecification": {"Ref": "Items"}}},
        "InList": {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": [{"Fn::If": ["Yes", 1, 2]}]}},
        "Whole": {"Type": "AWS::DynamoDB::Table", "Properties": {"Fn::If": ["Yes", [1], [2]]}},
        "Policy": {"Type": "AWS::SQS::Queue", "DeletionPolicy": {"Fn::If": ["Yes", "Retain", "Delete"]}},
    }}
    deferred: set[str] = set()
    assert shape_problem(template, deferred) is None
    assert deferred == {"AtSlot", "InList", "Whole", "Policy"}
    resolved = resolve_template(template)
    assert shape_problem(resolved, only=deferred) == shape_problem(resolved) == \
        "Resources.AtSlot.Properties.SSESpecification: must be a mapping, not a list"
