"""Every SQL the project sends to Athena is Trino SQL, and answers what the failures commands answer.

Each saved query and each query of ``stats --athena`` is parsed with sqlglot's Trino dialect (Athena engine 3), then
transpiled to DuckDB and run over record files laid out exactly as in the bucket, in a view that stands in for the
Glue table: the columns of ``lambda_facts.RECORD_COLUMNS``, the ``function`` and ``day`` partitions taken from the
key as partition projection takes them, ``"$path"``, and a row of NULLs for an object that is not JSON (the table's
``ignore.malformed.json``). The same objects are put in the moto server's bucket, where ``failures stats`` and
``failures list`` read them; the answers must be equal.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from generator.lambda_facts import RECORD_COLUMNS
from generator.ops import aws as ops_aws
from generator.ops.athena import stats_query
from generator.ops.commands import run_list
from generator.ops.reading import Selection
from generator.ops.stats import DIMENSIONS, run_stats
from generator.record_queries import BY_RESOURCE, NAMED_QUERIES
from tests.harness import Moto
from tests.test_failures import BUCKET, REGION, aws_env, record_body  # noqa: F401

FUNCTIONS = ("fn_a", "fn_b")  # the table's projection.function.values


def _duckdb_type(hive: str) -> Any:
    """A Glue (Hive) column type as the structure DuckDB's json_transform takes."""
    if hive == "string":
        return "VARCHAR"
    if hive == "int":
        return "INTEGER"
    if hive.startswith("array<") and hive.endswith(">"):
        return [_duckdb_type(hive[len("array<") : -1])]
    if hive.startswith("struct<") and hive.endswith(">"):
        fields: dict[str, Any] = {}
        depth, start, body = 0, 0, hive[len("struct<") : -1]
        for index, char in enumerate(body + ","):
            depth += char == "<"
            depth -= char == ">"
            if char == "," and depth == 0:
                name, _, kind = body[start:index].partition(":")
                fields[name] = _duckdb_type(kind)
                start = index + 1
        return fields
    raise AssertionError(f"no DuckDB type for {hive}")


class Records:
    """The same objects in the bucket (for the failures commands) and on disk (for DuckDB)."""

    def __init__(self, moto: Moto, root: Path) -> None:
        self.moto, self.root, self.s3 = moto, root, moto.client("s3")
        self.s3.create_bucket(Bucket=BUCKET)
        self.request_ids: dict[str, str] = {}

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def record(self, name: str, function: str, condition: str, when: datetime, *, error: bool) -> str:
        key = f"aws/lambda/async/{function}/{when:%Y/%m/%d}/{when:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
        request_id = str(uuid.uuid4())
        self.put(key, record_body(function, condition, {"n": name}, when, request_id=request_id, error=error))
        self.request_ids[name] = request_id
        return key

    def database(self) -> Any:
        """A DuckDB connection whose view ``records`` reads the files as the Glue table reads the objects."""
        structure = json.dumps({name: _duckdb_type(kind) for name, kind in RECORD_COLUMNS})
        columns = ", ".join(f"doc.{name} AS {name.lower()}" for name, _ in RECORD_COLUMNS)
        prefix = str(self.root) + "/"
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        # Partition projection: a function of the enum, a day of the yyyy/MM/dd format, directly under the prefix.
        connection.execute(f"""
            CREATE VIEW records AS
            SELECT {columns}, function, day, "$path" FROM (
                SELECT CASE WHEN json_valid(content) THEN json_transform(content, '{structure}') END AS doc,
                       regexp_extract(filename, '^{re.escape(prefix)}aws/lambda/async/([^/]+)/', 1) AS function,
                       regexp_extract(filename, '/([0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}})/[^/]+$', 1) AS day,
                       's3://{BUCKET}/' || substr(filename, {len(prefix) + 1}) AS "$path"
                FROM read_text('{prefix}aws/lambda/async/**')
            ) WHERE function IN {FUNCTIONS} AND day <> ''
        """)  # fmt: skip
        return connection


def run_sql(connection: Any, trino_sql: str, values: list[str]) -> list[tuple[Any, ...]]:
    """Parse as Trino SQL (an error fails the test), transpile to DuckDB, run with the parameters."""
    sqlglot.parse_one(trino_sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    duck = sqlglot.transpile(trino_sql, read="trino", write="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)[0]
    return [tuple(row) for row in connection.execute(duck, values).fetchall()]


@pytest.fixture
def records(aws_env: Moto, tmp_path: Path) -> Iterator[Records]:  # noqa: F811
    seeded = Records(aws_env, tmp_path / "bucket")
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    # Ten days of records, two functions, two conditions, with and without an error, two at the same second.
    for day in range(10):
        when = today - timedelta(days=day)
        seeded.record(f"a{day}", "fn_a", "RetriesExhausted", when, error=True)
        seeded.record(f"b{day}", "fn_b", "EventAgeExceeded" if day % 3 else "RetriesExhausted", when, error=False)
        if day % 2 == 0:
            seeded.record(f"z{day}", "fn_a", "ZeroReservedConcurrency", when - timedelta(hours=3), error=False)
    seeded.record("twin", "fn_b", "RetriesExhausted", today - timedelta(days=1), error=True)
    # What the failures commands do not count as records (the first two count by key alone), nor may the queries:
    folder = f"{today:%Y/%m/%d}"
    seeded.put(f"aws/lambda/async/fn_a/{folder}/{today:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}", b"{not json")
    seeded.put(f"aws/lambda/async/fn_a/{folder}/{today:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}", b'{"version": "1.0"}')
    seeded.put(f"aws/lambda/async/fn_a/{folder}/notes.txt", json.dumps({"requestContext": {
        "requestId": "x", "functionArn": "arn", "condition": "RetriesExhausted"}}).encode())  # fmt: skip
    yield seeded


def local_stats(records: Records, by: tuple[str, ...], selection: Selection) -> set[tuple[Any, ...]]:
    out = io.StringIO()
    aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, records.moto.endpoint))
    assert run_stats(aws, selection, by, True, out) in (0, 1)  # 1: the objects that are not records, reported
    return {(*(row[name] for name in by), row["records"]) for row in map(json.loads, out.getvalue().splitlines())}


