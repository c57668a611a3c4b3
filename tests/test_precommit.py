"""The pre-commit hooks, through real `pre-commit try-repo` against a throwaway git repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import COMPLIANT, ROOT, RULES_DIR

BAD = (RULES_DIR / "ddb001_retain" / "fixtures" / "bad.json").read_text()


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def pre_commit(tmp_path_factory):
    home = tmp_path_factory.mktemp("pre-commit-home")  # the hook's own virtualenv is built once, here

    def run(repo: Path, hook: str, *selection: str) -> subprocess.CompletedProcess:
        # No CFN_GUARD_BIN: the default hook needs no binary.
        env = {k: v for k, v in os.environ.items() if k != "CFN_GUARD_BIN"} | {"PRE_COMMIT_HOME": str(home)}
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook,
                               *(selection or ("--all-files",))],
                              cwd=repo, env=env, capture_output=True, text=True, check=False)

    return run


@pytest.fixture
def repo(tmp_path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")  # YAML that is not a template
    return tmp_path


def test_hook_fails_on_a_bad_template_and_passes_on_a_good_one(pre_commit, repo):
    (repo / "table.json").write_text(BAD)
    git(repo, "add", ".")
    bad = pre_commit(repo, "ddbguard")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "ddbguard" in bad.stdout and "Failed" in bad.stdout
    assert "FAIL table/NoPolicies\n      at table.json:12" in bad.stdout

    (repo / "table.json").unlink()
    (repo / "table.yaml").write_text(COMPLIANT)
    git(repo, "add", "-A")
    good = pre_commit(repo, "ddbguard")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_checkov_hook_installs_checkov_itself(pre_commit, repo):
    (repo / "table.yaml").write_text(COMPLIANT.replace("      DeletionProtectionEnabled: true\n", ""))
    git(repo, "add", ".")
    result = pre_commit(repo, "ddbguard-checkov")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL table/Table" in result.stdout and "deletion protection is not enabled" in result.stdout


def test_staged_template_is_checked_in_the_context_of_the_project(pre_commit, repo):
    # The data stack is already committed; only the compute stack (which imports its table) is staged.
    (repo / "stacks").mkdir()
    (repo / "stacks" / "data.yaml").write_text((ROOT / "fixtures" / "precommit" / "data.yaml").read_text())
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "data stack")
    (repo / "stacks" / "compute.yaml").write_text((ROOT / "fixtures" / "precommit" / "compute.yaml").read_text())
    git(repo, "add", "stacks/compute.yaml")
    staged = pre_commit(repo, "ddbguard", "--files", "stacks/compute.yaml")
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert "Passed" in staged.stdout

    # A problem in the staged file is still found, and findings of the context are never reported.
    (repo / "stacks" / "compute.yaml").write_text(
        (ROOT / "fixtures" / "precommit" / "compute.yaml").read_text().replace("orders-table-name", "order-table-name"))
    (repo / "stacks" / "data.yaml").write_text(BAD)  # not staged, not passed: context only
    broken = pre_commit(repo, "ddbguard", "--files", "stacks/compute.yaml")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "FAIL compute/Handler" in broken.stdout and "imports 'order-table-name'" in broken.stdout
    assert "data/" not in broken.stdout
