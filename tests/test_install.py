"""`pip install` alone gives a working tool: the sdist and wheel build, and the wheel, installed into
a fresh virtualenv outside the checkout (no Node.js, no cfn-guard, no checkov), checks a cloud assembly."""

from __future__ import annotations

import os
import subprocess
import sys
import venv

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with this venv's setuptools instead of fetching a build environment. The sdist first,
    # then the wheel from the sdist (as a release does): a stale build/ of the checkout cannot leak into it.
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)], check=True,
                   capture_output=True, text=True)
    wheel = next(dist.glob("ddbguard-*.whl"))
    assert next(dist.glob("ddbguard-*.tar.gz"))
    home = tmp_path_factory.mktemp("fresh")
    venv.create(home / "venv", with_pip=True)
    pip = subprocess.run([str(home / "venv" / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                          str(wheel)], capture_output=True, text=True, check=False)
    assert pip.returncode == 0, pip.stderr[-2000:]
    return home


def run(home, *args: str):
    # Outside the checkout, with a PATH that has no cfn-guard and no node.
    env = {"PATH": str(home / "venv" / "bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run([str(home / "venv" / "bin" / "ddbguard"), *args], cwd=home, env=env,
                          capture_output=True, text=True, check=False)


def test_the_wheel_checks_a_cloud_assembly_with_the_default_engine(installed, cdk_assembly):
    result = run(installed, "check", str(cdk_assembly), "--format", "json")
    assert result.returncode == 1, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["tool"]["engine"] == "builtin"
    assert {("DDB001", "fail"), ("DDB001", "pass")} <= {(f["rule_id"], f["status"]) for f in report["findings"]}
    listed = subprocess.run([str(installed / "venv" / "bin" / "pip"), "list", "--format", "freeze"],
                            capture_output=True, text=True, check=True).stdout
    assert "checkov" not in listed.lower()  # an extra, not a dependency


def test_the_wheel_says_how_to_get_the_other_engines(installed, cdk_assembly):
    guard = run(installed, "check", str(cdk_assembly), "--engine", "guard")
    assert guard.returncode == 2
    assert "cfn-guard: binary not found. The default --engine builtin needs none" in guard.stdout
    checkov = run(installed, "check", str(cdk_assembly), "--engine", "checkov")
    assert checkov.returncode == 2
    assert "checkov is not installed: `pip install 'ddbguard[checkov]'`" in checkov.stdout
    assert "Traceback" not in guard.stdout + guard.stderr + checkov.stdout + checkov.stderr


def test_the_wheel_ships_every_rule_file(installed):
    site = next((installed / "venv" / "lib").glob("python3*/site-packages/ddbguard/rules"))
    shipped = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    source = ROOT / "src" / "ddbguard" / "rules"
    expected = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()
                and "__pycache__" not in p.parts}
    assert shipped == expected
    assert os.access(installed / "venv" / "bin" / "ddbguard", os.X_OK)
