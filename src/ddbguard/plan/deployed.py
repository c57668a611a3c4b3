"""`ddbguard plan PATH`: the diff rules against what is deployed, and the look-ups a deploy depends on.

For each stack of the input: GetTemplate of the deployed stack (not deployed yet: nothing to diff),
then DDB030/DDB031 against it; DDB032/DDB033 for tables the input imports; DDB034 for tables it
creates by name. A denied or failed call is unknown, never a pass.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ddbguard.catalog import load_catalog
from ddbguard.aws import DEFAULT_CALL_TIMEOUT, Clients, Unknown, error_reason, stack_tables, template_from_body
from ddbguard.config import Config
from ddbguard.engines.common import CheckedStack
from ddbguard.arns import arn_pattern
from ddbguard.graph import Graph
from ddbguard.join import join
from ddbguard.engines.reader import run_reader
from ddbguard.model import Evaluation, InputError, Report, Status
from ddbguard.plan.diff import across_stacks, diff_stacks
from ddbguard.plan.run import checked_stacks
from ddbguard.registry import implementation, select_rules
from ddbguard.rules import table_variables
from ddbguard.templates.load import Stack
from ddbguard.templates.model import InputModel
from ddbguard.templates.noecho import Redaction
from ddbguard.templates.resolve import TABLE_TYPES, resolve_template

_INDEX = re.compile(r"/index/([^/*?]+)$")


# A template file's name is not a stack name: comparing with the stack of that name would be a guess.
UNNAMED = ("the template file names no stack, so the deployed stack it would update is unknown: pass --stack-name "
           "(or plan the cloud assembly, whose manifest names its stacks)")


class Lookups:
    """The live facts a plan needs, each fetched once: deployed templates, tables, stack resources."""

    def __init__(self, session, clients: Clients, region: str | None) -> None:
        self.region = region or session.region_name or "us-east-1"
        self.cloudformation = clients.client(session, "cloudformation", self.region, scope=self.region)
        self.dynamodb = clients.client(session, "dynamodb", self.region, scope=self.region)
        self._tables: dict[str, object] = {}

    def deployed_template(self, stack_name: str | None):
        """(template, parameters) | None when the stack is not deployed | str reason when unknown."""
        from botocore.exceptions import BotoCoreError, ClientError

        if not stack_name:
            return UNNAMED
        try:
            described = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
            body = self.cloudformation.get_template(StackName=stack_name)["TemplateBody"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                return None
            return error_reason(exc, f"cloudformation:GetTemplate {stack_name}")
        except BotoCoreError as exc:
            return error_reason(exc, f"cloudformation:GetTemplate {stack_name}")
        parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters") or []}
        template = template_from_body(body)
        if isinstance(template, Unknown):
            return f"stack {stack_name}: {template.reason}"
        return template, parameters

    def table(self, name: str):
        """DescribeTable's Table | None when it does not exist | str reason when unknown."""
        from botocore.exceptions import BotoCoreError, ClientError

        if name not in self._tables:
            try:
                self._tables[name] = self.dynamodb.describe_table(TableName=name)["Table"]
            except ClientError as exc:
                not_found = exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
                self._tables[name] = None if not_found else error_reason(exc, f"dynamodb:DescribeTable {name}")
            except BotoCoreError as exc:
                self._tables[name] = error_reason(exc, f"dynamodb:DescribeTable {name}")
        return self._tables[name]

    def stack_tables(self, stack_name: str | None):
        """Physical ids of the tables a deployed stack manages | str reason."""
        if not stack_name:
            return UNNAMED
        owned = stack_tables(self.cloudformation, stack_name)
        return owned.reason if isinstance(owned, Unknown) else set(owned)


