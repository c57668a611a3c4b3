"""The backup plans of the input as DDB022 judges them: each rule's retention, its target vault (resolved to an
AWS::Backup::BackupVault of the input) and where its copy actions go."""

from __future__ import annotations

from ddbguard.kit.graph import Graph, as_list, token
from ddbguard.kit.values import dig
from ddbguard.model import Unknown
from ddbguard.templates.resolve import is_intrinsic

from .requirements import Copy, PlanRule, Vault, crossing

_VAULT = "AWS::Backup::BackupVault"


def plans(graph: Graph) -> dict[str, list[PlanRule] | Unknown]:
    """plan logical id -> its rules, or why they cannot be read."""
    vaults = _vaults(graph)
    found = {}
    for stack in graph.stacks:
        resolver = graph.model.resolver(stack.stack)
        region, account = resolver.pseudo_parameter("AWS::Region"), resolver.pseudo_parameter("AWS::AccountId")
        resources = stack.resolved["Resources"]
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::Backup::BackupPlan":
                continue
            rules = dig(resource, "Properties", "BackupPlan", "BackupPlanRule")
            readable = [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []
            if not readable:
                found[logical_id] = Unknown(f"backup plan {logical_id} has no rule that can be read")
                continue
            found[logical_id] = [PlanRule(
                where=f"backup plan {logical_id} rule {rule.get('RuleName')}",
                retention=retention(rule.get("Lifecycle"), logical_id),
                vault=_target(rule.get("TargetBackupVault"), resources, vaults, logical_id),
                copies=_copies(rule.get("CopyActions"), resources, region, account, logical_id),
            ) for rule in readable]
    return found


def retention(lifecycle: object, plan: str) -> int | None | Unknown:
    """A rule's Lifecycle.DeleteAfterDays: days, None (kept forever), or why it cannot be read. A Ref to a Number
    parameter arrives as a string of digits, which CloudFormation reads as a number."""
    if lifecycle is None:
        return None
    value = lifecycle.get("DeleteAfterDays") if isinstance(lifecycle, dict) else lifecycle
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return Unknown(f"the retention of backup plan {plan} cannot be resolved statically")


def _vaults(graph: Graph) -> dict[str, list[Vault]]:
    """The backup vaults of the input by their name (a name CloudFormation generates is none of them)."""
    by_name: dict[str, list[Vault]] = {}
    for stack in graph.stacks:
        for logical_id, resource in stack.resolved["Resources"].items():
            if resource.get("Type") == _VAULT:
                vault = _vault(logical_id, resource)
                by_name.setdefault(vault.name, []).append(vault)
    return by_name


def _vault(logical_id: str, resource: dict) -> Vault:
    properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
    name, lock, key = (properties.get(p) for p in ("BackupVaultName", "LockConfiguration", "EncryptionKeyArn"))
    if lock is None:
        locked = False
    elif isinstance(lock, dict) and not is_intrinsic(lock):
        locked = True  # governance mode, or compliance mode once ChangeableForDays have passed
    else:
        locked = Unknown(f"the vault lock of backup vault {logical_id} cannot be resolved statically")
    if key is not None and (not isinstance(key, str) or "${" in key):
        key = Unknown(f"the KMS key of backup vault {logical_id} cannot be resolved statically")
    # a name that does not resolve is no literal name a plan could give
    return Vault(name if isinstance(name, str) else "${" + logical_id + "}", locked, key)


def _target(value: object, resources: dict, vaults: dict[str, list[Vault]], plan: str) -> Vault | Unknown:
    """A rule's TargetBackupVault: a vault of the stack (Ref or GetAtt) or of the input (its literal name)."""
    reference = token(value)
    if reference:
        resource = resources.get(reference[0])
        if isinstance(resource, dict) and resource.get("Type") == _VAULT:
            return _vault(reference[0], resource)
        return Unknown(f"the target vault of backup plan {plan} ({value}) is not a backup vault of the input")
    if not isinstance(value, str) or "${" in value:
        return Unknown(f"the target vault of backup plan {plan} cannot be resolved statically")
    named = vaults.get(value, [])
    if len(named) != 1:
        return Unknown(f"backup vault {value} (the target of backup plan {plan}) is not in the input"
                       if not named else f"the input defines more than one backup vault named {value}")
    return named[0]


def _copies(actions: object, resources: dict, region: str, account: str, plan: str) -> list[Copy] | Unknown:
    if actions is not None and not isinstance(actions, list):
        return Unknown(f"the copy actions of backup plan {plan} cannot be resolved statically")
    copies = []
    for action in as_list(actions):
        destination = action.get("DestinationBackupVaultArn") if isinstance(action, dict) else action
        reference = token(destination)
        if reference and (resources.get(reference[0]) or {}).get("Type") == _VAULT:
            copies.append(Copy(False, False))  # a vault of the same stack: same region and account
        else:
            copies.append(crossing(destination, region, account))
    return copies
