"""Plain data shared by every stage: engines produce Evaluations, the join step makes Findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


ACKNOWLEDGED = "acknowledged in CDK"  # the suppression reason's prefix for a CDK acknowledgement
CDK_FRAMEWORK = "cdk-framework"  # a finding's origin when CDK made the resource for itself (templates/framework.py)
# Seconds for one AWS call: connect, every read and every retry together (aws.py; here so that the command line's
# default needs no botocore)
DEFAULT_CALL_TIMEOUT = 20.0
CDK_NAMESPACE = "ddbguard"  # CDK names a plugin's rules `<plugin name>::<rule>`: ddbguard::DDB002


class Severity(enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    # members are singletons, equal only to themselves: identity hashes them as well as Enum's __hash__, which runs
    # Python code for every dict or Counter lookup (tens of thousands a run)
    __hash__ = object.__hash__

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Status(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    SUPPRESSED = "suppressed"

    __hash__ = object.__hash__  # as Severity's

    @property
    def gravity(self) -> int:
        """Which verdict wins when two reports disagree on one finding: the failure, never a later pass."""
        return _STATUS_GRAVITY[self]


_STATUS_GRAVITY = {Status.PASS: 0, Status.SUPPRESSED: 1, Status.UNKNOWN: 2, Status.FAIL: 3}


class ExitCode(enum.IntEnum):
    """Documented in docs/exit-codes.md; CI gates depend on these values."""

    OK = 0
    FAILURES = 1
    USAGE_OR_INPUT_ERROR = 2


@dataclass(frozen=True)
class Unknown:
    """A value that could not be read (a denied AWS call, an unresolvable value), and why."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown is never mistaken for a present value
        return False


@dataclass(unsafe_hash=True, slots=True)  # see Evaluation
class Problem:
    """What a rule's predicate found: a failure at `path`, or (`unknown`) a value it could not judge."""

    message: str
    path: tuple[str | int, ...] = ()
    unknown: bool = False


@dataclass(unsafe_hash=True, slots=True)  # see Evaluation
class Subject:
    """What a rule found on one thing it judged (a resource of a stack, a live table or function, a table a
    change touches): its problems, none when it is compliant. Rules return Subjects and never name themselves;
    the engine that ran the rule makes each one an Evaluation (engines/common.evaluation_of)."""

    logical_id: str  # the resource's logical id; a live table's or function's name
    problems: tuple[Problem, ...] = ()
    stack: str = ""  # the template stack it is in; live: empty (the account and region of the snapshot)
    arn: str | None = None  # live: the resource's ARN
    region: str | None = None  # live: a region other than the snapshot's (a replica outside the audit)
    note: str | None = None  # what a pass says instead of "compliant"
    severity: Severity | None = None  # a failure graver or milder than the rule's default (rare)
    waiver: str | None = None  # why this failure is reported without failing the run
    notice: bool = False  # a pass the reports show (severity info): nothing fails, but the user should know it


@dataclass(frozen=True)
class LiveResource:
    """Where a live finding is: the account, region, ARN and name of a table or function."""

    account: str
    region: str
    arn: str
    resource_name: str


@dataclass(unsafe_hash=True, slots=True)  # not frozen: see below
class Evaluation:
    """What an engine says about one rule on one resource, and nothing more.

    Not frozen, yet compared and hashed by value as before: a frozen dataclass sets each field through
    object.__setattr__, five times slower, and a run builds one of these per rule and resource. Nothing assigns
    to one after it is built.
    """

    rule_id: str
    stack: str
    logical_id: str
    status: Status
    message: str
    engine: str
    path: tuple[str | int, ...] = ()  # where in the resource the evidence is, for the location
    live: LiveResource | None = None  # set by the live audit instead of a template location
    severity: Severity | None = None  # a finding graver or milder than its rule's default (rare)
    waiver: str | None = None  # why this failure is reported without failing (the join suppresses it with this reason)
    notice: bool = False  # a pass the reports show, at severity info (Subject.notice)


@dataclass(slots=True)  # a run builds one per rule and resource: slots make that half as costly
class Finding:
    rule_id: str
    title: str
    severity: Severity
    status: Status
    message: str
    stack: str
    logical_id: str
    resource_type: str | None
    cdk_path: str | None
    file: str
    line: int
    engine: str
    remediation: str = ""
    suppression_reason: str | None = None
    live: LiveResource | None = None
    source: tuple[str, int] | None = None  # where the CDK app created the resource (file, line), when recorded
    profile: str | None = None  # the environment profile that applied to it (configuration `profiles:`)
    waived: bool = False  # suppressed by its rule (Evaluation.waiver): said without failing, not the user's choice
    stack_key: str | None = None  # a template file's stack across runs (Stack.file_key); None: `stack` is its name
    notice: bool = False  # a pass the reports show, at severity info (Subject.notice)
    origin: str = "user"  # CDK_FRAMEWORK: a resource CDK made for itself


@dataclass(frozen=True)
class NotModelled:
    """A construct of the input that ddbguard does not model, and what it could change.

    Reported in every report, and a DDB009 finding at the construct; the verdicts it could change are
    `unknown` instead of pass (never a clean pass built on what CloudFormation may not deploy).
    """

    construct: str  # what it is: "Transform AcmeMacro", "type Acme::Data::Table::MODULE", ...
    stack: str
    file: str
    logical_id: str  # the resource that holds it; "Transform" for the template's own Transform
    effect: str  # what it could do, in words: "may create, change or remove any resource of the stack"
    affects: tuple[str, ...] | None = ()  # the resources whose verdicts it makes unknown; None: all of the stack's
    path: tuple = ()  # where in the resource (or template) it is, for the line
    line: int = 0


@dataclass(frozen=True)
class InputError:
    """An input that could not be checked: reported in `errors`, exit code 2."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    audit: dict | None = None  # an audit's scope: run id, start, regions, table prefix, version, shard, account digest
    changes: dict | None = None  # --since: new, fixed, still failing and gone since the previous report
    command: str = "check"  # the command that made it (SARIF's automationDetails)
    baseline: dict | None = None  # --baseline: the file, how many entries matched, the entries that no longer do
    path_aliases: dict[str, str] = field(default_factory=dict)  # a comparison checkout -> this one (diff)
    not_modelled: list[NotModelled] = field(default_factory=list)  # what the run did not model (closed world)
    warnings: list[InputError] = field(default_factory=list)  # inputs read only as context that could not be read

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)
