"""Who may use a table: whether an ARN pattern of a grant reaches a table's ARN (or may, where the table's place is
not known), and what IAM decides for the statements that name it."""

from __future__ import annotations

TYPE_CHECKING = False  # typing's, without importing typing (2 ms of every run)

from ddbguard.arns import arn_pattern, is_literal, parse_table_arn
from ddbguard.iam import Boundary, Statement, decide_any, is_allowed
from ddbguard.model import Unknown

if TYPE_CHECKING:
    from ddbguard.kit.nodes import Table

# What using a table's data takes, and reading its stream
DATA_ACTIONS = tuple(f"dynamodb:{a}" for a in (
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
    "ConditionCheckItem"))
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")


def same_place(table_arn: str, other: str) -> bool | None:
    """Whether two ARNs of a same-named table are in the same partition, region and account: True, False, or None
    when a value ddbguard cannot resolve (`${AWS::AccountId}`) leaves it open. A `*` place (a table only known by
    name) is every place."""
    mine, theirs = parse_table_arn(table_arn), parse_table_arn(other)
    if mine is None or theirs is None:
        return None
    answer: bool | None = True
    for a, b in ((mine.partition, theirs.partition), (mine.region, theirs.region), (mine.account, theirs.account)):
        if a == b or a == "*":
            continue
        if "${" in a or "${" in b:
            answer = None
        else:
            return False
    return answer


def places(table_arn: str, patterns) -> list[tuple[str, bool]]:
    """The ARNs a table may have at the places Resource patterns assume, and whether it surely has each: its own
    (surely), and its own with each partition, region or account it leaves open (`${AWS::Partition}` in a template
    file, `*` for a table known only by name) taken from a pattern that spells one there. A `*` place is surely
    every place; an unresolved one only may be the pattern's."""
    parsed = parse_table_arn(table_arn)
    found = {table_arn: True}
    if parsed is None or not any("${" in v or v == "*" for v in (parsed.partition, parsed.region, parsed.account)):
        return list(found.items())
    for pattern in patterns:
        for reading in arn_pattern(pattern).table_readings:
            filled, sure = [], True
            for mine, theirs in ((parsed.partition, reading[0]), (parsed.region, reading[2]), (parsed.account, reading[3])):
                if (mine == "*" or "${" in mine) and is_literal(theirs) and theirs != mine:
                    filled.append(theirs)
                    sure &= mine == "*"
                else:
                    filled.append(mine)
            arn = f"arn:{filled[0]}:dynamodb:{filled[1]}:{filled[2]}:table/{parsed.name}"
            found[arn] = found.get(arn, False) or sure
    return list(found.items())


def may_match(pattern: str, arn: str) -> bool:
    """The pattern may match the table's ARN (or one of its indexes' or streams'), at the places it leaves open."""
    reach = arn_pattern(pattern)
    return any(reach.matches(candidate + part) for candidate, _ in places(arn, [pattern])
               for part in ("", "/index/\x03", "/stream/\x03"))


def table_part(pattern: str, name: str) -> str:
    """A pattern that names one table, cut after the table's name (`.../table/orders/index/*` -> `.../table/orders`)."""
    cut = pattern.find(f":table/{name}")
    return pattern[: cut + len(f":table/{name}")] if cut >= 0 else pattern


def can_use(statements: list[Statement], table: Table, boundary: Boundary = None) -> bool | Unknown:
    """The identity may use the table (DDB011). Unknown also when only a grant at a place the table leaves unresolved
    (its partition, region or account) allows it: it may or may not be the table's."""
    placed = places(table.arn, [r for s in statements for r in s.resources])
    answer = may_use(statements, [arn for arn, sure in placed if sure], boundary)
    if answer is False:
        maybe = [arn for arn, sure in placed if not sure]
        if maybe and may_use(statements, maybe, boundary) is True:
            hint = " (a template file names no region or account: give AWS::Region and AWS::AccountId with " \
                "--parameters)" if "${AWS::" in table.arn else ""
            return Unknown(f"it is granted table {table.name} as {maybe[0]}, and whether that is the table's partition, "
                           f"region and account ({table.arn}) cannot be resolved statically{hint}")
    return answer


def may_use(statements: list[Statement], arns: list[str], boundary: Boundary = None) -> bool | Unknown:
    """The role may use the table (some data action, by any of the ARNs it goes by), within its permissions
    boundary; Unknown when a Deny's condition or the boundary decides. DDB011's test, templates and live."""
    return decide_any(statements, DATA_ACTIONS, arns, boundary)


def grants(statements: list[Statement], table: Table) -> bool:
    """The statements grant some data action on the table, conditions taken to hold (the over-grant view)."""
    return any(is_allowed(statements, action, arn) for action in DATA_ACTIONS for arn in table_arns(table, statements))


def table_arns(table: Table, statements: list[Statement], *, exact: bool = False) -> list[str]:
    """The ARNs a table may go by at the places the statements' Resources assume (exact: those it surely goes by;
    a table ARN of another account or region is another table's)."""
    patterns = [r for s in statements for r in s.resources]
    return [arn for arn, sure in places(table.arn, patterns) if sure or not exact]