def run_plan(paths: list[str], config: Config, *, session, endpoint_url: str | None = None, region: str | None = None,
             parameters: dict | None = None, stack_names: tuple[str, ...] = (), today: dt.date | None = None,
             call_timeout: float = DEFAULT_CALL_TIMEOUT) -> Report:
    new, errors, secrets = checked_stacks(paths, parameters, config)
    report = Report(errors=list(errors))
    top_level = [s for s in new if s.stack.parent is None]
    problem = name_stacks(top_level, stack_names)
    if problem:
        report.errors.append(InputError(" ".join(paths), problem))
        return Redaction(secrets).report(report)
    clients = Clients(endpoint_url, call_timeout)
    lookups = Lookups(session, clients, region)
    old_stacks, removed, evaluations = [], [], []
    # the diff rules that judge what NEW does to a deployed table also say when there is nothing deployed
    judged_in_new = [rule for rule in select_rules(config, ("diff",)) if implementation(rule.id, "diff").LOCATED_IN == "new"]
    for stack in top_level:
        deployed = lookups.deployed_template(stack.stack.stack_name)
        if deployed is None or isinstance(deployed, str):
            status, message = (Status.UNKNOWN, deployed) if deployed else (
                Status.PASS, f"stack {stack.stack.stack_name} is not deployed in {lookups.region}: nothing to replace")
            evaluations += [Evaluation(rule.id, stack.name, lid, status, message, "plan") for rule in judged_in_new
                            for lid, r in stack.resolved["Resources"].items() if r.get("Type") in TABLE_TYPES]
        else:
            template, deployed_parameters = deployed
            old = CheckedStack(Stack(name=stack.name, file=f"deployed stack {stack.stack.stack_name}", template=template),
                               resolve_template(template, deployed_parameters, stack_name=stack.stack.stack_name))
            old_stacks.append(old)
            gone, kept = diff_stacks(old, stack, config)
            removed += gone
            evaluations += kept
    # a table that leaves one deployed stack for another, an export still imported: the whole change shows them
    removed, added = across_stacks(removed, old_stacks, new, {old.name: old.name for old in old_stacks}, config)
    evaluations += added + run_reader(new, select_rules(config, ("reader",)))
    context = PlanContext(new, top_level, lookups, config)
    for rule in select_rules(config, ("plan",)):
        evaluations += implementation(rule.id, "plan").evaluate(context)
    catalog = load_catalog()
    today = today or dt.date.today()
    old_findings, _ = join(removed, old_stacks, catalog, config, today=today, with_expired=False)
    new_findings, join_errors = join(evaluations, new, catalog, config, today=today)
    report.findings = old_findings + new_findings
    report.errors += join_errors
    report.not_modelled = [record for stack in new for record in stack.stack.not_modelled]
    report.errors += clients.errors(report.errors)  # lookups AWS did not answer: the plan is not complete
    return Redaction(secrets).report(report)


def name_stacks(top_level: list[CheckedStack], given: tuple[str, ...]) -> str | None:
    """Apply `--stack-name NAME` (the one stack of the input) or `--stack-name TEMPLATE=NAME` (repeatable) to the
    template files; the problem, when they do not fit the input."""
    from pathlib import Path

    by_file = {Path(s.stack.file).resolve(): s for s in top_level}
    for entry in given:
        template, _, name = entry.rpartition("=")
        if not name:
            return f"--stack-name {entry}: expected NAME or TEMPLATE=NAME"
        if not template:
            if len(given) != 1 or len(top_level) != 1:
                return f"--stack-name {entry} names one stack, but the input has {len(top_level)} (use TEMPLATE=NAME)"
            top_level[0].stack.stack_name = name
            continue
        stack = by_file.get(Path(template).resolve())
        if stack is None:
            return f"--stack-name {entry}: {template} is not a template of the input"
        stack.stack.stack_name = name
    return None


@dataclass
class PlanContext:
    """What the plan rules (rules/<stem>/plan.py) read: the input, the live look-ups and the configuration."""

    stacks: list[CheckedStack]
    top_level: list[CheckedStack]
    lookups: Lookups
    config: Config
    _imported: dict | None = None

    def imported_tables(self) -> dict[tuple[str, str], tuple[CheckedStack, dict[str, set[str]]]]:
        """(stack name, logical id) of each function or policy that names tables the input does not define ->
        (its stack, {table name: the indexes its grants name})."""
        if self._imported is None:
            self._imported = _imported_tables(self.stacks, self.config)
        return self._imported


def _imported_tables(stacks: list[CheckedStack], config: Config) -> dict:
    graph = Graph(stacks, InputModel([s.stack for s in stacks], None, config.external_exports), config.tables)
    defined = {t.name for t in graph.tables.values() if t.stack}
    subjects: dict[tuple[str, str], tuple[CheckedStack, dict[str, set[str]]]] = {}
    for function in graph.functions:
        for value in table_variables(graph, function, config).values():
            table = graph.table_of(value, function.stack)
            if table is not None and table.stack is None:
                subjects.setdefault((function.stack.name, function.logical_id), (function.stack, {}))[1].setdefault(
                    table.name, set())
    for policy in graph.policies:
        for statement in policy.statements:
            for resource in statement.resources:
                name = arn_pattern(resource).table_name
                if not name or name in defined:
                    continue
                indexes = subjects.setdefault((policy.stack.name, policy.logical_id), (policy.stack, {}))[1].setdefault(
                    name, set())
                index = _INDEX.search(resource.split(f":table/{name}", 1)[-1])
                if index:
                    indexes.add(index.group(1))
    return subjects
