"""Benchmark: `ddbguard merge` of two audit shards of 5,000 tables each (8 rules: 80,000 findings).

    python bench/bench_merge.py [--tables 5000]

Writes the two shard reports (real JSON reports of the audit's shape), runs the real command line on
them, and prints its wall time and peak memory, and both per finding.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ddbguard.model import Finding, LiveResource, Report, Severity, Status  # noqa: E402
from ddbguard.report.json_report import render_json  # noqa: E402

RULES = ("DDB001", "DDB002", "DDB003", "DDB004", "DDB005", "DDB013", "DDB020", "DDB021")


def shard_report(index: int, count: int, tables: int) -> str:
    account = f"{index:012d}"
    findings = [
        Finding(rule, "title", Severity.HIGH, Status.FAIL if table % 3 else Status.PASS,
                f"the message about table t{table:05d}", f"{account}/us-east-1", f"t{table:05d}",
                "AWS::DynamoDB::Table", None, f"{account}/us-east-1", 0, "live", "the fix",
                live=LiveResource(account, "us-east-1", f"arn:aws:dynamodb:us-east-1:{account}:table/t{table:05d}",
                                  f"t{table:05d}"))
        for table in range(tables) for rule in RULES]
    return render_json(Report(findings, audit={"shard": [index, count], "accounts_digest": "d" * 64,
                                               "accounts": 1}), engine="live")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for index in (1, 2):
            path = Path(scratch) / f"shard-{index}.json"
            path.write_text(shard_report(index, 2, args.tables))
            paths.append(str(path))
        size = sum(Path(p).stat().st_size for p in paths) / 1e6
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", "ddbguard", "merge", *paths, "--format", "json", "--output",
                                    str(Path(scratch) / "merged.json")], capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    findings = 2 * args.tables * len(RULES)
    print(f"merge of 2 shards x {args.tables} tables = {findings} findings ({size:.0f} MB of JSON): "
          f"exit {completed.returncode}, {elapsed:.2f} s, peak {peak:.0f} MB")
    print(f"per 10,000 findings: {elapsed / findings * 1e4:.2f} s, {peak / findings * 1e4:.1f} MB")


if __name__ == "__main__":
    main()
