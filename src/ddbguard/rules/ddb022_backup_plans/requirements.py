"""DDB022's judgement of the plan rules that select a table, wherever they were read (the templates, AWS Backup,
the organization's effective backup policy): retention and the optional `backup:` requirements (vault lock,
copies to another region or account, allowed KMS keys). A table passes when one rule meets every requirement."""

from __future__ import annotations

from dataclasses import dataclass, field

from ddbguard.arns import arn_segments
from ddbguard.iam import string_like
from ddbguard.kit.values import days as days_text
from ddbguard.model import Unknown


@dataclass
class Vault:
    name: str
    locked: bool | Unknown  # AWS Backup Vault Lock protects it
    key: str | None | Unknown  # its KMS key ARN; None: AWS Backup's default key


@dataclass
class Copy:
    """One copy action: whether its destination vault is in another region, another account."""

    cross_region: bool | Unknown
    cross_account: bool | Unknown


@dataclass
class PlanRule:
    where: str  # "backup plan daily rule daily", for messages
    retention: int | None | Unknown  # days; None: kept forever
    vault: Vault | Unknown
    copies: list[Copy] | Unknown = field(default_factory=list)


def crossing(arn: object, region: str, account: str) -> Copy:
    """Where a copy's destination vault ARN is, from where the plan runs. `region`/`account` are literal or the
    symbols `${AWS::Region}`/`${AWS::AccountId}` of a template that does not say (an ARN built from the same symbol
    is in the same place; a literal one against a symbol cannot be told)."""
    parts = arn_segments(arn) if isinstance(arn, str) and arn else []  # `${AWS::Region}` kept whole
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "backup" or parts[5] != "backup-vault":
        unreadable = Unknown(f"the copy destination {arn!r} cannot be read as a backup vault ARN")
        return Copy(unreadable, unreadable)
    return Copy(_differs(parts[3], region, "region"), _differs(parts[4], account, "account"))


def _differs(destination: str, source: str, what: str) -> bool | Unknown:
    if destination == source:
        return False
    if "${" in destination or "${" in source:
        return Unknown(f"whether a copy destination ({destination}) is in another {what} than the plan's "
                       f"({source}) cannot be told statically")
    return True


def rule_problems(rule: PlanRule, settings) -> tuple[list[str], list[Unknown]]:
    """What keeps one plan rule from meeting the requirements (failures), and what cannot be told (unknowns)."""
    failures, unknowns = [], []
    minimum = settings.min_backup_retention_days
    if isinstance(rule.retention, Unknown):
        unknowns.append(rule.retention)
    elif rule.retention is not None and rule.retention < minimum:
        failures.append(_Retention(rule.retention, minimum))
    wanted = settings.backup
    if wanted.require_vault_lock or wanted.allowed_kms_keys:
        vault = rule.vault
        if isinstance(vault, Unknown):
            unknowns.append(vault)
        else:
            if wanted.require_vault_lock:
                if isinstance(vault.locked, Unknown):
                    unknowns.append(vault.locked)
                elif not vault.locked:
                    failures.append(f"its backup vault {vault.name} has no vault lock (backup.require_vault_lock)")
            if wanted.allowed_kms_keys:
                if isinstance(vault.key, Unknown):
                    unknowns.append(vault.key)
                elif vault.key is None or not any(string_like(p, vault.key) for p in wanted.allowed_kms_keys):
                    key = "AWS Backup's default key" if vault.key is None else f"KMS key {vault.key}"
                    failures.append(f"its backup vault {vault.name} is encrypted with {key}, which is not in "
                                    "backup.allowed_kms_keys")
    for kind in wanted.require_copy:
        if isinstance(rule.copies, Unknown):
            unknowns.append(rule.copies)
            break
        places = [copy.cross_region if kind == "cross-region" else copy.cross_account for copy in rule.copies]
        if True in places:
            continue
        unsure = next((p for p in places if isinstance(p, Unknown)), None)
        if unsure is not None:
            unknowns.append(unsure)
        else:
            failures.append(f"it copies no recovery point to another {kind.removeprefix('cross-')} "
                            f"(backup.require_copy: {kind})")
    return failures, unknowns


class _Retention(str):
    """A retention failure, which keeps the days for the message that names the longest."""

    def __new__(cls, days: int, minimum: int):
        text = super().__new__(cls, f"it keeps recovery points {days_text(days)}, less than min_backup_retention_days "
                                    f"({minimum})")
        text.days = days
        return text


def judge(shown: str, plans: list[list[PlanRule] | Unknown], unknown: list[str],
          settings) -> tuple[list[str], list[str]]:
    """(problems, unknown reasons) of a table some plan selects, from the rules of the plans that select it (or why
    a plan cannot be read) and the selections that cannot be read."""
    failed: list[tuple[PlanRule, list[str]]] = []
    unknowns = list(unknown)
    for rules in plans:
        if isinstance(rules, Unknown):
            unknowns.append(rules.reason)
            continue
        for rule in rules:
            failures, unsure = rule_problems(rule, settings)
            if not failures and not unsure:
                return [], []
            if failures:  # a rule that misses one requirement fails, whatever else cannot be told of it
                failed.append((rule, failures))
            else:
                unknowns.append(unsure[0].reason)
    if unknowns:
        return [], [f"whether a backup plan keeps table {shown} is unknown: {unknowns[0]}"]
    if not failed:  # every plan that selects it has no rule at all: nothing is backed up
        return [f"the backup plans that select table {shown} have no backup rule"], []
    if all(isinstance(f, _Retention) for _, failures in failed for f in failures):
        longest = max(f.days for _, failures in failed for f in failures)
        return [f"the backup plans that select table {shown} keep recovery points at most {days_text(longest)}, less "
                f"than min_backup_retention_days ({settings.min_backup_retention_days})"], []
    return [f"no backup plan rule that selects table {shown} meets every requirement: "
            + "; ".join(f"{rule.where}: {', '.join(failures)}" for rule, failures in failed)], []
