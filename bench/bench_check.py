"""Benchmark: `ddbguard check` against `checkov -d` on synthetic cloud assemblies.

    python bench/bench_check.py [--stacks 50] [--resources 100] [--keep DIR]

1. Per-table rules: a cdk.out-shaped assembly (manifest.json + one template per stack, a third of
   the resources DynamoDB tables); `ddbguard check` with each engine (builtin, the default; guard;
   checkov) and `checkov -d` timed on it, and `ddbguard --version` five times. The floor is the same
   interpreter starting and `json.load`-ing every template of the assembly: the default check is
   printed as a multiple of it (target: at most 10x, on the way to 5x).
2. Cross-stack rules: an assembly of the same size where data stacks export their tables and every
   function in the other stacks imports one (environment variable and grant), timed at a quarter,
   half and the full size to show that the time grows linearly.
3. Wildcard grants: N tables `app-<i>` and N functions, each naming its table, whose roles are granted
   `table/app-*` (every role reaches every table), at 1k, 3k, 6k and 12k resources: the cross-resource
   rules index grants by ARN pattern, so the time grows linearly, not with N x N.

    python bench/bench_check.py --only wildcard   (one part: engines, cross-stack or wildcard)

It measures and prints wall times and ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# What no checker of the assembly can beat: the interpreter starting and reading every template.
FLOOR = "import json, pathlib, sys\nfor path in sorted(pathlib.Path(sys.argv[1]).glob('*.template.json')):\n" \
        "    with open(path) as f:\n        json.load(f)\n"


def table(index: int) -> dict:
    compliant = index % 2 == 0
    resource: dict = {
        "Type": "AWS::DynamoDB::GlobalTable" if index % 5 == 0 else "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": compliant},
        },
    }
    replica = {"Region": "us-east-1", "DeletionProtectionEnabled": compliant,
               "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": compliant}}
    if resource["Type"] == "AWS::DynamoDB::GlobalTable":
        resource["Properties"]["Replicas"] = [replica, {**replica, "Region": "eu-west-1"}]
    else:
        resource["Properties"]["DeletionProtectionEnabled"] = compliant
        resource["Properties"]["PointInTimeRecoverySpecification"] = replica["PointInTimeRecoverySpecification"]
    if compliant:
        resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = "Retain"
    return resource


def other(index: int) -> dict:
    kind = index % 3
    if kind == 0:
        return {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}
    if kind == 1:
        return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.11", "Handler": "index.handler", "Role": {"Fn::GetAtt": [f"R{index - 1}", "Arn"]},
        "Code": {"ZipFile": "def handler(e, c): return {}"}, "Environment": {"Variables": {"TABLE_NAME": "t"}}}}


def write_stacks(directory: Path, templates: dict[str, dict]) -> None:
    """A cloud assembly of these stack templates (by stack name), all in one account and region."""
    artifacts = {}
    for name, template in templates.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template, indent=1))
        artifacts[name] = {"type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
                           "properties": {"templateFile": f"{name}.template.json"}, "displayName": name}
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))


def write_assembly(directory: Path, stacks: int, resources: int) -> int:
    templates, tables = {}, 0
    for s in range(stacks):
        body = {}
        for r in range(resources):
            if r % 3 == 0:
                body[f"Table{r}"] = table(r)
                tables += 1
            else:
                body[f"R{r}"] = other(r)
        templates[f"Stack{s:03d}"] = {"Resources": body}
    write_stacks(directory, templates)
    return tables


def write_cross_stack_assembly(directory: Path, stacks: int, resources: int) -> int:
    """A tenth of the stacks hold tables and export their names; the rest hold functions that import them."""
    data_stacks = max(1, stacks // 10)
    templates, functions = {}, 0
    for s in range(stacks):
        body: dict = {}
        outputs: dict = {}
        if s < data_stacks:
            for r in range(resources):
                body[f"Table{r}"] = table(r)
                body[f"Table{r}"]["Properties"]["TableName"] = f"data{s}-table{r}"
                outputs[f"Table{r}Name"] = {"Value": {"Ref": f"Table{r}"}, "Export": {"Name": f"data{s}-Table{r}"}}
        else:
            for r in range(0, resources - 2, 3):
                export = f"data{(s + r) % data_stacks}-Table{r % resources}"
                arn = {"Fn::Sub": ["arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Name}",
                                   {"Name": {"Fn::ImportValue": export}}]}
                body[f"Role{r}"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
                body[f"Policy{r}"] = {"Type": "AWS::IAM::Policy", "Properties": {
                    "PolicyName": "data", "Roles": [{"Ref": f"Role{r}"}], "PolicyDocument": {"Statement": [
                        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [arn]}]}}}
                body[f"Fn{r}"] = {"Type": "AWS::Lambda::Function", "Properties": {
                    "Runtime": "python3.11", "Handler": "index.handler", "Role": {"Fn::GetAtt": [f"Role{r}", "Arn"]},
                    "Code": {"ZipFile": "def handler(e, c): return {}"},
                    "Environment": {"Variables": {"ORDERS_TABLE": {"Fn::ImportValue": export}}}}}
                functions += 1
        templates[f"Stack{s:03d}"] = {"Resources": body, "Outputs": outputs}
    write_stacks(directory, templates)
    return functions


def write_wildcard_assembly(directory: Path, tables: int, per_stack: int = 100) -> int:
    """`tables` tables, roles and functions (three resources each), `per_stack` of each to a stack; every role is
    granted `table/app-*`, every function names its own table. Returns the number of resources."""
    templates = {}
    for s in range(0, tables, per_stack):
        body: dict = {}
        for i in range(s, min(s + per_stack, tables)):
            body[f"Table{i}"] = table(2 * i)  # compliant ones
            body[f"Table{i}"]["Properties"]["TableName"] = f"app-{i}"
            body[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"Service": "lambda.amazonaws.com"}}]},
                "Policies": [{"PolicyName": "app", "PolicyDocument": {"Statement": [
                    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                     "Resource": "arn:aws:dynamodb:us-east-1:111111111111:table/app-*"}]}}]}}
            body[f"Fn{i}"] = {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.11", "Handler": "index.handler", "Role": {"Fn::GetAtt": [f"Role{i}", "Arn"]},
                "Code": {"ZipFile": "def handler(e, c): return {}"},
                "Environment": {"Variables": {"APP_TABLE": {"Ref": f"Table{i}"}}}}}
        templates[f"app-prod-{s // per_stack:03d}"] = {"Resources": body}  # DDB040 judges them too (prod)
    write_stacks(directory, templates)
    return 3 * tables


def timed(command: list[str], env: dict | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})}, check=False)
    return time.perf_counter() - start, completed.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="write the assembly here and keep it")
    parser.add_argument("--only", choices=["engines", "cross-stack", "wildcard"], help="run one part")
    args = parser.parse_args()

    directory = args.keep or Path(tempfile.mkdtemp(prefix="ddbguard-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "engines"):
        engines_part(directory, args)
    if args.only in (None, "cross-stack"):
        cross_stack_part(directory, args)
    if args.only in (None, "wildcard"):
        wildcard_part(directory)
    if not args.keep:
        shutil.rmtree(directory)


def engines_part(directory: Path, args) -> None:
    tables = write_assembly(directory, args.stacks, args.resources)
    print(f"assembly: {args.stacks} stacks x {args.resources} resources = {args.stacks * args.resources} "
          f"resources, {tables} tables ({directory})")

    offline = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    version = [timed([str(BIN / "ddbguard"), "--version"])[0] for _ in range(5)]
    engines: dict[str, tuple[float, int]] = {}
    floors, builtin = [], []
    for _ in range(5):  # the default check and its floor taken in turns, so that both see the same load
        floors.append(timed([sys.executable, "-c", FLOOR, str(directory)])[0])
        builtin.append(timed([str(BIN / "ddbguard"), "check", str(directory), "--format", "json"]))
    floor = statistics.median(floors)
    engines["builtin"] = (statistics.median(seconds for seconds, _ in builtin), builtin[-1][1])
    for engine, runs in (("guard", 3), ("checkov", 1)):  # median of a few runs where it is cheap
        results = [timed([str(BIN / "ddbguard"), "check", str(directory), "--format", "json", "--engine", engine])
                   for _ in range(runs)]
        engines[engine] = (statistics.median(seconds for seconds, _ in results), results[-1][1])
    checkov, checkov_code = timed([str(BIN / "checkov"), "-d", str(directory), "--framework", "cloudformation",
                                   "--skip-download", "--quiet", "--compact"], offline)

    print(f"ddbguard --version (median of 5)        {statistics.median(version):7.2f} s  (target < 0.1 s)")
    print(f"floor: start and json.load the templates {floor:7.2f} s  (median)")
    for engine, (seconds, code) in engines.items():
        print(f"ddbguard check --engine {engine:<8}        {seconds:7.2f} s  exit {code}  (median)")
    print(f"checkov -d --framework cloudformation   {checkov:7.2f} s  exit {checkov_code}")
    print(f"ratio ddbguard (builtin) / floor       {engines['builtin'][0] / floor:7.1f}x  (target <= 10x, then 5x)")
    for engine, (seconds, _) in engines.items():
        target = "  (target <= 0.05x: the default)" if engine == "builtin" else ""
        print(f"ratio ddbguard ({engine}) / checkov {'':<{9 - len(engine)}}{seconds / checkov:7.3f}x{target}")
    print()


def cross_stack_part(directory: Path, args) -> None:
    previous = None
    for share in (4, 2, 1):
        stacks = max(1, args.stacks // share)
        cross = directory / f"cross-{stacks}"
        cross.mkdir()
        functions = write_cross_stack_assembly(cross, stacks, args.resources)
        seconds, code = timed([str(BIN / "ddbguard"), "check", str(cross), "--format", "json"])
        growth = f"  x{seconds / previous[1]:.2f} time for x{stacks / previous[0]:.0f} size" if previous else ""
        print(f"cross-stack: {stacks * args.resources:5d} resources, {functions:4d} functions importing tables "
              f"{seconds:6.2f} s  exit {code}{growth}")
        previous = (stacks, seconds)
    print()


def wildcard_part(directory: Path) -> None:
    previous = None
    for tables in (333, 1000, 2000, 4000):
        wildcard = directory / f"wildcard-{tables}"
        wildcard.mkdir()
        resources = write_wildcard_assembly(wildcard, tables)
        seconds, code = timed([str(BIN / "ddbguard"), "check", str(wildcard), "--format", "json"])
        growth = (f"  x{seconds / previous[1]:.2f} time for x{resources / previous[0]:.1f} size"
                  if previous else "")
        print(f"wildcard grants: {resources:5d} resources, {tables:4d} roles granted table/app-* "
              f"{seconds:6.2f} s  exit {code}{growth}")
        previous = (resources, seconds)


if __name__ == "__main__":
    main()
