"""``generator failures``: its shared options and one declaration per subcommand, registered from one list.

Each subcommand is a ``FailuresCommand``: its arguments, an optional step that resolves them, and its run on
the bucket the shared options name. boto3 and the failure tools load only when one runs.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from generator import lambda_facts
from generator.bucket_layout import REDRIVEN_PREFIX as _REDRIVEN
from generator.cli.parsing import FAILURES_SUMMARY, Parser, in_words
from generator.record import Record

if TYPE_CHECKING:
    from generator.ops.aws import Aws
    from generator.ops.reading import Selection

_FAILURES_EXAMPLES = """\
examples:
  python -m generator failures list --since 2h
  python -m generator failures list --function async_function --json
  python -m generator failures stats --since 1d --by function,error_type
  python -m generator failures stats --since 30d --athena
  python -m generator failures query failures_by_error
  python -m generator failures query record_of_request --param <request id>
  python -m generator failures show aws/lambda/async/async_function/2026/11/29/2026-11-29T10.00.00-<uuid>
  python -m generator failures wait --function async_function --invoke
  python -m generator failures redrive --function async_function --dry-run
  python -m generator failures redrive --again redriven/aws/lambda/async/async_function/2026/11/29/<key>

The bucket comes from --bucket, or from `terraform output` of --from-terraform DIR
(default: out/ when it holds Terraform state). Credentials and region follow boto3's
usual chain; --endpoint-url or AWS_ENDPOINT_URL point at another endpoint.
exit codes: 0 done; 1 a record could not be read, sent or marked, a selected record was left unsent
(held by a claim, or the output was closed), or wait timed out;
2 the command cannot run (usage, credentials, missing bucket).
doctor: 0 nothing wrong, 1 something to look at, 3 something is wrong (records go astray or are lost).
"""


def add_failures_parser(commands: argparse._SubParsersAction[Parser]) -> None:
    where = Parser(add_help=False)
    group = where.add_argument_group("where the records are")
    group.add_argument("--bucket", type=_bucket_name, help="the failure bucket's name")
    group.add_argument(
        "--from-terraform", type=Path, metavar="DIR", help="read the bucket from terraform output in DIR"
    )
    group.add_argument("--region", help="AWS region (default: boto3's usual chain, or the project's output)")
    group.add_argument("--endpoint-url", type=_endpoint_url, help="another AWS endpoint, such as a local emulator")
    filters = Parser(add_help=False)
    group = filters.add_argument_group("which records")
    group.add_argument("--function", help="only records of this function")
    group.add_argument(
        "--since", help="only records at or after this ISO time (UTC unless it has an offset: 2026-11-30T02:00+05:00) "
        "or this long ago (30m, 2h, 7d)",
    )  # fmt: skip
    group.add_argument(
        "--until", help="only records at or before this ISO time (UTC unless it has an offset) or this long ago"
    )
    group.add_argument("--condition", help=f"only this condition: {in_words(lambda_facts.CONDITIONS)}")
    group.add_argument("--limit", type=_positive_int, help="at most this many records, newest first (list: 100)")

    failures = commands.add_parser(
        "failures",
        help=FAILURES_SUMMARY,
        description="Work with the JSON records Lambda writes into the failure bucket when an asynchronous "
        "invocation fails.",
        epilog=_FAILURES_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = failures.add_subparsers(dest="action", metavar="ACTION", required=True)
    shared = {"where": where, "filters": filters}
    for command in FAILURES_COMMANDS:
        parser = actions.add_parser(
            command.name,
            parents=[shared[name] for name in command.parents],
            help=command.summary,
            description=command.summary[0].upper() + command.summary[1:] + ".",
            usage=command.usage,
            epilog=_FAILURES_EXAMPLES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(parser)
        parser.set_defaults(run=_run_failures, command=command, parser=parser)


class FailuresCommand(Record):
    """One ``failures`` subcommand: its name, the shared options it takes, its own arguments and its run."""

    name: str
    parents: tuple[str, ...]  # "where" (the bucket) and "filters" (which records)
    summary: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Aws, argparse.Namespace], int]
    usage: str | None = None
    # Reads what the arguments say about the bucket before it is resolved (show: an s3:// key names it).
    prepare: Callable[[argparse.Namespace], None] | None = None


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object a line, for machines")
    parser.add_argument("--redriven", action="store_true", help=f"list the records already redriven ({_REDRIVEN})")
    parser.set_defaults(limit_default=100)


def _run_list(aws: Aws, args: argparse.Namespace) -> int:
    from generator.ops import commands

    selection = _selection(args)
    if selection.limit is None:
        selection.limit = args.limit_default
    return commands.run_list(aws, selection, args.json)


def _stats_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by", type=_dimensions, default=("function", "condition"), metavar="D[,D...]",
        help="what to count by, from function, condition, error_type and day (default: function,condition); "
        "function and day alone need no record to be read",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object a line, for machines")
    parser.add_argument(
        "--athena", action="store_true",
        help="count in the project's Athena workgroup instead of reading each record here (analytics.enabled); "
        "reports the bytes scanned and what the query cost",
    )  # fmt: skip


def _run_stats(aws: Aws, args: argparse.Namespace) -> int:
    from generator.ops.stats import run_stats

    return run_stats(aws, _selection(args), args.by, args.json, athena=args.athena)


def _doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object a finding, for automation")


def _run_doctor(aws: Aws, args: argparse.Namespace) -> int:
    from generator.ops.doctor import run_doctor

    return run_doctor(aws, args.json)


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    from generator.record_queries import NAMED_QUERIES

    names = ", ".join(query.resource for query in NAMED_QUERIES)
    parser.add_argument("query", metavar="NAME|SQL", help=f"a saved query ({names}), or SQL over the table records")
    parser.add_argument(
        "--param", action="append", default=[], metavar="VALUE",
        help="a value for the query's next ? (repeat for each), passed as an execution parameter, never as SQL",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="one JSON object a row, for machines")


def _run_query(aws: Aws, args: argparse.Namespace) -> int:
    from generator.ops.athena import run_named_or_sql, workgroup_of

    return run_named_or_sql(aws, workgroup_of(aws), args.query, args.param, as_json=args.json, out=sys.stdout)


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", help="the record's S3 key as `failures list` prints it, or s3://BUCKET/KEY")
    parser.add_argument("--redriven", action="store_true", help="the key names a record already redriven")


def _show_target(args: argparse.Namespace) -> None:
    args.bucket, args.key = _bucket_and_key(args.key, args.bucket, args.from_terraform)
    if args.redriven and not args.key.startswith(_REDRIVEN):
        args.key = _REDRIVEN + args.key


def _run_show(aws: Aws, args: argparse.Namespace) -> int:
    from generator.ops import commands

    return commands.run_show(aws, args.key)


def _wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--function", required=True, help="the function whose record to wait for")
    parser.add_argument(
        "--invoke",
        action="store_true",
        help='first invoke it asynchronously with --payload (default {"forceError": true}, on which the bundled '
        "demo handler fails)",
    )
    parser.add_argument("--payload", type=_json_text, help="the event --invoke sends, as JSON")
    parser.add_argument(
        "--qualifier", type=_qualifier, metavar="Q",
        help="the alias or version to invoke and read the asynchronous settings of (the rendered project's alias, "
        "where a function has one)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=_seconds, default=600.0, help="give up after this many seconds (default: 600)"
    )
    parser.add_argument("--interval", type=_seconds, default=5.0, help="seconds between polls (default: 5)")


def _run_wait(aws: Aws, args: argparse.Namespace) -> int:
    from generator.errors import UsageError
    from generator.ops import commands

    if args.payload is not None and not args.invoke:
        raise UsageError("--payload is the event --invoke sends; add --invoke")
    payload = args.payload if args.payload is not None else commands.FORCE_ERROR_PAYLOAD
    return commands.run_wait(
        aws, args.function, timeout=args.timeout, invoke=args.invoke, interval=args.interval, payload=payload,
        qualifier=args.qualifier,
    )  # fmt: skip


def _redrive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("keys", nargs="*", metavar="KEY", help="redrive exactly these records")
    parser.add_argument("--all", action="store_true", help="redrive every record (no filter needed)")
    parser.add_argument(
        "--again", action="store_true",
        help=f"send the named records once more, though they were redriven already ({_REDRIVEN}KEY, or KEY): "
        f"claimed like any redrive, so two operators send each once; the records stay under {_REDRIVEN}",
    )  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="list what would be sent; send and move nothing")
    parser.add_argument(
        "--to-qualifier", type=_qualifier, metavar="Q",
        help="send every event to this version or alias (default: the one each record's functionArn names)",
    )  # fmt: skip
    parser.add_argument(
        "--rate", type=_rate, help="start at most this many invokes a second, so the redrive itself does not "
        "throttle the function or what it calls (default: no cap)",
    )  # fmt: skip
    parser.add_argument("--concurrency", type=_concurrency, default=4, help="invokes in flight at once (default: 4)")
    parser.add_argument(
        "--canary", type=_positive_int, metavar="N", default=0,
        help="first send N records synchronously, one by one, showing each answer and log tail, and stop if the "
        "function fails on one; then send the rest as usual. A synchronous invoke runs the function while you wait",
    )  # fmt: skip
    parser.add_argument(
        "--held-wait", type=_seconds_or_zero, metavar="SECONDS", help="at the end, how long to wait for records "
        f"another operator's redrive has claimed to be moved (default: {_held_wait_default()}; 0: do not wait)",
    )  # fmt: skip


def _run_redrive(aws: Aws, args: argparse.Namespace) -> int:
    from generator.errors import UsageError
    from generator.ops import redrive

    selection = _selection(args)
    if args.again:
        filters = args.all or selection.function or selection.since or selection.until or selection.condition
        if not selection.keys or filters:
            raise UsageError("--again sends exactly the records you name: give their keys, and no filter or --all")
        selection.keys = [k if k.startswith(_REDRIVEN) else _REDRIVEN + k for k in selection.keys]
    chosen = selection.keys or selection.function or selection.since or selection.until or selection.condition
    if not (chosen or args.all):
        raise UsageError("say which records to redrive: KEY..., --function, --since, --until, --condition, or --all")
    pace = redrive.Pace(concurrency=args.concurrency, rate=args.rate, canary=args.canary)
    if args.held_wait is not None:
        pace = redrive.Pace(concurrency=args.concurrency, rate=args.rate, held_wait_seconds=args.held_wait,
                            canary=args.canary)  # fmt: skip
    return redrive.run_redrive(
        aws, selection, args.dry_run, pace=pace, to_qualifier=args.to_qualifier, again=args.again
    )


# The failures subcommands, in the order help lists them: the one place a subcommand is added.
FAILURES_COMMANDS = (
    FailuresCommand("list", ("where", "filters"), "list records, newest first", _list_arguments, _run_list),
    FailuresCommand("stats", ("where", "filters"), "count records by function, condition, error type or day",
                    _stats_arguments, _run_stats),
    FailuresCommand("show", ("where",), "show one record: error, stack trace, payload", _show_arguments, _run_show,
                    prepare=_show_target),
    FailuresCommand("doctor", ("where",), "check a deployed project and say what is wrong, most serious first",
                    _doctor_arguments, _run_doctor),
    FailuresCommand("query", ("where",), "run a saved query or SQL in the project's Athena workgroup",
                    _query_arguments, _run_query),
    FailuresCommand("wait", ("where",), "wait for the next record of a function", _wait_arguments, _run_wait),
    FailuresCommand("redrive", ("where", "filters"), f"send records back to their functions; sent ones move to "
                    f"{_REDRIVEN}", _redrive_arguments, _run_redrive,
                    usage="%(prog)s [options] (KEY ... | --function F | --since T | --condition C | --all)"),
)  # fmt: skip


def _dimensions(text: str) -> tuple[str, ...]:
    from generator.ops.stats import DIMENSIONS

    chosen = tuple(part.strip() for part in text.split(","))
    unknown = [part for part in chosen if part not in DIMENSIONS]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise argparse.ArgumentTypeError(f"must be distinct names from {', '.join(DIMENSIONS)}, not {text!r}")
    return chosen


def _qualifier(text: str) -> str:
    import re

    from generator.ops.redrive import QUALIFIER_PATTERN

    if not re.fullmatch(QUALIFIER_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a version or alias name (letters, digits, $, _ and -)")
    return text


def _rate(text: str) -> float:
    return _positive_number(text, "invokes a second")


def _concurrency(text: str) -> int:
    from generator.ops.redrive import MAX_CONCURRENCY

    value = _positive_int(text)
    if value > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_CONCURRENCY}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _json_text(text: str) -> bytes:
    import json

    try:
        json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be JSON ({exc})") from None
    return text.encode()


def _seconds(text: str) -> float:
    return _positive_number(text, "seconds")


def _held_wait_default() -> str:
    from generator.ops.redrive import HELD_WAIT_SECONDS

    return f"{HELD_WAIT_SECONDS:g}"


def _seconds_or_zero(text: str) -> float:
    """A finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or a positive number of seconds, not {text!r}")
    return value


