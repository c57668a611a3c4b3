"""The input model: every stack of one run resolved together, so references cross stacks.

`Fn::ImportValue` finds the `Outputs.Export` of any stack in the run (or `external_exports` from the
configuration); a nested stack receives the `Parameters` its parent passes, and the parent's
`GetAtt Nested.Outputs.X` reads the child's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ddbguard.model import InputError
from ddbguard.templates.closed_world import find_not_modelled, table_index
from ddbguard.templates.shape import shape_problem
from ddbguard.templates.stack import STACK_SET, Stack
from ddbguard.templates.resolve import UNRESOLVED, Resolver, is_intrinsic, resolve_with

_IN_PROGRESS = object()


class InputModel:
    def __init__(self, stacks: list[Stack], parameters: dict[str, str] | None = None,
                 external_exports: dict[str, str] | None = None) -> None:
        self.stacks = stacks
        self._parameters = dict(parameters or {})
        self._external_exports = dict(external_exports or {})
        self._resolvers: dict[int, Resolver] = {}
        self._resolved: dict[int, dict] = {}
        self._exports: dict[str, tuple[Stack, object]] | None = None
        self._import_cache: dict[str, object] = {}
        self._children = {(id(s.parent), s.parent_logical_id): s for s in stacks if s.parent is not None}

    # -- resolution ----------------------------------------------------------------------------
    def resolver(self, stack: Stack) -> Resolver:
        key = id(stack)
        if key not in self._resolvers:
            resolver = Resolver(
                stack.template, {}, stack.account, stack.region, stack.stack_name,
                import_value=self.import_value,
                nested_output=lambda logical_id, output, parent=stack: self.nested_output(parent, logical_id, output),
            )
            self._resolvers[key] = resolver  # registered first: parameters may refer back (cycles end unresolved)
            resolver.parameters = self._parameters_for(stack)
        return self._resolvers[key]

    def resolve_all(self) -> tuple[list[tuple[Stack, dict]], list[InputError]]:
        """(stack, resolved template) for every stack whose resolved template still has a template's shape.

        A value that resolves to the wrong shape (`Properties: !If [C, [1], [2]]`) is rejected by
        CloudFormation too: an input error naming the file and the path.
        """
        resolved, errors = [], []
        for stack in self.stacks:
            try:
                template = self.resolved(stack)
            except RecursionError:  # references across stacks (imports of imports...) nested beyond reason
                errors.append(InputError(stack.file, "its references (Fn::ImportValue of exports that import, ...) "
                                                     "nest too deeply to resolve"))
                continue
            problem = shape_problem(template, only=stack.shape_deferred)
            if problem:
                errors.append(InputError(stack.file, f"after resolving intrinsic functions, {problem}"))
            else:
                resolved.append((stack, template))
        tables = table_index((stack.name, self.resolver(stack), template) for stack, template in resolved)
        for stack, template in resolved:
            stack.not_modelled = find_not_modelled(stack, template, tables)
        return resolved, errors

    def resolved(self, stack: Stack) -> dict:
        key = id(stack)
        if key not in self._resolved:
            self._resolved[key] = resolve_with(self.resolver(stack))
            stack.undecided = dict(self.resolver(stack).undecided)
        return self._resolved[key]

    def _parameters_for(self, stack: Stack) -> dict[str, object]:
        if stack.parent is None:
            return dict(self._parameters)
        resource = stack.parent.template["Resources"].get(stack.parent_logical_id) or {}
        passed = (resource.get("Properties") or {}).get("Parameters") or {}
        if stack.via == STACK_SET and isinstance(passed, list):  # [{ParameterKey, ParameterValue}]
            passed = {p["ParameterKey"]: p.get("ParameterValue") for p in passed
                      if isinstance(p, dict) and isinstance(p.get("ParameterKey"), str) and "ParameterValue" in p}
        parent = self.resolver(stack.parent)
        values = {}
        for name, value in passed.items() if isinstance(passed, dict) else []:
            resolved = parent.resolve(value)
            if not is_intrinsic(resolved):
                values[name] = ",".join(map(str, resolved)) if isinstance(resolved, list) else resolved
        return values

    # -- cross-stack lookups -------------------------------------------------------------------
    def exports(self) -> dict[str, tuple[Stack, object]]:
        """Export name -> (stack, the output's unresolved value), for every stack in the run."""
        if self._exports is None:
            self._exports = {}
            for stack in self.stacks:
                outputs = stack.template.get("Outputs") or {}
                for output in outputs.values() if isinstance(outputs, dict) else []:
                    export = output.get("Export") if isinstance(output, dict) else None
                    name = self.resolver(stack).resolve(export.get("Name")) if isinstance(export, dict) else None
                    if isinstance(name, str):
                        self._exports[name] = (stack, output.get("Value"))
        return self._exports

    def import_value(self, name: str) -> object:
        if name in self._external_exports:
            return self._external_exports[name]
        cached = self._import_cache.get(name)
        if cached is _IN_PROGRESS:
            return UNRESOLVED
        if cached is not None:
            return cached
        found = self.exports().get(name)
        if found is None:
            return UNRESOLVED
        self._import_cache[name] = _IN_PROGRESS
        stack, value = found
        resolved = self.resolver(stack).resolve(value)
        self._import_cache[name] = UNRESOLVED if is_intrinsic(resolved) else resolved
        return self._import_cache[name]

    def has_export(self, name: str) -> bool:
        return name in self._external_exports or name in self.exports()

    def nested_output(self, parent: Stack, logical_id: str, output: str) -> object:
        child = self._children.get((id(parent), logical_id))
        outputs = child.template.get("Outputs") if child else None
        entry = outputs.get(output) if isinstance(outputs, dict) else None
        if not isinstance(entry, dict) or "Value" not in entry:
            return UNRESOLVED
        resolved = self.resolver(child).resolve(entry["Value"])
        return UNRESOLVED if is_intrinsic(resolved) else resolved


@dataclass
class CheckedStack:
    stack: Stack
    resolved: dict  # the template after resolve_template: what every engine reads
    _of_types: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.stack.name

    def resources_of(self, types: tuple[str, ...]) -> list[tuple[str, dict]]:
        """(logical id, resolved resource) of each resource of these types, in the template's order: found once
        for the many rules that read the same types (tables above all)."""
        found = self._of_types.get(types)
        if found is None:
            by_type = self._of_types.get(None)
            if by_type is None:  # every resource, by type, with its place: one walk of the stack for every rule
                by_type = self._of_types[None] = {}
                for place, (logical_id, resource) in enumerate(self.resolved["Resources"].items()):
                    kind = resource.get("Type")
                    if isinstance(kind, str):  # the shape check makes it so; anything else is of no rule's types
                        by_type.setdefault(kind, []).append((place, logical_id, resource))
            of_types = [entry for kind in dict.fromkeys(types) for entry in by_type.get(kind, ())]
            if len(types) > 1:
                of_types.sort(key=lambda entry: entry[0])
            found = self._of_types[types] = [(logical_id, resource) for _, logical_id, resource in of_types]
        return found
