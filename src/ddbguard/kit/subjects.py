"""The Subjects rules return (model.Subject), built from what rules find: (message, path) pairs."""

from __future__ import annotations

from ddbguard.model import Problem, Subject


def judged(stack, logical_id: str, problems=(), unknown=(), **extra) -> Subject:
    """A subject of a template stack (a CheckedStack) from (message, path) pairs of failures and of reasons it
    cannot be judged."""
    if not problems and not unknown:  # most subjects
        return Subject(logical_id, (), stack.name, **extra) if extra else Subject(logical_id, (), stack.name)
    return Subject(logical_id, tuple(Problem(m, p) for m, p in problems)
                   + tuple(Problem(m, p, unknown=True) for m, p in unknown), stack=stack.name, **extra)


def live_judged(name: str, arn: str, problems=(), unknown=(), **extra) -> Subject:
    """A live subject (a table or function of the snapshot's account and region) from messages."""
    return Subject(name, tuple(Problem(m) for m in problems) + tuple(Problem(m, unknown=True) for m in unknown),
                   arn=arn, **extra)
