"""`ddbguard diff`: deletions and replacements of tables between two templates or assemblies."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import FIXTURES, SARIF_SCHEMA, expectations, run_ddbguard
from ddbguard.report.json_report import finding_checker, report_schema


OLD, NEW = FIXTURES / "diff" / "old.yaml", FIXTURES / "diff" / "new.yaml"


def test_every_case_of_the_fixture_pair():
    result = run_ddbguard("diff", str(OLD), str(NEW), "--format", "json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    _, expected = expectations(NEW)
    for rule_id, sets in expected.items():
        for status in ("pass", "fail", "unknown"):
            assert {f["logical_id"] for f in report["findings"] if f["rule_id"] == rule_id
                    and f["status"] == status} == sets.get(status, set()), (rule_id, status)
    by_id = {(f["rule_id"], f["logical_id"]): f for f in report["findings"]}
    # what changed, with old and new values, and where
    assert by_id[("DDB031", "KeyTypeChange")]["message"].startswith("type of key attribute id: S -> N forces replacement")
    assert by_id[("DDB031", "RenamedTable")]["message"].startswith('TableName: "sessions-v1" -> "sessions-v2"')
    assert by_id[("DDB030", "Orders")]["message"] == (
        "its logical id changes to OrdersTable: CloudFormation creates that table (which fails while the name orders "
        "exists) and removes this one; DeletionPolicy Delete deletes the table and its data")
    assert by_id[("DDB034", "OrdersTable")]["message"] == (
        "NEW creates table orders as new/OrdersTable, but OLD's old/Orders has that name: the table exists, so the "
        "create fails (CloudFormation creates it before it removes the old resource); import it instead (cdk import / "
        "IMPORT change set): retain it in OLD's resource, deploy its removal, then import it as the new resource")
    assert by_id[("DDB034", "NameFromParameter")]["message"] == (
        'TableName is {"Fn::Sub":"${AppName}-v2"}, which cannot be resolved statically, so whether it is the name of '
        "a table OLD defines elsewhere (old/Orders), which exists, is unknown (give its parameters with --parameters)")
    assert (by_id[("DDB030", "RemovedDeleted")]["file"], by_id[("DDB030", "RemovedDeleted")]["line"]) == (str(OLD), 3)
    # a Retain -> Delete flip is high; replacements and deletions are critical
    assert by_id[("DDB031", "RetainFlip")]["severity"] == "high"
    assert by_id[("DDB031", "RetainFlip")]["message"] == "DeletionPolicy changes from Retain to Delete"
    assert by_id[("DDB031", "ReplacedAndFlipped")]["severity"] == "critical"
    assert "(UpdateReplacePolicy is Retain, and becomes Delete)" in by_id[("DDB031", "ReplacedAndFlipped")]["message"]
    assert by_id[("DDB031", "ImportAdded")]["message"].startswith(
        'ImportSourceSpecification: (none) -> {"InputFormat":"DYNAMODB_JSON","S3BucketSource":{"S3Bucket":'
        '"exports-bucket"}} forces replacement')
    assert by_id[("DDB031", "NameFromParameter")]["message"].startswith(
        'TableName: {"Ref":"AppName"} -> {"Fn::Sub":"${AppName}-v2"}: whether this forces replacement depends on a '
        "value that cannot be resolved statically")
    assert by_id[("DDB030", "MaybeKept")]["message"] == (
        "it stays in the stack only if its Condition KeepTables holds, which cannot be decided statically (give its "
        "parameters with --parameters); if it does not; DeletionPolicy Delete deletes the table and its data")
    assert {by_id[k]["severity"] for k in by_id if by_id[k]["status"] == "fail" and k[1] != "RetainFlip"} == {"critical"}


def test_no_change_is_no_failure_and_fail_on_applies():
    same = run_ddbguard("diff", str(OLD), str(OLD), "--format", "json")
    assert same.code == 0 and same.json()["errors"] == []
    assert {f["message"] for f in same.json()["findings"]} == {"no replacement"}  # every table compared, none changed
    gated = run_ddbguard("diff", str(OLD), str(NEW), "--fail-on", "critical", "--format", "json")
    assert gated.code == 1 and any(f["severity"] == "critical" and f["status"] == "fail"
                                   for f in gated.json()["findings"])


def test_diff_of_two_cloud_assemblies(cdk_assembly, tmp_path):
    import shutil

    changed = tmp_path / "cdk.out"
    shutil.copytree(cdk_assembly, changed)
    template = changed / "ddbguard-legacy.template.json"
    template.write_text(template.read_text().replace('"RecoveryPlans62927E19"', '"RecoveryPlansV2"'))
    report = run_ddbguard("diff", str(cdk_assembly), str(changed), "--format", "json").json()
    failures = {(f["rule_id"], f["stack"], f["logical_id"]) for f in report["findings"] if f["status"] == "fail"}
    # a new logical id for the same explicit name: CloudFormation creates it before it removes the old one
    assert failures == {("DDB030", "ddbguard-legacy", "RecoveryPlans62927E19"),
                        ("DDB034", "ddbguard-legacy", "RecoveryPlansV2")}
    assert {f["stack"] for f in report["findings"]} >= {"ddbguard-data", "Prod/data", "ddbguard-data/Audit"}


@pytest.mark.parametrize("args, message", [
    (["missing.yaml", str(NEW)], "missing.yaml: no such file or directory"),
])
def test_bad_input_is_exit_2(args, message):
    result = run_ddbguard("diff", *args)
    assert result.code == 2
    assert f"  {message}" in result.stdout


LAYOUT = FIXTURES / "diff" / "layout"


def test_directories_pair_stacks_by_relative_path_and_follow_removed_nested_stacks():
    result = run_ddbguard("diff", str(LAYOUT / "old"), str(LAYOUT / "new"), "--format", "json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert report["errors"] == []
    got = {(f["rule_id"], f["stack"], f["logical_id"], f["status"]) for f in report["findings"]}
    # Both stacks are template.yaml: each is compared with its own counterpart, not with the other one.
    assert got == {
        ("DDB031", "template (" + str(LAYOUT / "new" / "orders" / "template.yaml") + ")", "Orders", "pass"),
        ("DDB031", "template (" + str(LAYOUT / "new" / "billing" / "template.yaml") + ")", "Invoices", "fail"),
        ("DDB030", "template/Archive", "ArchivedInvoices", "fail"),
        ("DDB030", "template/Archive", "ArchiveIndex", "pass"),
    }
    by_id = {f["logical_id"]: f for f in report["findings"]}
    assert by_id["Invoices"]["message"].startswith(
        "Type changes from AWS::DynamoDB::Table to AWS::DynamoDB::GlobalTable: CloudFormation cannot update")
    assert "retain" in by_id["Invoices"]["message"].lower() and "import" in by_id["Invoices"]["message"]
    assert by_id["ArchivedInvoices"]["message"] == (
        "its nested stack Archive is removed from template (" + str(LAYOUT / "old" / "billing" / "template.yaml")
        + "); DeletionPolicy Delete deletes the table and its data")


def test_inputs_that_share_no_stack_are_an_input_error(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "unrelated.yaml").write_text((LAYOUT / "old" / "orders" / "template.yaml").read_text())
    result = run_ddbguard("diff", str(LAYOUT / "old"), str(tmp_path), "--format", "json")
    assert result.code == 2
    assert [e["message"] for e in result.json()["errors"]] == [
        "OLD and NEW share no stack (stacks are paired by stack name in a cloud assembly and by path relative to "
        "the directory given)"]


def test_removing_a_cdk_nested_stack_deletes_its_tables(cdk_assembly, tmp_path):
    import json
    import shutil

    changed = tmp_path / "cdk.out"
    shutil.copytree(cdk_assembly, changed)
    parent = changed / "ddbguard-data.template.json"
    template = json.loads(parent.read_text())
    nested = [lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert len(nested) == 1
    del template["Resources"][nested[0]]
    parent.write_text(json.dumps(template))
    report = run_ddbguard("diff", str(cdk_assembly), str(changed), "--format", "json").json()
    removed = {(f["stack"], f["logical_id"], f["status"]) for f in report["findings"] if f["rule_id"] == "DDB030"}
    nested_template = json.loads((cdk_assembly / "ddbguarddataAuditA3370C02.nested.template.json").read_text())
    tables = {lid: r for lid, r in nested_template["Resources"].items() if r["Type"].startswith("AWS::DynamoDB::")}
    assert tables
    assert removed == {("ddbguard-data/Audit", lid, "pass" if r.get("DeletionPolicy") == "Retain" else "fail")
                       for lid, r in tables.items()}
    assert all(f["message"].startswith(f"its nested stack {nested[0]} is removed from ddbguard-data")
               for f in report["findings"] if f["rule_id"] == "DDB030")


# -- refactors: tables moving between stacks, exports still imported, RetainExceptOnCreate ---------------
def _table(name: str, policy: str = "Retain") -> dict:
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": policy, "UpdateReplacePolicy": "Retain",
            "Properties": {"TableName": name, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                           "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}


def _write(root, templates: dict) -> None:
    import json

    root.mkdir()
    for name, resources in templates.items():
        (root / f"{name}.json").write_text(json.dumps(resources))


def _diff(tmp_path, old: dict, new: dict) -> dict:
    _write(tmp_path / "old", old)
    _write(tmp_path / "new", new)
    return run_ddbguard("diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json").json()


def _verdicts(report: dict, rule: str) -> set:
    return {(f["stack"], f["logical_id"], f["status"], f["message"]) for f in report["findings"] if f["rule_id"] == rule}


ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, "Policies": [{
    "PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                                                         "Resource": "arn:aws:dynamodb:us-east-1:1:table/orders"}]}}]}}


IMPORT_ORDERS = (
    "; it leaves the stack retained, managed by no stack: to bring it back, import it (`cdk import`, or `aws "
    "cloudformation create-change-set --change-set-type IMPORT --resources-to-import` with ResourceType "
    "AWS::DynamoDB::Table and TableName orders as its identifier; guide: Use Cases > 3. Stack Recreation)")


MOVED_ORDERS = (
    "NEW creates table orders as shared/Orders, but OLD's data/Orders has that name: the table exists, so the create "
    "fails (the deployed stack still holds it, or retains it when it leaves); import it instead (cdk import / IMPORT "
    "change set): retain it in OLD's resource, deploy its removal, then import it as the new resource")


@pytest.mark.parametrize("policy, status, tail", [
    ("Retain", "pass", "DeletionPolicy Retain keeps the table and its data" + IMPORT_ORDERS),
    ("RetainExceptOnCreate", "pass", "DeletionPolicy RetainExceptOnCreate keeps the table and its data" + IMPORT_ORDERS),
    ("Delete", "fail", "DeletionPolicy Delete deletes the table and its data")])
def test_a_table_that_moves_to_another_stack_is_a_move_with_its_safe_path(tmp_path, policy, status, tail):
    report = _diff(tmp_path, {"data": {"Resources": {"Orders": _table("orders", policy)}},
                              "shared": {"Resources": {"Other": _table("other")}}},
                   {"data": {"Resources": {}},
                    "shared": {"Resources": {"Other": _table("other"), "Orders": _table("orders")}}})
    assert _verdicts(report, "DDB030") == {("data", "Orders", status, (
        "table orders moves to stack shared: retain it here and deploy, then bring it into shared with `cdk import` "
        "(or a resource import change set); a plain deploy of the new stack fails while the table exists; " + tail))}
    # whatever OLD's DeletionPolicy, the plain deploy that creates it in shared fails: the table exists
    assert _verdicts(report, "DDB034") == {("shared", "Orders", "fail", MOVED_ORDERS)}


def test_a_retained_table_renamed_to_a_new_logical_id_fails_the_create(tmp_path):
    """The user's case: Retain on OLD does not help, CloudFormation creates OrdersRenamed while orders exists."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"Resources": {"Orders": _table("orders")}}))
    new.write_text(json.dumps({"Resources": {"OrdersRenamed": _table("orders")}}))
    result = run_ddbguard("diff", str(old), str(new), "--format", "json")
    assert result.code == 1, result.stderr
    report = result.json()
    assert _verdicts(report, "DDB034") == {("new", "OrdersRenamed", "fail", (
        "NEW creates table orders as new/OrdersRenamed, but OLD's old/Orders has that name: the table exists, so the "
        "create fails (CloudFormation creates it before it removes the old resource); import it instead (cdk import / "
        "IMPORT change set): retain it in OLD's resource, deploy its removal, then import it as the new resource"))}
    assert {(f["logical_id"], f["status"], f.get("notice")) for f in report["findings"] if f["rule_id"] == "DDB030"} \
        == {("Orders", "pass", True)}  # the retained removal's notice stays
    # the same logical id is an in-place update, not a create
    assert _verdicts(run_ddbguard("diff", str(old), str(old), "--format", "json").json(), "DDB034") == set()


