"""IAM policy statements and IAM's own matching rules, shared by the template and the live rules.

- Actions match case-insensitively, `*` any run of characters and `?` one.
- Resources match as ARNs, segment by segment and case-sensitively (ddbguard.arns says how).
- NotAction / NotResource match everything except what they list.
- An explicit Deny wins over any Allow; without an Allow, the answer is no.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from ddbguard import package_file
from ddbguard.actions import ACCOUNT_LEVEL_ACTIONS
from ddbguard.arns import arn_matches, wildcard_match
from ddbguard.model import Unknown

# The identities whose policies are judged, and what each is called in messages.
IDENTITY_TYPES = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group",
                  "AWS::SSO::PermissionSet": "permission set"}
# Policy resources, and the properties that name the identities each one is attached to.
POLICY_ATTACHMENTS = {
    "AWS::IAM::Policy": (("Roles", "role"), ("Users", "user"), ("Groups", "group")),
    "AWS::IAM::ManagedPolicy": (("Roles", "role"), ("Users", "user"), ("Groups", "group")),
    "AWS::IAM::RolePolicy": (("RoleName", "role"),),
    "AWS::IAM::UserPolicy": (("UserName", "user"),),
    "AWS::IAM::GroupPolicy": (("GroupName", "group"),),
}
# Services that run code with a role: a role only they may assume is a function role, used by a function of
# the input or not.
COMPUTE_SERVICES = ("lambda.amazonaws.com", "edgelambda.amazonaws.com", "ecs-tasks.amazonaws.com",
                    "ec2.amazonaws.com", "pods.eks.amazonaws.com", "tasks.apprunner.amazonaws.com",
                    "batch.amazonaws.com", "states.amazonaws.com", "codebuild.amazonaws.com", "glue.amazonaws.com",
                    "sagemaker.amazonaws.com", "elasticmapreduce.amazonaws.com")
# AWS Backup's service role reads every table of its account by design (AWSBackupServiceRolePolicyForBackup):
# DDB012 and DDB013 leave the policies of roles only AWS Backup may assume alone.
AWS_BACKUP_SERVICE = frozenset({"backup.amazonaws.com"})


@dataclass(frozen=True)
class Statement:
    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None  # set when the statement uses NotAction
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] | None = None
    has_condition: bool = False
    source: str = ""  # logical id of the policy (or role) that holds it
    path: tuple = ()  # where in that resource, for the finding's location
    condition: object = field(default=None, compare=False)  # the Condition block, as written
    unresolved: bool = False  # some of its Resource values could not be read (so it may cover more)

    def covers_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)

    def covers_resource(self, arn: str) -> bool:
        if self.not_resources is not None:
            return not any(resource_matches(p, arn) for p in self.not_resources)
        return any(resource_matches(p, arn) for p in self.resources)

    def applies(self, action: str, arn: str) -> bool:
        return self.covers_action(action) and self.covers_resource(arn)


@lru_cache(maxsize=8192)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _glob_matches(pattern: str, text: str, ignore_case: bool) -> bool:
    if pattern.count("*") + pattern.count("?") > 3:  # a regular expression could backtrack for too long
        if ignore_case:
            pattern, text = pattern.lower(), text.lower()
        return wildcard_match([("star", True) if c == "*" else ("one", True) if c == "?" else ("lit", c)
                               for c in pattern], list(text))
    return _glob(pattern, ignore_case).fullmatch(text) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _glob_matches(pattern, action, True)


def resource_matches(pattern: str, arn: str) -> bool:
    """A policy's Resource against an ARN, as IAM matches them (segment by segment)."""
    return arn_matches(pattern, arn)


def string_like(pattern: str, text: str) -> bool:
    """StringLike's match of a whole string: `*` any run, `?` one character, case-sensitive."""
    return _glob_matches(pattern, text, False)


def is_allowed(statements: list[Statement], action: str, arn: str) -> bool:
    """Whether the statements may allow one action on one resource: the over-grant view (least privilege),
    where every condition is taken to hold and only an unconditional Deny blocks."""
    applicable = [s for s in statements if s.applies(action, arn)]
    if any(s.effect == "Deny" and not s.has_condition for s in applicable):
        return False
    return any(s.effect == "Allow" for s in applicable)


