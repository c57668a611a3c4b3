"""The IAM matcher against hand-checked cases, and properties that IAM's semantics imply."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import documented_action_match, documented_resource_match
from ddbguard.arns import arn_pattern, is_literal, parse_table_arn
from ddbguard.iam import Statement, action_matches, decide, is_allowed, parse_statements, resource_matches
from ddbguard.model import Unknown

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
    # segment by segment, as IAM matches: a `*` that ends a segment runs past the colons after it
    ("arn:aws:dynamodb:*", TABLE, True),
    ("arn:aws:dynamodb:us-east-1:*", TABLE, True),
    ("arn:aws:dynamodb:eu-west-1:*", TABLE, False),
    ("arn:*:dynamodb:us-east-1:111111111111:table/app-prod", TABLE, True),
    ("arn:aws:dynamodb:*:table/app-prod", TABLE, True),
    ("arn:aws:dynamodb:us-east-1:*:table/*", TABLE, True),
    ("arn:aws:dynamodb:us-east-1:111111111111:tab*", TABLE, True),
    ("*:table/app-prod", TABLE, True),
    ("arn:aws:dynamodb:us-*1:table/app-prod", TABLE, False),  # a `*` inside a segment stays in it
    ("arn:aws:dynamodb:us-east-?:111111111111:table/app-prod", TABLE, True),
    ("arn:aws:dynamodb:us-east-1?111111111111:table/app-prod", TABLE, False),  # `?` is no colon
    ("arn:aws:DynamoDB:us-east-1:111111111111:table/app-prod", TABLE, False),  # case-sensitive in every segment
    ("arn:AWS:dynamodb:*", TABLE, False),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/${aws:username}", TABLE, True),  # a policy variable: any name
    ("arn:aws:dynamodb:${AWS::Region}:111111111111:table/app-prod", TABLE, False),  # unresolved: one other value
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
        # the literal resource is kept and the statement marked unresolved; the import is reported as unreadable
        Statement("Allow", actions=("dynamodb:Query",), resources=(TABLE,), source="Policy",
                  path=("Properties", "PolicyDocument", "Statement", 3), unresolved=True),
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
def test_star_matches_any_infix_within_a_segment_and_a_segment_ending_star_any_rest(prefix, middle, suffix):
    prefix, suffix = prefix.replace(":", ""), suffix.replace(":", "")
    if suffix:  # the star is inside its segment: it stays there
        assert resource_matches(f"{prefix}*{suffix}", prefix + middle + suffix) is (":" not in middle)
    assert resource_matches(f"{prefix}*", prefix + middle + suffix)  # the star ends its segment: it runs on


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


@given(st.text(alphabet="ab:*?/", min_size=0, max_size=9), st.text(alphabet="ab:/", min_size=0, max_size=9))
def test_matcher_agrees_with_the_documented_rule(pattern, text):
    """The regular expressions ddbguard builds against a plain recursive spelling of IAM's documented rule."""
    assert resource_matches(pattern, text) is documented_resource_match(pattern, text)


@given(st.text(alphabet="aB:*?", min_size=0, max_size=8), st.text(alphabet="abAB:", min_size=0, max_size=8))
def test_action_matcher_agrees_with_the_documented_rule(pattern, action):
    assert action_matches(pattern, action) is documented_action_match(pattern, action)


# -- a Resource is judged by the tables it reaches (ddbguard.arns.ArnPattern), consistently with matching -----------
NAMES = st.sampled_from(["orders", "orders-prod", "app-x", "Orders"])
TABLE_ARNS = st.builds(lambda partition, region, account, name, rest: f"arn:{partition}:dynamodb:{region}:{account}:"
                                                                       f"table/{name}{rest}",
                       st.sampled_from(["aws", "aws-cn"]), st.sampled_from(["us-east-1", "eu-west-1"]),
                       st.sampled_from(["111111111111", "222222222222"]), NAMES,
                       st.sampled_from(["", "/index/ByStatus", "/stream/2026-01-01T00:00:00.000"]))
PATTERNS = st.one_of(
    st.builds(lambda *s: "arn:" + ":".join(s), st.sampled_from(["aws", "*", "aws*"]),
              st.sampled_from(["dynamodb", "*", "dynamo*", "s3"]), st.sampled_from(["us-east-1", "*", "us-*", ""]),
              st.sampled_from(["111111111111", "*", "1111*", ""]),
              st.sampled_from(["table/orders", "table/*", "table/ord*", "table/orders/index/*", "*", "tab*", "stream/*",
                               "table/${aws:username}"])),
    st.sampled_from(["*", "arn:aws:dynamodb:*", "arn:aws:dynamodb:us-east-1:*", "arn:aws:dynamodb:*:table/orders",
                     "*:table/orders", "arn:*", "arn:aws:s3:::bucket/*", "arn:aws:dynamodb:us-*1:table/orders"]))