def test_a_new_table_where_a_table_of_unresolved_name_leaves_is_unknown(tmp_path):
    unresolved = _table("orders")
    unresolved["Properties"]["TableName"] = {"Fn::Sub": "${Env}-orders"}
    parameters = {"Env": {"Type": "String"}}
    report = _diff(tmp_path, {"data": {"Parameters": parameters, "Resources": {"Orders": unresolved}}},
                   {"data": {"Parameters": parameters, "Resources": {"OrdersV2": _table("prod-orders")}}})
    assert _verdicts(report, "DDB034") == {("data", "OrdersV2", "unknown", (
        "OLD's data/Orders leaves its place with a TableName that cannot be resolved statically, which may be "
        "prod-orders: if it is, the table exists and the create fails"))}


def test_a_retained_table_that_another_stack_now_uses_by_name_passes(tmp_path):
    report = _diff(tmp_path, {"data": {"Resources": {"Orders": _table("orders")}},
                              "compute": {"Resources": {"Role": ROLE}}},
                   {"data": {"Resources": {}}, "compute": {"Resources": {"Role": ROLE}}})
    assert _verdicts(report, "DDB030") == {("data", "Orders", "pass", (
        "table orders leaves the stack and stack compute uses it by name (an import); DeletionPolicy Retain keeps "
        "the table and its data" + IMPORT_ORDERS))}


