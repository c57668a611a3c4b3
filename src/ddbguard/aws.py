"""The one AWS layer of the audit and of plan: sessions and credentials, clients (their settings, a total
deadline per call, and a record of the calls AWS did not answer), how a failed call is worded, Unknown
values, and the deployed template of a stack.

A call that fails is never a default value: `attempt` returns an `Unknown` that names the call and AWS's
error code, and the rules report it as unknown. A call AWS did not answer at all (the connection failed or
was closed, throttled or 5xx beyond the retries, or over its deadline) also becomes an error of its account,
region and service (`Clients.errors`): checks that were not made are never a clean run.
"""

from __future__ import annotations

import heapq
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from ddbguard.model import DEFAULT_CALL_TIMEOUT, InputError, Unknown
from ddbguard.templates.decode import DecodeError, decode_text
from ddbguard.templates.resolve import TABLE_TYPES

__all__ = ["DEFAULT_CALL_TIMEOUT", "CallDeadlineExceeded", "Clients", "CredentialsError", "Unknown", "attempt",
           "client_config", "endpoint_for", "error_reason", "open_session", "paginate", "stack_tables",
           "template_from_body", "unanswered"]

OPEN_AFTER = 5  # unanswered calls in a row after which a service of an account and region is not called again

# Error codes that mean AWS did not do the call (throttled), whatever the HTTP status: botocore's own list of
# throttling codes (botocore/retries/standard.py), which its retries already gave up on.
_THROTTLING = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException"})


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


def client_config(concurrency: int = 10, call_timeout: float = DEFAULT_CALL_TIMEOUT):
    """botocore settings for every client ddbguard makes: adaptive retries (throttling), short connects, and
    a connection pool as large as the number of threads sharing a client. botocore's timeouts bound one
    connect and one socket read; `Clients` bounds the whole call."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "max_attempts": 4}, connect_timeout=min(3.0, call_timeout),
                  read_timeout=min(30.0, call_timeout), max_pool_connections=max(10, concurrency))


class CallDeadlineExceeded(BotoCoreError):
    """A call that had no complete answer within its deadline (a hanging or dripping endpoint)."""

    fmt = "no complete answer within {seconds:g} s (--call-timeout; connect, reads and retries together)"


class NotAttempted(BotoCoreError):
    """A call not made because the same service of the same account and region did not answer before."""

    fmt = "not attempted: {service} did not answer the last {count} calls in {scope}"


def unanswered(exc: Exception) -> bool:
    """AWS did not do the call: no answer (connection, deadline), or throttling or a 5xx beyond the retries.
    An answer such as AccessDenied or ResourceNotFound is an answer: the rules say what it means."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in _THROTTLING or status >= 500
    return isinstance(exc, BotoCoreError)


@dataclass
class _Call:
    """One API call in flight: its deadline, and the connection it is using (which the watchdog closes)."""

    deadline: float
    seconds: float
    connection: object = None
    expired: bool = False
    done: bool = False


_calls = threading.local()  # each thread's calls in flight (a stack: refreshing credentials calls STS inside a call)


def _current_call() -> _Call | None:
    stack = getattr(_calls, "stack", None)
    return stack[-1] if stack else None


