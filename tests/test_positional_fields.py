"""The records a run builds by the ten thousand are built with positional arguments where it is hot (keywords took a
sixth of the join's time on 15,000 findings): Findings in join.py, passing Evaluations in engines/common.py, passing
Subjects in kit/subjects.py. In these field orders, which a change to the classes must keep, or change there too."""

from __future__ import annotations

import dataclasses

from ddbguard.model import Finding


def test_finding_fields_are_in_the_order_the_join_passes_them():
    assert [field.name for field in dataclasses.fields(Finding)] == [
        "rule_id", "title", "severity", "status", "message", "stack", "logical_id", "resource_type", "cdk_path",
        "file", "line", "engine", "remediation", "suppression_reason", "live", "source", "profile", "waived",
        "stack_key", "notice", "origin"]


def test_evaluation_and_subject_fields_are_in_the_order_passes_are_built_in():
    """engines/common.evaluation_of and kit/subjects.judged build a pass positionally too."""
    from ddbguard.model import Evaluation, Subject

    assert [field.name for field in dataclasses.fields(Evaluation)] == [
        "rule_id", "stack", "logical_id", "status", "message", "engine", "path", "live", "severity", "waiver",
        "notice"]
    assert [field.name for field in dataclasses.fields(Subject)][:3] == ["logical_id", "problems", "stack"]
