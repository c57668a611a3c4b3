"""Inputs read as CloudFormation reads them, and every input that cannot be checked is an input error.

Each test names the file and the problem it expects, and checks that the rest of the run is still
reported: an input error is exit 2, never a traceback, never a clean pass.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from conftest import COMPLIANT, FIXTURES, good_table_verdicts, run_ddbguard
from ddbguard.templates.decode import DecodeError, decode_text, line_of

TABLE = """\
  {name}:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: {policy}
    UpdateReplacePolicy: {policy}
    Properties:
      PointInTimeRecoverySpecification: {{PointInTimeRecoveryEnabled: true}}
      SSESpecification: {{SSEEnabled: true}}
      DeletionProtectionEnabled: true
"""


def check(*paths, args=()) -> tuple[int, dict, str]:
    result = run_ddbguard("check", *map(str, paths), "--format", "json", *args)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result.code, result.json(), result.stderr


def verdicts(report: dict, rule: str | None = None) -> set[tuple[str, str, str]]:
    return {(f["rule_id"], f["logical_id"], f["status"]) for f in report["findings"] if rule in (None, f["rule_id"])}


def errors(report: dict) -> set[tuple[str, str]]:
    return {(e["file"], e["message"]) for e in report["errors"]}


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(COMPLIANT)
    return path


# -- reading YAML and JSON -------------------------------------------------------------------------
def test_unquoted_dates_are_text():
    template = decode_text("AWSTemplateFormatVersion: 2010-09-09\nVersion: 2012-10-17\nAt: 2026-01-01 10:00:00\n")
    assert template == {"AWSTemplateFormatVersion": "2010-09-09", "Version": "2012-10-17",
                        "At": "2026-01-01 10:00:00"}


def test_a_date_in_one_file_does_not_abort_the_run(tmp_path, good):
    dated = tmp_path / "dated.yaml"
    dated.write_text("AWSTemplateFormatVersion: 2010-09-09\nResources:\n" + TABLE.format(name="T", policy="Delete"))
    code, report, _ = check(dated, good)
    assert code == 1 and report["errors"] == []
    assert ("DDB001", "T", "fail") in verdicts(report) and ("DDB001", "Table", "pass") in verdicts(report)


@pytest.mark.parametrize("flag, expected", [('"true"', "pass"), ('"false"', "fail"), ("'True'", "fail")])
def test_equals_compares_booleans_as_cloudformation_does(tmp_path, flag, expected):
    # CloudFormation compares the text of both sides: true and "true" are equal, "True" is not "true".
    path = tmp_path / "flag.yaml"
    path.write_text(f"""\
Transform: AWS::LanguageExtensions
Parameters:
  Flag: {{Type: String, Default: {flag}}}
  Copies: {{Type: Number, Default: 3}}
Conditions:
  Keep: !And [!Equals [!Ref Flag, true], !Equals [!Ref Copies, "3"]]