def test_removing_an_export_that_another_stack_imports_fails(tmp_path):
    exporting = {"Resources": {"Orders": _table("orders")},
                 "Outputs": {"OrdersName": {"Value": "orders", "Export": {"Name": "data-OrdersName"}}}}
    importing = {"Resources": {"Handler": {"Type": "AWS::Lambda::Function", "Properties": {
        "Role": "arn:aws:iam::1:role/r", "Environment": {"Variables": {
            "ORDERS_TABLE": {"Fn::ImportValue": "data-OrdersName"}}}}}}}
    report = _diff(tmp_path, {"data": exporting, "compute": importing},
                   {"data": {"Resources": {"Orders": _table("orders")}}, "compute": importing})
    assert _verdicts(report, "DDB035") == {("compute", "Handler", "fail", (
        "imports data-OrdersName, which stack data no longer exports: CloudFormation refuses to remove an export in "
        "use (the exporting stack's deploy fails), or this stack loses its table when deployed first"))}
    kept = _diff(tmp_path / "kept", {"data": exporting, "compute": importing}, {"data": exporting, "compute": importing}) \
        if (tmp_path / "kept").mkdir() is None else None
    assert _verdicts(kept, "DDB035") == set()


def test_a_macro_in_new_makes_what_it_may_change_unknown(tmp_path):
    table = ("  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties: {TableName: orders, KeySchema: [{AttributeName: "
             "id, KeyType: HASH}], AttributeDefinitions: [{AttributeName: id, AttributeType: S}]}\n")
    (tmp_path / "old.yaml").write_text("Resources:\n" + table)
    (tmp_path / "new.yaml").write_text("Transform: AcmeMacro\nResources:\n" + table)
    report = run_ddbguard("diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--format", "json").json()
    assert {(f["rule_id"], f["logical_id"], f["status"]) for f in report["findings"]} == {
        ("DDB031", "Orders", "unknown"), ("DDB009", "Transform", "unknown")}
    assert [entry["construct"] for entry in report["not_modelled"]] == ["Transform AcmeMacro"]



