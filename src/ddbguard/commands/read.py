"""Reading the input, the same way for every command: load -> resolve, and what the run must redact."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ddbguard.model import InputError
from ddbguard.templates.load import load_inputs
from ddbguard.templates.model import CheckedStack, InputModel
from ddbguard.templates.noecho import noecho_values


@dataclass
class Input:
    stacks: list[CheckedStack]  # every stack read, the context ones (read only for their references) too
    model: InputModel
    errors: list[InputError] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)  # context inputs that could not be read
    secrets: frozenset[str] = frozenset()  # NoEcho parameter values, redacted from every report

    @property
    def given(self) -> list[CheckedStack]:
        """The stacks findings are reported for (not the context ones)."""
        return [stack for stack in self.stacks if not stack.stack.context]


def read_input(paths: list[str], parameters: dict | None, config, *, ignore_non_templates: bool = False,
               template_roots: tuple[str, ...] = (), context: list[str] | tuple[str, ...] = ()) -> Input:
    """Every stack of `paths` (and of `context`) resolved together, so references cross stacks. A shape error in
    a context file is a warning: the run reports findings for the given files only."""
    loaded = load_inputs(paths, ignore_non_templates=ignore_non_templates,
                         template_roots=tuple(Path(root) for root in template_roots),
                         parameters=parameters, context=list(context))
    model = InputModel(loaded.stacks, parameters, config.external_exports)
    resolved, shape_errors = model.resolve_all()
    read = Input([CheckedStack(stack, template) for stack, template in resolved], model, list(loaded.errors),
                 list(loaded.warnings), noecho_values(model))
    for error in shape_errors:
        in_context = any(s.file == error.file and s.context for s in loaded.stacks)
        (read.warnings if in_context else read.errors).append(error)
    return read
