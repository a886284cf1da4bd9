"""`terraform plan` time and peak memory for 1, 100 and 1000 functions, against the moto server.

Each count renders a config of that many functions (naming bucket_prefix, so only the AWS provider
is needed; alarms and record notices on, the dashboard off, as it holds at most 499 functions),
initialises it with the provider mirror, and times one `terraform plan` of an empty state while
sampling the resident memory of Terraform and its provider plugin together. Goal (issue 14): 1000
functions under 5 minutes and 1.5 GB on a 2-core machine, and no more than about 12 times the time
of 100 functions.

    python benchmarks/bench_plan.py                 # 1, 100 and 1000 functions
    python benchmarks/bench_plan.py --counts 1 100  # a quicker look
    python benchmarks/bench_plan.py --counts 1000 --baseline 199dbd4   # beside the project an older commit renders

With --baseline, each count is also rendered by the generator at that git commit (from `git archive`,
rendering the same config with its own CLI) and planned right after, so the two figures share the machine's
state; the ratio is this checkout's time over the baseline's.

Absolute times vary with the machine and what else runs on it; the ratios say more.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.config.model import parse_config  # noqa: E402
from generator.render.project import render  # noqa: E402
from tests.harness import moto_server, write_cli_config  # noqa: E402
from tests.support import many_functions_config, write_tree  # noqa: E402


def tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += rss.get(pid, 0)
        pending.extend(children.get(pid, []))
    return total


def timed_plan(workdir: Path, env: dict[str, str]) -> tuple[float, int]:
    started = time.monotonic()
    process = subprocess.Popen(
        ["terraform", "plan", "-input=false", "-lock=false", "-no-color"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_rss_bytes(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"terraform plan failed in {workdir}:\n{err[-3000:]}")
    return time.monotonic() - started, peak


def render_at(commit: str, config_text: str, workdir: Path, scratch: Path) -> None:
    """Render ``config_text`` into ``workdir`` with the generator as it was at ``commit``."""
    checkout = scratch / f"generator-{commit}"
    if not checkout.is_dir():
        checkout.mkdir()
        archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
    (checkout / "bench.yaml").write_text(config_text)
    subprocess.run([sys.executable, "-m", "generator", "render", "--config", "bench.yaml", "--out", str(workdir)],
                   cwd=checkout, check=True, capture_output=True)  # fmt: skip


def init_and_plan(workdir: Path, env: dict[str, str], override: str) -> tuple[float, int]:
    (workdir / "override.tf").write_text(override)
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=workdir, env=env, check=True,
                   capture_output=True)  # fmt: skip
    return timed_plan(workdir, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--baseline", metavar="COMMIT", help="also plan what the generator at COMMIT renders")
    args = parser.parse_args()
    counts, baseline = args.counts, args.baseline
    results: dict[int, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as scratch, moto_server() as moto:
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(write_cli_config(Path(scratch))), "TF_IN_AUTOMATION": "1",
               "CHECKPOINT_DISABLE": "1"}  # fmt: skip
        for count in counts:
            workdir = Path(scratch) / f"functions-{count}"
            write_tree(render(parse_config(many_functions_config(count), REPO / "bench.yaml")), workdir)
            seconds, peak = init_and_plan(workdir, env, moto.provider_override())
            if baseline:
                old = Path(scratch) / f"baseline-{count}"
                render_at(baseline, many_functions_config(count), old, Path(scratch))
                old_seconds, old_peak = init_and_plan(old, env, moto.provider_override())
                print(f"plan {count:5d} functions at {baseline}   {old_seconds:7.1f} s   peak "
                      f"{old_peak / 2**20:7.0f} MiB   this checkout: {seconds / old_seconds:.0%} of its time",
                      flush=True)  # fmt: skip
            results[count] = (seconds, peak)
            previous = [c for c in results if c < count]
            ratio = (
                f"   x{seconds / results[previous[-1]][0]:.1f} for x{count // previous[-1]} functions"
                if previous
                else ""
            )
            print(f"plan {count:5d} functions   {seconds:7.1f} s   peak {peak / 2**20:7.0f} MiB"
                  f"   {seconds / count * 1000:7.1f} ms/function{ratio}", flush=True)  # fmt: skip
    print(f"machine: {os.cpu_count()} cores; Terraform and the AWS provider from the mirror; absolute times vary")


if __name__ == "__main__":
    main()
