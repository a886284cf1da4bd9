"""``failures query`` and ``failures stats --athena`` against the moto server's Athena API.

moto runs no SQL: it accepts StartQueryExecution, answers GetQueryExecution with SUCCEEDED and 0 bytes scanned,
and serves the rows a test queues through its API. So these tests check what the commands send (SQL, workgroup,
database, parameters as quoted literals), how they read and print the answer, and what they report; whether the
SQL answers what the failures commands answer is proven on DuckDB in test_record_queries. A failed query, a
running one and a second page of rows are recorded responses, since moto never gives them.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from generator.cli.main import main
from generator.ops import athena, project
from generator.ops.reading import Selection
from generator.record_queries import BY_RESOURCE
from tests.harness import Moto
from tests.test_failures import ACCOUNT, BUCKET, REGION, aws_env, on_aws_event  # noqa: F401
from tests.test_queue_failures import _Body

WORKGROUP, DATABASE = "ledger-async-failures", "ledger_async_failures"


@pytest.fixture
def project_with_athena(aws_env: Moto, monkeypatch: pytest.MonkeyPatch) -> Moto:  # noqa: F811
    aws_env.client("athena").create_work_group(Name=WORKGROUP)
    monkeypatch.setattr(project, "terraform_outputs", lambda directory: {
        "failure_bucket_name": BUCKET, "region": REGION, "destinations": {},
        "athena_workgroup": WORKGROUP, "athena_table": f"{DATABASE}.records"})  # fmt: skip
    return aws_env


def queue_result(moto: Moto, columns: list[str], rows: list[list[str | None]]) -> None:
    """Rows moto answers to the next GetQueryResults, the header first, as Athena answers."""

    def row(values: list[str | None]) -> dict[str, Any]:
        return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}

    body = {"account_id": ACCOUNT, "region": REGION, "results": [{
        "rows": [row(list(columns)), *map(row, rows)],
        "column_info": [{"Name": c, "Type": "varchar", "CatalogName": "hive", "SchemaName": "", "TableName": "",
                         "Label": c, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": True}
                        for c in columns]}]}  # fmt: skip
    request = urllib.request.Request(
        f"{moto.endpoint}/moto-api/static/athena/query-results",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    on_aws_event(monkeypatch, "provide-client-params.athena.StartQueryExecution",
                 lambda params, **_: calls.append(dict(params)))  # fmt: skip
    return calls


def failures(moto: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["failures", argv[0], "--from-terraform", str(tmp_path), "--endpoint-url", moto.endpoint, *argv[1:]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_saved_query_runs_in_the_workgroup_by_name_with_its_parameters_quoted(
    project_with_athena: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = sent(monkeypatch)
    queue_result(project_with_athena, ["key", "function"], [["aws/lambda/async/fn_a/2026/12/01/k", "fn_a"]])
    code, out, err = failures(project_with_athena, capsys, tmp_path, "query", "record_of_request",
                              "--param", "it's-1", "--json")  # fmt: skip
    assert code == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [{"key": "aws/lambda/async/fn_a/2026/12/01/k",
                                                               "function": "fn_a"}]  # fmt: skip
    (call,) = calls
    assert call["QueryString"] == BY_RESOURCE["record_of_request"].sql
    assert call["WorkGroup"] == WORKGROUP and call["QueryExecutionContext"] == {"Database": DATABASE}
    assert call["ExecutionParameters"] == ["'it''s-1'"]
    assert "Athena scanned 0 bytes" in err and "about $0.000048 at 5.00 USD per TB with a 10 MB minimum" in err


def test_a_saved_query_needs_as_many_values_as_it_has_parameters(
    project_with_athena: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = failures(project_with_athena, capsys, tmp_path, "query", "events_to_redrive", "--param", "x")
    assert code == 2 and "events_to_redrive takes 2 --param value(s), not 1" in err


def test_stats_athena_sends_the_stats_query_and_prints_what_stats_prints(
    project_with_athena: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = sent(monkeypatch)
    queue_result(project_with_athena, ["condition", "error_type", "records"],
                 [["RetriesExhausted", "ForcedError", "7"], ["EventAgeExceeded", None, "9"]])  # fmt: skip
    code, out, err = failures(project_with_athena, capsys, tmp_path, "stats", "--athena", "--function", "fn_a",
                              "--by", "condition,error_type")  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        "CONDITION         ERROR TYPE   RECORDS",
        "EventAgeExceeded  (none)             9",
        "RetriesExhausted  ForcedError        7",
        "total                               16",
    ]
    expected_sql, values = athena.stats_query(("condition", "error_type"), Selection(function="fn_a"))
    assert values == ["fn_a"] and calls[0]["QueryString"] == expected_sql
    assert calls[0]["ExecutionParameters"] == ["'fn_a'"]


def test_a_query_that_fails_says_why_and_what_it_scanned(
    project_with_athena: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = iter(["RUNNING", "FAILED"])
    monkeypatch.setattr(athena, "POLL_SECONDS", 0.01)

    def answer(request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders

        state = next(states)
        execution = {"QueryExecutionId": "q-1", "Status": {"State": state, **(
            {"StateChangeReason": "Query exhausted resources: bytes scanned limit exceeded"} if state == "FAILED"
            else {})}, "Statistics": {"DataScannedInBytes": 1073741824}}  # fmt: skip
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(json.dumps({"QueryExecution": execution}).encode()))

    on_aws_event(monkeypatch, "before-send.athena.GetQueryExecution", answer)
    code, out, err = failures(project_with_athena, capsys, tmp_path, "query", "SELECT count(*) FROM records")
    assert code == 2 and out == ""
    assert "failed: Query exhausted resources: bytes scanned limit exceeded (it scanned 1,073,741,824 bytes)" in err


def test_every_page_of_the_answer_is_read(
    project_with_athena: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def page(rows: list[str], token: str | None) -> bytes:
        document: dict[str, Any] = {
            "ResultSet": {
                "Rows": [{"Data": [{"VarCharValue": v}]} for v in rows],
                "ResultSetMetadata": {"ColumnInfo": [{"Name": "n", "Type": "varchar"}]},
            }
        }
        if token:
            document["NextToken"] = token
        return json.dumps(document).encode()

    tokens: list[str | None] = []

    def answer(request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders

        token = json.loads(request.body).get("NextToken")
        tokens.append(token)
        body = page(["n", "1", "2"], "page-2") if token is None else page(["3"], None)
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(body))

    on_aws_event(monkeypatch, "before-send.athena.GetQueryResults", answer)
    code, out, _ = failures(project_with_athena, capsys, tmp_path, "query", "SELECT n FROM records", "--json")
    assert code == 0 and tokens == [None, "page-2"]
    assert [json.loads(line)["n"] for line in out.splitlines()] == ["1", "2", "3"], "the header row once, not data"


def test_without_analytics_the_athena_commands_say_how_to_get_a_workgroup(
    aws_env: Moto,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(project, "terraform_outputs", lambda directory: {
        "failure_bucket_name": BUCKET, "region": REGION, "destinations": {}})  # fmt: skip
    for argv in (("query", "failures_per_day"), ("stats", "--athena")):
        code, _, err = failures(aws_env, capsys, tmp_path, *argv)
        assert code == 2 and "no Athena workgroup: set analytics.enabled: true in the config" in err


def test_the_cost_of_a_query_follows_athenas_published_price() -> None:
    assert athena.billed_usd(0) == athena.billed_usd(10 * 2**20) == 10 * 2**20 / 2**40 * 5.00, "10 MB minimum"
    assert athena.billed_usd(10 * 2**20 + 1) == 11 * 2**20 / 2**40 * 5.00, "rounded up to the next megabyte"
    assert athena.billed_usd(2**40) == 5.00


def test_past_ten_thousand_records_the_local_commands_point_to_athena(capsys: pytest.CaptureFixture[str]) -> None:
    from generator.ops import present

    present.suggest_athena(present.ATHENA_HINT_RECORDS)
    assert capsys.readouterr().err == "", "at the threshold, nothing"
    present.suggest_athena(present.ATHENA_HINT_RECORDS + 1)
    err = capsys.readouterr().err
    assert "read 10001 records one by one; failures stats --athena and failures query count them" in err
