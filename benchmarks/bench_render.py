"""Render performance: in-process time by config size, and cold CLI time against its import floor.

Run: python benchmarks/bench_render.py [--repeat N]

Targets on the 2-core reference machine: 1000 functions under 1 s in-process, growing
linearly; a cold `python -m generator render` within 1.5x of `python -c "import jinja2, yaml"`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.config.model import MAX_DASHBOARD_FUNCTIONS, load_config, parse_config  # noqa: E402
from generator.render.project import render  # noqa: E402


def _best(seconds: list[float]) -> str:
    return f"best {min(seconds) * 1000:8.1f} ms   median {statistics.median(seconds) * 1000:8.1f} ms"


def _time(action: object, repeat: int) -> list[float]:
    results = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        results.append(time.perf_counter() - start)
    return results


def _config_text(count: int) -> str:
    functions = "".join(
        f"  - name: fn_{i:04d}\n    memory_mb: {128 + i % 64}\n    environment: {{STAGE: s{i}}}\n" for i in range(count)
    )
    dashboard = "true" if count <= MAX_DASHBOARD_FUNCTIONS else "false"  # a dashboard holds at most 499
    return f"failure_bucket:\n  naming: bucket_prefix\nmonitoring:\n  dashboard: {dashboard}\nfunctions:\n{functions}"


def bench_in_process(repeat: int) -> None:
    default = load_config(REPO / "config.yaml")
    render(default)  # templates compiled once per process, as in any long-lived caller
    print(f"render default config (in-process)        {_best(_time(lambda: render(default), repeat))}")
    previous = None
    for count in (1, 10, 100, 1000):
        text = _config_text(count)
        seconds = _time(lambda text=text: render(parse_config(text, REPO / "bench.yaml")), repeat)
        per = min(seconds) / count * 1e6
        growth = f"  x{min(seconds) / previous:5.1f} for x10 functions" if previous else ""
        print(f"parse + render {count:4d} functions           {_best(seconds)}   {per:7.0f} us/function{growth}")
        previous = min(seconds)


def bench_cold_cli(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        floor = [_run([sys.executable, "-c", "import jinja2, yaml"], tmp) for _ in range(repeat)]
        render_cmd = [sys.executable, "-m", "generator", "render", "--config", str(REPO / "config.yaml"), "--out"]
        first = _run([*render_cmd, str(Path(tmp) / "out")], tmp)
        again = [_run([*render_cmd, str(Path(tmp) / "out")], tmp) for _ in range(repeat)]
        fresh = [_run([*render_cmd, str(Path(tmp) / f"out{i}")], tmp) for i in range(repeat)]
    print(f'floor: python -c "import jinja2, yaml"      {_best(floor)}')
    print(f"cold CLI render into a new directory      {_best(fresh)}   ratio {min(fresh) / min(floor):.2f}x")
    print(f"cold CLI render, output up to date        {_best(again)}   ratio {min(again) / min(floor):.2f}x")
    print(f"(first run, cold disk cache: {first * 1000:.1f} ms)")


def _run(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env={"PYTHONPATH": str(REPO)})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    bench_in_process(max(3, args.repeat // 3))
    bench_cold_cli(args.repeat)


if __name__ == "__main__":
    main()
