"""Benchmark: memory and time of decoding large YAML and JSON templates, as multiples of the file's size.

    python bench/bench_decode.py [--tables 5000,20000,60000] [--repeat 3]

Each size is decoded in a fresh process (so that its peak resident memory is its own), `--repeat` times, YAML
and JSON in turns (the machine is shared: both formats see the same load); the script prints the file size, the
peak memory above the interpreter's own, that as a multiple of the file size, and the median wall and CPU times,
and for each size the YAML template's time as a multiple of its JSON twin's (target: at most 3x), in wall time
and in CPU time (which another process's load moves less). It measures and prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TABLE = """  Table{i}:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: table-{i}
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      PointInTimeRecoverySpecification: {{PointInTimeRecoveryEnabled: true}}
      Tags:
        - Key: owner
          Value: team-{i}
"""

# VmHWM (the process's own peak; ru_maxrss survives exec on Linux, so a big parent would hide the child's)
MEASURE = """
import json, sys, time
from pathlib import Path
from ddbguard.templates.decode import decode_file
def peak():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
before = peak()
started, cpu = time.perf_counter(), time.process_time()
decode_file(Path(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "peak_mb": peak() - before}))
"""


def write(path: Path, tables: int, as_json: bool) -> None:
    text = "Resources:\n" + "".join(TABLE.format(i=i) for i in range(tables))
    if as_json:
        from ddbguard.templates.decode import decode_text

        text = json.dumps(decode_text(text), indent=1)
    path.write_text(text)


def measure(path: Path, env: dict | None = None) -> dict:
    """One decode of `path` in a fresh interpreter (`env`: another checkout's, to compare with)."""
    return json.loads(subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                                     check=True, env=env).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", default="5000,20000,60000")
    parser.add_argument("--repeat", type=int, default=3, help="decodes of each file, in turns; medians printed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        print(f"{'format':6} {'tables':>7} {'file MB':>8} {'peak MB':>8} {'x size':>7} {'seconds':>8} {'cpu s':>8}")
        for tables in (int(t) for t in args.tables.split(",")):
            paths = {fmt: Path(workdir) / f"t{tables}.{fmt}" for fmt in ("yaml", "json")}
            for fmt, path in paths.items():
                write(path, tables, fmt == "json")
            runs: dict[str, list[dict]] = {fmt: [] for fmt in paths}
            for _ in range(args.repeat):
                for fmt, path in paths.items():
                    runs[fmt].append(measure(path))
            median = {fmt: {name: statistics.median(run[name] for run in runs[fmt])
                            for name in ("seconds", "cpu", "peak_mb")} for fmt in paths}
            for fmt, path in paths.items():
                size, result = path.stat().st_size / 1e6, median[fmt]
                print(f"{fmt:6} {tables:>7} {size:>8.1f} {result['peak_mb']:>8.0f} {result['peak_mb'] / size:>7.1f} "
                      f"{result['seconds']:>8.2f} {result['cpu']:>8.2f}")
            print(f"yaml / json {tables:>7} tables {median['yaml']['seconds'] / median['json']['seconds']:>19.1f}x  "
                  f"cpu {median['yaml']['cpu'] / median['json']['cpu']:.1f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
