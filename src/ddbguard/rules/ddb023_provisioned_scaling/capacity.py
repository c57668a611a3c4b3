"""What DDB023 needs scaled: the capacity of a table in PROVISIONED mode, as dimensions of Application Auto Scaling
(`table/<name>` and `table/<name>/index/<index>` with dynamodb:table|index:Read|WriteCapacityUnits), shared by the
template rule (graph.py) and the live one (live.py)."""

from __future__ import annotations

from dataclasses import dataclass

READ, WRITE = "ReadCapacityUnits", "WriteCapacityUnits"


@dataclass(frozen=True)
class Dimension:
    """One capacity that has to scale: of the table (index None) or of one of its global secondary indexes."""

    index: str | None
    units: str  # READ or WRITE

    @property
    def scalable_dimension(self) -> str:
        return f"dynamodb:{'table' if self.index is None else 'index'}:{self.units}"

    def resource_id(self, table: str) -> str:
        return f"table/{table}" if self.index is None else f"table/{table}/index/{self.index}"

    def describe(self) -> str:
        what = "read" if self.units == READ else "write"
        return f"{what} capacity" + ("" if self.index is None else f" of index {self.index}")


def table_dimensions(indexes: list[str]) -> list[Dimension]:
    """The table's read and write capacity, and each provisioned index's."""
    return [Dimension(index, units) for index in (None, *indexes) for units in (READ, WRITE)]


def missing(dimensions: list[Dimension], covered) -> list[str]:
    """What does not scale, in words, in order: `covered(dimension)` says whether a target scales it."""
    return [d.describe() for d in dimensions if not covered(d)]


def message(table: str, unscaled: list[str]) -> str:
    return (f"table {table} is in PROVISIONED capacity mode, but Application Auto Scaling does not scale its "
            f"{', '.join(unscaled)}: a burst beyond the provisioned capacity is throttled")
