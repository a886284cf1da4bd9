"""SQL over the failure records in the project's Athena workgroup: ``failures query`` and ``failures stats --athena``.

A query runs with StartQueryExecution in the workgroup (whose scan cutoff and result location apply), is polled
with GetQueryExecution while a status line shows its state and the bytes scanned so far, and its rows are read
page by page with GetQueryResults. Values go in as execution parameters, never into the SQL text: Athena takes
each as a SQL literal, so strings are quoted
(https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html).
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import TYPE_CHECKING, TextIO

from generator.errors import EXIT_OK, AwsError, UsageError
from generator.ops.aws import Aws, Workgroup, aws_errors
from generator.ops.present import Status, safe
from generator.ops.reading import Selection
from generator.record import Record, field
from generator.record_queries import (
    BY_RESOURCE,
    DAY_FORMAT,
    DIMENSIONS,
    FROM_KEY,
    IN_LAYOUT,
    IS_RECORD,
    KEY_TIME,
    KEY_TIME_FORMAT,
)

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import QueryExecutionTypeDef

# Athena's price for SQL queries (https://aws.amazon.com/athena/pricing/, US East): $5.00 per TB scanned, each query
# rounded up to the next megabyte with a 10 MB minimum. Other Regions may cost more; the figure is an estimate.
PRICING_PAGE = "https://aws.amazon.com/athena/pricing/"
USD_PER_TB = 5.00
BILLING_UNIT_BYTES = 2**20
MINIMUM_BILLED_BYTES = 10 * 2**20
POLL_SECONDS = 1.0
_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


class QueryResult(Record):
    columns: tuple[str, ...]
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    scanned_bytes: int = 0
    seconds: float = 0.0
    execution_id: str = ""


def workgroup_of(aws: Aws) -> Workgroup:
    """The project's workgroup, found by --from-terraform in its outputs; without analytics there is none."""
    if aws.target.athena is None:
        raise UsageError("no Athena workgroup: set analytics.enabled: true in the config, render and apply, then "
                         "run this in the project (or with --from-terraform DIR)")  # fmt: skip
    return aws.target.athena


def billed_usd(scanned_bytes: int) -> float:
    """What a query that scanned this much costs at Athena's published price."""
    billed = max(MINIMUM_BILLED_BYTES, math.ceil(scanned_bytes / BILLING_UNIT_BYTES) * BILLING_UNIT_BYTES)
    return billed / 2**40 * USD_PER_TB  # binary units throughout; the figure is an estimate either way


def literal(value: str) -> str:
    """A string as a Trino SQL literal, for an execution parameter."""
    return "'" + value.replace("'", "''") + "'"


def stats_query(by: tuple[str, ...], selection: Selection) -> tuple[str, list[str]]:
    """The SQL of ``failures stats --athena``, and its parameters' values, in order.

    The day partition narrows the scan to the window's days; the key's time then keeps exactly what the
    local command keeps (records at or after --since, at or before --until).
    """
    if selection.keys or selection.redriven:
        raise UsageError("--athena counts the records in the table: it takes --function, --since, --until and "
                         "--condition, not keys or --redriven")  # fmt: skip
    # As the local command: counting by function and day alone reads keys, anything else reads the records.
    reads_records = not set(by) <= set(FROM_KEY) or selection.condition is not None
    where, values = [IS_RECORD if reads_records else IN_LAYOUT], []
    if selection.function:
        where.append("function = ?")
        values.append(selection.function)
    for moment, sign in ((selection.since, ">="), (selection.until, "<=")):
        if moment is not None:
            where += [f"day {sign} ?", f"{KEY_TIME} {sign} ?"]
            values += [moment.strftime(DAY_FORMAT), moment.strftime(KEY_TIME_FORMAT)]
    if selection.condition:
        where.append("requestcontext.condition = ?")
        values.append(selection.condition)
    columns = ", ".join(f"{DIMENSIONS[name]} AS {name}" for name in by)
    groups = ", ".join(str(i + 1) for i in range(len(by)))
    sql = f"SELECT {columns}, count(*) AS records\nFROM records\nWHERE " + "\n  AND ".join(where)
    return sql + f"\nGROUP BY {groups}", values


