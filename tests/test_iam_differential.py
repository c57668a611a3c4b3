"""ddbguard's "may this principal do ACTION on TABLE_ARN" against moto's IAM evaluator (moto/iam/access_control.py,
IAMPolicy and IAMPolicyStatement, run in-process), on generated policies: wildcard ARNs in every segment and short
ones, NotResource, NotAction, conditions, and case variants of actions and ARNs.

Every disagreement is a bug in one of them. Each one found is decided by the IAM documentation, and written down
here as a test of its own (`test_moto_deviation_*`); the generated comparison accepts a disagreement only when it is
one of those, and only when ddbguard's side is the documented rule as a plain reference matcher below spells it.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult

from conftest import documented_action_match, documented_resource_match
from ddbguard.iam import decide, is_allowed, parse_statements
from ddbguard.model import Unknown

HOLDING = {"aws:PrincipalTag/team": "data"}  # the request's context: every generated condition holds
CONDITION = {"StringEquals": {"aws:PrincipalTag/team": "data"}}

TABLES = ["arn:aws:dynamodb:us-east-1:111111111111:table/orders",
          "arn:aws:dynamodb:us-east-1:111111111111:table/orders/index/ByStatus",
          "arn:aws:dynamodb:eu-west-1:222222222222:table/orders-test",
          "arn:aws:dynamodb:us-east-1:111111111111:table/orders-v2",
          "arn:aws-cn:dynamodb:cn-north-1:111111111111:table/orders"]
ACTIONS = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteTable", "dynamodb:UpdateTimeToLive"]

SEGMENT_PATTERNS = st.tuples(
    st.sampled_from(["aws", "*", "aws*", "aws-?n"]),
    st.sampled_from(["dynamodb", "*", "dynamo*", "DynamoDB"]),
    st.sampled_from(["us-east-1", "*", "us-*", "us-east-?", "*-1"]),
    st.sampled_from(["111111111111", "*", "1111*", "222222222222", "11111111111?"]),
    st.sampled_from(["table/orders", "table/*", "table/ord*", "table/orders/index/*", "table/Orders", "*",
                     "table/orders?", "table/orders.v2", "table/orders*", "table/*/index/*"]),
).map(lambda s: "arn:" + ":".join(s))
SHORT_PATTERNS = st.sampled_from([
    "*", "arn:aws:dynamodb:*", "arn:aws:dynamodb:us-east-1:*", "arn:*", "arn:aws:dynamodb:*:table/orders",
    "arn:aws:dynamodb:us-*1:table/orders", "arn:aws:dynamodb:us-east-1:111111111111:tab*", "*:table/orders",
    "arn:aws:DynamoDB:*", "arn:aws:dynamodb:us-east-1:111111111111:table/orders:*"])
RESOURCES = st.lists(st.one_of(SEGMENT_PATTERNS, SHORT_PATTERNS), min_size=1, max_size=3)
ACTION_PATTERNS = st.lists(st.sampled_from([
    "dynamodb:GetItem", "DynamoDB:getitem", "dynamodb:Get*", "dynamodb:*", "*", "dynamodb:?etItem", "dynamodb:Query",
    "s3:*", "dynamodb:Delete*", "DYNAMODB:DELETETABLE", "dynamodb:Update*", "dynamodb:*Item"]), min_size=1, max_size=3)


@st.composite
def statements(draw) -> dict:
    statement: dict = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(ACTION_PATTERNS)
    statement["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(RESOURCES)
    if draw(st.booleans()) and draw(st.booleans()):
        statement["Condition"] = CONDITION
    return statement


POLICIES = st.lists(statements(), min_size=1, max_size=3).map(lambda s: {"Version": "2012-10-17", "Statement": s})


# -- where moto departs from them (each has its own test below) -------------------------------------------------------
def moto_element(statement: dict, element: str, value: str) -> bool:
    return IAMPolicyStatement(statement)._check_element_matches(element, value)


def deviation(statement: dict, element: str, value: str) -> str:
    """Which documented departure of moto's explains a difference on one element of one statement."""
    patterns = statement[element] if isinstance(statement[element], list) else [statement[element]]
    if element in ("Action", "NotAction"):
        if moto_element({element: [p.lower() for p in patterns]}, element, value.lower()) != \
                moto_element(statement, element, value):
            return "action case"
        return "question mark" if any("?" in p for p in patterns) else "unexplained"
    if any("?" in p for p in patterns):
        return "question mark"
    if any("." in p for p in patterns):
        return "regex characters"
    if any(_mid_segment_star(p) for p in patterns):
        return "star across segments"
    return "unexplained"