Resources:
""" + TABLE.format(name="T", policy="!If [Keep, Retain, Delete]"))
    _, report, _ = check(path)
    assert verdicts(report, "DDB001") == {("DDB001", "T", expected)}


def test_alias_bomb_is_an_input_error_at_once(tmp_path, good):
    levels = ["a: &a [x,x,x,x,x,x,x,x,x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\nResources: {}\n")
    assert len(bomb.read_text()) < 400
    started = time.monotonic()
    code, report, _ = check(bomb, good)
    assert time.monotonic() - started < 5  # the CLI's start-up included; the decode itself takes milliseconds
    assert code == 2
    assert errors(report) == {(str(bomb), "line 1: YAML aliases and anchors (&name, *name) are not supported by "
                                          "CloudFormation")}
    assert ("DDB001", "Table", "pass") in verdicts(report)


@pytest.mark.parametrize("key, read", [("On", "boolean true"), ("yes", "boolean true"), ("Off", "boolean false"),
                                       ("~", "null")])
@pytest.mark.parametrize("command", [("check", "--format", "json"), ("check", "--format", "sarif"),
                                     ("check", "--format", "junit"), ("check", "--format", "markdown"),
                                     ("inventory", "--format", "csv"), ("diff",)])
def test_a_yaml_1_1_boolean_or_null_key_is_an_input_error_naming_it(tmp_path, good, key, read, command):
    path = tmp_path / "keys.yaml"
    path.write_text(f"Resources:\n  {key}:\n    Type: AWS::SNS::Topic\n")
    paths = [str(good), str(path)] if command[0] != "diff" else [str(path), str(path)]
    result = run_ddbguard(command[0], *paths, *command[1:])
    assert result.code == 2 and "Traceback" not in result.stderr and "internal error" not in result.stderr
    expected = (f"{path}: line 2: the key '{key}' is the YAML 1.1 {read}, not a name (CloudFormation reads YAML "
                f"1.1); quote it: '{key}'")
    assert expected in result.stderr + result.stdout


def test_a_number_as_a_key_is_its_text():
    template = decode_text("Mappings:\n  Copies:\n    1: {Keep: Retain}\n    0x10: {Keep: Delete}\nResources: {}\n")
    assert template["Mappings"]["Copies"] == {"1": {"Keep": "Retain"}, "0x10": {"Keep": "Delete"}}


def test_the_rules_sections_short_forms_are_read(tmp_path, good):
    # as in cfn-lint's own good templates: Rules assertions in short form
    path = tmp_path / "rules.yaml"
    path.write_text("""\
Parameters:
  Env: {Type: String, Default: prod}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>", Default: ""}
Rules:
  ProdOnly:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[prod, staging], !Ref Env]
      - Assert: !EachMemberEquals [!ValueOfAll ["AWS::EC2::Subnet::Id", VpcId], vpc-1]
      - Assert: !EachMemberIn [!ValueOf [Subnets, VpcId], !RefAll "AWS::EC2::VPC::Id"]