def run_query(aws: Aws, workgroup: Workgroup, sql: str, values: list[str]) -> QueryResult:
    """Run ``sql`` in the workgroup and read every row; a query that fails or is cancelled says why (exit 2)."""
    client = aws.athena()
    started = time.monotonic()
    with aws_errors(f"cannot run the query in the Athena workgroup {workgroup.name}"):
        arguments = {"QueryString": sql, "WorkGroup": workgroup.name,
                     "QueryExecutionContext": {"Database": workgroup.database}}  # fmt: skip
        if values:
            arguments["ExecutionParameters"] = [literal(value) for value in values]
        execution_id = client.start_query_execution(**arguments)["QueryExecutionId"]  # type: ignore[arg-type]
        execution = _wait(client, execution_id, started)
        state = execution["Status"]["State"]
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        if state != "SUCCEEDED":
            reason = execution["Status"].get("StateChangeReason", "no reason given")
            raise AwsError(f"the query {execution_id} {state.lower()}: {safe(reason)} (it scanned {scanned:,} bytes)")
        columns, rows = _rows(client, execution_id)
    return QueryResult(columns, rows, scanned, time.monotonic() - started, execution_id)


def _wait(client: AthenaClient, execution_id: str, started: float) -> QueryExecutionTypeDef:
    status = Status(sys.stderr)
    while True:
        execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state in _DONE:
            status.clear()
            return execution
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        status.show(f"query {state.lower()}: {time.monotonic() - started:4.0f} s, {scanned / 2**20:,.1f} MB scanned")
        time.sleep(POLL_SECONDS)


def _rows(client: AthenaClient, execution_id: str) -> tuple[tuple[str, ...], list[tuple[str | None, ...]]]:
    """The result's column names and rows, through every page; the first row of the first page is the header."""
    columns: tuple[str, ...] = ()
    rows: list[tuple[str | None, ...]] = []
    first = True
    for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        info = page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])
        columns = columns or tuple(column["Name"] for column in info)
        for row in page["ResultSet"].get("Rows", []):
            values = tuple(datum.get("VarCharValue") for datum in row.get("Data", []))
            if first and values == columns:
                first = False
                continue
            first = False
            rows.append(values)
    return columns, rows


def report_cost(result: QueryResult) -> None:
    print(f"Athena scanned {result.scanned_bytes:,} bytes in {result.seconds:.1f} s (query {result.execution_id}); "
          f"about ${billed_usd(result.scanned_bytes):.6f} at {USD_PER_TB:.2f} USD per TB with a 10 MB minimum "
          f"({PRICING_PAGE})", file=sys.stderr)  # fmt: skip


def run_named_or_sql(
    aws: Aws, workgroup: Workgroup, query: str, values: list[str], *, as_json: bool, out: TextIO
) -> int:
    """``failures query NAME|SQL``: a saved query by its name (the keys of athena_named_queries), or any SQL."""
    sql = BY_RESOURCE[query].sql if query in BY_RESOURCE else query
    wanted = sql.count("?")
    if query in BY_RESOURCE and len(values) != wanted:
        raise UsageError(f"{query} takes {wanted} --param value(s), not {len(values)}")
    result = run_query(aws, workgroup, sql, values)
    print_result(result, as_json, out)
    report_cost(result)
    return EXIT_OK


def print_result(result: QueryResult, as_json: bool, out: TextIO) -> None:
    if as_json:
        for row in result.rows:
            out.write(json.dumps(dict(zip(result.columns, row, strict=False))) + "\n")
        return
    table = [result.columns, *[tuple("NULL" if v is None else safe(v) for v in row) for row in result.rows]]
    widths = [max(len(str(row[i])) for row in table if i < len(row)) for i in range(len(result.columns))]
    for row in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip(), file=out)
    if not result.rows:
        print("(no rows)", file=sys.stderr)


def athena_counts(
    aws: Aws, workgroup: Workgroup, by: tuple[str, ...], selection: Selection
) -> tuple[dict[tuple[str | None, ...], int], QueryResult]:
    """The counts of ``failures stats --by`` from Athena, keyed as the local command keys them."""
    sql, values = stats_query(by, selection)
    result = run_query(aws, workgroup, sql, values)
    counts: dict[tuple[str | None, ...], int] = {}
    for row in result.rows:
        if len(row) != len(by) + 1 or row[-1] is None:
            raise AwsError(f"the query {result.execution_id} answered a row of an unexpected shape: {row!r}")
        counts[tuple(row[:-1])] = int(row[-1])
    return counts, result
