"""Run the cfn-guard binary over resolved templates and turn its JSON into per-resource evaluations."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from ddbguard import package_file
from ddbguard.catalog import Rule
from ddbguard.engines.common import (
    EngineError, engine_input, evaluation, join_messages,
)
from ddbguard.model import Evaluation
from ddbguard.registry import settings_for
from ddbguard.templates.model import CheckedStack

GUARD_PACKAGE = Path("node_modules/@cdklabs/cdk-validator-cfnguard/bin")
_OK_EXIT_CODES = {0, 19}  # 19: non-compliant data, which is a result, not an error


def _bundled_binary_path() -> Path:
    system = {"linux": "ubuntu", "darwin": "macos"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return GUARD_PACKAGE / system / arch / "cfn-guard"


def find_guard_binary(explicit: str | None = None) -> str:
    """--guard-bin, then CFN_GUARD_BIN, then the pinned npm package near the project, then PATH."""
    for source, candidate in (("--guard-bin", explicit), ("CFN_GUARD_BIN", os.environ.get("CFN_GUARD_BIN"))):
        if candidate:
            if Path(candidate).is_file() and os.access(candidate, os.X_OK):
                return candidate
            raise EngineError(f"{candidate}: cfn-guard binary given by {source} does not exist or is not executable")
    bundled = _bundled_binary_path()
    for base in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (base / bundled).is_file():
            return str(base / bundled)
    on_path = shutil.which("cfn-guard")
    if on_path:
        return on_path
    raise EngineError(
        "cfn-guard: binary not found. The default --engine builtin needs none; for --engine guard, install "
        "cfn-guard 3 (its release binary, `cargo install cfn-guard`, or `npm install "
        "@cdklabs/cdk-validator-cfnguard`, which ships it) and put it on PATH or name it with CFN_GUARD_BIN or "
        "--guard-bin"
    )


def policy_file(rule: Rule) -> Path:
    return package_file("rules", rule.stem, "rule.guard")


def run_guard(
    stacks: list[CheckedStack], rules: list[Rule], config, *, binary: str, workdir: Path
) -> list[Evaluation]:
    rules = [rule for rule in rules if "guard" in rule.engines]
    if not rules or not stacks:
        return []
    params = workdir / "guard-params.json"
    # the settings the rules declare, as the parameters the guard rules read (`ddbguard.<setting>`)
    params.write_text(json.dumps({"ddbguard": {name: value for rule in rules
                                               for name, value in vars(settings_for(rule, config)).items()}}))
    # cfn-guard is single-threaded: give each core its own share of the templates.
    batches = min(len(stacks), os.cpu_count() or 1)
    data_files = []
    for index, stack in enumerate(stacks):
        data_file = workdir / f"guard-data-{index % batches}" / f"{index}.json"
        data_file.parent.mkdir(exist_ok=True)
        data_file.write_text(engine_input(stack.resolved), encoding="utf-8")
        data_files.append(data_file)
    commands = [_command(binary, rules, params, ["-d", str(workdir / f"guard-data-{batch}")]) for batch in range(batches)]
    results, unreadable = [], {}
    for command, outcome in zip(commands, _run_all(commands, binary, workdir, "batch")):
        if isinstance(outcome, list):
            results += outcome
            continue
        # One file cfn-guard cannot read fails its whole batch: judge that batch's files one by one.
        batch_files = [f for f in data_files if str(f.parent) == command[command.index("-d") + 1]]
        singles = [_command(binary, rules, params, ["-d", str(f)]) for f in batch_files]
        for data_file, single in zip(batch_files, _run_all(singles, binary, workdir, data_file_stem(command))):
            if isinstance(single, list):
                results += single
            else:
                unreadable[data_file.name] = single
    if unreadable and len(unreadable) == len(stacks):
        raise EngineError(f"{binary}: {next(iter(unreadable.values()))}")  # cfn-guard itself is broken

    failures_by_file: dict[str, dict[tuple[str, str], tuple[str, tuple]]] = {}
    for file_result in results:
        found: dict[tuple[str, str], list[tuple[str, tuple]]] = {}
        for item in file_result.get("not_compliant", []):
            rule_id = item.get("Rule", {}).get("name", "")[:6]  # rule blocks are named DDB00N_...
            for logical_id, message, path in _failing_resources(item):
                found.setdefault((rule_id, logical_id), []).append((message, path))
        failures_by_file[Path(file_result["name"]).name] = {
            key: (join_messages(message for message, _ in problems), problems[0][1]) for key, problems in found.items()
        }

    evaluations = []
    for index, stack in enumerate(stacks):
        failures = failures_by_file.get(f"{index}.json")
        for rule in rules:
            for logical_id, _ in stack.resources_of(rule.resource_types):
                if failures is None:
                    why = unreadable.get(f"{index}.json", "cfn-guard returned no result for this template")
                    evaluations.append(evaluation(rule, stack, logical_id, "guard", unknown=why))
                elif (rule.id, logical_id) in failures:
                    message, path = failures[(rule.id, logical_id)]
                    evaluations.append(evaluation(rule, stack, logical_id, "guard", failed=message, path=path))
                else:
                    evaluations.append(evaluation(rule, stack, logical_id, "guard"))
    return evaluations


def _command(binary: str, rules: list[Rule], params: Path, data: list[str]) -> list[str]:
    command = [binary, "validate", *data, "-i", str(params), "-o", "json", "-S", "none", "-z"]
    for rule in rules:
        command += ["-r", str(policy_file(rule))]
    return command


def data_file_stem(command: list[str]) -> str:
    return Path(command[command.index("-d") + 1]).name


def _run_all(commands: list[list[str]], binary: str, workdir: Path, label: str) -> list[list | str]:
    """Run the commands side by side; each gives cfn-guard's results, or the reason it failed."""
    processes = []
    for number, command in enumerate(commands):
        output = workdir / f"guard-output-{label}-{number}"
        processes.append((_start(command, binary, output), output))
    try:
        return [_finish(process, output, binary) for process, output in processes]
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()


