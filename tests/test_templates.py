"""Decoding (short-form intrinsics, line marks), resolution of intrinsic functions, and parameters files."""

from __future__ import annotations

import json

import pytest

from conftest import RULES_DIR, run_ddbguard
from ddbguard.templates.decode import DecodeError, decode_text, line_of
from ddbguard.templates.parameters import ParametersError, load_parameters_file
from ddbguard.templates.resolve import resolve_template

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: dev}
  Pitr: {Type: String}
  Zones: {Type: CommaDelimitedList, Default: "a, b"}
Mappings:
  ByEnv:
    dev: {Protect: "false"}
    prod: {Protect: "true"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  PitrOn: !Equals [!Ref Pitr, "true"]
  ProdAndPitr: !And [!Condition IsProd, !Condition PitrOn]
  DevOrPitr: !Or [!Not [!Condition IsProd], !Condition PitrOn]
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub app-${Env}-${AWS::Region}
      Literal: !Sub "${!NotAVariable}"
      ByCondition: !If [IsProd, enabled, disabled]
      ByUnknown: !If [PitrOn, enabled, !Ref AWS::NoValue]
      ByAnd: !If [ProdAndPitr, enabled, disabled]
      ByOr: !If [DevOrPitr, enabled, disabled]
      Joined: !Join ["", ["arn:", !Ref AWS::Partition, ":iam::", !Ref AWS::AccountId, ":root"]]
      Selected: !Select [1, !Ref Zones]
      Mapped: !FindInMap [ByEnv, !Ref Env, Protect]
      Attribute: !GetAtt T.Arn
      Reference: !Ref T
      Imported: !ImportValue other-stack-TableName
      Dropped: !Ref AWS::NoValue
  ProdOnly:
    Type: AWS::DynamoDB::Table
    Condition: IsProd
"""


def test_short_form_intrinsics_and_lines():
    template = decode_text(TEMPLATE)
    props = template["Resources"]["T"]["Properties"]
    assert props["Attribute"] == {"Fn::GetAtt": ["T", "Arn"]}
    assert props["Reference"] == {"Ref": "T"}
    assert line_of(template["Resources"], ("T", "Properties", "Joined")) == 24
    assert line_of(template["Resources"], ("T", "Properties", "Missing", "Deeper")) == 17  # nearest parent
    assert line_of(template["Resources"], ("T",)) == 15


def test_duplicate_keys_are_rejected():
    with pytest.raises(DecodeError, match="line 3: duplicate key 'A'"):
        decode_text("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n")


def test_resolution_with_defaults_only():
    resolved = resolve_template(decode_text(TEMPLATE))
    props = resolved["Resources"]["T"]["Properties"]
    assert props["TableName"] == "app-dev-${AWS::Region}"
    assert props["Literal"] == "${NotAVariable}"
    assert props["ByCondition"] == "disabled"
    assert props["ByUnknown"] == {"Fn::If": ["PitrOn", "enabled", {"Ref": "AWS::NoValue"}]}  # Pitr has no value
    assert props["ByAnd"] == "disabled"  # IsProd is false, which decides the And
    assert props["ByOr"] == "enabled"  # not IsProd is true, which decides the Or
    assert props["Joined"] == "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"  # a template file: no region
    assert props["Selected"] == "b"
    assert props["Mapped"] == "false"
    # a table's Ref is its name and its Arn is built from it, so that grants and names can be compared
    assert props["Attribute"] == ("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
                                  "app-dev-${AWS::Region}")
    assert props["Reference"] == "app-dev-${AWS::Region}"
    assert props["Imported"] == {"Fn::ImportValue": "other-stack-TableName"}
    assert "Dropped" not in props
    assert "ProdOnly" not in resolved["Resources"]


def test_resolution_with_parameters_and_environment():
    resolved = resolve_template(decode_text(TEMPLATE), {"Env": "prod", "Pitr": "true"},
                                account="123456789012", region="eu-west-1")
    props = resolved["Resources"]["T"]["Properties"]
    assert props["TableName"] == "app-prod-eu-west-1"
    assert (props["ByCondition"], props["ByUnknown"], props["ByAnd"], props["ByOr"]) == ("enabled",) * 4
    assert props["Joined"] == "arn:aws:iam::123456789012:root"
    assert props["Mapped"] == "true"
    assert "ProdOnly" in resolved["Resources"]


def test_parameters_file_formats(tmp_path):
    cli_format = tmp_path / "params.json"
    cli_format.write_text(json.dumps([{"ParameterKey": "Env", "ParameterValue": "prod"},
                                      {"ParameterKey": "Old", "UsePreviousValue": True}]))
    assert load_parameters_file(str(cli_format)) == {"Env": "prod", "Old": None}  # the deployed value: unknown
    plain = tmp_path / "plain.json"
    plain.write_text('{"Env": "prod", "Count": 3}')
    assert load_parameters_file(str(plain)) == {"Env": "prod", "Count": "3"}
    wrong = tmp_path / "wrong.json"
    wrong.write_text('[1, 2]')
    with pytest.raises(ParametersError, match="expected a list of {ParameterKey, ParameterValue}"):
        load_parameters_file(str(wrong))


def test_unresolvable_value_fails_and_says_it_cannot_be_verified(tmp_path):
    template = RULES_DIR / "ddb002_pitr_enabled" / "fixtures" / "bad.yaml"
    result = run_ddbguard("check", str(template), "--format", "json")
    finding = next(f for f in result.json()["findings"]
                   if f["rule_id"] == "DDB002" and f["logical_id"] == "FromParameterWithoutDefault")
    assert finding["status"] == "fail"
    assert finding["message"] == ("cannot be verified statically: Properties.PointInTimeRecoverySpecification."
                                  "PointInTimeRecoveryEnabled is {\"Ref\":\"PitrEnabled\"}, which has no value from "
                                  "--parameters or a parameter Default")

    params = tmp_path / "params.json"
    params.write_text(json.dumps([{"ParameterKey": "PitrEnabled", "ParameterValue": "true"},
                                  {"ParameterKey": "Environment", "ParameterValue": "prod"}]))
    for engine in ("guard", "checkov"):
        result = run_ddbguard("check", str(template), "--format", "json", "--parameters", str(params), "--engine", engine)
        passing = {f["logical_id"] for f in result.json()["findings"] if f["rule_id"] == "DDB002" and f["status"] == "pass"}
        # The production branch of each condition is taken, the parameter has a value, and the
        # prod-only table now exists (with no PITR at all).
        assert passing == {"FromParameterWithoutDefault", "DisabledInDev", "NoValueInDev"}, engine
        failing = {f["logical_id"] for f in result.json()["findings"] if f["rule_id"] == "DDB002" and f["status"] == "fail"}
        assert failing == {"Missing", "Disabled", "EnabledAsNumber", "EnabledAsWord", "GlobalOneReplicaOff",
                           "GlobalNoReplicaSetting", "DevOnlyTable"}, engine