def _positive_number(text: str, unit: str) -> float:
    """A positive, finite number: nan would never time out or pace anything, a negative sleep fails."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of {unit}, not {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of {unit}, not {text!r}")
    return value


def _endpoint_url(text: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise argparse.ArgumentTypeError(f"must be an http:// or https:// URL, not {text!r}")
    return text


def _bucket_name(text: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9._-]{3,255}", text):  # S3's rule, legacy names included
        raise argparse.ArgumentTypeError(f"{text!r} is not an S3 bucket name")
    return text


def _run_failures(args: argparse.Namespace) -> int:
    """Find the bucket the shared options name, then run the subcommand on it."""
    from generator.ops.aws import Aws
    from generator.ops.project import resolve_target

    command: FailuresCommand = args.command
    if command.prepare is not None:
        command.prepare(args)
    aws = Aws(resolve_target(args.bucket, args.from_terraform, args.region, args.endpoint_url))
    return command.run(aws, args)


def _bucket_and_key(text: str, bucket: str | None, from_terraform: Path | None) -> tuple[str | None, str]:
    """``s3://BUCKET/KEY`` names its bucket; a plain key uses --bucket or the project's."""
    from generator.errors import UsageError

    if not text.startswith("s3://"):
        return bucket, text
    named, _, key = text[len("s3://") :].partition("/")
    if (bucket and bucket != named) or from_terraform:
        raise UsageError(f"{text} names bucket {named}; drop --bucket/--from-terraform, or give the key alone")
    return _bucket_name(named), key


def _selection(args: argparse.Namespace) -> Selection:
    from datetime import datetime

    from generator.errors import UsageError
    from generator.ops.reading import Selection
    from generator.ops.records import parse_since

    now = datetime.now(UTC)
    try:
        since = parse_since(args.since, now) if args.since else None
        until = parse_since(args.until, now, "--until") if args.until else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if since and until and until < since:
        raise UsageError(f"--until {args.until} is before --since {args.since}: no record can be in between")
    return Selection(
        function=args.function,
        since=since,
        until=until,
        condition=args.condition,
        limit=args.limit,
        keys=list(getattr(args, "keys", []) or []),
        redriven=getattr(args, "redriven", False),
    )
