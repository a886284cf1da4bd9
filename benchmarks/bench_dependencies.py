"""Dependency builds: a cold build, a warm re-render from the build cache, and a render without dependencies.

Run: python benchmarks/bench_dependencies.py [--repeat N]

The function needs requests, pinned, which brings four more (charset-normalizer, idna, urllib3,
certifi): five dependencies, one of them with compiled modules, installed for python3.13 on arm64.
A cold build starts from empty caches (the build cache and pip's own), so pip downloads every
wheel. Target on the 2-core reference machine: a warm re-render within 1.2x of the same render
without dependencies, both as cold CLI processes.
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

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = "requests==2.32.3\n"
CONFIG = (
    "functions:\n  - name: f\n    runtime: python3.13\n    architecture: arm64\n    source: app\n"
    "    handler: app.handler\n"
)


def _best(seconds: list[float]) -> str:
    return f"best {min(seconds) * 1000:8.1f} ms   median {statistics.median(seconds) * 1000:8.1f} ms"


def _project(root: Path, with_dependencies: bool) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    if with_dependencies:
        (root / "app" / "requirements.txt").write_text(REQUIREMENTS)
    (root / "config.yaml").write_text(CONFIG)
    return root / "config.yaml"


def _render(config: Path, out: Path, cache: Path) -> float:
    env = {"PYTHONPATH": str(REPO), "PATH": os.environ["PATH"], "HOME": str(cache.parent), "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-m", "generator", "render", "--config", str(config), "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(
        command, cwd=config.parent, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with_deps = _project(root / "deps", with_dependencies=True)
        without = _project(root / "plain", with_dependencies=False)
        cold = [_render(with_deps, root / f"cold{i}", root / f"cache-cold{i}") for i in range(max(1, args.repeat // 3))]
        warm_cache = root / "cache-warm"
        _render(with_deps, root / "warm", warm_cache)
        _render(without, root / "plain-out", warm_cache)  # the same templates cache for both
        warm = [_render(with_deps, root / f"warm{i}", warm_cache) for i in range(args.repeat)]
        plain = [_render(without, root / f"plain{i}", warm_cache) for i in range(args.repeat)]
    print(f"cold build (empty build and pip caches)   {_best(cold)}")
    print(f"warm re-render, from the build cache      {_best(warm)}   ratio {min(warm) / min(plain):.2f}x")
    print(f"render without dependencies              {_best(plain)}")


if __name__ == "__main__":
    main()
