"""`--format html` in a real browser: Debian's headless Chromium (fixtures/browser.py, the DevTools protocol on a
pipe) opens the page the real CLI wrote, which must load nothing but itself, show the counts and the matrix the
JSON report of the same run implies, and filter its findings when a person clicks and types. The screenshot is
kept under build/test-artifacts/ (CI keeps it as an artifact).

Chromium missing is a failure that says how to install it (`make setup` does, where apt-get can), never a skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from conftest import FIXTURES, ROOT, run_ddbguard
from fixtures.browser import INSTALL_HINT, Chromium, find_chromium
from fixtures.live.seed import TABLES, seed_guide_account

ARTIFACTS = ROOT / "build" / "test-artifacts"
ACCOUNT = "123456789012"
GRAVITY = {"pass": 0, "suppressed": 1, "unknown": 2, "fail": 3}


@pytest.fixture(scope="module")
def chromium():
    binary = find_chromium()
    if binary is None:
        pytest.fail(INSTALL_HINT)
    browser = Chromium(binary)
    yield browser
    browser.close()


def loaded_nothing_else(browser: Chromium, page: Path) -> None:
    """The page's only request is itself, and nothing was refused (CSP), logged or thrown."""
    requests = [e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"]
    assert requests == [page.resolve().as_uri()]
    noise = [e["params"] for e in browser.events if e["method"] in (
        "Runtime.exceptionThrown", "Runtime.consoleAPICalled", "Log.entryAdded", "Network.loadingFailed")]
    assert noise == []


def visible_rows(browser: Chromium) -> list[list[str]]:
    return browser.evaluate("[...document.querySelectorAll('#findings tbody tr')].filter(r => !r.hidden)"
                            ".map(r => [r.dataset.rule, r.dataset.scope, r.dataset.status, r.dataset.change])")


def choose(browser: Chromium, select: str, value: str) -> None:
    """Pick an option of a <select> as the keyboard does: set it and let the page hear `change`."""
    browser.evaluate(f"(() => {{ const s = document.querySelector({json.dumps(select)}); s.value = "
                     f"{json.dumps(value)}; s.dispatchEvent(new Event('change')); }})()")


def shown_text(finding: dict) -> str:
    """The text of a finding's row, as the page's text filter searches it."""
    fields = [finding["status"], finding["severity"], finding["rule_id"], finding["title"],
              f"{finding['stack']}/{finding['logical_id']}", finding["cdk_path"] or "", finding["resource_type"] or "",
              f"{finding['file']}:{finding['line']}", finding["message"], finding["suppression_reason"] or "",
              finding["remediation"] if finding["status"] != "pass" else ""]
    return " ".join(fields).lower()


def test_the_html_report_of_a_cloud_assembly_renders_and_filters_in_chromium(cdk_assembly, chromium):
    page = ARTIFACTS / "html-report.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    written = run_ddbguard("check", str(cdk_assembly), "--format", "html", "--output", str(page))
    assert written.code == 1, written.stderr
    report = run_ddbguard("check", str(cdk_assembly), "--format", "json").json()
    findings, summary = report["findings"], report["summary"]
    chromium.open(page)
    loaded_nothing_else(chromium, page)
    assert chromium.evaluate("document.title") == "ddbguard 0.1.0: check"
    assert chromium.evaluate("[...document.querySelectorAll('#counts .card')].map(c => c.textContent)") == [
        f"{summary[s]}{s}" for s in ("fail", "unknown", "suppressed", "pass")]
    # the matrix: rule x stack, each cell coloured by the worst status there
    stacks = sorted({f["stack"] for f in findings})
    assert chromium.evaluate("[...document.querySelectorAll('#matrix th.scope')].map(c => c.textContent)") == stacks
    worst: dict[tuple[str, str], str] = {}
    for f in findings:
        key = (f["rule_id"], f["stack"])
        if GRAVITY[f["status"]] > GRAVITY.get(worst.get(key, ""), -1):
            worst[key] = f["status"]
    cells = chromium.evaluate("[...document.querySelectorAll('#matrix td[data-rule]')]"
                              ".map(c => [c.dataset.rule, c.dataset.scope, c.className])")
    assert {(rule, scope): css for rule, scope, css in cells} == {
        key: f"cell s-{status}" for key, status in worst.items()}
    assert worst[("DDB004", "ddbguard-legacy")] == "fail"
    # by default: everything but the passes
    not_passing = [f for f in findings if f["status"] != "pass"]
    assert len(visible_rows(chromium)) == len(not_passing) == summary["fail"] + summary["unknown"] + summary[
        "suppressed"]
    assert chromium.evaluate("document.getElementById('f-count').textContent") == (
        f"{len(not_passing)} of {len(findings)} findings shown")
    # a click on a cell lists that rule's findings in that stack, passes included
    chromium.click('#matrix td[data-rule="DDB004"][data-scope="ddbguard-legacy"]')
    assert sorted(visible_rows(chromium)) == sorted(
        [f["rule_id"], f["stack"], f["status"], ""] for f in findings
        if f["rule_id"] == "DDB004" and f["stack"] == "ddbguard-legacy")
    assert sorted(row[2] for row in visible_rows(chromium)) == ["fail", "suppressed"]  # RecoveryPlans, Scratch
    chromium.click("#f-reset")
    assert len(visible_rows(chromium)) == len(not_passing)
    # typing filters on every field a row shows
    chromium.type_text("#f-text", "RecoveryPlans")
    expected = [f for f in not_passing if "recoveryplans" in shown_text(f)]
    assert len(visible_rows(chromium)) == len(expected) > 0
    assert {row[1] for row in visible_rows(chromium)} == {"ddbguard-legacy"}
    choose(chromium, "#f-severity", "critical")
    assert visible_rows(chromium) == [["DDB001", "ddbguard-legacy", "fail", ""]]
    choose(chromium, "#f-status", "pass")
    assert sorted(visible_rows(chromium)) == sorted(
        [f["rule_id"], f["stack"], "pass", ""] for f in findings
        if f["status"] == "pass" and f["severity"] == "critical" and "recoveryplans" in shown_text(f))
    choose(chromium, "#f-status", "unknown")
    assert visible_rows(chromium) == []
    assert chromium.evaluate("document.getElementById('f-none').hidden") is False
    chromium.click("#f-reset")
    # the suppressions, each with its reason
    assert chromium.evaluate("[...document.querySelectorAll('#suppressions tbody tr')].map(r => "
                             "[...r.cells].map(c => c.textContent))") == sorted(
        [f["rule_id"], f["stack"], f["logical_id"], f["suppression_reason"]] for f in findings
        if f["status"] == "suppressed")
    chromium.evaluate("window.scrollTo(0, 0)")
    png = chromium.screenshot(ARTIFACTS / "html-report.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and int.from_bytes(png[16:20], "big") == 1400


def test_the_html_report_of_an_audit_has_account_region_columns_and_what_changed(moto, chromium, tmp_path):
    seed_guide_account(boto3.Session(), moto)
    previous = tmp_path / "previous.json"
    audit = ("audit", "--endpoint-url", moto, "--regions", "us-east-1")
    run_ddbguard(*audit, "--format", "json", "--output", str(previous))
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto)
    dynamodb.update_continuous_backups(TableName=TABLES["recovery-plans"],
                                       PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    dynamodb.update_table(TableName=TABLES["protection-groups"], DeletionProtectionEnabled=False)
    page = tmp_path / "audit.html"
    now = (*audit, "--since", str(previous), "--run-id", "nightly-2")
    result = run_ddbguard(*now, "--format", "html", "--output", str(page))
    assert result.code == 1, result.stderr
    report = run_ddbguard(*now, "--format", "json").json()
    chromium.open(page)
    loaded_nothing_else(chromium, page)
    assert chromium.evaluate("[...document.querySelectorAll('#matrix th.scope')].map(c => c.textContent)") == [
        f"{ACCOUNT}/us-east-1"]
    assert chromium.evaluate("document.querySelector('#since h2').textContent") == (
        f"Since the previous run: 1 new, 1 fixed, {report['changes']['still_failing']} still failing, 0 no longer "
        "reported")
    assert chromium.evaluate("document.querySelector('#audit p').textContent").startswith(
        "run nightly-2, started 20")
    assert chromium.evaluate("document.querySelector('#audit p').textContent").endswith(", regions us-east-1")
    choose(chromium, "#f-change", "new")
    assert visible_rows(chromium) == [["DDB004", f"{ACCOUNT}/us-east-1", "fail", "new"]]
    assert TABLES["protection-groups"] in chromium.evaluate(
        "[...document.querySelectorAll('#findings tbody tr')].filter(r => !r.hidden)[0].textContent")
    choose(chromium, "#f-change", "fixed")
    assert visible_rows(chromium) == []  # passing now: not among what is not passing
    choose(chromium, "#f-status", "")
    assert visible_rows(chromium) == [["DDB002", f"{ACCOUNT}/us-east-1", "pass", "fixed"]]
    choose(chromium, "#f-change", "still")
    assert len(visible_rows(chromium)) == report["changes"]["still_failing"]
    # merge writes the same page from JSON reports, and plan from the target account
    merged = run_ddbguard("merge", str(previous), "--format", "html")
    assert merged.code == 1 and merged.stdout.startswith("<!DOCTYPE html>")
    assert f'<th class="scope">{ACCOUNT}/us-east-1</th>' in merged.stdout
    planned = tmp_path / "plan.html"
    result = run_ddbguard("plan", str(FIXTURES / "plan" / "fresh-app.yaml"), "--endpoint-url", moto, "--stack-name",
                          "fresh-app", "--format", "html", "--output", str(planned))
    assert result.code == 0, result.stderr
    chromium.open(planned)
    loaded_nothing_else(chromium, planned)
    assert chromium.evaluate("document.title") == "ddbguard 0.1.0: plan"
    assert chromium.evaluate("document.querySelector('#counts .card').textContent") == "0fail"


def test_diff_writes_the_html_report_too(chromium, tmp_path):
    page = tmp_path / "diff.html"
    result = run_ddbguard("diff", str(FIXTURES / "diff" / "old.yaml"), str(FIXTURES / "diff" / "new.yaml"),
                          "--format", "html", "--output", str(page))
    report = run_ddbguard("diff", str(FIXTURES / "diff" / "old.yaml"), str(FIXTURES / "diff" / "new.yaml"),
                          "--format", "json").json()
    assert result.code == 1, result.stderr
    chromium.open(page)
    loaded_nothing_else(chromium, page)
    assert chromium.evaluate("document.title") == "ddbguard 0.1.0: diff"
    assert chromium.evaluate("document.getElementById('f-count').textContent") == (
        f"{sum(f['status'] != 'pass' for f in report['findings'])} of {len(report['findings'])} findings shown")


# Text a template can hold that a browser would run or follow if it were markup.
HOSTILE = {
    "logical_id": "Orders</script><script>window.pwned = 1</script>",
    "table_name": "<img src=x onerror=\"window.pwned = 2\">",
    "reason": "javascript:window.pwned = 3 \" onmouseover=\"window.pwned = 4\" '><svg onload=window.pwned=5>",
    "cdk_path": "App/</td></tr><tr><td><a href=\"javascript:window.pwned=6\">x</a>/Resource",
}


def test_hostile_text_from_a_template_is_shown_and_never_run(chromium, tmp_path):
    template = tmp_path / "hostile.json"
    template.write_text(json.dumps({"Resources": {HOSTILE["logical_id"]: {
        "Type": "AWS::DynamoDB::Table",
        "Metadata": {"aws:cdk:path": HOSTILE["cdk_path"],
                     "ddbguard": {"suppress": [{"id": "DDB003", "reason": HOSTILE["reason"]}]}},
        "Properties": {"TableName": HOSTILE["table_name"], "DeletionProtectionEnabled": HOSTILE["table_name"]}}}}))
    page = tmp_path / "hostile.html"
    result = run_ddbguard("check", str(template), "--format", "html", "--output", str(page))
    assert result.code == 1, result.stderr
    chromium.open(page)
    loaded_nothing_else(chromium, page)
    assert chromium.evaluate("typeof window.pwned") == "undefined"
    # no element, attribute or link came from the text: one script (the page's), no image, link or handler
    assert chromium.evaluate("document.scripts.length") == 1
    assert chromium.evaluate("document.querySelectorAll('img, svg, a, iframe, object, embed, form').length") == 0
    assert chromium.evaluate("[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                             ".filter(a => a.name.startsWith('on') || a.name === 'href' || a.name === 'src')"
                             ".length") == 0
    rows = chromium.evaluate("document.querySelectorAll('#findings tbody tr').length")
    report = run_ddbguard("check", str(template), "--format", "json").json()
    assert rows == len(report["findings"])  # no row was closed or opened by the text
    shown = chromium.evaluate("document.body.innerText")
    for text in HOSTILE.values():
        assert text in shown, text
    choose(chromium, "#f-status", "suppressed")
    assert visible_rows(chromium) == [["DDB003", "hostile", "suppressed", ""], ["DDB022", "hostile", "suppressed", ""]]
    assert chromium.evaluate("document.querySelector('#suppressions td:last-child').textContent") == HOSTILE["reason"]