Resources:
""" + TABLE.format(name="T", policy="Retain"))
    code, report, _ = check(path)
    assert report["errors"] == []
    assert verdicts(report, "DDB001") == {("DDB001", "T", "pass")}


def test_merge_keys_say_they_are_not_supported():
    with pytest.raises(DecodeError, match=r"^line 4: YAML merge keys \(<<\) are not supported by CloudFormation$"):
        decode_text("Resources:\n  A:\n    Type: X\n    <<: {Properties: {}}\n")


def test_json_is_decoded_with_a_line_for_every_key():
    text = json.dumps({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "SSESpecification": {"SSEEnabled": False}}}}}, indent="\t")  # tabs: valid JSON, invalid YAML
    template = decode_text(text)
    assert line_of(template, ("Resources", "T", "Properties", "SSESpecification", "SSEEnabled")) == 7
    assert line_of(template, ("Resources", "T", "Type")) == 4
    with pytest.raises(DecodeError, match="^line 1: duplicate key 'a'$"):
        decode_text('{"a": 1, "a": 2}')


def test_json_findings_are_located_on_their_lines(tmp_path):
    path = tmp_path / "synth.template.json"
    path.write_text(json.dumps({"Resources": {"T": {
        "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
        "Properties": {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                       "SSESpecification": {"SSEEnabled": True}, "DeletionProtectionEnabled": False,
                       "BillingMode": "PAY_PER_REQUEST"}}}}, indent=1))
    _, report, _ = check(path)
    failed = [f for f in report["findings"] if f["status"] == "fail"]
    assert [(f["rule_id"], f["line"]) for f in failed] == [("DDB004", 14)]


def test_deep_nesting_is_an_input_error(tmp_path, good):
    deep = tmp_path / "deep.json"
    deep.write_text('{"Resources": {"T": {"Type": "X", "Properties": ' + '{"a": ' * 150 + "1" + "}" * 150 + "}}}")
    code, report, _ = check(deep, good)
    assert code == 2
    assert errors(report) == {(str(deep), "line 1: nested more than 100 levels deep")}
    assert ("DDB001", "Table", "pass") in verdicts(report)


@pytest.mark.parametrize("body, problem", [
    ("Resources:\n  T: null\n", "Resources.T: a resource must be a mapping, not null"),
    ("Resources:\n  T: [1]\n", "Resources.T: a resource must be a mapping, not a list"),
    ("Resources:\n  T: {Type: AWS::DynamoDB::Table, Properties: text}\n",
     "Resources.T.Properties: must be a mapping, not text"),
    ("Conditions: [a]\nResources:\n  T: {Type: AWS::SQS::Queue}\n", "Conditions: must be a mapping, not a list"),
    ("Resources:\n  F: {Type: AWS::Lambda::Function, Properties: {Environment: {Variables: [A, B]}}}\n",
     "Resources.F.Properties.Environment.Variables: must be a mapping, not a list"),
    ("Resources:\n  P: {Type: AWS::IAM::Policy, Properties: {PolicyDocument: '{\"Statement\": []}'}}\n",
     "Resources.P.Properties.PolicyDocument: must be a mapping, not text"),
    ("Resources:\n  T: {Type: AWS::DynamoDB::GlobalTable, Properties: {Replicas: [us-east-1]}}\n",
     "Resources.T.Properties.Replicas.0: must be a mapping, not text"),
    ("Conditions:\n  C: !Equals [a, a]\nResources:\n  T:\n    Type: AWS::DynamoDB::Table\n"
     "    Properties: !If [C, [1], [2]]\n",
     "after resolving intrinsic functions, Resources.T.Properties: must be a mapping, not a list"),
])
def test_wrong_shapes_name_the_file_and_the_path(tmp_path, good, body, problem):
    path = tmp_path / "shape.yaml"
    path.write_text(body)
    code, report, _ = check(path, good)
    assert code == 2
    assert errors(report) == {(str(path), problem)}
    assert verdicts(report) == {(rule, "Table", status) for rule, status in good_table_verdicts()}


# -- values that cannot be known -------------------------------------------------------------------
def test_ssm_parameters_are_never_their_default_path(tmp_path):
    path = tmp_path / "ssm.yaml"
    path.write_text("Parameters:\n  Policy: {Type: 'AWS::SSM::Parameter::Value<String>', Default: Retain}\n"
                    "Resources:\n" + TABLE.format(name="T", policy="Retain").replace(
                        "DeletionProtectionEnabled: true", "DeletionProtectionEnabled: !Ref Policy"))
    _, report, _ = check(path)
    finding = next(f for f in report["findings"] if f["rule_id"] == "DDB004")
    assert (finding["status"], finding["message"]) == ("fail", (
        'cannot be verified statically: Properties.DeletionProtectionEnabled is {"Ref":"Policy"}, a parameter of '
        "type AWS::SSM::Parameter::Value<String> whose value CloudFormation reads from SSM at deploy time (its "
        "Default is the parameter's name); give the value with --parameters"))
    params = tmp_path / "params.json"
    params.write_text('{"Policy": "true"}')
    _, given, _ = check(path, args=("--parameters", str(params)))
    assert verdicts(given, "DDB004") == {("DDB004", "T", "pass")}


def test_nested_stack_urls_prefer_the_longest_suffix_and_report_ambiguity(tmp_path):
    corpus = FIXTURES / "corpus" / "nested_s3"
    code, report, _ = check(corpus / "master.yaml")
    assert code == 1 and report["errors"] == []
    assert {f["stack"] for f in report["findings"]} == {"master/Database", "master/Compute"}  # never the decoy
    # Two roots that both hold cfn/database.yaml: ambiguous, so an error rather than a guess.
    other = tmp_path / "copy"
    (other / "cfn").mkdir(parents=True)
    (other / "cfn" / "database.yaml").write_text((corpus / "cfn" / "database.yaml").read_text())
    code, report, _ = check(corpus / "master.yaml", args=("--template-root", str(other)))
    assert code == 2
    assert [e["message"].split(" (")[0] for e in report["errors"]] == [
        "nested stack Database: https://${DeploymentBucket}.s3.${AWS::Region}.amazonaws.com/releases/cfn/database.yaml "
        "matches more than one local file"]


def test_a_nested_stack_that_names_itself_or_an_ancestor_is_an_error(tmp_path):
    parent = tmp_path / "parent.yaml"
    parent.write_text("Resources:\n  Again:\n    Type: AWS::CloudFormation::Stack\n"
                      "    Properties: {TemplateURL: https://bucket.s3.amazonaws.com/parent.yaml}\n")
    code, report, _ = check(parent)
    assert code == 2
    assert errors(report) == {(str(parent), f"nested stack Again: TemplateURL https://bucket.s3.amazonaws.com/parent"
                                            f".yaml names {parent}, which contains this stack itself")}


def test_missing_nested_template_in_a_cloud_assembly_is_an_error(cdk_assembly, tmp_path):
    import shutil

    copy = tmp_path / "cdk.out"
    shutil.copytree(cdk_assembly, copy)
    nested = sorted(copy.glob("*.nested.template.json"))
    assert nested
    nested[0].unlink()
    code, report, _ = check(copy)
    assert code == 2
    messages = [e["message"] for e in report["errors"]]
    assert len(messages) == 1 and f"its template {nested[0].name}" in messages[0] and "is missing from" in messages[0]
    assert messages[0].startswith("nested stack ")


def test_include_from_s3_without_a_local_copy_is_an_error(tmp_path, good):
    path = tmp_path / "remote.yaml"
    path.write_text("Resources:\n  Fn::Transform:\n    Name: AWS::Include\n"
                    "    Parameters: {Location: s3://team-bucket/snippets/tables.yaml}\n")
    code, report, _ = check(path, good)
    assert code == 2
    assert errors(report) == {(str(path), "AWS::Include s3://team-bucket/snippets/tables.yaml: no local copy found "
                                          "(for an S3 location, pass the folder that holds it with --template-root)")}
    root = tmp_path / "mirror" / "snippets"
    root.mkdir(parents=True)
    (root / "tables.yaml").write_text(TABLE.format(name="Included", policy="Delete").replace("\n  ", "\n")[2:])
    code, report, _ = check(path, args=("--template-root", str(tmp_path / "mirror")))
    assert report["errors"] == [] and ("DDB001", "Included", "fail") in verdicts(report)


def test_language_extensions_loops_need_their_collection(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("Transform: AWS::LanguageExtensions\nParameters:\n  Names: {Type: CommaDelimitedList}\n"
                    "Resources:\n  Fn::ForEach::Tables:\n    - Name\n    - !Ref Names\n    - ${Name}Table:\n"
                    "        Type: AWS::DynamoDB::Table\n        DeletionPolicy: Delete\n        Properties: {}\n")
    code, report, _ = check(path)
    assert code == 2
    assert errors(report) == {(str(path), 'Fn::ForEach::Tables: the collection {"Ref": "Names"} cannot be resolved '
                                          "statically (give its parameter a value with --parameters)")}
    params = tmp_path / "params.json"
    params.write_text('{"Names": "orders,users"}')
    _, report, _ = check(path, args=("--parameters", str(params)))
    assert verdicts(report, "DDB001") == {("DDB001", "ordersTable", "fail"), ("DDB001", "usersTable", "fail")}


def test_split_length_and_default_values_resolve():
    from ddbguard.templates.resolve import resolve_template

    template = decode_text("""\
