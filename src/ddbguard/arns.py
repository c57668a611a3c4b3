"""ARNs as IAM reads them: policy Resource patterns, matched segment by segment, and the tables they reach.

IAM's rules (IAM User Guide, "IAM JSON policy elements: Resource") are listed in MATCHING_RULES (docs/rules.md shows
them). What ddbguard's resolver leaves in a value it cannot know (`${AWS::AccountId}`, `${Orders}`, `${Role.Arn}`)
names one specific thing: it matches only the same text, and a wildcard matches it whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

MATCHING_RULES = (
    "An ARN has five colon-separated segments before its resource (`arn:partition:service:region:account:resource`); "
    "Resource `*` matches every ARN.",
    "In a segment, `*` matches any run of characters (`/` included) and `?` exactly one, neither of them a colon.",
    "A `*` that is the last character of a segment may also run on past the colons after it: `arn:aws:dynamodb:*` "
    "reaches every DynamoDB ARN; `arn:aws:dynamodb:us-*1:table/orders`, whose `*` is inside its segment, no table.",
    "Every segment is compared case-sensitively (as ArnLike does): `arn:aws:DynamoDB:*` reaches nothing.",
    "An IAM policy variable (`${aws:username}`) takes a value of each request: it matches like a `*` inside its "
    "segment. `${*}`, `${?}` and `${$}` are the literal characters.",
)

_VARIABLE = re.compile(r"\$\{[^}:]+:[^}:]+\}")  # an IAM policy variable, `${aws:username}`
_ANY_UNIT = r"(?:\$\{[^}]*\}|[^:])"  # one character of a segment, or a whole unresolved `${...}` of ddbguard's


def _units(text: str) -> list[list[tuple[str, str]]]:
    """The segments of a pattern, each a list of (kind, text): kind is "char", "star", "one", "var" or "token"."""
    segments: list[list[tuple[str, str]]] = [[]]
    i = 0
    while i < len(text):
        end = text.find("}", i) if text.startswith("${", i) else -1
        if end > 0:
            inner = text[i + 2:end]
            if inner in ("*", "?", "$"):
                segments[-1].append(("char", inner))
            elif ":" in inner and "::" not in inner:
                segments[-1].append(("var", inner))  # an IAM policy variable such as aws:username
            else:
                segments[-1].append(("token", text[i:end + 1]))
            i = end + 1
            continue
        char = text[i]
        if char == ":":
            segments.append([])
        else:
            segments[-1].append(("star", char) if char == "*" else ("one", char) if char == "?" else ("char", char))
        i += 1
    return segments


@lru_cache(maxsize=65536)
def _regex(pattern: str) -> re.Pattern:
    parts = []
    for segment in _units(pattern):
        out = []
        for index, (kind, text) in enumerate(segment):
            if kind == "star":
                out.append(".*" if index == len(segment) - 1 else f"{_ANY_UNIT}*")
            elif kind == "var":
                out.append(f"{_ANY_UNIT}*")
            elif kind == "one":
                out.append(_ANY_UNIT)
            else:
                out.append(re.escape(text))
        parts.append("".join(out))
    return re.compile(":".join(parts), re.DOTALL)


# Above this many wildcards a regular expression may backtrack for too long on hostile input: match by table instead.
_REGEX_WILDCARDS = 3


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's answer: does the Resource `pattern` match `arn`?"""
    if pattern == "*":
        return True
    atoms = _atoms(pattern)
    if sum(kind != "lit" for kind, _ in atoms) > _REGEX_WILDCARDS:
        return wildcard_match(atoms, _text_units(arn))
    return _regex(pattern).fullmatch(arn) is not None


@lru_cache(maxsize=65536)
def _atoms(pattern: str) -> tuple[tuple[str, object], ...]:
    """The pattern as atoms for wildcard_match: ("lit", text), ("one", may be a colon), ("star", crosses colons)."""
    atoms: list[tuple[str, object]] = []
    for number, segment in enumerate(_units(pattern)):
        if number:
            atoms.append(("lit", ":"))
        for index, (kind, text) in enumerate(segment):
            if kind in ("star", "var"):
                atoms.append(("star", kind == "star" and index == len(segment) - 1))
            elif kind == "one":
                atoms.append(("one", False))
            else:
                atoms.append(("lit", text))
    return tuple(atoms)


