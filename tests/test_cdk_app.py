"""End to end: the example CDK app synthesized with the real aws-cdk-lib, checked through the command line."""

from __future__ import annotations

import json

import pytest

from conftest import per_table_rules, run_ddbguard

# Every finding that is not a pass, by (rule, stack, construct path). fixtures/cdk_app/app.py says why.
NOT_PASSING = {
    ("DDB001", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    ("DDB002", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    # acknowledged in CDK's own syntax (Validations.of(scratch).acknowledge(...)): one suppression syntax
    ("DDB002", "ddbguard-legacy", "ddbguard-legacy/Scratch/Resource", "suppressed"),
    ("DDB002", "ddbguard-create-new", "ddbguard-create-new/ProtectionGroupsTable/Resource", "fail"),
    ("DDB002", "ddbguard-parameterised", "ddbguard-parameterised/Sessions/Resource", "fail"),
    ("DDB002", "ddbguard-data/Audit", "ddbguard-data/Audit/AuditLog/Resource", "fail"),
    ("DDB002", "Prod/data/Audit", "Prod/data/Audit/AuditLog/Resource", "fail"),
    ("DDB003", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    ("DDB004", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    ("DDB004", "ddbguard-legacy", "ddbguard-legacy/Scratch/Resource", "suppressed"),
    ("DDB004", "ddbguard-parameterised", "ddbguard-parameterised/Sessions/Resource", "fail"),
    ("DDB004", "ddbguard-data", "ddbguard-data/TargetAccounts/Resource", "fail"),
    ("DDB004", "Prod/data", "Prod/data/TargetAccounts/Resource", "fail"),
    ("DDB005", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    # a * principal open to any account; and one pinned to an organization that no configuration trusts
    ("DDB013", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    ("DDB013", "ddbguard-data", "ddbguard-data/TargetAccounts/Resource", "fail"),
    ("DDB013", "Prod/data", "Prod/data/TargetAccounts/Resource", "fail"),
    # stacks that own tables without termination protection (the guide-following ones have it): the legacy stack
    # would lose RecoveryPlans, the multi-region one its table's legacy replicas (Custom::DynamoDBReplica with
    # DeletionPolicy Delete, though the table is retained); the others' tables are all retained, which is a low
    # note (orphaned, not lost)
    ("DDB007", "ddbguard-create-new", "ddbguard-create-new/ProtectionGroupsTable/Resource", "suppressed"),
    ("DDB007", "ddbguard-multi-region", "ddbguard-multi-region/Sessions/Resource", "fail"),
    ("DDB007", "ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource", "fail"),
    ("DDB007", "ddbguard-parameterised", "ddbguard-parameterised/Sessions/Resource", "suppressed"),
    # a dev stage's function granted a production table (whose indexes it cannot query either)
    ("DDB040", "Dev/compute", "Dev/compute/Reporter/ServiceRole/Resource", "fail"),
    # a retained table encrypted with a key the stack destroys (kms.Key with RemovalPolicy.DESTROY)
    ("DDB008", "ddbguard-legacy", "ddbguard-legacy/Scratch/Resource", "fail"),
    # dynamodb:* on every table: the test tables and the prod ones (no role belongs to two environments)
    ("DDB040", "ddbguard-compute-broken", "ddbguard-compute-broken/MaintenanceHandler/ServiceRole/Resource", "fail"),
    ("DDB010", "Dev/compute", "Dev/compute/Reporter/ServiceRole/DefaultPolicy/Resource", "fail"),
    # a Table with replicationRegions: its replicas are custom resources (DDB006), and CDK's replica provider
    # grants its handlers dynamodb:* and DeleteTable (DDB012)
    ("DDB006", "ddbguard-multi-region", "ddbguard-multi-region/Sessions/Resource", "fail"),
    ("DDB012", "ddbguard-multi-region", "ddbguard-multi-region/Sessions/SourceTableAttachedManagedPolicy-"
     "ddbguardmultiregionawscdkawsdynamodbReplicaProviderOnEventHandlerServiceRoleE8E1F9EA/Resource/Resource", "fail"),
    ("DDB012", "ddbguard-multi-region/@aws-cdk--aws-dynamodb.ReplicaProvider",
     "ddbguard-multi-region/@aws-cdk--aws-dynamodb.ReplicaProvider/OnEventHandler/ServiceRole/DefaultPolicy/Resource",
     "fail"),
    # the guide's Troubleshooting section, in ddbguard-compute-broken
    ("DDB010", "ddbguard-compute-broken", "ddbguard-compute-broken/QueryHandler/ServiceRole/DefaultPolicy/Resource", "fail"),
    ("DDB011", "ddbguard-compute-broken", "ddbguard-compute-broken/QueryHandler/Resource", "fail"),
    ("DDB012", "ddbguard-compute-broken",
     "ddbguard-compute-broken/MaintenanceHandler/ServiceRole/DefaultPolicy/Resource", "fail"),
    ("DDB013", "ddbguard-compute-broken",  # dynamodb:* on Resource "*": every account's tables
     "ddbguard-compute-broken/MaintenanceHandler/ServiceRole/DefaultPolicy/Resource", "fail"),
    ("DDB013", "ddbguard-compute-broken", "ddbguard-compute-broken/QueryHandler/ServiceRole/DefaultPolicy/Resource", "fail"),
    ("DDB014", "ddbguard-compute-broken", "ddbguard-compute-broken/AuditHandler/ServiceRole/DefaultPolicy/Resource", "fail"),
    ("DDB014", "ddbguard-compute-broken", "ddbguard-compute-broken/AuditHandler/Resource", "fail"),
    ("DDB011", "ddbguard-compute-broken", "ddbguard-compute-broken/AuditHandler/Resource", "unknown"),
    ("DDB012", "ddbguard-compute-broken", "ddbguard-compute-broken/AuditHandler/ServiceRole/DefaultPolicy/Resource",
     "unknown"),
    ("DDB015", "ddbguard-compute-broken", "ddbguard-compute-broken/QueryHandler/ServiceRole/Resource", "fail"),
    # the app defines backup plans (the data stacks' select two tables by ARN, the compliant stack's by tag):
    # every other table is in no plan
    *(("DDB022", stack, f"{stack}/{table}/Resource", "fail") for stack, table in (
        ("ddbguard-data", "TargetAccounts"), ("ddbguard-data/Audit", "AuditLog"),
        ("Prod/data", "TargetAccounts"), ("Prod/data/Audit", "AuditLog"),
        ("ddbguard-legacy", "RecoveryPlans"), ("ddbguard-legacy", "Scratch"), ("ddbguard-multi-region", "Sessions"),
        ("ddbguard-parameterised", "Sessions"), ("ddbguard-create-new", "ProtectionGroupsTable"))),
    # CDK's Table is PROVISIONED unless told otherwise: the tables made without billingMode do not scale, and the
    # cache stack's scales its reads only
    *(("DDB023", stack, f"{stack}/{table}/Resource", "fail") for stack, table in (
        ("ddbguard-data/Audit", "AuditLog"), ("Prod/data/Audit", "AuditLog"), ("ddbguard-legacy", "RecoveryPlans"),
        ("ddbguard-legacy", "Scratch"), ("ddbguard-cache", "Prices"))),
    # the cache stack: one mistake each
    ("DDB024", "ddbguard-cache", "ddbguard-cache/Carts/Resource", "fail"),
    ("DDB050", "ddbguard-cache", "ddbguard-cache/CacheNotEncrypted", "fail"),
    ("DDB051", "ddbguard-cache", "ddbguard-cache/CacheWithoutTls", "fail"),
    ("DDB052", "ddbguard-cache", "ddbguard-cache/CacheOneNode", "fail"),
}
PER_TABLE_RULES = set(per_table_rules())
TABLES = {
    ("ddbguard-data", "ddbguard-data/ProtectionGroups/Resource"),
    ("ddbguard-data", "ddbguard-data/Executions/Resource"),
    ("ddbguard-data", "ddbguard-data/TargetAccounts/Resource"),
    ("ddbguard-data/Audit", "ddbguard-data/Audit/AuditLog/Resource"),
    ("Prod/data", "Prod/data/ProtectionGroups/Resource"),
    ("Prod/data", "Prod/data/Executions/Resource"),
    ("Prod/data", "Prod/data/TargetAccounts/Resource"),
    ("Prod/data/Audit", "Prod/data/Audit/AuditLog/Resource"),
    ("ddbguard-legacy", "ddbguard-legacy/RecoveryPlans/Resource"),
    ("ddbguard-legacy", "ddbguard-legacy/Scratch/Resource"),
    ("ddbguard-multi-region", "ddbguard-multi-region/Sessions/Resource"),
    ("ddbguard-parameterised", "ddbguard-parameterised/Sessions/Resource"),
    ("ddbguard-create-new", "ddbguard-create-new/ProtectionGroupsTable/Resource"),
    ("ddbguard-compliant", "ddbguard-compliant/RecoveryPlans/Resource"),
    ("ddbguard-cache", "ddbguard-cache/Carts/Resource"),
    ("ddbguard-cache", "ddbguard-cache/Prices/Resource"),
}


def outcomes(report: dict) -> set:
    return {(f["rule_id"], f["stack"], f["cdk_path"], f["status"]) for f in report["findings"] if f["status"] != "pass"}


@pytest.mark.parametrize("engine", ["guard", "checkov", "both"])
def test_exact_findings_for_the_cdk_app(cdk_assembly, engine):
    result = run_ddbguard("check", str(cdk_assembly), "--format", "json", "--engine", engine)
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    assert outcomes(report) == NOT_PASSING
    # every table of every stack, stage and nested stack is checked by every per-table rule
    per_table = [f for f in report["findings"] if f["rule_id"] in PER_TABLE_RULES]
    assert {(f["stack"], f["cdk_path"]) for f in per_table} == TABLES
    assert len(per_table) == len(TABLES) * len(PER_TABLE_RULES)
    assert all(f["line"] > 1 and f["file"].startswith(str(cdk_assembly)) for f in report["findings"])
    # the fully compliant stack and the guide-following compute stack: judged, and nothing fails
    for stack in ("ddbguard-compliant", "ddbguard-compute"):
        assert {f["status"] for f in report["findings"] if f["stack"] == stack} == {"pass"}
    assert {(f["rule_id"], f["cdk_path"]) for f in report["findings"] if f["stack"] == "ddbguard-compliant"
            and f["rule_id"] not in PER_TABLE_RULES} == {
        ("DDB007", "ddbguard-compliant/RecoveryPlans/Resource"),
        ("DDB010", "ddbguard-compliant/QueryHandler/ServiceRole/DefaultPolicy/Resource"),
        ("DDB011", "ddbguard-compliant/QueryHandler/Resource"),
        ("DDB012", "ddbguard-compliant/QueryHandler/ServiceRole/DefaultPolicy/Resource"),
        ("DDB013", "ddbguard-compliant/QueryHandler/ServiceRole/DefaultPolicy/Resource"),
        ("DDB015", "ddbguard-compliant/QueryHandler/ServiceRole/Resource"),
        ("DDB022", "ddbguard-compliant/RecoveryPlans/Resource"),
        ("DDB023", "ddbguard-compliant/RecoveryPlans/Resource"),
    }


def test_deleting_the_multi_region_stack_deletes_the_legacy_replicas(cdk_assembly):
    """CDK synthesizes a Table's replicationRegions as Custom::DynamoDBReplica resources with DeletionPolicy Delete:
    the retained table would be orphaned, but its replicas and their data deleted."""
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json").json()
    [finding] = [f for f in report["findings"] if f["rule_id"] == "DDB007" and f["stack"] == "ddbguard-multi-region"]
    assert (finding["status"], finding["message"]) == ("fail", (
        "termination protection is off for stack ddbguard-multi-region, and one `delete-stack` deletes its table "
        "drs-sessions-global's replica in ap-south-1, its table drs-sessions-global's replica in eu-west-1 "
        "(DeletionPolicy not Retain or RetainExceptOnCreate)"))


def test_locations_point_into_the_synthesized_templates(cdk_assembly):
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json").json()
    finding = next(f for f in report["findings"] if f["rule_id"] == "DDB001" and f["status"] == "fail")
    lines = open(finding["file"]).read().splitlines()
    assert lines[finding["line"] - 1].strip() == '"DeletionPolicy": "Delete",'
    nested = next(f for f in report["findings"] if f["stack"] == "Prod/data/Audit")
    assert nested["file"].endswith(".nested.template.json") and "/assembly-Prod/" in nested["file"]
    unresolved = next(f for f in report["findings"] if f["rule_id"] == "DDB004" and f["stack"] == "ddbguard-parameterised")
    assert unresolved["message"].startswith("cannot be verified statically: Properties.DeletionProtectionEnabled is "
                                            '{"Ref":"ProtectTables"}')


def test_parameters_resolve_the_conditional_stack(cdk_assembly, tmp_path):
    params = tmp_path / "prod.json"
    params.write_text(json.dumps({"Environment": "prod", "ProtectTables": "true"}))
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json", "--parameters", str(params)).json()
    assert outcomes(report) == NOT_PASSING - {
        ("DDB002", "ddbguard-parameterised", "ddbguard-parameterised/Sessions/Resource", "fail"),
        ("DDB004", "ddbguard-parameterised", "ddbguard-parameterised/Sessions/Resource", "fail"),
    }


def test_guide_troubleshooting_messages(cdk_assembly):
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json").json()
    messages = {f["rule_id"]: f["message"] for f in report["findings"] if f["stack"] == "ddbguard-compute-broken"
                and f["status"] == "fail" and "/MaintenanceHandler/" not in f["cdk_path"]}
    assert messages["DDB010"].startswith(
        "role QueryHandlerServiceRole1E45AE91 may Query/Scan table drs-executions-shared but not its indexes "
        "PlanIndex, StatusIndex")
    # the partner table's name alone is a table of the function's own account: cross-account access needs the ARN
    assert messages["DDB011"] == (
        "EXECUTIONS_TABLE names table drs-executions-test, but role QueryHandlerServiceRole1E45AE91 may use only: "
        "drs-executions-shared, partner-orders; PARTNER_TABLE names table partner-orders "
        "(in account 111111111111), but role QueryHandlerServiceRole1E45AE91 may use only: drs-executions-shared, "
        "partner-orders (in account 999999999999)")
    assert messages["DDB013"] == ("grants on table partner-orders in account 999999999999, which is not in "
                                  "trusted_accounts")
    assert messages["DDB014"].startswith("imports 'ddbguard-data-AuditTableName', which no stack in the input exports")


def test_text_report_shows_stack_construct_path_and_fix(cdk_assembly):
    result = run_ddbguard("check", str(cdk_assembly))
    assert result.code == 1
    assert "    SUPPRESSED ddbguard-legacy/ScratchF72D2ED6  [ddbguard-legacy/Scratch/Resource]\n" in result.stdout
    assert "      suppressed: scratch data, recreated nightly\n" in result.stdout
    assert ("    fix: Pass `removalPolicy: RemovalPolicy.RETAIN` to the Table/TableV2 (or call "
            "`table.applyRemovalPolicy(RemovalPolicy.RETAIN)`).") in result.stdout


def test_backup_plans_of_the_app(cdk_assembly):
    """The data stacks' daily plan (35 days) selects two tables by ARN, the compliant stack's plan its table by
    tag, the cache stack's plan both its tables by ARN; every other table is in no plan."""
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json").json()
    verdicts = {(f["cdk_path"], f["status"]) for f in report["findings"] if f["rule_id"] == "DDB022"}
    selected = {f"{stack}/{table}/Resource" for stack in ("ddbguard-data", "Prod/data")
                for table in ("ProtectionGroups", "Executions")} | {"ddbguard-compliant/RecoveryPlans/Resource",
                                                                    "ddbguard-cache/Carts/Resource",
                                                                    "ddbguard-cache/Prices/Resource"}
    assert verdicts == {(path, "pass" if path in selected else "fail") for _, path in TABLES}
    messages = {f["cdk_path"]: f["message"] for f in report["findings"] if f["rule_id"] == "DDB022"}
    assert messages["ddbguard-legacy/Scratch/Resource"] == (
        "no backup plan of the input selects table ScratchF72D2ED6 (its name is generated by CloudFormation)")