def _mid_segment_star(pattern: str) -> bool:
    return any(c == "*" and i + 1 < len(pattern) and pattern[i + 1] != ":" for i, c in enumerate(pattern))


DOCUMENTED_DEVIATIONS = {"action case", "question mark", "regex characters", "star across segments", "not resource"}


def explain(policy: dict, action: str, arn: str) -> list[str]:
    """The documented deviations that make moto's answer differ from ddbguard's, statement by statement; raises
    when ddbguard is the one that departs from the documented rule."""
    found = []
    for raw in policy["Statement"]:
        if "NotResource" in raw:
            found.append("not resource")  # moto reads no Resource, and then permits whatever the action
            continue
        for element, value in (("NotAction" if "NotAction" in raw else "Action", action), ("Resource", arn)):
            ours = _ours(raw, element, value)
            if ours == moto_element(raw, element, value):
                continue
            documented = (documented_action_match if element != "Resource" else documented_resource_match)
            assert ours == any(documented(p, value) for p in raw[element]), (raw, element, value)
            found.append(deviation(raw, element, value))
    return found


def _ours(raw: dict, element: str, value: str) -> bool:
    statement = parse_statements({"Statement": [raw]}, source="generated")[0][0]
    if element == "Resource":
        return statement.covers_resource(value)
    patterns = statement.not_actions if element == "NotAction" else statement.actions
    return statement.covers_action(value) if element == "Action" else not statement.covers_action(value) and bool(
        patterns)


def moto_permits(policy: dict, action: str, arn: str) -> PermissionResult:
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, arn, incoming_condition_values=HOLDING)


def assert_documented(policy: dict, action: str, arn: str, answers: tuple) -> None:
    """A disagreement must be one of the documented departures of moto's (and ddbguard the documented side)."""
    reasons = explain(policy, action, arn)
    assert reasons and set(reasons) <= DOCUMENTED_DEVIATIONS, (policy, action, arn, answers, reasons)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(POLICIES, st.sampled_from(ACTIONS), st.sampled_from(TABLES))
def test_ddbguard_decides_like_moto_or_moto_departs_from_the_documented_rule(policy, action, arn):
    parsed, unreadable = parse_statements(policy, source="generated")
    assert unreadable == []
    theirs = moto_permits(policy, action, arn)
    ours = decide(parsed, action, arn)
    agree = (ours is True) == (theirs is PermissionResult.PERMITTED) and (
        not isinstance(ours, Unknown) or theirs is PermissionResult.DENIED)
    if not agree:
        assert_documented(policy, action, arn, (ours, theirs))
    if isinstance(ours, Unknown):  # only a Deny whose condition ddbguard does not evaluate makes it unknown
        assert any(s.effect == "Deny" and s.has_condition and s.applies(action, arn) for s in parsed)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(POLICIES, st.sampled_from(ACTIONS), st.sampled_from(TABLES))
def test_the_over_grant_view_is_moto_without_conditional_denies(policy, action, arn):
    """is_allowed (DDB012's, DDB040's view): every condition may hold, so only an unconditional Deny blocks."""
    parsed, _ = parse_statements(policy, source="generated")
    unconditional = {**policy, "Statement": [s for s in policy["Statement"]
                                             if not (s["Effect"] == "Deny" and "Condition" in s)]}
    theirs = moto_permits(unconditional, action, arn) is PermissionResult.PERMITTED if unconditional["Statement"] \
        else False
    if is_allowed(parsed, action, arn) != theirs:
        assert_documented(unconditional, action, arn, (not theirs, theirs))


# -- the disagreements, decided by the IAM documentation ---------------------------------------------------------------
ORDERS = "arn:aws:dynamodb:us-east-1:111111111111:table/orders"


def _one(statement: dict) -> tuple[bool | Unknown, PermissionResult]:
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    action = "dynamodb:GetItem"
    parsed, _ = parse_statements(policy, source="pinned")
    return decide(parsed, action, ORDERS), moto_permits(policy, action, ORDERS)


def test_moto_deviation_action_case():
    """IAM: "The prefix and the action name are case insensitive" (iam:ListAccessKeys is IAM:listaccesskeys).
    moto compares actions case-sensitively. ddbguard is right: `DynamoDB:getitem` grants GetItem."""
    ours, theirs = _one({"Effect": "Allow", "Action": "DynamoDB:getitem", "Resource": ORDERS})
    assert (ours, theirs) == (True, PermissionResult.NEUTRAL)


