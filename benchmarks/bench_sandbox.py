"""The sandbox: how long `generator sandbox --background` takes to answer, and how much memory it holds.

Run: python benchmarks/bench_sandbox.py [--repeat N]

Start is the wall time of `python -m generator sandbox --background` (it returns once the port answers over
HTTPS), then of the first request answered (moto builds a service's backend on its first call). Memory is the
sandbox process's resident set (VmRSS, and its peak VmHWM) after that first call and after a burst that
touches every service a rendered project uses. Targets: start within 2 s, at most 300 MB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVICES = ("sts", "s3", "lambda", "iam", "sqs", "sns", "events", "logs", "cloudwatch", "kms", "glue", "athena",
            "scheduler")  # fmt: skip


def _kilobytes(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def _one(port: int, cache: str) -> dict[str, float]:
    import boto3

    env = {**os.environ, "XDG_CACHE_HOME": cache}
    sandbox = [sys.executable, "-m", "generator", "sandbox", "--port", str(port)]
    started = time.perf_counter()
    output = subprocess.run([*sandbox, "--background"], env=env, check=True, capture_output=True, text=True).stdout
    answering = time.perf_counter() - started
    pid = int(output.split("(pid ")[1].split(")")[0])
    clients = {name: boto3.client(name, endpoint_url=f"https://127.0.0.1:{port}", region_name="us-east-1",  # type: ignore[call-overload]
                                  aws_access_key_id="test", aws_secret_access_key="test",
                                  verify=f"{cache}/generator/sandbox/sandbox.crt") for name in SERVICES}  # fmt: skip
    clients["sts"].get_caller_identity()
    first = time.perf_counter() - started
    after_first = _kilobytes(pid, "VmRSS")
    clients["s3"].list_buckets(), clients["lambda"].list_functions(), clients["iam"].list_roles()
    clients["sqs"].list_queues(), clients["sns"].list_topics(), clients["events"].list_rules()
    clients["logs"].describe_log_groups(), clients["cloudwatch"].describe_alarms(), clients["kms"].list_keys()
    clients["glue"].get_databases(), clients["athena"].list_work_groups(), clients["scheduler"].list_schedules()
    every = _kilobytes(pid, "VmRSS"), _kilobytes(pid, "VmHWM")
    subprocess.run([*sandbox, "--stop"], env=env, check=True, capture_output=True)
    return {
        "answering_s": answering,
        "first_call_s": first,
        "rss_first_mb": after_first / 1024,
        "rss_all_mb": every[0] / 1024,
        "peak_mb": every[1] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=45999)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        _one(args.port, cache)  # makes the certificate, which every later start reuses
        runs = [_one(args.port, cache) for _ in range(args.repeat)]
    for name in runs[0]:
        values = [run[name] for run in runs]
        unit = "s" if name.endswith("_s") else "MB"
        print(f"{name:14} median {statistics.median(values):7.2f} {unit}   max {max(values):7.2f} {unit}")


if __name__ == "__main__":
    main()
