"""Scaffold a per-table rule: `make rule ID=DDB019 NAME=gsi_retention` (or run this script).

Writes src/ddbguard/rules/<stem>/ with a catalog entry, a predicate stub, a cfn-guard rule and its
tests, and good/bad fixtures. Everything is a placeholder that the test suite rejects until it is
filled in (the predicate raises, the fixtures declare nothing, the guard tests expect the opposite of
what the stub does), so a half-written rule cannot land. docs/adding-a-rule.md says what to write.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

RULE_YAML = """\
id: {id}
name: {name}
title: TODO state the compliant condition, as the other titles do
severity: medium
guide_sections:
  - "TODO: the guide section this rule enforces"
rationale: >-
  TODO: what goes wrong for the data without it.
compliant_when: >-
  TODO: the exact condition, in CloudFormation property names.
remediation:
  cloudformation: "TODO the CloudFormation fix"
  cdk: "TODO the CDK fix"
  cli: "TODO the AWS CLI fix"
resource_types: [AWS::DynamoDB::Table, AWS::DynamoDB::GlobalTable]
engines: [builtin, guard, checkov]
"""

PREDICATE = '''\
"""{id}: TODO one line on what the rule requires."""

from __future__ import annotations

from ddbguard.model import Problem


def problems(resource: dict, settings=None) -> list[Problem]:
    """The problems of one CloudFormation-shaped table resource (ddbguard.kit.values has the helpers);
    `settings` holds the configuration settings rule.yaml declares (`settings: [...]`)."""
    raise NotImplementedError("{id}: write the predicate (see docs/adding-a-rule.md)")
'''

GUARD = """\
# {id} {name}: TODO the same condition as predicate.py, for cfn-guard.
let {prefix}_tables = Resources.*[ Type in ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'] ]

rule {id}_{name} when %{prefix}_tables !empty {{
    %{prefix}_tables {{
        Properties.TODO exists
        <<TODO the message>>
    }}
}}
"""

GUARD_TESTS = """\
- name: A. TODO a compliant table -> PASS
  input:
    Resources:
      Table: {{Type: AWS::DynamoDB::Table, Properties: {{}}}}
  expectations:
    rules: {{{id}_{name}: PASS}}
"""

FIXTURE = """\
# {id} {kind} cases: TODO describe them, and list every table below with its expected verdict.
Metadata:
  ddbguard-test:
    expect:
      {id}: {{pass: [], fail: []}}
Resources: {{}}
"""


def scaffold(root: Path, rule_id: str, name: str) -> Path:
    if not re.fullmatch(r"DDB[0-9]{3}", rule_id) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SystemExit("ID must look like DDB019 and NAME like gsi_retention")
    folder = root / "src" / "ddbguard" / "rules" / f"{rule_id.lower()}_{name}"
    if folder.exists() or any((root / "src" / "ddbguard" / "rules").glob(f"{rule_id.lower()}_*")):
        raise SystemExit(f"{rule_id} already has a folder")
    values = {"id": rule_id, "name": name, "prefix": rule_id.lower()}
    files = {"__init__.py": "", "rule.yaml": RULE_YAML, "predicate.py": PREDICATE, "rule.guard": GUARD,
             "rule_tests.yaml": GUARD_TESTS, "fixtures/good.yaml": FIXTURE.replace("{kind}", "compliant"),
             "fixtures/bad.yaml": FIXTURE.replace("{kind}", "violating")}
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**values))
    return folder


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("id")
    parser.add_argument("name")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    arguments = parser.parse_args()
    print(scaffold(arguments.root, arguments.id, arguments.name), file=sys.stderr)