class _Watchdog:
    """One thread for the process: at a call's deadline it marks the call expired and shuts its socket down,
    which ends a read that botocore's read_timeout cannot (that bounds each read, and a dripping endpoint
    answers every read in time). It looks again while the call lasts, in case a connection was just opening."""

    RECHECK = 0.25

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Call]] = []
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._count = 0

    def watch(self, call: _Call) -> None:
        with self._lock:
            self._count += 1
            heapq.heappush(self._heap, (call.deadline, self._count, call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ddbguard-call-deadlines", daemon=True)
                self._thread.start()
            self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._lock.wait(None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic()))
                _, _, call = heapq.heappop(self._heap)
                if call.done:
                    continue
                call.expired = True
                _shut(call.connection)
                self._count += 1
                heapq.heappush(self._heap, (time.monotonic() + self.RECHECK, self._count, call))


def _shut(connection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:  # the plain socket's shutdown (an SSL socket's own would drop its SSL state under the reader)
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


_WATCHDOG = _Watchdog()


def _watched_pools() -> dict:
    """botocore's connection pools, telling the thread's call in flight which connection it was given."""
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

    class Watched:
        def _get_conn(self, timeout=None):
            connection = super()._get_conn(timeout)  # type: ignore[misc]
            call = _current_call()
            if call is not None:
                if call.expired:  # e.g. the deadline passed while the rate limiter waited
                    raise CallDeadlineExceeded(seconds=call.seconds)
                call.connection = connection
            return connection

    return {"http": type("WatchedHTTPConnectionPool", (Watched, AWSHTTPConnectionPool), {}),
            "https": type("WatchedHTTPSConnectionPool", (Watched, AWSHTTPSConnectionPool), {})}


@dataclass
class _Outage:
    calls: int = 0
    unanswered: int = 0
    not_attempted: int = 0
    in_a_row: int = 0
    first: str = ""


@dataclass
class Clients:
    """Every boto3 client of one run: the same settings, a total deadline per call, and per account, region
    and service a record of the calls AWS did not answer, which `errors` reports. After OPEN_AFTER unanswered
    calls in a row a service of an account and region is not called again in this run (so a dead region
    costs a few deadlines, not one per table)."""

    endpoint_url: str | None = None
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    concurrency: int = 10
    _outages: dict[tuple[str, str], _Outage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.config = client_config(self.concurrency, self.call_timeout)
        self._pools = _watched_pools()

    def client(self, session, service: str, region: str | None = None, *, scope: str):
        """A client of `service` whose calls are bounded and recorded under `scope` ("account/region",
        or the account for IAM)."""
        client = session.client(service, region_name=region or session.region_name or "us-east-1",
                                endpoint_url=endpoint_for(service, self.endpoint_url), config=self.config)
        http = client._endpoint.http_session  # botocore keeps its urllib3 pools here; no public setting exists
        http._pool_classes_by_scheme = self._pools
        http._manager.pool_classes_by_scheme = self._pools
        signing = client.meta.service_model.signing_name
        key = (scope, signing)
        events = client.meta.events
        events.register("before-call", lambda **kwargs: self._start(key))
        events.register_first("before-send", lambda **kwargs: self._check())
        events.register_first("needs-retry", lambda caught_exception=None, **kwargs: self._retry_now(caught_exception))
        events.register("after-call", lambda http_response=None, parsed=None, model=None, **kwargs: self._end(
            key, _answer_error(http_response, parsed, model)))
        events.register("after-call-error", lambda exception=None, event_name="", **kwargs: self._end(
            key, exception if unanswered(exception) else None, event_name))
        return client

    def _start(self, key: tuple[str, str]) -> None:
        with self._lock:
            outage = self._outages.setdefault(key, _Outage())
            if outage.in_a_row >= OPEN_AFTER:
                outage.not_attempted += 1
                raise NotAttempted(service=key[1], count=outage.in_a_row, scope=key[0])
        call = _Call(time.monotonic() + self.call_timeout, self.call_timeout)
        if not hasattr(_calls, "stack"):
            _calls.stack = []
        _calls.stack.append(call)
        _WATCHDOG.watch(call)

    @staticmethod
    def _check() -> None:
        call = _current_call()
        if call is not None and call.expired:
            raise CallDeadlineExceeded(seconds=call.seconds)

    @staticmethod
    def _retry_now(caught: Exception | None):
        """Past the deadline, retry at once (the retry then stops with CallDeadlineExceeded, which names the
        deadline) instead of giving up with the error of a connection the watchdog closed."""
        call = _current_call()
        if call is not None and call.expired and not isinstance(caught, CallDeadlineExceeded):
            return 0
        return None

    def _end(self, key: tuple[str, str], failure, event_name: str = "") -> None:
        stack = getattr(_calls, "stack", None)
        if stack:
            stack.pop().done = True
        with self._lock:
            outage = self._outages.setdefault(key, _Outage())
            outage.calls += 1
            if failure is None:
                outage.in_a_row = 0
                return
            outage.unanswered += 1
            outage.in_a_row += 1
            if not outage.first:
                operation = event_name.rsplit(".", 1)[-1] if event_name else ""
                outage.first = failure if isinstance(failure, str) else error_reason(failure, f"{key[1]}:{operation}")

    def errors(self, known: list[InputError] = ()) -> list[InputError]:
        """One error per account, region and service with calls AWS did not answer, unless an error of the run
        already says so (the same first failure)."""
        found = []
        with self._lock:
            outages = sorted(self._outages.items())
        for (scope, service), outage in outages:
            if not outage.unanswered or any(outage.first in error.message for error in known):
                continue
            skipped = f"; {outage.not_attempted} more not attempted" if outage.not_attempted else ""
            found.append(InputError(scope, f"{service} did not answer {outage.unanswered} of {outage.calls} calls"
                                           f"{skipped}, so the checks that needed them were not made: {outage.first}"))
        return found


def _answer_error(http_response, parsed, model) -> str | None:
    """The reason of an answer that is not one (throttled, or a 5xx after the retries), else None."""
    error = (parsed or {}).get("Error") or {}
    status = getattr(http_response, "status_code", 0) or 0
    if not error and status < 500:
        return None
    if error.get("Code") in _THROTTLING or status >= 500:
        name = f"{model.service_model.signing_name}:{model.name}" if model is not None else "the call"
        return error_reason(ClientError(parsed or {}, getattr(model, "name", "")), name)
    return None


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