def _start(command: list[str], binary: str, output: Path) -> subprocess.Popen:
    # Output goes to files, not pipes: a full pipe would stall one process while we read another.
    try:
        with open(output.with_suffix(".out"), "w") as stdout, open(output.with_suffix(".err"), "w") as stderr:
            return subprocess.Popen(command, stdout=stdout, stderr=stderr)
    except OSError as exc:
        raise EngineError(f"{binary}: cannot run cfn-guard: {exc.strerror or exc}") from None


def _finish(process: subprocess.Popen, output: Path, binary: str) -> list | str:
    process.wait()
    stdout = output.with_suffix(".out").read_text()
    if process.returncode not in _OK_EXIT_CODES:
        detail = (output.with_suffix(".err").read_text() or stdout).strip().splitlines()
        return f"cfn-guard failed with exit code {process.returncode}: {detail[0] if detail else 'no output'}"
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        return "cfn-guard printed output that is not JSON"


def _failing_resources(node: object, message: str = ""):
    """Yield (logical id, message, path) for every failing clause below a not_compliant entry.

    A clause names the value it judged as {"path": "/Resources/<id>/...", ...} under "from",
    "traversed_to" or "value" depending on its kind; the first such path in a clause is the evidence.
    """
    if isinstance(node, dict):
        messages = node.get("messages")
        if isinstance(messages, dict):
            message = (messages.get("custom_message") or "").strip() or (messages.get("error_message") or "")
        path = node.get("path")
        if isinstance(path, str) and path.startswith("/Resources/"):
            parts = path.split("/")[2:]
            yield parts[0], message.strip(), tuple(int(p) if p.isdigit() else p for p in parts[1:])
            return
        for value in node.values():
            found = list(_failing_resources(value, message))
            yield from found
            if found and "check" in node:
                return  # one piece of evidence per clause
    elif isinstance(node, list):
        for value in node:
            yield from _failing_resources(value, message)
