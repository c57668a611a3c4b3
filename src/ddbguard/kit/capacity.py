"""The capacity of a table in PROVISIONED mode, as dimensions of Application Auto Scaling (`table/<name>` and
`table/<name>/index/<index>` with dynamodb:table|index:Read|WriteCapacityUnits): what DDB023 needs scaled, on
templates and live, and what the inventory says scales."""

from __future__ import annotations

from dataclasses import dataclass

from ddbguard.templates.resolve import has_unresolved, is_intrinsic

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


SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"


def template_targets(graph) -> tuple[set[tuple[str, str, str]], list[str]]:
    """(ResourceId, ScalableDimension, stack) of every DynamoDB scalable target of the input, and the logical ids of
    targets whose ResourceId or dimension cannot be resolved (they may scale any table)."""
    targets, unresolved = set(), []
    for stack in graph.stacks:
        for logical_id, resource in stack.resources_of((SCALABLE_TARGET,)):
            properties = resource.get("Properties") or {}
            fields = [properties.get(key) for key in ("ServiceNamespace", "ResourceId", "ScalableDimension")]
            if isinstance(fields[0], str) and fields[0] != "dynamodb":
                continue  # another service's target
            if any(not isinstance(v, str) or is_intrinsic(v) or has_unresolved(v) for v in fields):
                unresolved.append(logical_id)
            else:
                targets.add((fields[1], fields[2], stack.name))
    return targets, unresolved


def targeted(targets: set[tuple[str, str, str]], stack, name: str, dimension: Dimension) -> bool:
    """A scalable target of the input scales the dimension of table `name` (of `stack`, a CheckedStack). A generated
    name `${Logical}` is only that table's within its own stack."""
    wanted = (dimension.resource_id(name), dimension.scalable_dimension)
    return any((rid, dim) == wanted and (not name.startswith("${") or where == stack.name)
               for rid, dim, where in targets)
