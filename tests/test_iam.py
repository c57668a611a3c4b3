"""The IAM matcher against hand-checked cases, and properties that IAM's semantics imply."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddbguard.iam import Statement, action_matches, is_allowed, parse_statements, resource_matches

TABLE = "arn:aws:dynamodb:us-east-1:111111111111:table/app-prod"


@pytest.mark.parametrize("pattern, action, expected", [
    ("dynamodb:GetItem", "dynamodb:GetItem", True),
    ("DynamoDB:getitem", "dynamodb:GetItem", True),  # actions are case-insensitive
    ("dynamodb:Get*", "dynamodb:GetItem", True),
    ("dynamodb:*", "dynamodb:Query", True),
    ("*", "dynamodb:Query", True),
    ("dynamodb:?etItem", "dynamodb:GetItem", True),
    ("dynamodb:Get?", "dynamodb:GetItem", False),
    ("dynamodb:Query", "dynamodb:QueryX", False),
    ("s3:*", "dynamodb:Query", False),
])
def test_action_matching(pattern, action, expected):
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize("pattern, arn, expected", [
    (TABLE, TABLE, True),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/app-*", TABLE, True),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/app-*", TABLE + "/index/ByStatus", True),  # * crosses /
    ("arn:aws:dynamodb:*:*:table/app-prod", TABLE, True),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/APP-PROD", TABLE, False),  # ARNs are case-sensitive
    (TABLE, TABLE + "/index/ByStatus", False),
    (TABLE + "/index/*", TABLE + "/index/ByStatus", True),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/app-prod?", TABLE, False),
    ("*", TABLE, True),
])
def test_resource_matching(pattern, arn, expected):
    assert resource_matches(pattern, arn) is expected


def test_explicit_deny_wins_and_not_fields():
    allow_all = Statement("Allow", actions=("dynamodb:*",), resources=("*",))
    deny_delete = Statement("Deny", actions=("dynamodb:DeleteItem",), resources=(TABLE,))
    assert is_allowed([allow_all], "dynamodb:DeleteItem", TABLE)
    assert not is_allowed([allow_all, deny_delete], "dynamodb:DeleteItem", TABLE)
    assert is_allowed([allow_all, deny_delete], "dynamodb:GetItem", TABLE)
    not_action = Statement("Allow", not_actions=("dynamodb:Delete*",), resources=("*",))
    assert is_allowed([not_action], "dynamodb:GetItem", TABLE) and not is_allowed([not_action], "dynamodb:DeleteTable", TABLE)
    not_resource = Statement("Allow", actions=("dynamodb:*",), not_resources=(TABLE,))
    assert not is_allowed([not_resource], "dynamodb:GetItem", TABLE)
    assert is_allowed([not_resource], "dynamodb:GetItem", TABLE + "/index/x")
    assert not is_allowed([], "dynamodb:GetItem", TABLE)


def test_parse_statements():
    document = {"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": [TABLE]},
        {"Effect": "Deny", "NotAction": ["s3:*"], "NotResource": "*", "Condition": {"Bool": {"aws:x": "true"}}},
        {"Effect": "Allow", "Action": {"Ref": "Unresolved"}, "Resource": "*"},
        {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": [TABLE, {"Fn::ImportValue": "other"}]},
    ]}
    statements, unreadable = parse_statements(document, source="Policy", path=("Properties", "PolicyDocument"))
    assert statements == [
        Statement("Allow", actions=("dynamodb:GetItem",), resources=(TABLE,), source="Policy",
                  path=("Properties", "PolicyDocument", "Statement", 0)),
        Statement("Deny", not_actions=("s3:*",), not_resources=("*",), has_condition=True, source="Policy",
                  path=("Properties", "PolicyDocument", "Statement", 1)),
        # the literal resource is kept; the import is reported as unreadable
        Statement("Allow", actions=("dynamodb:Query",), resources=(TABLE,), source="Policy",
                  path=("Properties", "PolicyDocument", "Statement", 3)),
    ]
    assert unreadable == [("Properties", "PolicyDocument", "Statement", 2),
                          ("Properties", "PolicyDocument", "Statement", 3, "Resource")]


# -- properties ------------------------------------------------------------------------------------
SEGMENT = st.text(alphabet="abcAB019-_/:.", min_size=0, max_size=12)


@given(st.text(alphabet="abcAB01:-_/", min_size=0, max_size=20))
def test_every_string_matches_itself_and_star(text):
    assert resource_matches(text, text) and resource_matches("*", text)
    assert action_matches(text, text.upper()) and action_matches(text.lower(), text)


@given(SEGMENT, SEGMENT, SEGMENT)
def test_star_matches_any_infix(prefix, middle, suffix):
    assert resource_matches(f"{prefix}*{suffix}", prefix + middle + suffix)


@given(SEGMENT, st.characters(whitelist_categories=("Ll", "Nd")), SEGMENT)
def test_question_mark_matches_exactly_one_character(prefix, char, suffix):
    assert resource_matches(f"{prefix}?{suffix}", prefix + char + suffix)
    assert not resource_matches(f"{prefix}?{suffix}", prefix + suffix)


@given(st.lists(st.sampled_from(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:*", "s3:*", "*"]), min_size=1),
       st.sampled_from(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteTable"]))
def test_a_deny_for_the_same_action_and_resource_always_wins(allowed_actions, action):
    statements = [Statement("Allow", actions=tuple(allowed_actions), resources=("*",)),
                  Statement("Deny", actions=(action,), resources=(TABLE,))]
    assert not is_allowed(statements, action, TABLE)


def reference_match(pattern: str, text: str) -> bool:
    """Textbook wildcard matching by recursion: an independent reference for the regex-based matcher."""
    if not pattern:
        return not text
    if pattern[0] == "*":
        return reference_match(pattern[1:], text) or (bool(text) and reference_match(pattern, text[1:]))
    return bool(text) and pattern[0] in ("?", text[0]) and reference_match(pattern[1:], text[1:])


@given(st.text(alphabet="ab*?/", min_size=0, max_size=8), st.text(alphabet="ab/", min_size=0, max_size=8))
def test_matcher_agrees_with_a_reference_matcher(pattern, text):
    assert resource_matches(pattern, text) is reference_match(pattern, text)
