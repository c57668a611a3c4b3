"""Rules on hand-built inputs, in-process: each per-table predicate on template resources and on the
CloudFormation-shaped view of live tables (where a value that could not be read is Unknown)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ddbguard.catalog import load_catalog
from ddbguard.engines.builtin import predicate
from ddbguard.engines.common import evaluation_of
from ddbguard.kit.snapshot import LiveTable, as_resource
from ddbguard.model import Status, Unknown
from ddbguard.templates.resolve import TABLE_TYPES

RULES = {rule.stem.split("_", 1)[1]: rule for rule in load_catalog().values() if "builtin" in rule.engines
         and set(rule.resource_types) & set(TABLE_TYPES)}  # the per-table rules
DENIED = Unknown("AccessDeniedException on dynamodb:DescribeTable")


def verdict(rule_name: str, resource: dict, level: str = "aws-managed") -> tuple[Status, str]:
    rule = RULES[rule_name]
    found = predicate(rule)(resource, SimpleNamespace(encryption_level=level, min_pitr_recovery_days=35))
    evaluation = evaluation_of(rule.id, "s", "T", found, "builtin")
    return evaluation.status, evaluation.message


def live_table(**changes) -> LiveTable:
    values = dict(
        name="orders", arn="arn:aws:dynamodb:us-east-1:111111111111:table/orders",
        description={"DeletionProtectionEnabled": True, "SSEDescription": {
            "Status": "ENABLED", "KMSMasterKeyArn": "arn:aws:kms:us-east-1:111111111111:key/k"}},
        continuous_backups={"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED",
                                                               "RecoveryPeriodInDays": 35}},
        resource_policy=None, stack=("orders-stack", "Orders"),
        template_resource={"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
        kms_key={"KeyManager": "CUSTOMER", "KeyState": "Enabled"})
    values.update(changes)
    return LiveTable(**values)


def test_a_compliant_live_table_passes_every_rule_at_every_level():
    for name in RULES:
        for level in ("aws-owned", "aws-managed", "customer-managed"):
            assert verdict(name, as_resource(live_table()), level) == (Status.PASS, "compliant"), (name, level)


@pytest.mark.parametrize("changes, rule, expected", [
    ({"description": DENIED}, "deletion_protection", (Status.UNKNOWN, DENIED.reason)),
    ({"description": DENIED}, "encryption", (Status.UNKNOWN, DENIED.reason)),
    ({"continuous_backups": Unknown("ThrottlingException on dynamodb:DescribeContinuousBackups")}, "pitr_enabled",
     (Status.UNKNOWN, "ThrottlingException on dynamodb:DescribeContinuousBackups")),
    ({"stack": Unknown("AccessDenied on cloudformation:ListStacks")}, "retain",
     (Status.UNKNOWN, "AccessDenied on cloudformation:ListStacks")),
    ({"template_resource": Unknown("AccessDenied on cloudformation:GetTemplate")}, "retain",
     (Status.UNKNOWN, "AccessDenied on cloudformation:GetTemplate")),
    ({"resource_policy": Unknown("AccessDeniedException on dynamodb:GetResourcePolicy")}, "resource_policy",
     (Status.UNKNOWN, "AccessDeniedException on dynamodb:GetResourcePolicy")),
    ({"template_resource": {"Type": "AWS::DynamoDB::Table"}}, "retain", (Status.FAIL, (
        "DeletionPolicy is not Retain or RetainExceptOnCreate: deleting the stack or removing the resource deletes "
        "the table and its data; UpdateReplacePolicy is not Retain: a change that replaces the table deletes the old "
        "table and its data"))),
    ({"continuous_backups": {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}},
     "pitr_enabled", (Status.FAIL, "point-in-time recovery is not enabled (PointInTimeRecoverySpecification."
                                   "PointInTimeRecoveryEnabled is not true)")),
    ({"description": {"DeletionProtectionEnabled": False}}, "deletion_protection",
     (Status.FAIL, "deletion protection is not enabled (DeletionProtectionEnabled is not true)")),
    ({"resource_policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem"}]}},
     "resource_policy", (Status.FAIL, "an Allow statement grants the * principal without a condition that pins the "
                                      "caller's organization or account")),
])
def test_live_values_reach_the_predicates(changes, rule, expected):
    assert verdict(rule, as_resource(live_table(**changes))) == expected


@pytest.mark.parametrize("manager, expected", [
    ({"KeyManager": "CUSTOMER"}, Status.PASS), ({"KeyManager": "AWS"}, Status.FAIL),
    (Unknown("AccessDeniedException on kms:DescribeKey"), Status.UNKNOWN)])
def test_customer_managed_encryption_on_a_live_table(manager, expected):
    assert verdict("encryption", as_resource(live_table(kms_key=manager)), "customer-managed")[0] is expected


def test_template_and_live_views_of_the_same_table_get_the_same_verdicts():
    template = {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                "Properties": {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
                               "SSESpecification": {"SSEEnabled": True}, "DeletionProtectionEnabled": True}}
    live = as_resource(live_table(kms_key={"KeyManager": "AWS"}, continuous_backups={
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}))
    for name in RULES:
        assert verdict(name, template) == verdict(name, live), name


def test_a_function_whose_role_cannot_be_read_is_unknown_for_ddb013_live():
    from ddbguard.config import Config
    from ddbguard.kit.snapshot import LiveFunction, LiveRole, RegionSnapshot
    from ddbguard.engines.live import run_live_rule

    denied = Unknown("AccessDenied on iam (role policies of handler)")
    snapshot = RegionSnapshot("111111111111", "us-east-1", tables=[], functions=[
        LiveFunction("handler", "arn:aws:lambda:us-east-1:111111111111:function:handler",
                     LiveRole("arn:aws:iam::111111111111:role/handler", "handler", denied), {})])
    rule = next(r for r in load_catalog().values() if r.stem == "ddb013_cross_account")
    (evaluation,) = run_live_rule(rule.id, snapshot, Config(), None)
    assert (evaluation.logical_id, evaluation.status, evaluation.message) == (
        "handler", Status.UNKNOWN, f"the policies of role handler cannot be read: {denied.reason}")


GRAPH_TEMPLATE = """\
Resources:
  Orders: {Type: AWS::DynamoDB::Table, Properties: {TableName: orders}}
  Audit: {Type: AWS::DynamoDB::Table, Properties: {TableName: audit}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument: {Statement: [{Effect: Allow, Action: dynamodb:GetItem, Resource: !GetAtt Orders.Arn}]}
  Reader:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn, Environment: {Variables: {ORDERS_TABLE: !Ref Orders}}}
  Auditor:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn, Environment: {Variables: {AuditStore: !Ref Audit}}}
