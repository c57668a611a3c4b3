"""Findings on the CDK app's own lines: a JavaScript app synthesized by node with the real aws-cdk-lib (the
JavaScript inside the pinned aws-cdk-lib Python package) records `aws:cdk:creationStack`; SARIF, GitHub
annotations and GitLab Code Quality place the finding there, and SARIF keeps the template as related."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import FIXTURES, run_ddbguard


@pytest.fixture(scope="session")
def node_modules(tmp_path_factory) -> Path:
    """aws-cdk-lib and its peers for node, unpacked from the jsii packages the Python CDK ships."""
    import aws_cdk
    import constructs

    modules = tmp_path_factory.mktemp("node") / "node_modules"
    packages = {"aws-cdk-lib": Path(aws_cdk.__file__).parent / "_jsii",
                "constructs": Path(constructs.__file__).parent / "_jsii",
                "@aws-cdk/cloud-assembly-schema": Path(aws_cdk.__file__).parent / "cloud_assembly_schema" / "_jsii",
                "@aws-cdk/asset-awscli-v1": Path(aws_cdk.__file__).parent / "asset_awscli_v1" / "_jsii",
                "@aws-cdk/asset-node-proxy-agent-v6": Path(aws_cdk.__file__).parent / "asset_node_proxy_agent_v6" / "_jsii"}
    for name, directory in packages.items():
        [archive] = directory.glob("*.jsii.tgz")
        unpacked = modules.parent / f"unpack-{name.replace('/', '-')}"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
        (modules / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked / "package"), str(modules / name))
    return modules


def test_findings_are_placed_on_the_line_of_the_cdk_app_that_created_the_resource(node_modules, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "bin").mkdir()
    shutil.copy(FIXTURES / "cdk_js_app" / "app.js", repo / "bin" / "app.js")
    (repo / "node_modules").symlink_to(node_modules)
    completed = subprocess.run(["node", str(repo / "bin" / "app.js")], cwd=repo, capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin:/usr/local/bin", "CDK_OUTDIR": str(repo / "cdk.out")},
                               check=False)
    assert completed.returncode == 0, completed.stderr
    line = next(i for i, text in enumerate((repo / "bin" / "app.js").read_text().splitlines(), 1)
                if "new dynamodb.Table" in text)

    sarif = json.loads(run_ddbguard("check", "cdk.out", "--format", "sarif", cwd=repo).stdout)
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "DDB002")
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "bin/app.js", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": line}}
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "cdk.out/orders.template.json"
    annotations = run_ddbguard("check", "cdk.out", "--format", "github", cwd=repo).stdout
    assert f"::error file=bin/app.js,line={line},title=DDB002 (high)" in annotations
    issues = json.loads(run_ddbguard("check", "cdk.out", "--format", "gitlab", cwd=repo).stdout)
    assert {(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues} >= {
        ("DDB002", "bin/app.js", line)}
    # the JSON report keeps the template's location: the contract CI consumers parse does not move
    report = run_ddbguard("check", "cdk.out", "--format", "json", cwd=repo).json()
    pitr = next(f for f in report["findings"] if f["rule_id"] == "DDB002")
    assert Path(pitr["file"]).name == "orders.template.json"