@given(PATTERNS, TABLE_ARNS, NAMES)
def test_what_a_pattern_reaches_agrees_with_what_it_matches(pattern, arn, other_name):
    reach, table = arn_pattern(pattern), parse_table_arn(arn)
    if not reach.matches(arn):
        return
    assert reach.reaches_tables
    if reach.table_name is not None:
        assert table.name == reach.table_name
    if is_literal(reach.account):
        assert table.account == reach.account
    if reach.every_table_name and not table.rest:
        assert reach.matches(arn.replace(f"table/{table.name}", f"table/{other_name}"))
    if not reach.table_itself and table.rest == "":
        raise AssertionError(f"{pattern} matched the table itself")


@pytest.mark.parametrize("pattern, reaches, name, every, account", [
    ("*", True, None, True, "*"),
    ("arn:aws:dynamodb:*", True, None, True, "*"),
    ("arn:aws:dynamodb:us-east-1:111111111111:*", True, None, True, "111111111111"),
    ("arn:*:dynamodb:us-east-1:111111111111:table/orders", True, "orders", False, "111111111111"),
    ("arn:aws:dynamodb:us-east-1:*:table/orders", True, "orders", False, "*"),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/app-*", True, None, False, "111111111111"),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/orders/index/*", True, "orders", False, "111111111111"),
    ("arn:aws:dynamodb:us-east-1:111111111111:tab*", True, None, True, "111111111111"),
    ("arn:aws:dynamodb:*:table/orders", True, "orders", False, "*"),
    ("arn:aws:s3:::bucket/*", False, None, False, "*"),
    ("arn:aws:dynamodb:us-east-1:111111111111:stream/*", False, None, False, "*"),
    ("arn:aws:DynamoDB:*", False, None, False, "*"),
    ("arn:aws:dynamodb:us-*1:table/orders", False, None, False, "*"),  # no ARN has this shape
    ("arn:aws:dynamodb:us-east-1:111111111111:table/${aws:username}", True, None, False, "111111111111"),
])
def test_a_pattern_is_read_by_the_tables_it_reaches(pattern, reaches, name, every, account):
    reach = arn_pattern(pattern)
    assert (reach.reaches_tables, reach.table_name, reach.every_table_name, reach.account) == (
        reaches, name, every, account)


def test_a_deny_that_cannot_be_read_makes_access_unknown():
    """A Deny whose Action (or Resource) is not literal may deny anything: access is unknown, never allowed."""
    document = {"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE},
        {"Effect": "Deny", "Action": {"Ref": "Denied"}, "Resource": "*"}]}
    statements, unreadable = parse_statements(document, source="Policy")
    assert unreadable == [("Statement", 1)]
    assert isinstance(decide(statements, "dynamodb:GetItem", TABLE), Unknown)
    assert is_allowed(statements, "dynamodb:GetItem", TABLE)  # the over-grant view: it may be allowed
    partial = {"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE},
        {"Effect": "Deny", "Action": "dynamodb:*", "Resource": ["arn:aws:s3:::x", {"Fn::ImportValue": "tables"}]}]}
    statements, _ = parse_statements(partial, source="Policy")
    assert isinstance(decide(statements, "dynamodb:GetItem", TABLE), Unknown)


@given(st.text(alphabet="ab:*?", min_size=0, max_size=12), st.text(alphabet="ab:", min_size=0, max_size=10))
def test_the_table_matcher_for_many_wildcards_agrees_with_the_regular_expressions(pattern, text):
    """Patterns with many wildcards are matched by table (bounded time on hostile input): the same answers."""
    from ddbguard.arns import _atoms, _regex, _text_units, wildcard_match

    assert wildcard_match(_atoms(pattern), _text_units(text)) is (_regex(pattern).fullmatch(text) is not None)


def test_hostile_patterns_are_matched_by_table():
    """Forty wildcards against two hundred characters: a backtracking regular expression would not finish; the table
    answers at once (this test would hang, not fail, if it did not)."""
    pattern = "arn:aws:dynamodb:us-east-1:111111111111:table/" + "*a" * 40 + "b"
    assert not resource_matches(pattern, "arn:aws:dynamodb:us-east-1:111111111111:table/" + "a" * 200)
    assert not action_matches("d" + "*a" * 40 + "b", "d" + "a" * 200)
    assert action_matches("D" + "*A" * 5 + "?", "d" + "a" * 20)
