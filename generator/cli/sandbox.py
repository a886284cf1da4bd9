"""`generator sandbox`: a local AWS to try a rendered project on, without an account."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from generator.cli.parsing import SANDBOX_SUMMARY, Parser
from generator.errors import UsageError

if TYPE_CHECKING:
    from generator.sandbox.server import Sandbox

_DESCRIPTION = """\
Run a local AWS on 127.0.0.1: the moto emulator over HTTPS, with the fixes a rendered project needs and
Lambda's asynchronous delivery: an event of a function with reserved concurrency 0 is recorded at once in its
on-failure destination (S3, SQS, SNS, EventBridge or Lambda), as AWS does. It runs no function code, so a
function with concurrency never produces a record here.

With --project, it writes sandbox_override.tf into that rendered project, pointing the AWS provider at it.
"""
_EXAMPLES = """\
examples:
  python -m generator sandbox --background --project out
  terraform -chdir=out init && terraform -chdir=out apply
  python -m generator sandbox --stop
"""


def add_sandbox_parser(commands: argparse._SubParsersAction[Parser]) -> None:
    from generator.sandbox.server import DEFAULT_PORT

    sandbox = commands.add_parser("sandbox", help=SANDBOX_SUMMARY, description=_DESCRIPTION, epilog=_EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sandbox.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default: {DEFAULT_PORT})")
    sandbox.add_argument(
        "--project", type=Path, help="a rendered project to point at the sandbox (sandbox_override.tf)"
    )
    sandbox.add_argument(
        "--region", default="us-east-1", help="the region the printed commands use (default: us-east-1)"
    )
    mode = sandbox.add_mutually_exclusive_group()
    mode.add_argument("--background", action="store_true", help="run in a process of its own and return")
    mode.add_argument("--stop", action="store_true", help="stop the background sandbox and remove its overrides")
    sandbox.set_defaults(run=run_sandbox, parser=sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("werkzeug") is None:
        raise UsageError("the sandbox needs moto's server: pip install 'lambda-async-s3-generator[sandbox]'")
    from generator.sandbox import server

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be from 1 to 65535, got {args.port}")
    if args.stop:
        return _stop()
    if args.background:
        sandbox = server.start_background(args.port)
        if args.project is not None:
            _point(args.project, sandbox.endpoint, sandbox.ca_bundle)
            sandbox = server.Sandbox(sandbox.pid, sandbox.port, sandbox.ca_bundle, (str(args.project.resolve()),))
            server.save(sandbox)
        print(f"sandbox: {sandbox.endpoint} (pid {sandbox.pid}), in the background")
        _next_steps(sandbox, args.project, args.region, background=True)
        return 0

    def ready(endpoint: str) -> None:
        cert, _ = server.certificate()
        sandbox = server.Sandbox(0, args.port, str(cert))
        if args.project is not None:
            _point(args.project, endpoint, str(cert))
        print(f"sandbox: {endpoint}; Ctrl-C stops it", flush=True)
        _next_steps(sandbox, args.project, args.region, background=False)

    try:
        server.serve_forever(args.port, ready)
    finally:
        if args.project is not None:
            _unpoint(args.project)
    return 0


def _point(project: Path, endpoint: str, ca_bundle: str) -> None:
    from generator.output.files import add_owned_file
    from generator.sandbox.override import SANDBOX_OVERRIDE, provider_override

    add_owned_file(project, SANDBOX_OVERRIDE, provider_override(endpoint, ca_bundle).encode())
    print(f"wrote {project / SANDBOX_OVERRIDE}: the project's AWS provider now talks to the sandbox")


def _unpoint(project: Path) -> None:
    from generator.output.files import remove_owned_file
    from generator.sandbox.override import SANDBOX_OVERRIDE

    if remove_owned_file(project, SANDBOX_OVERRIDE):
        print(f"removed {project / SANDBOX_OVERRIDE}")


def _stop() -> int:
    from generator.sandbox.server import stop_background

    sandbox = stop_background()
    if sandbox is None:
        print("no sandbox is running in the background", file=sys.stderr)
        return 0
    for project in sandbox.projects:
        _unpoint(Path(project))
    print(f"stopped the sandbox at {sandbox.endpoint} (pid {sandbox.pid})")
    return 0


def _next_steps(sandbox: Sandbox, project: Path | None, region: str, *, background: bool) -> None:
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in sandbox.environment(region).items())
    where = shlex.quote(str(project)) if project is not None else "out"
    print("next, in another shell:" if not background else "next:")
    print(f"  export {exports}")
    if project is None:
        print(f"  python -m generator sandbox --project {where} ...   # to point a rendered project at it")
    print(f"  terraform -chdir={where} init && terraform -chdir={where} apply")
    print(f"  python -m generator failures wait --from-terraform {where} --invoke")
    if background:
        print("  python -m generator sandbox --stop")