# -- a retained removal is said (an info notice), never a failure --------------------------------------------
def test_a_retained_removal_is_an_info_notice_with_the_import_path(tmp_path):
    (tmp_path / "old").mkdir(), (tmp_path / "new").mkdir()
    (tmp_path / "old" / "data.json").write_text(json.dumps({"Resources": {"Orders": _table("orders")}}))
    (tmp_path / "new" / "data.json").write_text(json.dumps({"Resources": {}}))
    old, new = str(tmp_path / "old" / "data.json"), str(tmp_path / "new" / "data.json")
    message = "it is no longer in the template; DeletionPolicy Retain keeps the table and its data" + IMPORT_ORDERS
    text = run_ddbguard("diff", old, new)
    assert text.code == 0, text.stderr
    assert text.stdout.splitlines()[1:] == [
        "", "INFO (1)", "  DDB030 Tables removed from a template are retained, not deleted", "    NOTE data/Orders",
        f"      at {old}:1", f"      {message}", "No failures."]
    report = run_ddbguard("diff", old, new, "--format", "json")
    assert report.code == 0
    assert [(f["rule_id"], f["logical_id"], f["status"], f["severity"], f.get("notice"), f["message"])
            for f in report.json()["findings"]] == [("DDB030", "Orders", "pass", "info", True, message)]
    assert report.json()["summary"]["fail"] == 0
    jsonschema.validate(report.json(), report_schema())
    assert finding_checker(report_schema()["$defs"]["finding"])(report.json()["findings"][0]) is None
    sarif = run_ddbguard("diff", old, new, "--format", "sarif")
    assert sarif.code == 0
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(json.loads(sarif.stdout))
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert [(r["ruleId"], r["kind"], r["level"], r["properties"]["status"]) for r in results] == [
        ("DDB030", "informational", "note", "pass")]
    markdown = run_ddbguard("diff", old, new, "--format", "markdown")
    assert markdown.code == 0
    notices = markdown.stdout.split("### Notices: info (1)\n")[1].splitlines()
    assert notices == ["", "| Rule | Resource | Location | Message |", "|---|---|---|---|",
                       f"| DDB030 Tables removed from a template are retained, not deleted | `data/Orders` | `{old}:1` | "
                       f"``{message}`` |"]


