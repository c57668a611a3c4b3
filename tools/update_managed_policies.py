"""Regenerate src/ddbguard/data/aws_managed_policies.json from the AWS managed policies moto ships.

    .venv/bin/python tools/update_managed_policies.py

For every AWS managed policy: its path, and the statements that can touch a DynamoDB action (with
their actions narrowed to the DynamoDB ones). A policy with no such statement is listed with none,
so that ddbguard knows it grants nothing on tables. tests/test_managed_policies.py keeps the file
equal to this script's output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "src" / "ddbguard" / "data" / "aws_managed_policies.json"


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def dynamodb_statements(document: dict, actions: frozenset[str]) -> list[dict]:
    from ddbguard.iam import action_matches

    def reaches(pattern: str) -> bool:
        return any(action_matches(pattern, action) for action in actions)

    kept = []
    for statement in _as_list(document.get("Statement", [])):
        entry: dict = {"Effect": statement["Effect"]}
        if "NotAction" in statement:
            excluded = _as_list(statement["NotAction"])
            if all(any(action_matches(p, a) for p in excluded) for a in actions):
                continue  # excludes every DynamoDB action
            entry["NotAction"] = excluded
        else:
            narrowed = [a for a in _as_list(statement.get("Action", [])) if reaches(a)]
            if not narrowed:
                continue
            entry["Action"] = narrowed
        for key in ("Resource", "NotResource", "Condition"):
            if key in statement:
                entry[key] = statement[key]
        kept.append(entry)
    return kept


def generate() -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    from ddbguard.actions import dynamodb_actions

    actions = dynamodb_actions()
    policies = json.loads(aws_managed_policies_data)
    return {name: {"path": policy["Path"], "statements": dynamodb_statements(policy["Document"], actions)}
            for name, policy in sorted(policies.items())}


def render(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(generate()), encoding="utf-8")
    touching = sum(1 for p in generate().values() if p["statements"])
    print(f"{OUTPUT.relative_to(ROOT)}: {len(generate())} policies, {touching} touch DynamoDB", file=sys.stderr)
