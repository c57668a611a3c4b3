"""Resources CDK creates for itself carry `origin: cdk-framework` (templates/framework.py), classified once in the
join, on a real CDK synthesis (fixtures/cdk_framework_app); `framework_resources` reports, lowers or excludes their
findings; and no user construct path, whatever its ids look like, is ever classed as framework."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from hypothesis import given, settings, strategies as st

from conftest import FIXTURES, run_ddbguard, synthesize
from ddbguard.config import ConfigError, parse_config
from ddbguard.report.json_report import read_report, report_schema
from ddbguard.templates.framework import framework_construct, make_unique_id, split_at_stack
from ddbguard.templates.load import load_inputs
from ddbguard.templates.stack import Stack

STACK = "ddbguard-framework"
REPLICA_STACK = f"{STACK}/@aws-cdk--aws-dynamodb.ReplicaProvider"
ON_EVENT_POLICY = ("OrdersSourceTableAttachedManagedPolicyddbguardframeworkawscdkawsdynamodbReplicaProviderOnEvent"
                   "HandlerServiceRoleADE8F398A6E89422")
IS_COMPLETE_POLICY = ("OrdersSourceTableAttachedManagedPolicyddbguardframeworkawscdkawsdynamodbReplicaProviderIs"
                      "CompleteHandlerServiceRoleCFFB59BF3E329C9E")
REPLICA = "the replica provider of Table replicationRegions"
REPLICA_ACCESS = "the replica provider's access to a Table with replicationRegions"
AWS_CUSTOM = "the singleton function of AwsCustomResource"
AUTO_DELETE = "CDK's custom resource provider for Custom::S3AutoDeleteObjects"
DEPLOYMENT = "the singleton handler of BucketDeployment"
LOG_RETENTION = "the singleton log-retention function (logRetention)"
PROVIDER = "the framework functions of a custom_resources.Provider"

FRAMEWORK_IN_TOP_STACK = {
    ON_EVENT_POLICY: REPLICA_ACCESS, IS_COMPLETE_POLICY: REPLICA_ACCESS,
    "awscdkawsdynamodbReplicaProviderNestedStackawscdkawsdynamodbReplicaProviderNestedStackResource18E3F12D": REPLICA,
    "AWS679f53fac002430cb0da5b7982bd2287ServiceRoleC1EA0FF2": AWS_CUSTOM,
    "AWS679f53fac002430cb0da5b7982bd22872D164C4C": AWS_CUSTOM,
    "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092": AUTO_DELETE,
    "CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F": AUTO_DELETE,
    "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRole89A01265": DEPLOYMENT,
    "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRoleDefaultPolicy88902FDF": DEPLOYMENT,
    "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C81C01536": DEPLOYMENT,
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole9741ECFB": LOG_RETENTION,
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB": LOG_RETENTION,
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A": LOG_RETENTION,
    "CustomframeworkonEventServiceRole2D0FCBD9": PROVIDER,
    "CustomframeworkonEventServiceRoleDefaultPolicyD4CBB559": PROVIDER,
    "CustomframeworkonEvent57B2B879": PROVIDER,
    "CDKMetadata": "CDK's version-reporting resource (CDKMetadata)",
}
USER_IN_TOP_STACK = {
    "OrdersA9B65338", "OrdersReplicauswest202399ACB", "DescribeOrders76B07582", "DescribeOrdersCustomResourcePolicyB390B7AB",
    "SiteE53D7754", "SitePolicyC4000D7D", "SiteAutoDeleteObjectsCustomResourceBFAA9B42", "DeployAwsCliLayer8445CB38",
    "DeployCustomResource218AF6A4", "ProviderHandlerServiceRoleC4F08CB6", "ProviderHandlerServiceRoleDefaultPolicyC53A387C",
    "ProviderHandlerE1CA997C", "ProviderHandlerLogRetention0BF72C67", "ProviderCDKMetadataframeworkonEventServiceRoleEF500192",
    "ProviderCDKMetadataframeworkonEventServiceRoleDefaultPolicyB10E45D4", "ProviderCDKMetadataframeworkonEvent728D5EBA",
}
# The findings that are not plain passes, or that are on framework resources: (rule, resource, status, origin)
NOT_PLAIN = {
    ("DDB003", "OrdersA9B65338", "fail", "user"), ("DDB006", "OrdersA9B65338", "fail", "user"),
    ("DDB007", "OrdersA9B65338", "fail", "user"), ("DDB022", "OrdersA9B65338", "suppressed", "user"),
    ("DDB012", ON_EVENT_POLICY, "fail", "cdk-framework"), ("DDB012", IS_COMPLETE_POLICY, "pass", "cdk-framework"),
    ("DDB013", ON_EVENT_POLICY, "pass", "cdk-framework"), ("DDB013", IS_COMPLETE_POLICY, "pass", "cdk-framework"),
    ("DDB012", "OnEventHandlerServiceRoleDefaultPolicyC57085D4", "fail", "cdk-framework"),
    ("DDB013", "OnEventHandlerServiceRoleDefaultPolicyC57085D4", "pass", "cdk-framework"),
    # user constructs named Provider, Handler, CDKMetadata, framework-onEvent below the stack are the user's
    ("DDB012", "ProviderCDKMetadataframeworkonEventServiceRoleDefaultPolicyB10E45D4", "fail", "user"),
    ("DDB015", "ProviderHandlerServiceRoleC4F08CB6", "fail", "user"),
    ("DDB015", "ProviderCDKMetadataframeworkonEventServiceRoleEF500192", "fail", "user"),
}


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    return synthesize([sys.executable, str(FIXTURES / "cdk_framework_app" / "app.py")],
                      tmp_path_factory.mktemp("framework") / "cdk.out")


def check(assembly, tmp_path, setting: str | None = None, extra: str = "") -> tuple[int, dict]:
    config = tmp_path / ".ddbguard.yaml"
    config.write_text((f"framework_resources: {setting}\n" if setting else "{}\n") + extra)
    result = run_ddbguard("check", str(assembly), "--format", "json", "--config", str(config))
    assert result.code in (0, 1), result.stderr
    return result.code, result.json()


def test_every_resource_of_the_synthesized_app_is_classed_exactly(assembly):
    loaded = load_inputs([str(assembly)])
    assert loaded.errors == []
    classed = {(stack.name, logical_id): framework_construct(stack, logical_id, stack.cdk_path(logical_id),
                                                             resource["Type"])
               for stack in loaded.stacks for logical_id, resource in stack.template["Resources"].items()}
    nested = {key for key in classed if key[0] == REPLICA_STACK}
    assert len(nested) == 18  # its two handlers, the Provider framework and waiter (roles, policies), CDKMetadata
    assert classed == {**{(STACK, lid): made for lid, made in FRAMEWORK_IN_TOP_STACK.items()},
                       **{(STACK, lid): None for lid in USER_IN_TOP_STACK}, **{key: REPLICA for key in nested}}
    # the logical id of every resource is CDK's own id of its path below the stack: ddbguard finds the stack's end
    assert all(split_at_stack(stack.cdk_path(lid), lid) for stack in loaded.stacks for lid in stack.template["Resources"])


def test_findings_carry_their_origin_in_json_sarif_and_text(assembly, tmp_path):
    code, report = check(assembly, tmp_path)
    assert code == 1
    assert {(f["rule_id"], f["logical_id"], f["status"], f["origin"]) for f in report["findings"]
            if f["status"] != "pass" or f["origin"] != "user"} == NOT_PLAIN
    framework_failure = next(f for f in report["findings"] if f["rule_id"] == "DDB012" and f["origin"] != "user"
                             and f["status"] == "fail" and f["stack"] == REPLICA_STACK)
    assert framework_failure["severity"] == "high"  # report (the default): the same verdict, marked
    (tmp_path / "report.json").write_text(json.dumps(report))
    read_report(str(tmp_path / "report.json"), report_schema())  # the schema knows `origin`

    sarif = json.loads(run_ddbguard("check", str(assembly), "--format", "sarif").stdout)
    origins = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"], r["properties"]["origin"])
               for r in sarif["runs"][0]["results"] if r["ruleId"] == "DDB012"}
    assert origins == {("DDB012", ON_EVENT_POLICY, "cdk-framework"),
                       ("DDB012", "OnEventHandlerServiceRoleDefaultPolicyC57085D4", "cdk-framework"),
                       ("DDB012", "ProviderCDKMetadataframeworkonEventServiceRoleDefaultPolicyB10E45D4", "user")}

    text = run_ddbguard("check", str(assembly)).stdout.splitlines()
    assert f"    FAIL {REPLICA_STACK}/OnEventHandlerServiceRoleDefaultPolicyC57085D4  [{REPLICA_STACK}/OnEventHandler/" \
           "ServiceRole/DefaultPolicy/Resource]  (CDK framework)" in text
    assert f"    FAIL {STACK}/ProviderHandlerServiceRoleC4F08CB6  [{STACK}/Provider/Handler/ServiceRole/Resource]" in text


def test_lower_makes_framework_findings_info_and_leaves_user_findings_alone(assembly, tmp_path):
    _, default = check(assembly, tmp_path)
    code, lowered = check(assembly, tmp_path, "lower")
    assert code == 1  # the user's own failures still fail the run
    before = {(f["rule_id"], f["logical_id"]): (f["status"], f["severity"]) for f in default["findings"]}
    after = {(f["rule_id"], f["logical_id"]): (f["status"], f["severity"]) for f in lowered["findings"]}
    framework = {(f["rule_id"], f["logical_id"]) for f in default["findings"] if f["origin"] == "cdk-framework"}
    assert {key: after[key] for key in framework} == {key: (before[key][0], "info") for key in framework}
    assert {key: after[key] for key in after if key not in framework} == \
           {key: before[key] for key in before if key not in framework}


def test_exclude_suppresses_framework_failures_with_the_reason_and_lists_them(assembly, tmp_path):
    code, report = check(assembly, tmp_path, "exclude")
    assert code == 1
    framework = {(f["rule_id"], f["logical_id"]): (f["status"], f["suppression_reason"]) for f in report["findings"]
                 if f["origin"] == "cdk-framework" and f["rule_id"] in ("DDB012", "DDB013")}
    assert framework == {
        ("DDB012", ON_EVENT_POLICY): ("suppressed", f"CDK framework resource: {REPLICA_ACCESS}"),
        ("DDB012", IS_COMPLETE_POLICY): ("pass", None),
        ("DDB013", ON_EVENT_POLICY): ("pass", None), ("DDB013", IS_COMPLETE_POLICY): ("pass", None),
        ("DDB012", "OnEventHandlerServiceRoleDefaultPolicyC57085D4"): ("suppressed", f"CDK framework resource: {REPLICA}"),
        ("DDB013", "OnEventHandlerServiceRoleDefaultPolicyC57085D4"): ("pass", None),
    }
    user_failures = {(f["rule_id"], f["logical_id"]) for f in report["findings"]
                     if f["origin"] == "user" and f["status"] == "fail"}
    assert user_failures == {(rule, lid) for rule, lid, status, origin in NOT_PLAIN
                             if origin == "user" and status == "fail"}


def test_a_suppression_of_the_user_s_own_keeps_its_reason_and_the_origin(assembly, tmp_path):
    _, report = check(assembly, tmp_path, "exclude", (
        "suppressions:\n  - {rule: DDB012, resource: '*/OnEventHandlerServiceRoleDefaultPolicyC57085D4', "
        "reason: reviewed with the platform team}\n"))
    [finding] = [f for f in report["findings"] if f["rule_id"] == "DDB012"
                 and f["logical_id"] == "OnEventHandlerServiceRoleDefaultPolicyC57085D4"]
    assert (finding["status"], finding["suppression_reason"], finding["origin"]) == (
        "suppressed", "reviewed with the platform team", "cdk-framework")


def test_the_setting_is_validated():
    assert parse_config({"framework_resources": "exclude"}, source="x.yaml").framework_resources == "exclude"
    assert parse_config({}, source="x.yaml").framework_resources == "report"
    with pytest.raises(ConfigError) as raised:
        parse_config({"framework_resources": "drop"}, source="x.yaml")
    assert str(raised.value) == "x.yaml: framework_resources: 'drop' is not one of ['report', 'lower', 'exclude']"


# -- no user construct is ever framework -----------------------------------------------------------------------
LOOKALIKES = ["Provider", "Handler", "CDKMetadata", "framework-onEvent", "framework-isComplete", "waiter-state-machine",
              "AWS679f53fac002430cb0da5b7982bd2287", "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a", "Resource",
              "Default", "Custom::S3AutoDeleteObjectsCustomResourceProvider", "@aws-cdk--aws-dynamodb.ReplicaProvider",
              "@aws-cdk--aws-dynamodb.ReplicaProvider.NestedStack", "ServiceRole",
              "Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C", "SourceTableAttachedManagedPolicy-x"]
# at the top of a stack, ids that resemble CDK's own without being one of them
TOP_LOOKALIKES = ["Provider", "Handler", "CustomResourceProvider", "MyCustomResourceProvider", "AWS679f53fac002430cb0d",
                  "AWS679f53fac002430cb0da5b7982bd2287x", "LogRetention", "CDKMetadata2", "Custom::CDKBucketDeployment",
                  "ReplicaProvider", "@aws-cdk--aws-dynamodb.ReplicaProvider", "framework-onEvent",
                  "Custom::MineCustomResourceProvider", "Orders"]
FRAMEWORK_TOP_IDS = {"AWS679f53fac002430cb0da5b7982bd2287", "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a",
                     "Custom::S3AutoDeleteObjectsCustomResourceProvider",
                     "@aws-cdk--aws-dynamodb.ReplicaProvider.NestedStack"}  # CDK's own ids among the lookalikes
ids = st.one_of(st.sampled_from(LOOKALIKES), st.from_regex(r"[A-Za-z][A-Za-z0-9:@.-]{0,12}", fullmatch=True))
types = st.sampled_from(["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Lambda::Function",
                         "AWS::DynamoDB::Table", "AWS::CDK::Metadata", "AWS::CloudFormation::Stack"])


def _stack(path: str, logical_id: str, resource_type: str) -> Stack:
    return Stack(name="s", file="s.json", template={"Resources": {logical_id: {
        "Type": resource_type, "Metadata": {"aws:cdk:path": path}}}})


@settings(max_examples=400, deadline=None)
@given(stage=st.lists(ids, max_size=1), stack=ids, top=st.one_of(st.sampled_from(TOP_LOOKALIKES), ids),
       below=st.lists(ids, min_size=1, max_size=4), resource_type=types)
def test_no_user_construct_path_is_framework(stage, stack, top, below, resource_type):
    """User ids anywhere below the stack, framework names included wherever CDK never puts its own; at the top
    of the stack, ids that only resemble CDK's (a user's construct there cannot take one of CDK's exact ids: CDK's
    singleton would find it and fail)."""
    if top in FRAMEWORK_TOP_IDS or (top == "CDKMetadata" and resource_type == "AWS::CDK::Metadata") \
            or top.startswith("Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C"):
        return
    relative = [top, *below]
    if make_unique_id(relative) == "":
        return
    path = "/".join([*stage, stack, *relative])
    logical_id = make_unique_id(relative)
    assert framework_construct(_stack(path, logical_id, resource_type), logical_id, path, resource_type) is None



def test_a_tree_file_outside_the_assembly_is_not_read(tmp_path):
    """The construct types come from the manifest's `cdk:tree` artifact, confined like every other file it names."""
    assembly = tmp_path / "cdk.out"
    shutil.copytree(FIXTURES.parent / "src" / "ddbguard" / "rules" / "ddb007_stack_protection" / "fixtures" /
                    "good.assembly", assembly)
    manifest = json.loads((assembly / "manifest.json").read_text())
    manifest["artifacts"]["Tree"] = {"type": "cdk:tree", "properties": {"file": "../elsewhere.json"}}
    (assembly / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "elsewhere.json").write_text('{"tree": {"id": "App", "path": ""}}')
    assert [str(error) for error in load_inputs([str(assembly)]).errors] == [
        f"{assembly / 'manifest.json'}: tree file ../elsewhere.json resolves outside the template roots ({assembly}), "
        "so it is not read (pass the folder that holds it with --template-root)"]