# -- DDB034 offline: NEW creates by name a table OLD imports -------------------------------------------------
def _function(variables: dict) -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Role": "arn:aws:iam::111111111111:role/r",
                                                            "Environment": {"Variables": variables}}}


def _policy(resource) -> dict:
    return {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Roles": ["r"], "PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": resource}]}}}


def test_a_table_created_by_the_name_of_a_table_old_imports_fails_offline(tmp_path):
    # by name in a variable, by ARN in a Resource (as CDK's Table.fromTableName writes it), through an export
    old = {"data": {"Resources": {}},
           "shared": {"Resources": {}, "Outputs": {"AuditName": {"Value": "audit", "Export": {"Name": "shared-Audit"}}}},
           "compute": {"Resources": {"Handler": _function({"ORDERS_TABLE": "orders"}),
                                     "Auditor": _function({"AUDIT_TABLE": {"Fn::ImportValue": "shared-Audit"}}),
                                     "Read": _policy({"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:"
                                                                 "${AWS::AccountId}:table/invoices"})}}}
    new = {"data": {"Resources": {"Orders": _table("orders"), "Invoices": _table("invoices"), "Audit": _table("audit"),
                                  "Fresh": _table("fresh")}},
           "shared": old["shared"], "compute": old["compute"]}
    report = _diff(tmp_path, old, new)
    taken = ("and no stack of OLD defines it; creating it by name fails the deploy (the name is taken): import it "
             "into the stack instead (`cdk import`, or a resource import change set)")
    assert _verdicts(report, "DDB034") == {
        ("data", "Orders", "fail", f"table orders exists: OLD (what is deployed) uses it as an imported table "
                                   f"(compute/Handler) {taken}"),
        ("data", "Invoices", "fail", f"table invoices exists: OLD (what is deployed) uses it as an imported table "
                                     f"(compute/Read) {taken}"),
        ("data", "Audit", "fail", f"table audit exists: OLD (what is deployed) uses it as an imported table "
                                  f"(compute/Auditor) {taken}")}
    assert next(f for f in report["findings"] if f["logical_id"] == "Orders")["severity"] == "critical"


def test_offline_ddb034_judges_only_what_the_inputs_show(tmp_path):
    for case in "abcd":
        (tmp_path / case).mkdir()
    defined = {"data": {"Resources": {"Orders": _table("orders")}},
               "compute": {"Resources": {"Handler": _function({"ORDERS_TABLE": "orders"})}}}
    # OLD defines the table (it is not imported): no DDB034 verdict; OLD imports nothing: none either
    assert _verdicts(_diff(tmp_path / "a", defined, defined), "DDB034") == set()
    plain = {"data": {"Resources": {}}}
    assert _verdicts(_diff(tmp_path / "b", plain, {"data": {"Resources": {"Orders": _table("orders")}}}),
                     "DDB034") == set()
    # an ARN of another account: whether the template file's stack deploys there is unknown
    elsewhere = {"data": {"Resources": {}}, "compute": {"Resources": {
        "Read": _policy("arn:aws:dynamodb:us-east-1:222222222222:table/orders")}}}
    report = _diff(tmp_path / "c", elsewhere, {"data": {"Resources": {"Orders": _table("orders")}},
                                               "compute": elsewhere["compute"]})
    assert _verdicts(report, "DDB034") == {("data", "Orders", "unknown", (
        "OLD imports a table of that name (arn:aws:dynamodb:us-east-1:222222222222:table/orders at compute/Read) at "
        "an account or region that may be this stack's"))}
    # a name NEW leaves unresolved may be the imported one
    unresolved = _table("orders")
    unresolved["Properties"]["TableName"] = {"Fn::Sub": "${Env}-orders"}
    importing = {"data": {"Parameters": {"Env": {"Type": "String"}}, "Resources": {}},
                 "compute": {"Resources": {"Handler": _function({"ORDERS_TABLE": "prod-orders"})}}}
    report = _diff(tmp_path / "d", importing, {"data": {"Parameters": {"Env": {"Type": "String"}},
                                                        "Resources": {"Orders": unresolved}},
                                               "compute": importing["compute"]})
    assert _verdicts(report, "DDB034") == {("data", "Orders", "unknown", (
        'TableName is {"Fn::Sub":"${Env}-orders"}, which cannot be resolved statically, so whether it is one of the '
        "tables OLD imports (prod-orders) is unknown (give its parameters with --parameters)"))}