def _text_units(text: str) -> list[str]:
    """An ARN as the units a wildcard takes: characters, and each `${...}` of ddbguard's whole."""
    units, i = [], 0
    while i < len(text):
        end = text.find("}", i) if text.startswith("${", i) else -1
        units.append(text[i:end + 1] if end > 0 else text[i])
        i = end + 1 if end > 0 else i + 1
    return units


def wildcard_match(atoms, units: list[str]) -> bool:
    """Match by table (time linear in len(atoms) x len(units), whatever the input): `star` atoms take any run of
    units (without a colon, unless they cross colons), `one` one unit (no colon, unless it may be one), `lit` its
    unit."""
    reach = [True] + [False] * len(units)  # reach[j]: the atoms so far can match units[:j]
    for kind, value in atoms:
        if kind == "star":
            row = [reach[0]] + [False] * len(units)
            for j, unit in enumerate(units, 1):
                row[j] = reach[j] or (row[j - 1] and (value or unit != ":"))
        elif kind == "one":
            row = [False] + [reach[j - 1] and (value or unit != ":") for j, unit in enumerate(units, 1)]
        else:
            row = [False] + [reach[j - 1] and unit == value for j, unit in enumerate(units, 1)]
        reach = row
    return reach[-1]


def arn_segments(text: str) -> list[str]:
    """A concrete ARN's segments; a `${...}` of ddbguard's (which may hold colons) stays whole."""
    segments, current, i = [], [], 0
    while i < len(text):
        end = text.find("}", i) if text.startswith("${", i) else -1
        if end > 0:
            current.append(text[i:end + 1])
            i = end + 1
        elif text[i] == ":":
            segments.append("".join(current))
            current, i = [], i + 1
        else:
            current.append(text[i])
            i += 1
    return [*segments, "".join(current)]


@dataclass(frozen=True)
class TableArn:
    """A concrete DynamoDB table ARN, or the ARN of an index or stream of the table (`rest`)."""

    partition: str
    region: str
    account: str
    name: str
    rest: str = ""  # "", "/index/NAME", "/stream/LABEL", ...

    @property
    def table(self) -> str:
        return f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{self.name}"


def parse_table_arn(value: object) -> TableArn | None:
    """The table ARN a concrete value is (an environment variable, an event source), None when it is none."""
    return _parse_table_arn(value) if isinstance(value, str) and value.startswith("arn:") else None


@lru_cache(maxsize=65536)
def _parse_table_arn(value: str) -> TableArn | None:
    segments = arn_segments(value)
    if len(segments) < 6 or segments[2] != "dynamodb":
        return None
    resource = ":".join(segments[5:])
    if not resource.startswith("table/"):
        return None
    name, slash, rest = resource[len("table/"):].partition("/")
    if not name:
        return None
    return TableArn(segments[1], segments[3], segments[4], name, slash + rest)


def is_literal(segment: str) -> bool:
    """A pattern segment with no wildcard or policy variable: it matches one value."""
    return all(kind in ("char", "token") for unit in _units(segment) for kind, _ in unit)


Reading = tuple[str, str, str, str, str]  # partition, service, region, account, resource: one pattern per segment


