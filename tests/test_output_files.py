"""Reports, inventories and baselines are written atomically: to a temporary file in the same directory, then
renamed over the previous one. A run that fails while writing (here: the file size limit, as a full disk
would) leaves the previous file as it was and no temporary file behind; a missing directory is one line and
exit code 2, said before any work is done."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys

import pytest

from conftest import RULES_DIR, run_ddbguard

BAD = RULES_DIR / "ddb001_retain" / "fixtures" / "bad.json"
PREVIOUS = "the previous report\n"


def run_with_file_size_limit(*args: str, cwd, limit: int) -> subprocess.CompletedProcess:
    """ddbguard in a child that may write no file larger than `limit` bytes (writes beyond fail with EFBIG)."""
    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel stops the process instead of failing the write
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "ddbguard", *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=limit_file_size, check=False)


WRITERS = {
    "report": (("check", str(BAD), "--format", "json", "--output"), "report"),
    "inventory": (("inventory", str(BAD), "--format", "json", "--output"), "inventory"),
    "baseline": (("check", str(BAD), "--write-baseline"), "baseline"),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_write_that_fails_leaves_the_previous_file_intact(tmp_path, writer):
    args, what = WRITERS[writer]
    previous = tmp_path / "out.json"
    previous.write_text(PREVIOUS)
    result = run_with_file_size_limit(*args, "out.json", cwd=tmp_path, limit=2048)  # each is larger
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == f"ddbguard: out.json: cannot write {what}: File too large"
    assert "Traceback" not in result.stderr
    assert previous.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_missing_directory_is_one_line_and_exit_2(tmp_path, writer):
    args, what = WRITERS[writer]
    result = run_ddbguard(*args, "missing/out.json", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"ddbguard: missing/out.json: cannot write {what}: the directory missing does not exist\n"


def test_a_missing_directory_is_said_before_the_run(tmp_path):
    # merge would first fail on its input; the output directory is checked before anything is read
    result = run_ddbguard("merge", "absent.json", "--output", "missing/merged.json", cwd=tmp_path)
    assert result.code == 2
    assert result.stderr == ("ddbguard: missing/merged.json: cannot write report: the directory missing does not "
                             "exist\n")


def test_a_report_replaces_the_previous_one_with_its_permissions(tmp_path):
    previous = tmp_path / "report.json"
    previous.write_text(PREVIOUS)
    previous.chmod(0o640)
    before = previous.stat().st_ino
    assert run_ddbguard("check", str(BAD), "--format", "json", "--output", "report.json", cwd=tmp_path).code == 1
    assert previous.read_text().startswith('{"schema_version": 1')
    assert previous.stat().st_ino != before  # a new file, renamed over the old one
    assert stat.S_IMODE(previous.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_new_report_gets_the_permissions_of_a_new_file(tmp_path):
    old = os.umask(0o027)
    try:
        assert run_ddbguard("inventory", str(BAD), "--output", "tables.md", cwd=tmp_path).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "tables.md").stat().st_mode) == 0o640  # 0666 less the umask, as open() makes it


def test_a_report_written_through_a_link_or_to_a_device(tmp_path):
    target = tmp_path / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text(PREVIOUS)
    (tmp_path / "link.json").symlink_to(target)
    assert run_ddbguard("check", str(BAD), "--format", "json", "--output", "link.json", cwd=tmp_path).code == 1
    assert (tmp_path / "link.json").is_symlink() and target.read_text().startswith('{"schema_version": 1')
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.json"]
    # a device or a pipe cannot be renamed over: it is written as it is
    assert run_ddbguard("check", str(BAD), "--output", "/dev/null").code == 1
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
