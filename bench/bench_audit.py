"""Benchmark: `ddbguard audit` of many tables in one region on a local moto server, with a per-call latency.

    python bench/bench_audit.py [--tables 1000] [--latency-ms 30] [--curve 1,2,4,8,16] [--memory-tables 10000]

Prints, for each concurrency, the wall time, the speed-up over concurrency 1 and its ratio to the ideal
(linear) speed-up, and the API calls per table by operation (counted by the audit's own call observer).
A real endpoint answers in tens of milliseconds: the observer sleeps `--latency-ms` in the calling thread
before each call, as a round trip would. moto runs as a separate server process on 127.0.0.1; on a 2-core
machine it competes with the audit for the cores, which bends the curve at high concurrency.

With --memory-tables N it also seeds N tables and runs the real command line once, printing the peak
resident memory of that process (the client).
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402

from ddbguard.config import Config  # noqa: E402
from ddbguard.commands.audit import AuditOptions, audit_evaluations  # noqa: E402

REGION = "us-east-1"


def seed(endpoint: str, first: int, last: int) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)

    def create(index: int) -> None:
        dynamodb.create_table(TableName=f"app-{index:05d}", BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(first, last)))


def start_moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):  # bounded wait for the server to answer
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    return server, endpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--curve", default="1,2,4,8,16")
    parser.add_argument("--memory-tables", type=int, default=0)
    args = parser.parse_args()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true"})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server, endpoint = start_moto()
    latency = args.latency_ms / 1000
    try:
        started = time.perf_counter()
        seed(endpoint, 0, args.tables)
        print(f"seeded {args.tables} tables in one region in {time.perf_counter() - started:.1f} s; "
              f"injected latency {args.latency_ms:.0f} ms per call")
        timings: dict[int, float] = {}
        calls: collections.Counter = collections.Counter()
        for concurrency in (int(c) for c in args.curve.split(",")):
            calls = collections.Counter()

            def observe(call: str, counter=calls) -> None:
                counter.update([call])
                time.sleep(latency)  # the round trip a real endpoint takes

            options = AuditOptions(regions=[REGION], endpoint_url=endpoint, concurrency=concurrency, observer=observe)
            started = time.perf_counter()
            evaluations, errors = audit_evaluations(options, Config())
            timings[concurrency] = time.perf_counter() - started
            tables = len({e.live.arn for e in evaluations if ":table/" in e.live.arn})
            speedup = timings[min(timings)] / timings[concurrency] * min(timings)
            print(f"concurrency {concurrency:2d}: {timings[concurrency]:7.2f} s, speed-up {speedup:5.2f}x "
                  f"({speedup / concurrency:4.0%} of linear), {tables} tables, {len(errors)} errors, "
                  f"{sum(calls.values()) / max(tables, 1):.2f} API calls per table")
        per_table = {name: count / args.tables for name, count in calls.items()}
        print("calls per table by operation: " + ", ".join(f"{name} {count:.3f}" for name, count in
                                                          sorted(per_table.items(), key=lambda i: -i[1])))
        if args.memory_tables:
            started = time.perf_counter()
            seed(endpoint, args.tables, args.memory_tables)
            print(f"seeded up to {args.memory_tables} tables in {time.perf_counter() - started:.1f} s")
            with tempfile.TemporaryDirectory() as scratch:
                before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                subprocess.run([sys.executable, "-m", "ddbguard", "audit", "--endpoint-url", endpoint, "--regions",
                                REGION, "--concurrency", "16", "--format", "json", "--output",
                                str(Path(scratch) / "report.json")], check=False, capture_output=True)
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            print(f"peak client memory auditing {args.memory_tables} tables: {max(peak, before) / 1024:.0f} MB "
                  "(target: under 300 MB)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
