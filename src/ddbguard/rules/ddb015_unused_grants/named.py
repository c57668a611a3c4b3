"""The tables a principal that uses a role names, per type: (table names, reasons what it names is unknown)."""

from __future__ import annotations

import json
import re

from ddbguard.arns import parse_table_arn
from ddbguard.kit.environments import table_variables
from ddbguard.kit.graph import Graph, token
from ddbguard.kit.principals import Principal
from ddbguard.templates.decode_json import decode_json
from ddbguard.templates.marks import DecodeError

Named = tuple[set, list[str]]

_STATES_DYNAMODB = re.compile(r"^arn:[^:]*:states:::(aws-sdk:)?dynamodb:")
_SCHEDULER_DYNAMODB = re.compile(r"^arn:[^:]*:scheduler:::aws-sdk:dynamodb:")
# the region may be ${AWS::Region}, colons and all
_APIGATEWAY_DYNAMODB = re.compile(r"^arn:[^:]*:apigateway:.*:dynamodb:(action|path)/")
_TEMPLATE_TABLE = re.compile(r'"TableName"\s*:\s*"([^"]*)"')


def tables_named(graph: Graph, principal: Principal, settings) -> Named:
    reader = _READERS.get(principal.type)
    return reader(graph, principal, settings) if reader else (set(), [])


def _name(graph: Graph, principal: Principal, value: object, where: str) -> Named:
    """The table a value names: a name, an ARN (of the table, its stream or an index), `${Table}` or
    `${Table.Arn}`/`${Table.StreamArn}` of a table of the principal's stack; else unknown."""
    found = token(value)
    if found:
        table = graph.table_at(principal.stack, found[0])
        if table is not None:
            return {table.name}, []
    elif isinstance(value, str) and value and "${" not in value:
        table = graph.table_of(value, principal.stack)
        if table is not None:
            return {table.name}, []
    shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    return set(), [f"{principal.describe()}'s {where} is {shown}, which names no table ddbguard can resolve"]


def _json(text: object) -> object:
    """A JSON text of the template (a definition, an Input), decoded as templates are: no deeper than a template
    may be (the walks below recurse); None when it is no JSON."""
    if not isinstance(text, str):
        return None
    try:
        return decode_json(text)
    except DecodeError:
        return None


def _merge(found: list[Named]) -> Named:
    return set().union(*(names for names, _ in found)), [r for _, reasons in found for r in reasons]


def _lambda(graph, principal, settings) -> Named:
    function = graph.function_at(principal.stack, principal.logical_id)
    names, reasons = set(), []
    for variable, value in table_variables(graph, function, settings).items():
        table = graph.table_of(value, function.stack)
        if table is not None:
            names.add(table.name)
        elif not isinstance(value, str) or "${" in value:  # a value that may be any table's name
            reasons += _name(graph, principal, value, f"variable {variable}")[1]
    return names, reasons


def _state_machine(graph, principal, settings) -> Named:
    properties = principal.properties
    definition = properties.get("Definition")
    if definition is None and "DefinitionString" in properties:
        text = properties["DefinitionString"]
        substitutions = properties.get("DefinitionSubstitutions")
        if isinstance(text, str) and isinstance(substitutions, dict):
            for key, value in substitutions.items():
                text = text.replace("${" + str(key) + "}", value if isinstance(value, str) else json.dumps(value))
        definition = _json(text)
        if definition is None:
            return set(), [f"the DefinitionString of {principal.describe()} is no JSON ddbguard can read (a value that "
                                "cannot be resolved statically, or nested too deep)"]
    if definition is None:
        return set(), [f"the definition of {principal.describe()} is not in the template (DefinitionS3Location)"] \
            if "DefinitionS3Location" in properties else []
    found = [_task_tables(graph, principal, task) for task in _tasks(definition)]
    return _merge(found)