Mappings: {M: {a: {b: c}}}
Resources:
  T:
    Type: X
    Properties:
      Split: !Select [1, !Split [",", "x,y,z"]]
      Length: !Length [1, 2, 3]
      Json: !ToJsonString {a: [1, true]}
      Found: !FindInMap [M, a, b, {DefaultValue: d}]
      Default: !FindInMap [M, missing, b, {DefaultValue: d}]
      NoDefault: !FindInMap [M, missing, b]
""")
    properties = resolve_template(template)["Resources"]["T"]["Properties"]
    assert (properties["Split"], properties["Length"], properties["Json"]) == ("y", 3, '{"a":[1,true]}')
    assert (properties["Found"], properties["Default"]) == ("c", "d")
    assert properties["NoDefault"] == {"Fn::FindInMap": ["M", "missing", "b"]}


def test_serverless_resources_without_the_transform_are_an_error(tmp_path, good):
    path = tmp_path / "forgot.yaml"
    path.write_text("Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a}\n")
    code, report, _ = check(path, good)
    assert code == 2
    assert errors(report) == {(str(path), "declares Api of type AWS::Serverless::* but not `Transform: "
                                          "AWS::Serverless-2016-10-31`, so CloudFormation rejects it")}


def test_sam_translation_errors_list_the_translators_causes_and_nothing_else(tmp_path):
    path = tmp_path / "bad-sam.yaml"
    path.write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    "    Properties: {Handler: a, Runtime: python3.12, Events: {E: {Type: Api, Properties: {}}}}\n")
    code, report, stderr = check(path)
    assert code == 2
    (message,) = [e["message"] for e in report["errors"]]
    assert message == ("AWS SAM template could not be expanded: Resource with id [FnE] is invalid. Missing required "
                       "property 'Path'.")
    assert stderr == f"ddbguard: {path}: {message}\n"  # the translator's own log lines never reach the terminal


@pytest.mark.parametrize("layout, message", [
    ("empty-dir", "no CloudFormation template found in this directory"),
    ("asset-only", "cloud assembly holds no stack"),
])
def test_a_run_that_finds_no_stack_is_exit_2(tmp_path, layout, message):
    path = tmp_path / layout
    path.mkdir()
    (path / "notes.md").write_text("nothing here")
    if layout == "asset-only":
        (path / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
            "assets": {"type": "cdk:asset-manifest", "properties": {"file": "assets.json"}}}}))
    code, report, _ = check(path)
    assert code == 2 and errors(report) == {(str(path), message)}


def test_the_same_file_twice_is_checked_once(good, tmp_path):
    _, once, _ = check(good)
    _, twice, _ = check(good, good, good.parent)
    assert twice["findings"] == once["findings"] and twice["errors"] == []
    out = tmp_path / "report.json"
    out.write_text(json.dumps(once))
    merged = run_ddbguard("merge", str(out), str(out), "--format", "json").json()
    assert merged["findings"] == once["findings"] and merged["summary"] == once["summary"]


# -- directories and pre-commit --------------------------------------------------------------------
NOT_TEMPLATES = {
    "tsconfig.json": '{\n  // comments are fine for TypeScript\n  "compilerOptions": {"strict": true},\n}\n',
    "chart/templates/deployment.yaml": "apiVersion: apps/v1\nmetadata:\n  name: {{ .Values.name }}\n",
    "mkdocs.yml": "markdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
    ".gitlab-ci.yml": "test:\n  script:\n    - !reference [.setup, script]\n",
    "group_vars/all.yml": "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n",
    "package.json": '{"name": "app", "version": "1.0.0"}\n',
}


def test_directory_scans_skip_what_is_not_a_template(tmp_path):
    for name, text in NOT_TEMPLATES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "stack.yaml").write_text(COMPLIANT)
    os.mkfifo(tmp_path / "pipe.yaml")  # would block a reader forever
    code, report, _ = check(tmp_path)
    assert (code, report["errors"]) == (0, [])
    assert {f["stack"] for f in report["findings"]} == {"stack"}
    # pre-commit passes the files themselves: the same files are skipped there
    code, report, _ = check(*(tmp_path / name for name in NOT_TEMPLATES), args=("--ignore-non-templates",
                                                                                 "--context", str(tmp_path / "none")))
    assert (code, report["errors"], report["findings"]) == (0, [], [])


def test_a_broken_template_in_a_directory_is_still_an_error(tmp_path):
    (tmp_path / "broken.yaml").write_text("AWSTemplateFormatVersion: 2010-09-09\nResources:\n  T: {Type: [\n")
    (tmp_path / "stack.yaml").write_text(COMPLIANT)
    code, report, _ = check(tmp_path)
    assert code == 2
    assert [e["file"] for e in report["errors"]] == [str(tmp_path / "broken.yaml")]
    assert {f["stack"] for f in report["findings"]} == {"stack"}


def test_context_is_context_a_broken_context_file_is_a_warning(tmp_path):
    """Pre-commit loads the repository's other templates only to resolve references: one that cannot be read is
    a warning, never exit 2 for a run that checked nothing from it; what needed it is not a pass."""
    compute = tmp_path / "compute.yaml"
    compute.write_text((FIXTURES / "precommit" / "compute.yaml").read_text())
    data = tmp_path / "data.yaml"
    data.write_text("Resources:\n  Orders: [unclosed\n")
    good = tmp_path / "good.yaml"
    good.write_text(COMPLIANT)
    warning = {"file": str(data), "message": "invalid YAML: line 3: did not find expected ',' or ']'"}
    needs_it = run_ddbguard("check", str(compute), "--context", str(data), "--format", "json")
    assert needs_it.code == 1 and needs_it.json()["errors"] == [] and needs_it.json()["warnings"] == [warning]
    handler = {f["rule_id"]: f["status"] for f in needs_it.json()["findings"] if f["logical_id"] == "Handler"}
    assert handler["DDB011"] == "unknown"
    assert f"ddbguard: warning: {data}: invalid YAML" in needs_it.stderr
    unrelated = run_ddbguard("check", str(good), "--context", str(data), "--format", "json")
    assert unrelated.code == 0 and unrelated.json()["warnings"] == [warning]
    text = run_ddbguard("check", str(good), "--context", str(data))
    assert f"WARNINGS (1): context that could not be read\n  {data}: invalid YAML" in text.stdout


def test_parameters_that_keep_their_previous_value_or_are_misspelt_are_never_defaults(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("Transform: AWS::LanguageExtensions\nParameters:\n  Env: {Type: String, Default: prod}\n"
                    "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
                    "Resources:\n" + TABLE.format(name="T", policy="!If [IsProd, Retain, Delete]"))
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps([{"ParameterKey": "Env", "UsePreviousValue": True}]))
    code, report, _ = check(path, args=("--parameters", str(previous)))
    assert code == 1 and verdicts(report, "DDB001") == {("DDB001", "T", "fail")}  # the deployed value: unknown
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"env": "dev"}))
    code, report, _ = check(path, args=("--parameters", str(typo)))
    assert code == 2
    assert errors(report) == {("--parameters", "env is declared by no template of the input (CloudFormation rejects "
                                               "a parameter its template does not declare)")}


def test_functions_in_deletion_policy_need_language_extensions(tmp_path, good):
    path = tmp_path / "plain.yaml"
    path.write_text("Parameters:\n  P: {Type: String, Default: Retain}\nResources:\n" + TABLE.format(name="T", policy="!Ref P"))
    code, report, _ = check(path, good)
    assert code == 2
    assert errors(report) == {(str(path), "Resources.T.DeletionPolicy: an intrinsic function here needs `Transform: "
                                          "AWS::LanguageExtensions`, without which CloudFormation rejects the template")}

