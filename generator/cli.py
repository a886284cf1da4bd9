"""The command line: parses arguments, calls inward, turns errors into messages and exit codes.

Exit codes: 0 success; 1 ``render --check`` found differences; 2 bad config or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import __version__
from generator.errors import GeneratorError

_RENDER_EXAMPLES = """\
examples:
  python -m generator render
  python -m generator render --config prod.yaml --out infra/prod
  python -m generator render --check      # exit 1 if out/ is not a fresh render
"""

_MAIN_EXAMPLES = """\
examples:
  python -m generator render              # config.yaml -> out/
  python -m generator render --help
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generator",
        description="Render a Terraform project for an asynchronously invoked AWS Lambda function "
        "whose failed events are recorded in an S3 bucket.",
        epilog=_MAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    render = commands.add_parser(
        "render",
        help="render the Terraform project described by a config file",
        description="Render the Terraform project described by a config file. Only files the generator wrote "
        "before are ever changed or removed; Terraform state and .terraform/ are never touched.",
        epilog=_RENDER_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file (default: config.yaml)")
    render.add_argument("--out", type=Path, default=Path("out"), help="output directory (default: out)")
    render.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 and show a diff if the output is out of date"
    )
    render.set_defaults(run=_run_render)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except GeneratorError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


def _run_render(args: argparse.Namespace) -> int:
    from generator.config import load_config
    from generator.output import compare_tree, write_tree
    from generator.render import render

    config = load_config(args.config)
    files = render(config)
    if args.check:
        differences = compare_tree(files, args.out)
        for difference in differences:
            print(f"{difference.kind}: {args.out / difference.path}")
            if difference.diff:
                sys.stdout.write(difference.diff)
        if differences:
            print(f"{args.out} is out of date with {args.config}: {len(differences)} file(s) differ. "
                  f"Run: python -m generator render --config {args.config} --out {args.out}")  # fmt: skip
            return 1
        print(f"{args.out} is up to date with {args.config}")
        return 0
    report = write_tree(files, args.out)
    print(
        f"Rendered {len(files)} files into {args.out}: {len(report.written)} written, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )
    for path in report.removed:
        print(f"  removed {args.out / path}")
    return 0
