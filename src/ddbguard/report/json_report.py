"""The JSON report: a versioned contract (schemas/report.schema.json) that CI consumers rely on."""

from __future__ import annotations

import json

from ddbguard import __version__
from ddbguard.model import Finding, Report
from ddbguard.report import summary

SCHEMA_VERSION = 1


def finding_to_dict(f: Finding) -> dict:
    live = {"account": f.live.account, "region": f.live.region, "arn": f.live.arn,
            "resource_name": f.live.resource_name} if f.live else {}
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "status": f.status.value,
        "severity": f.severity.value,
        "message": f.message,
        "stack": f.stack,
        "logical_id": f.logical_id,
        "resource_type": f.resource_type,
        "cdk_path": f.cdk_path,
        "file": f.file,
        "line": f.line,
        "engine": f.engine,
        "remediation": f.remediation,
        "suppression_reason": f.suppression_reason,
        **live,
    }


def report_to_dict(report: Report, *, engine: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ddbguard", "version": __version__, "engine": engine},
        "summary": summary(report),
        "findings": [finding_to_dict(f) for f in report.findings],
        "errors": [{"file": e.file, "message": e.message} for e in report.errors],
    }


def render_json(report: Report, *, engine: str) -> str:
    return json.dumps(report_to_dict(report, engine=engine), indent=2) + "\n"