def _tasks(value: object):
    """Every Task state of a definition that calls DynamoDB (in Parallel branches and Map processors too)."""
    if isinstance(value, dict):
        resource = value.get("Resource")
        if value.get("Type") == "Task" and isinstance(resource, str) and _STATES_DYNAMODB.match(resource):
            yield value
        for item in value.values():
            yield from _tasks(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tasks(item)


def _task_tables(graph, principal, task: dict) -> Named:
    where = f"task {task.get('Resource')} TableName"
    found = [_name(graph, principal, value, where) if not isinstance(value, _Path) else (set(), [
        f"{principal.describe()}'s {where} is the path {value.path}, which is read at run time"])
        for value in _table_names(task.get("Parameters", task.get("Arguments")))]
    return _merge(found) if found else (set(), [
        f"a task of {principal.describe()} calls {task.get('Resource')} with no TableName ddbguard can read"])


class _Path:
    """`TableName.$`: a JSONPath into the state's input, decided at run time."""

    def __init__(self, path: object) -> None:
        self.path = path


def _table_names(value: object) -> list:
    """Every TableName a task's parameters give (`TableName.$`, a path, is decided at run time)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("TableName", "TableName.$"):
                found.append(item if key == "TableName" else _Path(item))
            elif key == "RequestItems" and isinstance(item, dict):  # BatchWriteItem/BatchGetItem: by table name
                found += list(item)
            else:
                found += _table_names(item)
    elif isinstance(value, list):
        for item in value:
            found += _table_names(item)
    return found


def _data_source(graph, principal, settings) -> Named:
    kind = principal.properties.get("Type")
    if kind != "AMAZON_DYNAMODB":
        return (set(), []) if isinstance(kind, str) and "${" not in kind else (
            set(), [f"the Type of {principal.describe()} cannot be resolved statically"])
    config = principal.properties.get("DynamoDBConfig")
    return _name(graph, principal, config.get("TableName") if isinstance(config, dict) else None,
                 "DynamoDBConfig.TableName")


def _integration(uri: object, templates: object, graph, principal) -> Named:
    """A direct DynamoDB integration (`arn:aws:apigateway:REGION:dynamodb:action/PutItem`): the tables its
    request templates name literally."""
    if not isinstance(uri, str):
        return set(), [f"the integration URI of {principal.describe()} cannot be resolved statically"] \
            if uri is not None else []
    if not _APIGATEWAY_DYNAMODB.match(uri):
        return set(), []
    values = [match for text in (templates or {}).values() if isinstance(text, str)
              for match in _TEMPLATE_TABLE.findall(text)] if isinstance(templates, dict) else []
    if not values:
        return set(), [f"the request templates of {principal.describe()} name no table ddbguard can read"]
    # `${Table}` is what Fn::Sub put there at deploy time (a table's generated name); any other `$` is VTL
    # ($input, $context, $util, ...), decided per request
    return _merge([(set(), [f"the request template of {principal.describe()} takes its TableName from {value}, which "
                             "is decided at run time"]) if "$" in value and not token(value)
                   else _name(graph, principal, value, "request template's TableName") for value in values])


def _method(graph, principal, settings) -> Named:
    integration = principal.properties.get("Integration")
    integration = integration if isinstance(integration, dict) else {}
    return _integration(integration.get("Uri"), integration.get("RequestTemplates"), graph, principal)


def _integration_v2(graph, principal, settings) -> Named:
    return _integration(principal.properties.get("IntegrationUri"), principal.properties.get("RequestTemplates"),
                        graph, principal)


def _pipe(graph, principal, settings) -> Named:
    """A pipe reads a DynamoDB stream as its Source (DynamoDB is no pipe target or enrichment)."""
    source = principal.properties.get("Source")
    if isinstance(source, str) and "${" not in source and not parse_table_arn(source):
        return set(), []  # a queue, a Kinesis stream, ...
    if token(source) and token(source)[1] not in ("StreamArn", "Arn"):
        return set(), []
    return _name(graph, principal, source, "Source")


def _rule_target(graph, principal, settings) -> Named:
    return set(), []  # EventBridge targets are no DynamoDB tables: a rule names none


def _schedule(graph, principal, settings) -> Named:
    """A universal target (`arn:aws:scheduler:::aws-sdk:dynamodb:putItem`) names its table in its Input."""
    target = principal.properties.get("Target")
    target = target if isinstance(target, dict) else {}
    arn = target.get("Arn")
    if isinstance(arn, str) and not _SCHEDULER_DYNAMODB.match(arn):
        return set(), []
    names = _table_names(_json(target.get("Input")) if isinstance(arn, str) else None)
    if not names:
        return set(), [f"the target of {principal.describe()} names no table ddbguard can read"]
    return _merge([_name(graph, principal, value, "target Input's TableName") for value in names])


_READERS = {
    "AWS::Lambda::Function": _lambda,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::AppSync::DataSource": _data_source,
    "AWS::ApiGateway::Method": _method,
    "AWS::ApiGatewayV2::Integration": _integration_v2,
    "AWS::Pipes::Pipe": _pipe,
    "AWS::Events::Rule": _rule_target,
    "AWS::Scheduler::Schedule": _schedule,
}
