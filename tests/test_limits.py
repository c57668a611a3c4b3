"""Expansion has limits: a small hostile template cannot make a run use gigabytes or recurse without end.

Each template here is tiny and expands (or nests) exponentially; the run gets at most 768 MB of address space
(RLIMIT_AS: a run that needed more would die, not pass) and must end with one input error naming the file.
The memory of decoding large templates is measured, not asserted, by bench/bench_decode.py.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from conftest import COMPLIANT, ROOT

LIMIT = 768 * 1024 * 1024


def _bounded_check(*paths) -> tuple[int, dict, str]:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    completed = subprocess.run([sys.executable, "-m", "ddbguard", "check", *map(str, paths), "--format", "json"],
                               capture_output=True, text=True, cwd=ROOT, preexec_fn=limit, check=False)
    assert "Traceback" not in completed.stderr and "internal error" not in completed.stderr, completed.stderr
    return completed.returncode, json.loads(completed.stdout), completed.stderr


NESTED_LOOPS = """\
Transform: AWS::LanguageExtensions
Parameters:
  L: {Type: CommaDelimitedList, Default: "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,0,1,2,3,4,5,6,7,8,9"}
Resources:
  Fn::ForEach::A:
    - X
    - !Ref L
    - Fn::ForEach::B:
        - Y
        - !Ref L
        - Fn::ForEach::C:
            - Z
            - !Ref L
            - Fn::ForEach::D:
                - W
                - !Ref L
                - T${X}${Y}${Z}${W}:
                    Type: AWS::DynamoDB::Table
                    Properties: {Tags: [{Key: a, Value: b}, {Key: c, Value: d}]}
"""


def _fan_out(directory, levels: int = 8, width: int = 10) -> None:
    for level in range(levels):
        body = "Resources:\n" + "".join(
            f"  N{i}:\n    Type: AWS::CloudFormation::Stack\n    Properties: {{TemplateURL: s{level + 1}.yaml}}\n"
            for i in range(width)) if level < levels - 1 else COMPLIANT
        (directory / f"s{level}.yaml").write_text(body)


def _includes(directory, levels: int = 6, width: int = 10) -> None:
    for level in range(levels):
        if level < levels - 1:
            items = "".join(f"  - Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: i{level + 1}.yaml}}}}\n"
                            for _ in range(width))
            (directory / f"i{level}.yaml").write_text(f"Value:\n{items}")
        else:
            (directory / f"i{level}.yaml").write_text("[x]\n")
    (directory / "main.yaml").write_text(
        "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      Tags:\n"
        "        Fn::Transform: {Name: AWS::Include, Parameters: {Location: i0.yaml}}\n")


@pytest.mark.parametrize("case, message", [
    ("loops", "Fn::ForEach::D: Fn::ForEach expands the template beyond 300,000 values, more than fits in the 1 MB "
              "CloudFormation accepts for the resulting template"),
    ("conditions", "Conditions.C50: conditions refer to conditions more than 50 deep (a limit ddbguard sets; "
                   "CloudFormation templates never come close)"),
    ("nested stacks", ": more than 2000 stacks in one run (a limit ddbguard sets)"),
    ("includes", "AWS::Include: the template includes more than 500 snippets (snippets that include snippets, each "
                 "many times)"),
])
def test_exponential_expansion_is_one_input_error_in_bounded_memory(tmp_path, case, message):
    good = tmp_path / "good.yaml"
    good.write_text(COMPLIANT)
    if case == "loops":
        path = tmp_path / "loops.yaml"
        path.write_text(NESTED_LOOPS)
    elif case == "conditions":
        path = tmp_path / "conditions.yaml"
        path.write_text("Conditions:\n  C0: !Equals [a, a]\n" + "".join(
            f"  C{i}: !Not [!Condition C{i - 1}]\n" for i in range(1, 3000)) + COMPLIANT)
    elif case == "nested stacks":
        (tmp_path / "stacks").mkdir()
        _fan_out(tmp_path / "stacks")
        path = tmp_path / "stacks" / "s0.yaml"
    else:
        (tmp_path / "snippets").mkdir()
        _includes(tmp_path / "snippets")
        path = tmp_path / "snippets" / "main.yaml"
    assert path.stat().st_size < 100_000
    code, report, _ = _bounded_check(path, good)
    assert code == 2
    assert [(e["file"], e["message"]) for e in report["errors"]][0][1].endswith(message)
    assert {f["stack"] for f in report["findings"]} >= {"good"}  # the rest of the run is still reported


def test_mappings_that_refer_to_each_other_do_not_grow_exponentially(tmp_path):
    # CloudFormation allows no functions in Mappings: such a value is not followed, so it stays unresolved
    mappings = "Mappings:\n  M0: {k: {v: [x, x]}}\n" + "".join(
        f"  M{i}: {{k: {{v: [!FindInMap [M{i - 1}, k, v], !FindInMap [M{i - 1}, k, v]]}}}}\n" for i in range(1, 40))
    path = tmp_path / "mappings.yaml"
    path.write_text("Transform: AWS::LanguageExtensions\n" + mappings
                    + COMPLIANT.replace("DeletionPolicy: Retain", "DeletionPolicy: !FindInMap [M39, k, v]"))
    code, report, _ = _bounded_check(path)
    assert code == 1
    assert {(f["rule_id"], f["status"]) for f in report["findings"] if f["rule_id"] == "DDB001"} == {("DDB001", "fail")}


def test_a_template_far_larger_than_cloudformation_accepts_is_not_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write("Resources: {}\n")
        handle.truncate(65 * 1024 * 1024)  # sparse: no disk used
    code, report, _ = _bounded_check(path)
    assert code == 2
    assert report["errors"] == [{"file": str(path), "message": "larger than 64 MB, far beyond the 1 MB CloudFormation "
                                                               "accepts for a template: not read"}]


def test_circular_conditions_are_named(tmp_path):
    path = tmp_path / "circular.yaml"
    path.write_text("Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n" + COMPLIANT)
    code, report, _ = _bounded_check(path)
    assert code == 2
    assert [e["message"] for e in report["errors"]] == [
        "Conditions.A: refers to itself (A -> B -> A), which CloudFormation rejects"]