def local_keys(records: Records, selection: Selection) -> list[str]:
    out = io.StringIO()
    aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, records.moto.endpoint))
    run_list(aws, selection, True, out)
    return [json.loads(line)["key"] for line in out.getvalue().splitlines()]


def test_the_sql_counts_by_what_the_local_command_counts_by() -> None:
    from generator.ops.stats import KEY_DIMENSIONS
    from generator.record_queries import DIMENSIONS as SQL_DIMENSIONS
    from generator.record_queries import FROM_KEY

    assert tuple(SQL_DIMENSIONS) == DIMENSIONS and FROM_KEY == KEY_DIMENSIONS


@pytest.mark.parametrize("query", NAMED_QUERIES, ids=lambda query: query.resource)
def test_every_saved_query_is_trino_sql(query: Any) -> None:
    parsed = sqlglot.parse_one(query.sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    table = parsed.find(sqlglot.exp.Table)
    assert table is not None and table.name == "records"


def _selections(today: datetime) -> list[tuple[str, Selection]]:
    return [
        ("everything", Selection()),
        ("one function", Selection(function="fn_b")),
        ("a window", Selection(since=today - timedelta(days=4, hours=1), until=today - timedelta(days=1))),
        ("a condition", Selection(condition="RetriesExhausted")),
        ("all at once", Selection(function="fn_a", since=today - timedelta(days=6), condition="RetriesExhausted")),
    ]


@pytest.mark.parametrize(
    "by", [(name,) for name in DIMENSIONS] + [("function", "condition"), ("function", "day"),
                                              ("function", "condition", "error_type", "day")], ids=",".join,
)  # fmt: skip
def test_stats_athena_answers_what_stats_answers(records: Records, by: tuple[str, ...]) -> None:
    connection = records.database()
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for name, selection in _selections(today):
        sql, values = stats_query(by, selection)
        assert set(run_sql(connection, sql, values)) == local_stats(records, by, selection), name


def test_the_saved_weekly_counts_answer_what_stats_answers_for_the_same_days(records: Records) -> None:
    connection = records.database()
    week = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
    per_day = run_sql(connection, BY_RESOURCE["failures_per_day"].sql, [])
    assert {(f, d.replace("/", "-"), n) for f, d, n in per_day} == local_stats(records, ("function", "day"),
                                                                               Selection(since=week))  # fmt: skip
    by_error = run_sql(connection, BY_RESOURCE["failures_by_error"].sql, [])
    expected = local_stats(records, ("function", "condition", "error_type"), Selection(since=week))
    assert set(by_error) == expected and len(expected) >= 4
    assert [row[-1] for row in by_error] == sorted((row[-1] for row in by_error), reverse=True), "most first"


def test_the_saved_lookups_find_the_keys_the_failures_commands_take(records: Records) -> None:
    connection = records.database()
    request_id = records.request_ids["twin"]
    (found,) = run_sql(connection, BY_RESOURCE["record_of_request"].sql, [request_id])
    assert [found[0]] == [
        k for k in local_keys(records, Selection(limit=1000)) if request_id in _request_of(records, k)
    ]
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=5), today - timedelta(days=2)
    rows = run_sql(connection, BY_RESOURCE["events_to_redrive"].sql, [f"{first:%Y/%m/%d}", f"{last:%Y/%m/%d}"])
    window = Selection(since=datetime(first.year, first.month, first.day, tzinfo=UTC),
                       until=datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=UTC), limit=1000)  # fmt: skip
    assert sorted(row[0] for row in rows) == sorted(local_keys(records, window)) and len(rows) >= 8
    times = [json.loads((records.root / row[0]).read_text())["timestamp"] for row in rows]
    assert times == sorted(times), "oldest first"


def _request_of(records: Records, key: str) -> str:
    return str(json.loads((records.root / key).read_text())["requestContext"]["requestId"])


def test_a_value_is_an_execution_parameter_quoted_as_a_literal_never_sql() -> None:
    from generator.ops.athena import literal

    sql, values = stats_query(("function",), Selection(function="x' OR '1'='1"))
    assert "x'" not in sql and values == ["x' OR '1'='1"]
    assert literal(values[0]) == "'x'' OR ''1''=''1'"
    (selected,) = sqlglot.parse_one(f"SELECT {literal(values[0])}", read="trino").expressions
    assert selected.this == values[0]
