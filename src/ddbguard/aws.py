"""The one AWS layer of the audit and of plan: sessions and credentials, client settings, how a failed
call is worded, Unknown values, and the deployed template of a stack.

A call that fails is never a default value: `attempt` returns an `Unknown` that names the call and AWS's
error code, and the rules report it as unknown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from ddbguard.model import Unknown
from ddbguard.templates.decode import DecodeError, decode_text
from ddbguard.templates.resolve import TABLE_TYPES

__all__ = ["CredentialsError", "Unknown", "attempt", "client_config", "endpoint_for", "error_reason", "open_session",
           "paginate", "stack_tables", "template_from_body"]


class CredentialsError(Exception):
    """No usable credentials: one line for the user, exit code 2."""


def open_session(profile: str | None = None, *, observer: Callable[[str], None] | None = None):
    """A boto3 session with credentials (the standard chain, or `profile`); `observer` hears every call."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound as exc:
        raise CredentialsError(str(exc)) from None
    if session.get_credentials() is None:
        raise CredentialsError("no AWS credentials found (set a profile with --profile or AWS_* variables)")
    if observer is not None:
        session.events.register("before-call", lambda model, **_: observer(
            f"{model.service_model.signing_name}:{model.name}"))
    return session


def client_config(concurrency: int = 10):
    """botocore settings for every client ddbguard makes: adaptive retries (throttling), short connects, and
    a connection pool as large as the number of threads sharing a client."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "max_attempts": 4}, connect_timeout=3, read_timeout=30,
                  max_pool_connections=max(10, concurrency))


def endpoint_for(service_id: str, endpoint_url: str | None) -> str | None:
    """--endpoint-url for every service, except one that AWS_ENDPOINT_URL_<SERVICE> (botocore's own
    per-service setting) points elsewhere."""
    return os.environ.get(f"AWS_ENDPOINT_URL_{service_id.upper().replace(' ', '_')}") or endpoint_url


def error_reason(exc: Exception, call: str) -> str:
    """`Code on service:Call: AWS's message` (the message names the missing action when access is denied)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        message = str(error.get("Message") or "")
        if message.lstrip().startswith("<"):  # an XML error body some endpoints put in the message
            found = re.search(r"<Message>(.*?)</Message>", message, re.DOTALL)
            message = found.group(1) if found else ""
        message = " ".join(message.split())[:300]
        return f"{error.get('Code', 'Error')} on {call}" + (f": {message}" if message else "")
    return f"{type(exc).__name__} on {call}: {exc}"


def attempt(call: str, function, *args, **kwargs):
    """The call's result, or Unknown naming the call and the error code: never a default value."""
    try:
        return function(*args, **kwargs)
    except (ClientError, BotoCoreError) as exc:
        return Unknown(error_reason(exc, call))


def paginate(client, operation: str, key: str, **kwargs) -> list:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def template_from_body(body) -> dict | Unknown:
    """GetTemplate's TemplateBody as a template (boto3 hands JSON over already parsed, YAML as text)."""
    if isinstance(body, Unknown):
        return body
    if isinstance(body, dict):
        return body
    try:
        data = decode_text(body)
    except DecodeError as exc:
        return Unknown(f"the deployed template cannot be read: {exc}")
    return data if isinstance(data, dict) else Unknown("the deployed template is not a mapping")


def stack_tables(cloudformation, stack_name: str) -> dict[str, str] | Unknown:
    """The tables a deployed stack manages: physical id (the table name) -> logical id; {} for no such stack."""
    try:
        resources = paginate(cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=stack_name)
    except ClientError as exc:
        if "does not exist" in str(exc):
            return {}
        return Unknown(error_reason(exc, "cloudformation:ListStackResources"))
    except BotoCoreError as exc:
        return Unknown(error_reason(exc, "cloudformation:ListStackResources"))
    return {r["PhysicalResourceId"]: r["LogicalResourceId"] for r in resources if r.get("ResourceType") in TABLE_TYPES}
