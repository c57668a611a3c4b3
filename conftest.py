"""Shared test fixtures: the real cfn-guard binary, a real CDK synthesis, and a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT / "fixtures"
# A template that passes every rule.
COMPLIANT = """\
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true}
      DeletionProtectionEnabled: true
      BillingMode: PAY_PER_REQUEST
"""
RULES_DIR = ROOT / "src" / "ddbguard" / "rules"
SARIF_SCHEMA = ROOT / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / "sarif-2.1.0-rtm.5.json"


def catalog_rules(engine: str, *, also_off_by_default: bool = False) -> list[str]:
    """The one way tests list rules: the ids of the catalog's rules that `engine` runs, and (unless told
    otherwise) only those on by default, which a run without configuration applies."""
    from ddbguard.catalog import load_catalog

    return sorted(rule.id for rule in load_catalog().values() if engine in rule.engines
                  and (rule.enabled_by_default or also_off_by_default))


def per_table_rules() -> list[str]:
    """The rules judged on each table resource (every engine runs them) that a run applies by default; per-resource
    rules of other types (the DAX clusters') are not."""
    from ddbguard.catalog import load_catalog
    from ddbguard.templates.resolve import TABLE_TYPES

    catalog = load_catalog()
    return [rule for rule in catalog_rules("builtin") if set(catalog[rule].resource_types) & set(TABLE_TYPES)]


def good_table_verdicts() -> set[tuple[str, str]]:
    """(rule, status) of a compliant table in an input without backup plans: every per-table rule passes,
    DDB022 says without failing that no plan of the input selects it (an organization policy may), and DDB023
    passes its on-demand capacity."""
    return {(rule, "pass") for rule in per_table_rules()} | {("DDB022", "suppressed"), ("DDB023", "pass")}


# Each rule's good and bad fixtures live in its folder: src/ddbguard/rules/<stem>/fixtures/.
# templates, and small cloud assemblies (`*.assembly/`) for what only an assembly can say (DDB007)
TEMPLATE_FIXTURES = sorted(p for p in RULES_DIR.glob("ddb*/fixtures/*") if p.suffix in (".yaml", ".json", ".assembly"))
# Realistic templates (SAM, LanguageExtensions, includes, nested stacks, managed policies) with the
# verdicts they must get; snippets and nested templates beside them declare none.
CORPUS = sorted(p for p in (FIXTURES / "corpus").rglob("*.yaml") if "ddbguard-test:" in p.read_text())


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def run_ddbguard(*args: str, cwd: Path | None = None, env: dict | None = None) -> CliResult:
    """Run the real command line in a child process, as a user or a CI job would."""
    completed = subprocess.run(
        [sys.executable, "-m", "ddbguard", *args],
        capture_output=True, text=True, cwd=cwd or ROOT, env={**os.environ, **(env or {})}, check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="session")
def guard_bin() -> str:
    from ddbguard.engines.guard import find_guard_binary

    return find_guard_binary()


@pytest.fixture(scope="session")
def cdk_assembly(tmp_path_factory) -> Path:
    """Synthesize fixtures/cdk_app with the real aws-cdk-lib (needs Node; ~10 s)."""
    return synthesize([sys.executable, str(FIXTURES / "cdk_app" / "app.py")], tmp_path_factory.mktemp("cdk") / "cdk.out")


def synthesize(app: list[str], out: Path) -> Path:
    """Run a CDK app's command (Python, or ts-node for TypeScript) that writes its cloud assembly to CDK_OUTDIR."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(ROOT / "build" / "jsii-cache"),
    }
    completed = subprocess.run(app, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out


def cdk_validation_rows(report: dict) -> set:
    """The violations of `ddbguard check --format cdk-validation` as CDK's validation report words them."""
    return {(v["ruleName"], v["description"], v["fix"], v["severity"], json.dumps(v["ruleMetadata"]),
             r["resourceLogicalId"], r["constructPath"]) for v in report["violations"] for r in v["violatingResources"]}


def cdk_report_rows(plugin_report: dict) -> set:
    """A plugin's violations (acknowledged ones too) in CDK's validation-report.json (`fix` is `suggestedFix`, the
    resource a construct), as cdk_validation_rows gives them."""
    return {(v["ruleName"], v["description"], v["suggestedFix"], v["severity"], json.dumps(v["ruleMetadata"]),
             c["cloudFormationResource"]["logicalId"], c["constructPath"])
            for v in plugin_report["violations"] + plugin_report.get("suppressedViolations", [])
            for c in v["violatingConstructs"]}


def expectations(path: Path) -> tuple[dict, dict]:
    """(config, {rule id: {"pass": set, "fail": set}}) declared in a fixture's top-level Metadata."""
    from ddbguard.templates.decode import decode_file

    if path.is_dir():  # a cloud assembly: the stack template that declares the expectations
        manifest = json.loads((path / "manifest.json").read_text())
        templates = [path / a["properties"]["templateFile"] for a in manifest["artifacts"].values()
                     if a["type"] == "aws:cloudformation:stack"]
        path = next(t for t in templates if "ddbguard-test" in t.read_text())
    declared = decode_file(path)["Metadata"]["ddbguard-test"]
    expected = {rule: {status: set(ids) for status, ids in sets.items()} for rule, sets in declared["expect"].items()}
    return declared.get("config", {}), expected


# -- a real moto server on 127.0.0.1 for the live audit -----------------------------------------------
MOTO_ENVIRONMENT = {
    # moto's well-known test credentials; metadata lookups off, so nothing leaves this machine
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(scope="session")
def moto_server():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(moto_server, aws_backup_server, monkeypatch):
    """The moto endpoint, emptied before the test; the process talks to it with test credentials. AWS Backup,
    which moto does not model, answers from recordings (AWS_ENDPOINT_URL_BACKUP; none recorded: no points)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    for name, value in MOTO_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    aws_backup_server.clear()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BACKUP", aws_backup_server.url)
    return moto_server


def audit_denied(moto: str, action: str) -> CliResult:
    """`ddbguard audit --format json` of us-east-1 as an IAM user allowed every action but `action`, with moto checking
    every caller's IAM policies meanwhile."""
    import boto3
    from moto import settings

    iam = boto3.client("iam", endpoint_url=moto)
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": action, "Resource": "*"}]}))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # moto now checks every caller's IAM policies
    try:
        env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
        return run_ddbguard("audit", "--endpoint-url", moto, "--regions", "us-east-1", "--format", "json", env=env)
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")


# -- AWS Backup's answers, recorded: moto does not model recovery points ----------------------------------
@pytest.fixture(scope="session")
def aws_backup_server():
    from fixtures.live.recorded_backup import RecordedAwsBackup

    server = RecordedAwsBackup()
    yield server
    server.stop()


@pytest.fixture
def aws_backup(aws_backup_server, moto):
    """The recorded AWS Backup of a moto test: `record(table_arn, created)` adds a recovery point."""
    return aws_backup_server


# -- AWS failing the ways a real endpoint does, in front of moto ------------------------------------------
@pytest.fixture
def faulty(moto):
    """A proxy on 127.0.0.1 in front of the moto server that injects resets, closes, 5xx, throttling, hangs
    and one-byte-at-a-time answers (fixtures/live/faulty_proxy.py); `faulty.url` is the endpoint to use."""
    from fixtures.live.faulty_proxy import FaultyProxy

    proxy = FaultyProxy(moto)
    yield proxy
    proxy.stop()


# -- IAM's documented matching rules, as plainly as they can be written (the referee of tests/test_iam*.py) ----------
def documented_resource_match(pattern: str, arn: str) -> bool:
    """IAM User Guide, "IAM JSON policy elements: Resource": `*` and `?` match within a segment (the parts separated
    by colons), `*` any run and `?` one character; a `*` that is the last character of a segment may also run past
    the colons after it. Case-sensitive."""
    if not pattern:
        return not arn
    head = pattern[0]
    if head == "*":
        ends_segment = len(pattern) == 1 or pattern[1] == ":"
        for taken in range(len(arn) + 1):
            if not ends_segment and ":" in arn[:taken]:
                return False
            if documented_resource_match(pattern[1:], arn[taken:]):
                return True
        return False
    if head == "?":
        return bool(arn) and arn[0] != ":" and documented_resource_match(pattern[1:], arn[1:])
    return bool(arn) and arn[0] == head and documented_resource_match(pattern[1:], arn[1:])


def documented_action_match(pattern: str, action: str) -> bool:
    """IAM User Guide, "IAM JSON policy elements: Action": the prefix and the action name are case insensitive;
    `*` matches any run of characters and `?` one."""
    pattern, action = pattern.lower(), action.lower()
    if not pattern:
        return not action
    if pattern[0] == "*":
        return any(documented_action_match(pattern[1:], action[i:]) for i in range(len(action) + 1))
    return bool(action) and pattern[0] in ("?", action[0]) and documented_action_match(pattern[1:], action[1:])