@dataclass(frozen=True)
class ArnPattern:
    """A policy's Resource, read by segment: what it can reach, never how it is spelled (each answer computed once).

    `readings` are the positional segment patterns it stands for. A pattern of six segments or more has one; a
    shorter one has one per way its segment-ending `*`s can run past the missing colons (`arn:aws:dynamodb:*` is
    `dynamodb` in any region, account and resource), and none when no ARN has its shape.
    """

    text: str
    readings: tuple[Reading, ...]

    def matches(self, arn: str) -> bool:
        return arn_matches(self.text, arn)

    @cached_property
    def table_readings(self) -> list[Reading]:
        """The readings that may match a DynamoDB table's ARN (or its indexes' or streams')."""
        return [r for r in self.readings if _reaches_tables(r)]

    @cached_property
    def reaches_tables(self) -> bool:
        """It may match the ARN of some DynamoDB table (or of an index or stream of one)."""
        return bool(self.table_readings)

    @cached_property
    def table_name(self) -> str | None:
        """The one table name the pattern spells (`table/NAME` or `table/NAME/...`); None when its name part has a
        wildcard or policy variable (it reaches tables of other names too), or when it reaches no table."""
        names = {_name(r[4]) for r in self.table_readings}
        return names.pop() if len(names) == 1 else None

    @cached_property
    def every_table_name(self) -> bool:
        """It reaches tables of any name (`*`, `table/*`, `arn:aws:dynamodb:*`, `...:tab*`); a policy variable names
        one table for each caller, so `table/${aws:username}` does not."""
        return any(_segment_matches(_VARIABLE.sub("\x04", r[4]), "table/\x03any") for r in self.table_readings)

    @cached_property
    def account(self) -> str:
        """The account segment of the tables it reaches (a pattern, or one account); `*` when readings differ."""
        accounts = {r[3] for r in self.table_readings}
        return accounts.pop() if len(accounts) == 1 else "*"

    @cached_property
    def table_itself(self) -> bool:
        """It may match a table's own ARN, not only the ARNs of its indexes or streams (`table/NAME/index/*`)."""
        name = self.table_name
        return name is None or any(_segment_matches(r[4], f"table/{name}") for r in self.table_readings)


def _name(resource: str) -> str | None:
    """The table name a resource pattern spells literally (a `${...}` is one unit, whatever it holds)."""
    if not resource.startswith("table/"):
        return None
    units = []
    for kind, text in _units(resource[len("table/"):])[0]:
        if (kind, text) == ("char", "/"):
            break
        units.append((kind, text))
    if not units or any(kind not in ("char", "token") for kind, _ in units):
        return None
    return "".join(text for _, text in units)


def _reaches_tables(reading: Reading) -> bool:
    partition, service, region, account, resource = reading
    return (_segment_matches(service, "dynamodb") and "" not in (partition, region, account)
            and _may_start_with(resource, "table/"))


def _segment_matches(pattern: str, value: str) -> bool:
    return _regex(pattern).fullmatch(value) is not None


def _may_start_with(pattern: str, prefix: str) -> bool:
    """The resource pattern may match some text that starts with `prefix` (judged by its literal start)."""
    start = []
    for segment_index, segment in enumerate(_units(pattern)):
        if segment_index:
            start.append(":")
        for kind, text in segment:
            if kind not in ("char", "token"):
                literal = "".join(start)
                return prefix.startswith(literal) or literal.startswith(prefix)
            start.append(text)
    return "".join(start).startswith(prefix)


@lru_cache(maxsize=65536)
def arn_pattern(text: str) -> ArnPattern:
    """Read a Resource pattern once (cached: a run asks about the same few patterns again and again)."""
    segments = ["*"] * 6 if text == "*" else arn_segments(text)
    readings = []
    missing = 6 - len(segments)
    if missing <= 0:
        readings.append(segments[:5] + [":".join(segments[5:])])
    else:  # only a `*` that ends a segment can run past the missing colons: every way it can
        crossing = [i for i, s in enumerate(segments) if s.endswith("*") and not s.endswith("${*}")]
        for spread in _spreads(len(crossing), missing):
            reading: list[str] = []
            for i, segment in enumerate(segments):
                extra = spread[crossing.index(i)] if i in crossing else 0
                reading += [segment] + ["*"] * extra
            readings.append(reading)
    return ArnPattern(text, tuple((r[1], r[2], r[3], r[4], r[5]) for r in readings
                                  if _segment_matches(r[0], "arn")))


def _spreads(stars: int, colons: int) -> list[tuple[int, ...]]:
    """Every way `stars` segment-ending stars can share `colons` missing colons."""
    if stars == 0:
        return []
    if stars == 1:
        return [(colons,)]
    return [(first, *rest) for first in range(colons + 1) for rest in _spreads(stars - 1, colons - first)]
