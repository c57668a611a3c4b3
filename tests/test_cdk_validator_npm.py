"""@ddbguard/cdk-validator (packages/cdk-validator-ddbguard), the CDK validation plugin for TypeScript and JavaScript
apps, in real `cdk synth` runs of the aws-cdk CLI with aws-cdk-lib from the npm registry (both pinned in package.json;
the package is linked as `npm install <checkout>/packages/cdk-validator-ddbguard` links it): synth fails with the
violations of `ddbguard check <assembly> --format cdk-validation` (the report the Python plugin hands CDK too), an
acknowledged finding is listed as suppressed, and a compliant app synthesizes. The package's own tests (Jest) run in
`make test`: `npm test --prefix packages/cdk-validator-ddbguard`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, cdk_report_rows, cdk_validation_rows, run_ddbguard

PACKAGE = ROOT / "packages" / "cdk-validator-ddbguard"
NODE_BIN = ROOT / "node_modules" / ".bin"
# node for the CDK CLI and the app, and nothing else of this machine: no ddbguard on PATH unless a test puts it there
BASE_PATH = os.pathsep.join(sorted({str(Path(shutil.which("node")).parent), "/usr/bin", "/bin"}))


def cdk_synth(app: Path, out: Path, *, ddbguard_on_path: bool = True, **env: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name not in ("DDBGUARD_COMMAND", "PATH")}
    environment.update({
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), BASE_PATH] if ddbguard_on_path else [BASE_PATH]),
        # offline and quiet: no version check, no telemetry, its cache in build/
        "CDK_DISABLE_VERSION_CHECK": "true", "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_HOME": str(ROOT / "build" / "cdk-home"), **env})
    return subprocess.run([str(NODE_BIN / "cdk"), "synth", "--quiet", "--no-notices", "--output", str(out)], cwd=app,
                          env=environment, capture_output=True, text=True, check=False, timeout=600)


def ddbguard_report(out: Path) -> dict:
    reports = json.loads((out / "validation-report.json").read_text())["pluginReports"]
    return next(r for r in reports if r["pluginName"] == "ddbguard")  # aws-cdk-lib's own validation may report too


@pytest.fixture(scope="module")
def typescript_synth(tmp_path_factory):
    """The TypeScript app as `cdk synth` runs it (ts-node; transpiled only: tsc type-checks it once, below)."""
    out = tmp_path_factory.mktemp("ts") / "cdk.out"
    return cdk_synth(FIXTURES / "cdk_ts_app", out, TS_NODE_TRANSPILE_ONLY="true"), out


def test_the_typescript_app_and_its_tests_type_check():
    """Against aws-cdk-lib 2.276, TypeScript 5 and @types/jest: `Validations.of(app).addPlugins(new
    DdbguardValidator())`, the acknowledgement, and `expect(template).toBeDdbguardCompliant()`."""
    completed = subprocess.run([str(NODE_BIN / "tsc"), "-p", str(FIXTURES / "cdk_ts_app" / "tsconfig.json")],
                               capture_output=True, text=True, check=False, timeout=600)
    assert (completed.returncode, completed.stdout) == (0, "")


def test_the_jest_matcher_in_the_typescript_app_s_own_tests(tmp_path):
    results = tmp_path / "jest.json"
    completed = subprocess.run(
        [str(NODE_BIN / "jest"), "--ci", "--json", f"--outputFile={results}",
         f"--cacheDirectory={ROOT / 'build' / 'jest-cache'}"], cwd=FIXTURES / "cdk_ts_app", capture_output=True,
        text=True, check=False, timeout=600,
        env={**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), BASE_PATH])})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert [(test["fullName"], test["status"]) for suite in json.loads(results.read_text())["testResults"]
            for test in suite["assertionResults"]] == [
        ("the orders table keeps its data", "passed"), ("a table destroyed with its stack is not compliant", "passed")]


def test_the_shipped_javascript_is_compiled_from_the_typescript_source(tmp_path):
    completed = subprocess.run([str(NODE_BIN / "tsc"), "-p", str(PACKAGE / "tsconfig.json"), "--outDir", str(tmp_path)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout
    built = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    shipped = {p.relative_to(PACKAGE / "lib"): p.read_bytes() for p in (PACKAGE / "lib").rglob("*") if p.is_file()}
    assert shipped == built, "run `npm run build --prefix packages/cdk-validator-ddbguard` and commit lib/"
    # npm links the folder without installing anything for it: at run time it needs only Node's built-ins
    required = {m for p in (PACKAGE / "lib").glob("*.js")
                for m in re.findall(r"require\(\"([^\"]+)\"\)", p.read_text())}
    assert required == {"node:child_process", "node:fs", "node:os", "node:path", "./cli"}
    # and its types name no other module: TypeScript reads a linked package's .d.ts where it really is, in the
    # checkout, which need not have aws-cdk-lib (the app's own aws-cdk-lib checks them, structurally)
    imported = {m for p in (PACKAGE / "lib").glob("*.d.ts") for m in re.findall(r"from '([^']+)'", p.read_text())}
    assert imported == {"./cli"}
    manifest = json.loads((PACKAGE / "package.json").read_text())
    assert (manifest["peerDependencies"], "dependencies" in manifest, "prepare" in manifest["scripts"]) == (
        {"aws-cdk-lib": "^2"}, False, False)


def test_typescript_app_synth_fails_with_the_violations_of_ddbguard(typescript_synth):
    completed, out = typescript_synth
    assert completed.returncode != 0
    assert "Acknowledge with 'ddbguard::DDB001'" in completed.stderr  # CDK's own report
    plugin = ddbguard_report(out)
    assert (plugin["pluginVersion"], plugin["conclusion"]) == ("0.1.0", "failure")
    assert {(v["ruleName"], c["constructPath"], v["severity"], v["ruleMetadata"]["status"])
            for v in plugin["violations"] for c in v["violatingConstructs"]} == {
        ("DDB001", "orders-ts/Sessions/Resource", "error", "fail"),
        ("DDB002", "orders-ts/Sessions/Resource", "error", "fail"),
        ("DDB003", "orders-ts/Sessions/Resource", "warning", "fail"),
        ("DDB004", "orders-ts/Sessions/Resource", "error", "fail"),
        ("DDB022", "orders-ts/Sessions/Resource", "warning", "fail"),
        ("DDB023", "orders-ts/Sessions/Resource", "warning", "fail"),
        ("DDB023", "orders-ts/Scratch/Resource", "warning", "fail"),
    }
    # one engine: what the Python plugin hands CDK for this assembly, to the letter
    check = run_ddbguard("check", str(out), "--format", "cdk-validation")
    assert check.code == 1, check.stderr
    assert cdk_report_rows(plugin) == cdk_validation_rows(check.json())


def test_typescript_app_lists_the_acknowledged_finding_as_suppressed(typescript_synth):
    _, out = typescript_synth
    plugin = ddbguard_report(out)
    assert [(v["ruleName"], c["constructPath"], v["acknowledgedId"], v["reason"])
            for v in plugin["suppressedViolations"] for c in v["violatingConstructs"]] == [
        ("DDB002", "orders-ts/Scratch/Resource", "ddbguard::DDB002", "scratch data: nothing to recover")]


def test_a_compliant_typescript_app_synthesizes(tmp_path):
    out = tmp_path / "cdk.out"
    completed = cdk_synth(FIXTURES / "cdk_ts_app", out, DDBGUARD_CDK_APP="compliant", TS_NODE_TRANSPILE_ONLY="true")
    assert completed.returncode == 0, completed.stderr[-3000:]
    reports = json.loads((out / "validation-report.json").read_text())["pluginReports"]
    assert [r["pluginName"] for r in reports] == []
    assert (out / "orders-ts.template.json").is_file()


def test_javascript_app_with_the_command_in_ddbguard_command(tmp_path):
    out = tmp_path / "cdk.out"
    completed = cdk_synth(FIXTURES / "cdk_js_plugin_app", out, ddbguard_on_path=False,
                          DDBGUARD_COMMAND=json.dumps([sys.executable, "-m", "ddbguard"]))
    assert completed.returncode != 0
    plugin = ddbguard_report(out)
    assert sorted((v["ruleName"], v["severity"], c["constructPath"]) for v in plugin["violations"]
                  for c in v["violatingConstructs"]) == [
        ("DDB002", "error", "orders-js/Orders/Resource"),
        ("DDB003", "warning", "orders-js/Orders/Resource"),
        ("DDB004", "error", "orders-js/Orders/Resource"),
        ("DDB007", "info", "orders-js/Orders/Resource"),  # retained: orphaned, not lost (a note)
        ("DDB022", "info", "orders-js/Orders/Resource"),
        ("DDB023", "warning", "orders-js/Orders/Resource"),
    ]
    assert "suppressedViolations" not in plugin  # CDK leaves the list out when nothing is acknowledged


@pytest.mark.parametrize(("section", "language", "app"), [
    ("## CDK: fail `cdk synth` itself", "ts", "cdk_ts_app/bin/app.ts"),
    ("## CDK: fail `cdk synth` itself", "js", "cdk_js_plugin_app/bin/app.js"),
    ("## Tests: ddbguard in the test suite", "ts", "cdk_ts_app/test/orders.test.ts"),
])
def test_the_documented_recipe_is_the_tested_app(section, language, app):
    page = (ROOT / "docs" / "integrations.md").read_text()
    text = page[page.index(section):].split("\n## ")[0]
    recipes = [block.split("```")[0] for block in text.split(f"```{language}\n")[1:]]
    lines = {line.strip() for line in (FIXTURES / app).read_text().splitlines()}
    assert recipes and [line for r in recipes for line in r.splitlines() if line and line.strip() not in lines] == []
    assert "npm install <checkout>/packages/cdk-validator-ddbguard" in page