Boundary = list[Statement] | Unknown | None  # a role's permissions boundary; None: it has none


def decide(statements: list[Statement], action: str, arn: str, boundary: Boundary = None) -> bool | Unknown:
    """IAM's answer for one request by a role, for rules that must know access works (DDB010, DDB011).

    An Allow's condition is taken to hold (the grant exists for some requests). A Deny's condition is
    never evaluated: when such a Deny applies the answer is Unknown, never "allowed". A permissions
    boundary must allow the request as well (AWS intersects the two); an unreadable boundary is Unknown.
    """
    answers = [_decide(statements, action, arn, "the role's policies")]
    if boundary is not None:
        answers.append(boundary if isinstance(boundary, Unknown) else
                       _decide(boundary, action, arn, "the role's permissions boundary"))
    if any(answer is False for answer in answers):
        return False
    return next((answer for answer in answers if isinstance(answer, Unknown)), True)


def decide_any(statements: list[Statement], actions, arns, boundary: Boundary = None) -> bool | Unknown:
    """True when some action on some ARN is allowed; Unknown when none is but one may be; else False."""
    actions = tuple(actions)
    # A statement that covers none of the actions never applies: asked once here, not for every action and ARN.
    statements = [s for s in statements if any(s.covers_action(action) for action in actions)]
    if not any(s.effect == "Allow" for s in statements):
        return False  # what every request would answer: nothing allows it
    if isinstance(boundary, list):
        boundary = [s for s in boundary if any(s.covers_action(action) for action in actions)]
    uncertain = None
    for action in actions:
        for arn in arns:
            answer = decide(statements, action, arn, boundary)
            if answer is True:
                return True
            if uncertain is None and isinstance(answer, Unknown):  # (an Unknown is falsy: no `or` here)
                uncertain = answer
    return False if uncertain is None else uncertain


def _decide(statements: list[Statement], action: str, arn: str, where: str) -> bool | Unknown:
    applicable = [s for s in statements if s.applies(action, arn)]
    if any(s.effect == "Deny" and not s.has_condition for s in applicable) or not any(
            s.effect == "Allow" for s in applicable):
        return False
    deny = next((s for s in applicable if s.effect == "Deny"), None)
    if deny is not None:
        return Unknown(f"a Deny with a Condition in {where} ({deny.source}) applies to {action}, and ddbguard "
                       "cannot evaluate the condition")
    # a Deny that ddbguard could not read in full may cover this request too
    deny = next((s for s in statements if s.effect == "Deny" and s.unresolved and s.covers_action(action)), None)
    if deny is not None:
        return Unknown(f"a Deny in {where} ({deny.source}) that ddbguard cannot read in full may apply to {action}")
    return True


def _strings(value: object) -> tuple[str, ...] | None:
    """A policy field as a tuple of strings; None when any item is not a literal."""
    items = value if isinstance(value, list) else [value]
    return tuple(items) if all(isinstance(i, str) for i in items) else None


