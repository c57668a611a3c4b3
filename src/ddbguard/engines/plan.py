"""The plan engine: the live look-ups a deploy depends on (Lookups, each fetched once) and the plan rules
(rules/<stem>/plan.py) that read them: DDB032/DDB033 for tables the input imports, DDB034 for tables it
creates by name. A denied or failed call is unknown, never a pass."""

from __future__ import annotations

from dataclasses import dataclass

from ddbguard.aws import Clients, Unknown, error_reason, stack_tables, template_from_body
from ddbguard.config import Config
from ddbguard.engines.common import evaluations_of
from ddbguard.kit.references import graph_of, imported_tables
from ddbguard.model import Evaluation
from ddbguard.registry import implementation, select_rules, settings_for
from ddbguard.templates.model import CheckedStack


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
    graph = graph_of(stacks, config.external_exports, config.tables)
    subjects: dict[tuple[str, str], tuple[CheckedStack, dict[str, set[str]]]] = {}
    for reference in imported_tables(graph, config):
        indexes = subjects.setdefault((reference.stack.name, reference.logical_id), (reference.stack, {}))[1]
        indexes.setdefault(reference.name, set()).update([reference.index] if reference.index else [])
    return subjects


def run_plan_rules(context: PlanContext, config: Config) -> list[Evaluation]:
    """The selected plan rules (rules/<stem>/plan.py) on the input and its look-ups."""
    return [e for rule in select_rules(config, ("plan",)) for e in evaluations_of(
        rule.id, implementation(rule.id, "plan").evaluate(context, settings_for(rule, config)), "plan")]


def one_verdict_each(offline: list[Evaluation], looked_up: list[Evaluation]) -> list[Evaluation]:
    """A rule both the diff rules (offline, against the deployed template) and the plan's look-ups judge (DDB034)
    has one verdict per resource: the graver of the two, the look-up's when they are as grave."""
    by_key = {(e.rule_id, e.stack, e.logical_id): e for e in looked_up}
    kept = []
    for evaluation in offline:
        key = (evaluation.rule_id, evaluation.stack, evaluation.logical_id)
        other = by_key.get(key)
        if other is None:
            kept.append(evaluation)
        elif evaluation.status.gravity > other.status.gravity:
            by_key[key] = evaluation
    return kept + list(by_key.values())
