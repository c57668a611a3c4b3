"""Benchmark: `ddbguard audit` of 1,000 tables over 4 accounts x 2 regions on a local moto server.

    python bench/bench_audit.py [--tables 1000] [--concurrency 8]

Prints the wall time at concurrency 1 and N, the speed-up, and the API calls per table (counted by
the audit's own call observer). moto runs as a separate server process on 127.0.0.1, as a remote
endpoint would; on a 2-core machine it competes with the audit for the cores.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402

from ddbguard.config import Config  # noqa: E402
from ddbguard.live.audit import AuditOptions, audit_evaluations  # noqa: E402

ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]
REGIONS = ["us-east-1", "eu-west-1"]


def seed(endpoint: str, tables: int) -> None:
    per_unit = tables // (len(ACCOUNTS) * len(REGIONS))
    sts = boto3.client("sts", endpoint_url=endpoint)
    for account in ACCOUNTS:
        credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/auditor", RoleSessionName="seed")["Credentials"]
        session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                aws_secret_access_key=credentials["SecretAccessKey"],
                                aws_session_token=credentials["SessionToken"])
        for region in REGIONS:
            dynamodb = session.client("dynamodb", region_name=region, endpoint_url=endpoint)
            for index in range(per_unit):
                dynamodb.create_table(TableName=f"app-{index:04d}", BillingMode="PAY_PER_REQUEST",
                                      KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                      AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # bounded wait for the server to answer
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        started = time.perf_counter()
        seed(endpoint, args.tables)
        print(f"seeded {args.tables} tables over {len(ACCOUNTS)} accounts x {len(REGIONS)} regions "
              f"in {time.perf_counter() - started:.1f} s")
        timings = {}
        for concurrency in (1, args.concurrency):
            calls: collections.Counter = collections.Counter()
            options = AuditOptions(regions=REGIONS, accounts=ACCOUNTS, role_name="auditor", endpoint_url=endpoint,
                                   concurrency=concurrency, observer=lambda call, c=calls: c.update([call]))
            started = time.perf_counter()
            evaluations, errors = audit_evaluations(options, Config())
            timings[concurrency] = time.perf_counter() - started
            tables = len({e.live.arn for e in evaluations if ":table/" in e.live.arn})
            print(f"concurrency {concurrency:2d}: {timings[concurrency]:6.2f} s, {tables} tables, "
                  f"{len(evaluations)} evaluations, {len(errors)} errors, {sum(calls.values())} API calls "
                  f"= {sum(calls.values()) / max(tables, 1):.2f} per table")
        print("calls by operation: " + ", ".join(f"{name} {count}" for name, count in sorted(calls.items())))
        print(f"speed-up from concurrency {args.concurrency}: {timings[1] / timings[args.concurrency]:.2f}x")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