def parse_statements(document: object, *, source: str, path: tuple = ()) -> tuple[list[Statement], list[tuple]]:
    """Statements of a policy document, and the paths of what could not be read literally.

    A statement whose actions cannot be read is left out (a Deny leaves a placeholder that may deny anything,
    so that access depending on it is unknown); one with some unreadable resources keeps its literal resources
    and is marked `unresolved`. Either way the path is reported, so that rules can say "unknown".
    """
    if not isinstance(document, dict):
        return [], [path]
    raw = document.get("Statement")
    indexed = [((*path, "Statement"), raw)] if isinstance(raw, dict) else [
        ((*path, "Statement", i), s) for i, s in enumerate(raw if isinstance(raw, list) else [])]
    statements, unreadable = [], []
    for where, item in indexed:
        if not isinstance(item, dict) or item.get("Effect") not in ("Allow", "Deny"):
            unreadable.append(where)
            continue
        fields: dict = {}
        for key, plain, negated in (("Action", "actions", "not_actions"), ("Resource", "resources", "not_resources")):
            if f"Not{key}" in item:
                values = _strings(item[f"Not{key}"])
                fields[negated] = values
            else:
                values = _strings(item.get(key, []))
                if values is None and key == "Resource":
                    # keep what is literal: the statement surely grants on those; the rest is unknown
                    # (which matters only when the statement can grant a DynamoDB action)
                    raw_items = item.get(key) if isinstance(item.get(key), list) else [item.get(key)]
                    values = tuple(r for r in raw_items if isinstance(r, str))
                    fields["unresolved"] = True
                    if _may_touch_dynamodb(fields):
                        unreadable.append((*where, key))
                fields[plain] = values
            if values is None:
                unreadable.append(where)
                if item["Effect"] == "Deny":  # it may deny anything: access that depends on it is unknown
                    statements.append(Statement("Deny", actions=("*",), source=source, path=where, unresolved=True))
                break
        else:
            statements.append(Statement(effect=item["Effect"], has_condition="Condition" in item, source=source,
                                        path=where, condition=item.get("Condition"), **fields))
    return statements, unreadable


def names_dynamodb_action(pattern: str) -> bool:
    """An action pattern that can name a DynamoDB action (`dynamodb:GetItem`, `dynamodb:*`, `dyn*`, `*`)."""
    return (action_matches(pattern, "dynamodb:GetItem") or pattern.lower().startswith("dynamodb:")
            or action_matches(pattern, "dynamodb:\x00"))  # a wildcard that reaches some action, like `*:?`


def reaches_table_actions(statement: Statement) -> bool:
    """The statement may grant a DynamoDB action on tables (not only account-level ones such as ListTables)."""
    if statement.not_actions is not None:
        return not grants_no_dynamodb_action(statement)
    return any(names_dynamodb_action(a) and ("*" in a or not any(action_matches(p, a) for p in ACCOUNT_LEVEL_ACTIONS))
               for a in statement.actions)


def _may_touch_dynamodb(fields: dict) -> bool:
    probe = Statement("Allow", actions=fields.get("actions") or (), not_actions=fields.get("not_actions"))
    if probe.not_actions is not None:
        return not grants_no_dynamodb_action(probe)
    return any(names_dynamodb_action(pattern) for pattern in probe.actions)


def grants_no_dynamodb_action(statement: Statement) -> bool:
    """A NotAction statement that excludes every DynamoDB action (`NotAction: dynamodb:*`) grants none."""
    return statement.not_actions is not None and any(
        action_matches(pattern, "dynamodb:\x00") for pattern in statement.not_actions)


# any partition's, and `${AWS::Partition}` (a template file's, not known): AWS managed policies are the same in each
_MANAGED_POLICY_ARN = re.compile(r"^arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):iam::aws:policy/(?:.*/)?([^/]+)$")


@cache
def _aws_managed_policies() -> dict[str, dict]:
    return json.loads(package_file("data", "aws_managed_policies.json").read_text())


def aws_managed_policy_arns() -> dict[str, str]:
    """AWS managed policy name -> ARN, for SAM's `Policies: [AmazonDynamoDBReadOnlyAccess]`."""
    return {name: f"arn:aws:iam::aws:policy{policy['path']}{name}" for name, policy in _aws_managed_policies().items()}


def aws_managed_statements(arn: object, *, source: str, path: tuple) -> tuple[str, list[Statement]] | None:
    """(name, the DynamoDB statements) of an AWS managed policy ARN; None when it is not one ddbguard knows."""
    match = _MANAGED_POLICY_ARN.match(arn) if isinstance(arn, str) else None
    policy = _aws_managed_policies().get(match.group(1)) if match else None
    if policy is None:
        return None
    document = {"Statement": policy["statements"]}
    statements, _ = parse_statements(document, source=source, path=path)
    return match.group(1), [dataclasses.replace(s, source=source, path=path) for s in statements]