def test_moto_deviation_question_mark():
    """IAM: `?` matches any single character. moto turns the pattern into a regular expression, where `?` makes the
    character before it optional: `table/orders?` matches `table/orders` there. ddbguard is right: it does not."""
    ours, theirs = _one({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ORDERS + "?"})
    assert (ours, theirs) == (False, PermissionResult.PERMITTED)


def test_moto_deviation_regex_characters():
    """IAM matches every character but `*` and `?` literally. moto leaves `.` a regular expression's any-character:
    `table/orders.v2` matches `table/orders-v2` there. ddbguard is right: it does not."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ORDERS.replace("orders", "orders.v2")}]}
    target = ORDERS.replace("orders", "orders-v2")
    parsed, _ = parse_statements(policy, source="pinned")
    assert (decide(parsed, "dynamodb:GetItem", target), moto_permits(policy, "dynamodb:GetItem", target)) == (
        False, PermissionResult.PERMITTED)


def test_moto_deviation_star_across_segments():
    """IAM: wildcards match within a segment; only a `*` that is the last character of a segment may run past the
    colons after it. moto's `*` runs across any colon: `arn:aws:dynamodb:us-*1:table/orders` (five segments, the `*`
    inside the region) matches the table there. ddbguard is right: it does not; `arn:aws:dynamodb:*:table/orders`,
    whose `*` ends its segment, does in both."""
    ours, theirs = _one({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-*1:table/orders"})
    assert (ours, theirs) == (False, PermissionResult.PERMITTED)
    ours, theirs = _one({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:*:table/orders"})
    assert (ours, theirs) == (True, PermissionResult.PERMITTED)


def test_moto_deviation_not_resource():
    """IAM: NotResource matches every resource except those listed. moto reads only Resource: a statement without one
    is taken as a trust policy's and permits, whatever its Effect. ddbguard is right: an Allow of everything but
    `orders` does not grant `orders`, and a Deny with NotResource denies, never permits."""
    ours, theirs = _one({"Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": ORDERS})
    assert (ours, theirs) == (False, PermissionResult.PERMITTED)
    ours, theirs = _one({"Effect": "Deny", "Action": "dynamodb:GetItem", "NotResource": "arn:aws:s3:::bucket"})
    assert (ours, theirs) == (False, PermissionResult.PERMITTED)


@pytest.mark.parametrize("context, moto_says", [
    ({"aws:PrincipalTag/team": "ops"}, PermissionResult.DENIED),  # an Allow whose condition fails denies, in moto
    ({}, PermissionResult.PERMITTED),  # a key the request does not have is taken to hold, in moto
])
def test_moto_deviation_conditions(context, moto_says):
    """IAM: a statement whose condition does not hold does not apply (an Allow then allows nothing; it never denies),
    and StringEquals on a key the request lacks does not hold. moto denies on a failed Allow condition and takes
    absent keys to hold. ddbguard evaluates no condition: an Allow's is taken to hold (the grant exists for some
    request), a Deny's makes the answer unknown. So the comparison above runs with every condition holding, the one
    context where moto follows IAM."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ORDERS, "Condition": CONDITION}]}
    result = IAMPolicy(json.dumps(policy)).is_action_permitted("dynamodb:GetItem", ORDERS,
                                                              incoming_condition_values=context)
    assert result is moto_says
    parsed, _ = parse_statements(policy, source="pinned")
    assert decide(parsed, "dynamodb:GetItem", ORDERS) is True


def test_they_agree_where_both_follow_the_documentation():
    """The common spellings, compared directly (the generated test above covers their combinations)."""
    cases = [("arn:aws:dynamodb:*", True), ("arn:aws:dynamodb:us-east-1:*", True), ("arn:*:dynamodb:*:*:table/orders",
             True), ("arn:aws:dynamodb:us-east-1:111111111111:table/*", True), ("arn:aws:DynamoDB:*", False),
             ("arn:aws:dynamodb:us-east-1:111111111111:table/Orders", False), ("*", True),
             ("arn:aws:dynamodb:us-east-1:111111111111:table/orders/index/*", False)]
    for resource, expected in cases:
        ours, theirs = _one({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": resource})
        assert (ours, theirs is PermissionResult.PERMITTED) == (expected, expected), resource
