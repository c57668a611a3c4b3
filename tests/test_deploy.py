"""deploy/: the nightly audit an organization deploys. The member role's policy is generated from the one
source (iam/ddbguard-audit-policy.json); cfn-lint and ddbguard pass on the templates; and the ddbguard
commands the schedule runs are the README's, run here against moto as the builds would run them."""

from __future__ import annotations

import glob
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import boto3

from conftest import ROOT, run_ddbguard

DEPLOY = ROOT / "deploy"


def _buildspec_commands() -> list[str]:
    from ddbguard.templates.decode import decode_text

    template = decode_text((DEPLOY / "audit-account.yaml").read_text())
    buildspec = template["Resources"]["Audit"]["Properties"]["Source"]["BuildSpec"]
    return [re.split(r"\s+\|\|", line.strip())[0] for line in buildspec.splitlines()
            if line.strip().startswith("ddbguard ")]


def test_the_member_role_is_generated_from_the_audit_policy():
    sys.path.insert(0, str(ROOT / "tools"))
    from generate_member_role import render

    assert (DEPLOY / "member-role.json").read_text() == render(), "run `make export`"
    policy = json.loads((ROOT / "iam" / "ddbguard-audit-policy.json").read_text())
    role = json.loads(render())["Resources"]["AuditRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert role["Statement"] == [s for s in policy["Statement"] if s["Sid"] == "DdbguardAuditReadOnly"]


def test_cfn_lint_and_ddbguard_pass_on_the_deploy_templates():
    templates = sorted(str(p) for p in DEPLOY.iterdir())
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), *templates], capture_output=True, text=True,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    report = run_ddbguard("check", str(DEPLOY), "--format", "json")
    assert report.code == 0, report.stderr
    assert {(f["rule_id"], f["logical_id"], f["status"]) for f in report.json()["findings"]} == {
        ("DDB012", "AuditRole", "suppressed"), ("DDB013", "AuditRole", "suppressed")}


def test_the_schedule_runs_the_readme_commands():
    commands = _buildspec_commands()
    assert len(commands) == 4
    readme = (ROOT / "README.md").read_text()
    for command in commands:
        assert command in readme, command


def test_the_scheduled_commands_audit_an_organization_on_moto(moto, tmp_path, monkeypatch):
    """Shards, then the merge with --since and Security Hub, exactly as the builds run them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)  # every client of the scheduled commands goes to moto
    organizations = boto3.client("organizations", endpoint_url=moto)
    organizations.create_organization(FeatureSet="ALL")
    members = [organizations.create_account(Email=f"team{i}@example.com", AccountName=f"team{i}")[
        "CreateAccountStatus"]["AccountId"] for i in range(3)]
    sts = boto3.client("sts", endpoint_url=moto)
    tables = []
    for index, account in enumerate(members):
        issued = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/ddbguard-audit", RoleSessionName="seed")[
            "Credentials"]
        tables.append(boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto,
                                   aws_access_key_id=issued["AccessKeyId"], aws_secret_access_key=issued["SecretAccessKey"],
                                   aws_session_token=issued["SessionToken"]))
        tables[-1].create_table(TableName=f"orders-{index}", BillingMode="PAY_PER_REQUEST",
                                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    audit, *merges = _buildspec_commands()
    variables = {"MEMBER_ROLE": "ddbguard-audit", "REGIONS": "us-east-1"}

    def run(command: str, **extra) -> object:
        values = {**variables, **extra}
        expanded = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], command)
        words = []
        for word in shlex.split(expanded):
            words += sorted(glob.glob(str(tmp_path / word))) if "*" in word else [word]
        return run_ddbguard(*words[1:], cwd=tmp_path)

    def shards() -> None:
        (tmp_path / "shards").mkdir(exist_ok=True)
        for shard in ("1/2", "2/2"):
            assert run(audit, SHARD=shard).code == 1
            (tmp_path / "shard.json").replace(tmp_path / "shards" / f"shard-{shard[0]}.json")

    shards()
    for command in merges:
        assert run(command, since="").code == 1
    first = json.loads((tmp_path / "report.json").read_text())
    assert first["errors"] == []
    assert {f["account"] for f in first["findings"]} == set(members)  # the management account has no table
    assert first["audit"]["shards"] == 2
    assert (tmp_path / "report.sarif").exists() and (tmp_path / "report.md").read_text().startswith("## ddbguard")
    hub = boto3.client("securityhub", region_name="us-east-1", endpoint_url=moto)
    assert len(hub.get_findings(MaxResults=100)["Findings"]) == len(first["findings"])
    # the next night: one table now has point-in-time recovery; the merge says what changed
    tables[0].update_continuous_backups(TableName="orders-0",
                                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    (tmp_path / "report.json").rename(tmp_path / "previous.json")
    shards()
    for command in merges[:2]:
        assert run(command, since="--since previous.json").code == 1
    second = json.loads((tmp_path / "report.json").read_text())
    assert second["changes"] == {"new": [], "fixed": [f"DDB002|{members[0]}|us-east-1|orders-0"],
                                 "still_failing": second["changes"]["still_failing"], "gone": []}
    assert (tmp_path / "report.md").read_text().splitlines()[4].startswith("**Since the previous run: 0 new, 1 fixed")
