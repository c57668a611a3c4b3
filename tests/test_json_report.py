"""The JSON report is written in pieces (each distinct string escaped once) and must be, byte for byte, what
json_document writes for the report as one dict: the schema's shape, written out here as the reference."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddbguard.model import Finding, LiveResource, NotModelled, Report, Severity, Status
from ddbguard.report import not_modelled_entries, summary
from ddbguard.report.escape.json import JsonTexts, json_document
from ddbguard.report.identity import relative_stack_key
from ddbguard.report.json_report import render_json
from test_hostile_output import FIELDS, HOSTILE, hostile_report


def reference_finding(f: Finding) -> dict:
    live = {"account": f.live.account, "region": f.live.region, "arn": f.live.arn,
            "resource_name": f.live.resource_name} if f.live else {}
    return {
        "rule_id": f.rule_id, "title": f.title, "status": f.status.value, "severity": f.severity.value,
        "message": f.message, "stack": f.stack, "logical_id": f.logical_id, "resource_type": f.resource_type,
        "cdk_path": f.cdk_path, "origin": f.origin, "file": f.file, "line": f.line, "engine": f.engine,
        "remediation": f.remediation, "suppression_reason": f.suppression_reason,
        **({"profile": f.profile} if f.profile else {}),
        **({"notice": True} if f.notice else {}),
        **({"stack_key": relative_stack_key(f.stack_key)} if f.stack_key else {}),
        **live,
    }


def reference_document(report: Report, engine: str) -> str:
    from ddbguard import __version__

    data = {"schema_version": 1, "tool": {"name": "ddbguard", "version": __version__, "engine": engine},
            "summary": summary(report), "findings": [reference_finding(f) for f in report.findings],
            "errors": [{"file": e.file, "message": e.message} for e in report.errors]}
    if report.not_modelled:
        data["not_modelled"] = not_modelled_entries(report)
    if report.warnings:
        data["warnings"] = [{"file": w.file, "message": w.message} for w in report.warnings]
    for key in ("audit", "changes", "baseline"):
        if getattr(report, key) is not None:
            data[key] = getattr(report, key)
    return json_document(data) + "\n"


def with_every_member(report: Report, texts: list[str]) -> Report:
    """The hostile report with what it lacks: a notice, stack keys (absolute, as a template file's), a line read back
    from a merged report as 3.0, NaN and Infinity in the audit's scope, warnings and a construct not modelled."""
    t = iter(texts)
    first, second, third, *rest = report.findings
    findings = [dataclasses.replace(first, notice=True, stack_key=f"/abs/{next(t)}#{next(t)}"),
                dataclasses.replace(second, line=3.0, stack_key=f"/abs/{next(t)}", origin="cdk-framework"),
                dataclasses.replace(third, line=0, resource_type=None, cdk_path=None, profile=None), *rest]
    return dataclasses.replace(
        report, findings=findings, warnings=list(report.errors),
        audit={"run_id": next(t), "ratio": float("nan"), "limit": float("inf"), "shard": [1, 2], "ok": True},
        not_modelled=[NotModelled(next(t), next(t), next(t), next(t), next(t), line=4)])


def assert_written_as_one_document(report: Report, engine: str) -> None:
    written = render_json(report, engine=engine)
    assert written == reference_document(report, engine)
    assert written.isascii() and "##[" not in written
    json.loads(written)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.lists(HOSTILE, min_size=FIELDS + 10, max_size=FIELDS + 10))
def test_the_json_report_is_json_document_of_the_report_on_hostile_text(texts):
    report = hostile_report(texts[:FIELDS - 1])
    assert_written_as_one_document(with_every_member(report, texts[FIELDS:]), engine=texts[FIELDS - 1])


def test_the_json_report_is_json_document_of_the_report_when_empty_and_on_repeated_strings():
    assert_written_as_one_document(Report(), engine="builtin")
    finding = Finding(rule_id="DDB002", title="t \ud800 ##[x", severity=Severity.HIGH, status=Status.FAIL,
                      message="m \U0001f600", stack="s", logical_id="T", resource_type="AWS::DynamoDB::Table",
                      cdk_path=None, file="f.json", line=12, engine="builtin", remediation="r",
                      live=LiveResource("111111111111", "us-east-1", "arn:aws:dynamodb:us-east-1:1:table/t", "t"))
    report = Report(findings=[finding, dataclasses.replace(finding, logical_id="U", status=Status.PASS, line=1.0)])
    assert_written_as_one_document(report, engine="guard")
    assert render_json(report, engine="guard").count('"title": "t \\\\ud800 ##\\u005bx"') == 2


def test_the_texts_of_numbers_are_never_shared():
    texts = JsonTexts()
    assert [texts[1], texts[True], texts[1.0], texts[None], texts["1"], texts[float("nan")]] == [
        "1", "true", "1.0", "null", '"1"', '"nan"']
    assert set(texts) == {None, "1"}
