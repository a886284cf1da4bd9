"""`terraform plan` time of N instances of one module, as one module call or spread over several.

Why the generator groups functions into module calls (generator/layout.py): the module here holds ten
`terraform_data` resources in two chains, so no provider, emulator or network takes part, and what grows is
Terraform's own work. Each row plans an empty state once, with the Terraform on PATH.

    python benchmarks/bench_module_calls.py                    # 250, 500, 1000 in one call; 1000 in 4 and 16
    python benchmarks/bench_module_calls.py --rows 500x1 500x4  # instances x calls

Absolute times vary with the machine and what else runs on it; the ratios say more.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHAIN = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
MODULE = (
    'variable "name" {\n  type = string\n}\n\nresource "terraform_data" "first" {\n  input = var.name\n}\n'
    + "".join(
        f'\nresource "terraform_data" "{name}" {{\n  input = terraform_data.{previous}.output\n}}\n'
        for previous, name in itertools.pairwise(_CHAIN)
    )
    + '\noutput "id" {\n  value = terraform_data.tenth.id\n}\n'
)


def root_module(instances: int, calls: int) -> str:
    """``instances`` names spread round-robin over ``calls`` module calls, and an output that merges them."""
    names = "".join(f'    "item_{index:05d}" = {index % calls}\n' for index in range(instances))
    blocks = "".join(
        f'\nmodule "part_{call}" {{\n  source   = "./item"\n'
        f"  for_each = {{ for name, call in local.items : name => call if call == {call} }}\n"
        "  name     = each.key\n}\n"
        for call in range(calls)
    )
    merged = ", ".join(f"module.part_{call}" for call in range(calls))
    output = f'output "ids" {{\n  value = {{ for name, item in merge({merged}) : name => item.id }}\n}}\n'
    return f"locals {{\n  items = {{\n{names}  }}\n}}\n{blocks}\n{output}"


def timed_plan(instances: int, calls: int, scratch: Path) -> float:
    workdir = scratch / f"{instances}x{calls}"
    (workdir / "item").mkdir(parents=True)
    (workdir / "item" / "main.tf").write_text(MODULE)
    (workdir / "main.tf").write_text(root_module(instances, calls))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=workdir, env=env, check=True,
                   capture_output=True)  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(["terraform", "plan", "-input=false", "-no-color"], cwd=workdir, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"terraform plan failed in {workdir}:\n{result.stderr[-3000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", default=["250x1", "500x1", "1000x1", "1000x4", "1000x16"],
                        help="INSTANCESxCALLS")  # fmt: skip
    rows = [tuple(int(part) for part in row.split("x")) for row in parser.parse_args().rows]
    with tempfile.TemporaryDirectory() as scratch:
        for instances, calls in rows:
            seconds = timed_plan(instances, calls, Path(scratch))
            print(f"{instances:6d} instances in {calls:3d} call(s)   {seconds:7.1f} s", flush=True)
    print(f"machine: {os.cpu_count()} cores; {sys.platform}; absolute times vary")


if __name__ == "__main__":
    main()
