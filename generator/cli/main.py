"""The command line: parses arguments, calls inward, turns errors into messages and exit codes.

Exit codes are declared once in ``generator.errors``: EXIT_OK, EXIT_INCOMPLETE, EXIT_CANNOT_RUN.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import __version__
from generator.cli.parsing import FAILURES_SUMMARY, SANDBOX_SUMMARY, Parser
from generator.errors import EXIT_INCOMPLETE, EXIT_OK, GeneratorError

_RENDER_EXAMPLES = """\
examples:
  python -m generator render
  python -m generator render --config prod.yaml --out infra/prod
  python -m generator render --config base.yaml --config prod.yaml --out infra/prod
  python -m generator render --check      # exit 1 if out/ is not a fresh render
"""

_MAIN_EXAMPLES = """\
examples:
  python -m generator render              # config.yaml -> out/
  python -m generator failures list       # what failed, newest first (needs: pip install .[ops])
  python -m generator render --help
"""


def build_parser(*, with_failures: bool = True, with_sandbox: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without ``with_failures`` (``with_sandbox``), that command is only its name and
    summary.

    Its subcommands and their options are most of the parser, and a command line that does not name it never
    parses them: ``main`` leaves them out then, so a render does not build or import them.
    """
    parser = Parser(
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
    render.add_argument(
        "--config",
        type=Path,
        action="append",
        help="config file (default: config.yaml); repeat to layer files: later ones merge over earlier ones "
        "(mappings key by key, lists replaced)",
    )
    render.add_argument("--out", type=Path, default=Path("out"), help="output directory (default: out)")
    render.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 and show a diff if the output is out of date"
    )
    render.add_argument(
        "--offline",
        action="store_true",
        help="build no dependencies: take every function's from the build cache, and fail naming any it lacks",
    )
    render.set_defaults(run=_run_render, parser=render)
    if with_failures:
        from generator.cli.failures import add_failures_parser

        add_failures_parser(commands)
    else:
        commands.add_parser("failures", help=FAILURES_SUMMARY)
    if with_sandbox:
        from generator.cli.sandbox import add_sandbox_parser

        add_sandbox_parser(commands)
    else:
        commands.add_parser("sandbox", help=SANDBOX_SUMMARY)
    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of the config, for editors and CI",
        description="Print the JSON Schema of the config file. Editors that read the yaml-language-server "
        "modeline at the top of config.yaml use it to complete and check the file as you type.",
        epilog="examples:\n  python -m generator schema > config.schema.json\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.set_defaults(run=_run_schema, parser=schema)
    init = commands.add_parser(
        "init",
        help="write a commented starter config",
        description="Write a commented starter config (every key at its default) and, beside it, the JSON "
        "Schema its modeline points at. Never overwrites an existing file.",
        epilog="examples:\n  python -m generator init\n  python -m generator init infra/prod.yaml\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("path", nargs="?", type=Path, default=Path("config.yaml"), help="default: config.yaml")
    init.set_defaults(run=_run_init, parser=init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(with_failures="failures" in words, with_sandbox="sandbox" in words)
        args, unknown = parser.parse_known_args(words)
        if unknown:  # reported by the command's own parser, so its usage is the one shown
            args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        code = int(args.run(args))
        sys.stdout.flush()  # here, so that a write error is reported like any other, not at exit
        return code
    except GeneratorError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `failures list | head`: the reader has all it wanted
        _discard_stdout()
        return EXIT_OK
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        _discard_stdout()
        print(f"error: cannot write to standard output: {exc.strerror}", file=sys.stderr)
        return EXIT_INCOMPLETE


# What a write to a full disk, a quota, a too-large file or a failing device raises.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that the flush at exit cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run_render(args: argparse.Namespace) -> int:
    from generator import api
    from generator.config.model import load_config
    from generator.output.files import check_out_dir
    from generator.render.packaging.sources import summary
    from generator.render.project import BuildOptions

    config_files = args.config or [Path("config.yaml")]
    check_out_dir(args.out)
    config = load_config(*config_files)
    for note in config.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in config.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    configs = " + ".join(map(str, config_files))
    builds = BuildOptions(offline=args.offline)
    if args.check:
        differences = api.check(config, args.out, builds)
        for difference in differences:
            print(f"{difference.kind}: {args.out / difference.path}")
            if difference.diff:
                sys.stdout.write(difference.diff)
        if differences:
            again = " ".join(f"--config {c}" for c in config_files)
            print(f"{args.out} is out of date with {configs}: {len(differences)} file(s) differ. "
                  f"Run: python -m generator render {again} --out {args.out}")  # fmt: skip
            return EXIT_INCOMPLETE
        print(f"{args.out} is up to date with {configs}")
        return EXIT_OK
    result = api.render_into(config, args.out, builds)
    rendered, report = result.rendered, result.report
    print(
        f"Rendered {len(rendered.files)} files into {args.out}: {len(report.written)} written, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )
    for path in report.removed:
        print(f"  removed {args.out / path}")
    for function, skipped in rendered.skipped.items():
        print(f"note: left out of {function}'s package: {summary(skipped)}", file=sys.stderr)
    for warning in rendered.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in report.kept:
        print(f"note: kept {args.out / path}: the manifest lists it, but the generator never writes such a file",
              file=sys.stderr)  # fmt: skip
    for path in report.cleaned:
        print(f"note: removed {args.out / path}, left by an interrupted render", file=sys.stderr)
    return EXIT_OK


def _run_schema(args: argparse.Namespace) -> int:
    from generator.config.schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


def _run_init(args: argparse.Namespace) -> int:
    from generator.config.schema import schema_text
    from generator.output.files import create_new
    from generator.render.project import starter_config

    starter = starter_config().read_bytes()
    create_new(args.path, starter)
    print(f"Wrote {args.path}; edit it, then run: python -m generator render --config {args.path}")
    schema_path = args.path.parent / "config.schema.json"
    if not schema_path.exists():
        create_new(schema_path, schema_text().encode())
        print(f"Wrote {schema_path}, which editors use to check and complete {args.path.name}")
    return EXIT_OK
