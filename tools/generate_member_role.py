"""Write deploy/member-role.json, the read-only role every member account gets (as a StackSet), from the
one source of the audit's permissions: iam/ddbguard-audit-policy.json.

    python tools/generate_member_role.py   (make export runs it; a test keeps the file current)
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "iam" / "ddbguard-audit-policy.json"
TEMPLATE = ROOT / "deploy" / "member-role.json"
READ_ONLY_SID = "DdbguardAuditReadOnly"  # the reads the audit makes in each account; the rest is the auditor's


def member_role_template(policy: dict) -> dict:
    statements = [s for s in policy["Statement"] if s.get("Sid") == READ_ONLY_SID]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "ddbguard's read-only audit role, for every member account (deploy it as a StackSet). "
                       "Generated from iam/ddbguard-audit-policy.json by tools/generate_member_role.py.",
        "Parameters": {
            "RoleName": {"Type": "String", "Default": "ddbguard-audit",
                         "Description": "ddbguard audit --role-name (deploy/audit-account.yaml's MemberRoleName)"},
            "AuditRoleArn": {"Type": "String", "AllowedPattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
                             "Description": "The role that runs the audit (deploy/audit-account.yaml's BuildRoleArn)"},
        },
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                # DDB012 asks for named tables; an auditor reads every table's configuration (never an item)
                "Metadata": {"ddbguard": {"suppress": [{"id": "DDB012", "reason": (
                    "the audit reads the configuration of every table (Describe/List/Get only, no item access)")}]}},
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "Description": "Read-only access for the ddbguard DynamoDB audit",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                        # only the audit role, and only while it is in this account's organization
                        {"Effect": "Allow", "Principal": {"AWS": {"Ref": "AuditRoleArn"}}, "Action": "sts:AssumeRole",
                         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}}]},
                    "Policies": [{"PolicyName": "ddbguard-audit-read-only", "PolicyDocument": {
                        "Version": policy["Version"], "Statement": statements}}],
                },
            },
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["AuditRole", "Arn"]}}},
    }


def render() -> str:
    return json.dumps(member_role_template(json.loads(POLICY.read_text())), indent=2) + "\n"


if __name__ == "__main__":
    TEMPLATE.write_text(render())
    print(f"wrote {TEMPLATE.relative_to(ROOT)}")