"""


def test_graph_rules_on_a_small_hand_built_graph():
    from ddbguard.config import Config
    from ddbguard.templates.model import CheckedStack
    from ddbguard.kit.graph import Graph
    from ddbguard.engines.graph import run_graph_rule
    from ddbguard.templates.decode import decode_text
    from ddbguard.templates.stack import Stack
    from ddbguard.templates.model import InputModel

    stack = Stack(name="app", file="app.yaml", template=decode_text(GRAPH_TEMPLATE))
    model = InputModel([stack])
    graph = Graph([CheckedStack(stack, model.resolved(stack))], model)
    rules = {rule.stem: rule for rule in load_catalog().values()}
    environment = run_graph_rule(rules["ddb011_environment_tables"].id, graph, Config())
    assert {(e.logical_id, e.status) for e in environment} == {("Reader", Status.PASS), ("Auditor", Status.FAIL)}
    assert next(e.message for e in environment if e.logical_id == "Auditor") == (
        "AuditStore names table audit, but role Role may use only: orders")
    unused = run_graph_rule(rules["ddb015_unused_grants"].id, graph, Config())
    # orders is named by Reader; the role is shared, and grants Auditor a table only Reader names
    assert {(e.logical_id, e.status) for e in unused} == {("Role", Status.PASS), ("Reader", Status.PASS),
                                                          ("Auditor", Status.FAIL)}
    assert next(e.message for e in unused if e.logical_id == "Auditor") == (
        "split the role: Auditor uses Role, which also grants orders that only Reader names")


@pytest.mark.parametrize("name, settings, expected", [
    ("orders-prod", {}, "prod"), ("drs_Production_orders", {}, "prod"), ("compute-dev", {}, "dev"),
    ("staging.audit", {}, "staging"), ("orders", {}, None), ("prod-to-dev-sync", {}, None),  # two: not judged
    ("${Orders}", {}, None),
    ("orders-live", {"naming": {"values": {"environment": ["live", "sandbox"]}}}, "live"),
    ("orders-prod", {"naming": {"values": {"environment": ["live", "sandbox"]}}}, None),
    ("acme-orders-eu", {"environments": {"prod": ["acme-*"], "dev": ["scratch-*"]}}, "prod"),
    ("orders-dev", {"environments": {"prod": ["acme-*"]}}, None),  # the mapping replaces the words
])
def test_environment_of_a_name(name, settings, expected):
    from ddbguard.config import Config
    from ddbguard.rules.ddb040_environment_isolation.graph import environment_of

    assert environment_of(name, Config(**settings)) == expected
