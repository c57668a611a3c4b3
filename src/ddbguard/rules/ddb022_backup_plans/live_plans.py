"""DDB022 live: the plans that select a table, from AWS Backup (GetBackupPlan, GetBackupSelection, ListBackupVaults)
and from the account's effective organization backup policy, judged like the plans of a template."""

from __future__ import annotations

from ddbguard.kit.backup import selection_from, selects
from ddbguard.kit.snapshot import Unknown

from .requirements import PlanRule, Vault, crossing, judge
from .template_plans import retention

# the organization policy's condition operators, as AWS Backup's
_OPERATORS = {"string_equals": "StringEquals", "string_not_equals": "StringNotEquals",
              "string_like": "StringLike", "string_not_like": "StringNotLike"}


def plan_problems(snapshot, table, settings) -> tuple[list[str], list[str]]:
    """(problems, unknown reasons) of the plans that select the table; nothing when the plans were not read."""
    if snapshot.backup_plans is None:
        return [], []
    selected, unknown = [], []
    plans = snapshot.backup_plans
    if isinstance(plans, Unknown):
        unknown.append(f"AWS Backup's plans cannot be listed: {plans.reason}")
    else:
        for plan in plans:
            picked = _picks(plan["selections"], plan["name"], table)
            if isinstance(picked, str):
                unknown.append(picked)
            elif picked:
                selected.append(_local_rules(plan, snapshot))
    policy = snapshot.organization_backup_policy
    if isinstance(policy, Unknown):
        unknown.append(f"the organization's effective backup policy cannot be read: {policy.reason}")
    elif policy is not None:
        for name, plan in _mapping(policy.get("plans")).items():
            plan = _mapping(plan)
            if snapshot.region not in [_assigned(r) for r in _listed(plan.get("regions"))]:
                continue
            picked = _picks(_organization_selections(plan, snapshot), f"organization policy plan {name}", table)
            if isinstance(picked, str):
                unknown.append(picked)
            elif picked:
                selected.append(_organization_rules(name, plan, snapshot))
    if not selected and not unknown:
        return [f"no backup plan of AWS Backup or of the organization's backup policy selects table {table.name}, "
                "so none meets the backup requirements"], []
    return judge(table.name, selected, unknown, settings)


def _picks(selections, plan: str, table) -> bool | str:
    """Whether one of a plan's selections picks the table; a string says why it cannot be told."""
    if isinstance(selections, Unknown):
        return f"the selections of backup plan {plan} cannot be read: {selections.reason}"
    tags = table.tags
    unsure = None
    for body in selections:
        picked = selects(selection_from(str(body.get("SelectionName")), plan, body), table.arn,
                         None if isinstance(tags, Unknown) else tags)
        if picked is True:
            return True
        if isinstance(picked, str):
            unsure = unsure or (f"the tags of table {table.name} cannot be read: {tags.reason}"
                                if isinstance(tags, Unknown) else picked)
    return unsure or False


def _vault(name: object, snapshot) -> Vault | Unknown:
    vaults = snapshot.backup_vaults
    if isinstance(vaults, Unknown):
        return Unknown(f"the backup vaults cannot be listed: {vaults.reason}")
    listed = (vaults or {}).get(name) if isinstance(name, str) else None
    if listed is None:
        return Unknown(f"backup vault {name} is not listed in account {snapshot.account} region {snapshot.region}")
    locked = listed.get("Locked")
    return Vault(name, locked if isinstance(locked, bool) else Unknown(
        f"ListBackupVaults does not say whether backup vault {name} is locked"), listed.get("EncryptionKeyArn"))


def _local_rules(plan: dict, snapshot) -> list[PlanRule] | Unknown:
    body = plan["plan"]
    if isinstance(body, Unknown):
        return Unknown(f"backup plan {plan['name']} cannot be read: {body.reason}")
    return [PlanRule(where=f"backup plan {plan['name']} rule {rule.get('RuleName')}",
                     retention=retention(rule.get("Lifecycle"), plan["name"]),
                     vault=_vault(rule.get("TargetBackupVaultName"), snapshot),
                     copies=[crossing(c.get("DestinationBackupVaultArn"), snapshot.region, snapshot.account)
                             for c in rule.get("CopyActions") or []])
            for rule in body.get("Rules") or []] or Unknown(f"backup plan {plan['name']} has no rule")


# -- the organization's effective backup policy ------------------------------------------------------------------
def _assigned(value: object) -> object:
    """A policy value; effective policies mostly state values plainly, some still under `@@assign`."""
    return value["@@assign"] if isinstance(value, dict) and set(value) == {"@@assign"} else value


def _mapping(value: object) -> dict:
    """A policy mapping; anything else reads as empty (a plan without rules or selections selects nothing)."""
    value = _assigned(value)
    return value if isinstance(value, dict) else {}


def _listed(value: object) -> list:
    value = _assigned(value)
    return value if isinstance(value, list) else [] if value is None else [value]


def _here(value: object, snapshot) -> object:
    """`$account` and `$region` of a policy value, as AWS Backup fills them in for this account and region."""
    value = _assigned(value)
    return value.replace("$account", snapshot.account).replace("$region", snapshot.region) \
        if isinstance(value, str) else value


def _conditions(spec: object, snapshot) -> dict:
    conditions = {}
    for operator, items in _mapping(spec).items():
        conditions[_OPERATORS.get(operator, operator)] = [
            {"ConditionKey": _here(_mapping(c).get("condition_key"), snapshot),
             "ConditionValue": _here(_mapping(c).get("condition_value"), snapshot)}
            for c in _mapping(items).values()]
    return conditions


def _organization_selections(plan: dict, snapshot) -> list[dict]:
    """The policy plan's selections as AWS Backup's BackupSelection: `tags` (tag_key, tag_value) and `resources`
    (resource_types, not_resource_types), each with its conditions."""
    selections = _mapping(plan.get("selections"))
    found = []
    for name, spec in _mapping(selections.get("tags")).items():
        spec = _mapping(spec)
        found.append({"SelectionName": name, "ListOfTags": [
            {"ConditionType": "STRINGEQUALS", "ConditionKey": _here(spec.get("tag_key"), snapshot),
             "ConditionValue": _here(value, snapshot)} for value in _listed(spec.get("tag_value"))],
            "Conditions": _conditions(spec.get("conditions"), snapshot)})
    for name, spec in _mapping(selections.get("resources")).items():
        spec = _mapping(spec)
        found.append({"SelectionName": name,
                      "Resources": [_here(r, snapshot) for r in _listed(spec.get("resource_types"))],
                      "NotResources": [_here(r, snapshot) for r in _listed(spec.get("not_resource_types"))],
                      "Conditions": _conditions(spec.get("conditions"), snapshot)})
    return found


def _organization_rules(name: str, plan: dict, snapshot) -> list[PlanRule] | Unknown:
    found = []
    for rule_name, rule in _mapping(plan.get("rules")).items():
        rule = _mapping(rule)
        days = _assigned(_mapping(rule.get("lifecycle")).get("delete_after_days"))
        copies = [_here(_mapping(c).get("target_backup_vault_arn"), snapshot)
                  for c in _mapping(rule.get("copy_actions")).values()]
        found.append(PlanRule(
            where=f"organization policy plan {name} rule {rule_name}",
            retention=retention(None if days is None else {"DeleteAfterDays": days},
                                f"organization policy plan {name}"),
            vault=_vault(_here(rule.get("target_backup_vault_name"), snapshot), snapshot),
            copies=[crossing(arn, snapshot.region, snapshot.account) for arn in copies]))
    return found or Unknown(f"organization policy plan {name} has no rule")
