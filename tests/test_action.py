"""The composite GitHub Action (action.yml) and the CI recipes of docs/integrations.md, run as scripts on the fixture CDK
app's assembly, so that neither can rot."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT, run_ddbguard

INTEGRATIONS = ROOT / "docs" / "integrations.md"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _documented_inputs() -> dict[str, str]:
    page = INTEGRATIONS.read_text()
    table = page[page.index("| Input | Default | Meaning |"):]
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", table.split("\n\n")[0], re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def test_the_docs_document_every_input_with_its_default():
    documented = _documented_inputs()
    assert set(documented) == set(ACTION["inputs"])
    for name, spec in ACTION["inputs"].items():
        default = spec.get("default", "")
        assert documented[name] == (f"`{default}`" if default else documented[name]), name
        assert default or documented[name].startswith("("), name


def _step(name: str) -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step["name"] == name)


def _run_step(name: str, inputs: dict, cwd: Path, outputs: dict | None = None) -> subprocess.CompletedProcess:
    step = _step(name)
    values = {**{k: v.get("default", "") for k, v in ACTION["inputs"].items()}, **inputs}

    def expand(text: str) -> str:
        text = re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m.group(1)], text)
        return re.sub(r"\$\{\{ steps\.check\.outputs\.([a-z-]+) \}\}", lambda m: (outputs or {})[m.group(1)], text)

    env = {**os.environ, **{k: expand(str(v)) for k, v in (step.get("env") or {}).items()},
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "GITHUB_STEP_SUMMARY": str(cwd / "summary.md"), "GITHUB_OUTPUT": str(cwd / "output.txt"),
           "GITHUB_ACTION_PATH": str(ROOT)}
    assert step["shell"] == "bash"
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)


def test_the_action_checks_writes_the_summary_and_fails_the_job(cdk_assembly, tmp_path):
    # installing is `pip install` of this repository (tests/test_install.py installs the built wheel the same way)
    assert _step("Install ddbguard")["run"] == (
        'python3 -m pip install --quiet --disable-pip-version-check "${GITHUB_ACTION_PATH}"')
    shutil.copytree(cdk_assembly, tmp_path / "cdk.out")
    check = _run_step("Check", {"fail-on": "high"}, tmp_path)
    assert check.returncode == 0, check.stderr
    assert (tmp_path / "output.txt").read_text() == "exit-code=1\n"
    sarif = json.loads((tmp_path / "ddbguard.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"DDB001", "DDB002", "DDB011"}
    assert (tmp_path / "summary.md").read_text().startswith("## ddbguard 0.1.0")
    assert _run_step("Fail on findings", {}, tmp_path, {"exit-code": "1"}).returncode == 1
    upload = _step("Upload SARIF")
    assert (upload["uses"], upload["with"]["sarif_file"]) == ("github/codeql-action/upload-sarif@v3",
                                                             "${{ inputs.report }}")

    # with a baseline of today's failures, the same job passes
    assert run_ddbguard("check", "cdk.out", "--write-baseline", "baseline.json", cwd=tmp_path).code == 0
    (tmp_path / "output.txt").unlink()
    assert _run_step("Check", {"baseline": "baseline.json", "format": "github", "report": "annotations.txt"},
                     tmp_path).returncode == 0
    assert (tmp_path / "output.txt").read_text() == "exit-code=0\n"
    assert _run_step("Fail on findings", {}, tmp_path, {"exit-code": "0"}).returncode == 0


def test_the_gitlab_recipe_of_the_docs(cdk_assembly, tmp_path):
    page = INTEGRATIONS.read_text()
    block = page[page.index("## GitLab CI: Code Quality and JUnit"):].split("```")[1]
    commands = [line.strip()[2:] for line in block.splitlines() if line.strip().startswith("- ddbguard ")]
    assert len(commands) == 2
    shutil.copytree(cdk_assembly, tmp_path / "cdk.out")
    for command in commands:
        words = shlex.split(command.split(" || ")[0])
        run_ddbguard(*words[1:], cwd=tmp_path)
    issues = json.loads((tmp_path / "gl-code-quality-report.json").read_text())
    assert issues and all({"description", "check_name", "fingerprint", "severity", "location"} <= set(i) for i in issues)
    assert all(i["location"]["path"].startswith("cdk.out/") for i in issues)
    assert (tmp_path / "ddbguard.xml").read_text().startswith("<?xml")


def test_the_pre_commit_recipe_of_the_docs_names_the_shipped_hooks():
    """tests/test_precommit.py runs these hooks through `pre-commit try-repo`."""
    page = INTEGRATIONS.read_text()
    block = page[page.index("## pre-commit"):].split("```")[1]
    named = re.findall(r"id: ([a-z-]+)", block)
    shipped = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert named == ["ddbguard", "ddbguard-checkov"] and set(named) <= shipped


def test_the_action_logs_and_summary_cannot_be_driven_by_a_template(tmp_path):
    """Everything the action prints goes to the job's log, where the runner runs workflow commands; the
    summary is rendered as Markdown. A hostile template drives neither (tests/test_hostile_output.py)."""
    from test_hostile_output import (HOSTILE_TEMPLATE, LOGICAL_ID, assert_markdown_renders_literally,
                                     lines_run_nothing, shown_characters_are_inert)

    (tmp_path / "::error::template.json").write_text(HOSTILE_TEMPLATE)
    (tmp_path / "##[add-mask]broken.yaml").write_text("Resources: [\n")
    check = _run_step("Check", {"paths": "::error::template.json ##[add-mask]broken.yaml"}, tmp_path)
    assert check.returncode == 0, check.stderr
    assert (tmp_path / "output.txt").read_text() == "exit-code=2\n"
    for log in (check.stdout, check.stderr):
        shown_characters_are_inert(log)
        lines_run_nothing(log)
    assert "ddbguard: #\\x23[add-mask]broken.yaml: invalid YAML" in check.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert_markdown_renders_literally(summary, [f"::error::template/{LOGICAL_ID}"], headings=6, cells=4)
