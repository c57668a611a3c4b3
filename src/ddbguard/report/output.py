"""Writing a report, an inventory or a baseline: atomically, so that a reader never sees half a file and a
run that fails (a full disk, an interrupt, a crash) leaves the previous file as it was.

The text goes to a temporary file in the target's directory (a rename is atomic within one file system
only), is flushed to disk, takes the previous file's permissions (a new file gets what `open` would give
it: 0666 less the umask), and is renamed over the target. A link is followed: the file it points to is
replaced. A target that is not a regular file (/dev/stdout, a pipe) cannot be renamed over and is written
as it is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class OutputError(Exception):
    """A file that cannot be written: the reason, for one line and exit code 2."""


def output_problem(path: str) -> str | None:
    """Why `path` cannot be written, when it can be told before the run (its directory is missing)."""
    directory = Path(os.path.realpath(path)).parent
    if not directory.is_dir():
        shown = os.path.dirname(path) or "."
        return f"the directory {shown} does not exist" if not directory.exists() else f"{shown} is not a directory"
    return None


def write_atomically(path: str, text: str) -> None:
    target = os.path.realpath(path)
    try:
        previous = os.stat(target)
    except FileNotFoundError:
        previous = None
    except OSError as exc:
        raise OutputError(exc.strerror or str(exc)) from None
    problem = output_problem(path)
    if problem:
        raise OutputError(problem)
    try:
        if previous is not None and not stat.S_ISREG(previous.st_mode):
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        _replace(target, text, previous)
    except OSError as exc:
        raise OutputError(exc.strerror or str(exc)) from None


def _replace(target: str, text: str, previous: os.stat_result | None) -> None:
    import tempfile  # here: 20 ms to import, and only a run that writes a file needs it

    directory, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if previous is not None:
            os.chmod(temporary, stat.S_IMODE(previous.st_mode))
            if (previous.st_uid, previous.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(temporary, previous.st_uid, previous.st_gid)
                except PermissionError:
                    pass  # only root may give a file away: it becomes the writer's
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it
    os.umask(mask)
    return mask
