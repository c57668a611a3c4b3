"""Every command in the README and docs/ is run, and does what the page says.

The pages mark what is run: in a ```sh block, a line that starts with `$ ` is a command; a trailing comment
`# exit code N` states its exit code (0 when it states none); the lines after it, up to the next command, are
its standard output, exactly. A ```console block is not run, and says why in its first line (it needs an AWS
account or a package registry, or another test runs it). Every ```sh block holds at least one command.

Each block runs in a scratch directory of its own holding what the commands name: cdk.out (the example CDK
app's assembly, synthesized once), fixtures/, policies/ and checks/. A block that audits talks to the moto
server on 127.0.0.1 (AWS_ENDPOINT_URL), seeded with the guide's tables in an organization; AWS Backup, which
moto does not model, answers from recordings (none: no recovery points).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\s*$")
EXIT_CODE = re.compile(r"#\s*exit code (\d+)")
COPIED = ("fixtures", "policies", "checks")  # what the commands name, beside cdk.out


@dataclass
class Block:
    page: Path
    line: int
    kind: str
    lines: list[str]

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


@dataclass
class Command:
    text: str
    exit_code: int
    output: list[str]


def _blocks() -> list[Block]:
    blocks = []
    for page in PAGES:
        current = None
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            fence = FENCE.match(line)
            if fence and current is None:
                current = Block(page, number, fence.group(2), []), len(fence.group(1))
            elif fence and len(fence.group(1)) == current[1] and not fence.group(2):
                blocks.append(current[0])
                current = None
            elif current is not None:
                current[0].lines.append(line[current[1]:])
    return blocks


BLOCKS = _blocks()
RUN = [block for block in BLOCKS if block.kind == "sh"]


def commands(block: Block) -> list[Command]:
    found: list[Command] = []
    for line in block.lines:
        if line.startswith("$ "):
            code = EXIT_CODE.search(line)
            found.append(Command(line[2:], int(code.group(1)) if code else 0, []))
        elif found:
            found[-1].output.append(line.rstrip())
        else:
            assert line.startswith("#") or not line.strip(), f"{block.name}: {line!r} is neither a command nor a comment"
    return found


def test_every_sh_block_is_commands_and_every_console_block_says_why_it_is_not_run():
    for block in RUN:
        assert commands(block), f"{block.name}: a ```sh block without `$ ` commands (mark them, or use ```console)"
    for block in (b for b in BLOCKS if b.kind == "console"):
        assert re.match(r"# (not run by the tests|run by tests/)", block.lines[0]), block.name


@pytest.fixture(scope="module")
def workspace(cdk_assembly, tmp_path_factory) -> Path:
    """What every block's scratch directory starts as."""
    base = tmp_path_factory.mktemp("docs-workspace")
    shutil.copytree(cdk_assembly, base / "cdk.out")
    for name in COPIED:
        shutil.copytree(ROOT / name, base / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    return base


def _seed_organization(endpoint: str) -> None:
    """The guide's tables in the management account of an organization (moto's default account)."""
    import boto3

    from fixtures.live.seed import seed_guide_account

    session = boto3.Session(region_name="us-east-1")
    session.client("organizations", endpoint_url=endpoint).create_organization(FeatureSet="ALL")
    seed_guide_account(session, endpoint)


@pytest.mark.parametrize("block", RUN, ids=lambda block: block.name)
def test_the_documented_commands_do_what_the_page_says(block, workspace, guard_bin, tmp_path, request):
    scratch = tmp_path / "scratch"
    shutil.copytree(workspace, scratch, symlinks=True)
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(Path(guard_bin).parent),
                                                  os.environ["PATH"]])}
    if any(word in line for line in block.lines for word in ("ddbguard audit", "--live")):
        endpoint = request.getfixturevalue("moto")  # emptied, with test credentials and recorded AWS Backup
        _seed_organization(endpoint)
        env = {**env, **{name: os.environ[name] for name in os.environ if name.startswith("AWS_")},
               "AWS_ENDPOINT_URL": endpoint}
    for command in commands(block):
        run = subprocess.run(["bash", "-o", "pipefail", "-c", command.text], cwd=scratch, env=env,
                             capture_output=True, text=True, check=False, timeout=300)
        assert run.returncode == command.exit_code, f"{block.name}: {command.text}\n{run.stdout[-2000:]}{run.stderr[-2000:]}"
        if command.output:
            assert [line.rstrip() for line in run.stdout.rstrip("\n").splitlines()] == command.output, command.text


LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_of_the_pages_reaches_a_file_or_a_heading():
    """After the reference moved out of the README: no link points at what is no longer there."""
    def anchors(page: Path) -> set[str]:
        headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
        return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}

    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https://, mailto: ...
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.is_relative_to(ROOT):
                continue  # the guide beside the checkout (../shared/guide/): not part of the repository
            assert resolved.exists(), f"{page.relative_to(ROOT)}: {target}"
            if anchor and resolved.suffix == ".md":
                assert anchor in anchors(resolved), f"{page.relative_to(ROOT)}: {target}"
