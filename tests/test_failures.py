"""The failures commands against the moto server, with records seeded exactly as Lambda writes them."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from generator.cli.main import main
from generator.lambda_facts import expected_record
from generator.ops import aws as ops_aws
from generator.ops import commands, present, project, reading, redrive
from generator.ops.records import RecordKey
from generator.ops.redrive import claims
from generator.ops.redrive import run as redrive_run
from tests.harness import Moto

BUCKET = "failure-records-test"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def now() -> datetime:
    """The current time, read when a record is seeded or a filter built: tests may run minutes after import."""
    return datetime.now(UTC).replace(microsecond=0)


def record_key(function: str, when: datetime) -> str:
    return f"aws/lambda/async/{function}/{when:%Y/%m/%d}/{when:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"


def record_body(function: str, condition: str, payload: Any, when: datetime, *, request_id: str, error: bool) -> bytes:
    """A record in the format AWS documents for asynchronous invocation records."""
    document: dict[str, Any] = {
        "version": "1.0",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:$LATEST",
            "condition": condition,
            # A zero-concurrency record: Lambda never ran the event (approximateInvokeCount 0, no response).
            "approximateInvokeCount": 3 if error else 0 if condition == "ZeroReservedConcurrency" else 1,
        },
        "requestPayload": payload,
    }
    if error:
        document["responseContext"] = {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
        document["responsePayload"] = {
            "errorMessage": "the event set forceError",
            "errorType": "ForcedError",
            # The Python runtime's shape: one entry a frame, holding the File line and the source line.
            "stackTrace": ['  File "/var/task/handler.py", line 21, in handler\n    raise ForcedError(...)\n'],
        }
    return json.dumps(document).encode()


@dataclass
class Seeded:
    moto: Moto
    s3: Any
    keys: dict[str, str] = field(default_factory=dict)
    payloads: dict[str, Any] = field(default_factory=dict)

    def put(self, name: str, function: str, condition: str, payload: Any, *, age: timedelta, error: bool) -> str:
        when = now() - age
        key = record_key(function, when)
        body = record_body(function, condition, payload, when, request_id=str(uuid.uuid4()), error=error)
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        self.keys[name], self.payloads[name] = key, payload
        return key


@pytest.fixture
def aws_env(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> Moto:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto


@pytest.fixture
def seeded(aws_env: Moto) -> Seeded:
    s3, lam, iam = aws_env.client("s3"), aws_env.client("lambda"), aws_env.client("iam")
    s3.create_bucket(Bucket=BUCKET)
    role = iam.create_role(RoleName="test-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for name in ("fn_a", "fn_b"):
        lam.create_function(
            FunctionName=name, Runtime="python3.13", Role=role, Handler="handler.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )  # fmt: skip
    seeded = Seeded(aws_env, s3)
    seeded.put(
        "a_old", "fn_a", "RetriesExhausted", {"forceError": True, "order": 1}, age=timedelta(hours=2), error=True
    )
    seeded.put(
        "a_new", "fn_a", "EventAgeExceeded", {"order": 2, "note": "naïve ☃"}, age=timedelta(minutes=30), error=False
    )
    big = {"blob": "x" * (1024 * 1024 - 100)}  # a payload of about 1 MB, the largest Lambda accepts
    seeded.put("b_big", "fn_b", "RetriesExhausted", big, age=timedelta(minutes=10), error=True)
    return seeded


@pytest.fixture
def malformed(seeded: Seeded) -> Seeded:
    """Objects that are not records, under a function prefix of their own."""
    when = now() - timedelta(minutes=5)
    seeded.s3.put_object(Bucket=BUCKET, Key=record_key("fn_broken", when), Body=b"{not json")
    seeded.s3.put_object(Bucket=BUCKET, Key=record_key("fn_broken", when), Body=b'{"version": "1.0"}')
    seeded.s3.put_object(Bucket=BUCKET, Key="aws/lambda/async/fn_broken/notes.txt", Body=b"hello")
    return seeded


# A redrive waits at its end for records another live run claimed; here none is alive unless a test starts one.
BRIEF_HELD_WAIT = ("--held-wait", "0.2")
BRIEF = redrive.Pace(held_wait_seconds=0.2)


def run(moto: Moto, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    brief = BRIEF_HELD_WAIT if argv[:1] == ("redrive",) and "--held-wait" not in argv else ()
    code = main(["failures", *argv[:1], "--bucket", BUCKET, "--endpoint-url", moto.endpoint, "--region", REGION,
                 *brief, *argv[1:]])  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def on_aws_event(monkeypatch: pytest.MonkeyPatch, event: str, handler: Callable[..., Any]) -> None:
    """Register a botocore event handler on every session the failures commands create (handlers add up)."""
    real = ops_aws.make_session

    def session(region: str | None, sandbox: bool = False) -> Any:
        created = real(region, sandbox)
        created.events.register(event, handler)
        return created

    monkeypatch.setattr(ops_aws, "make_session", session)


def _answer_403(body: bytes) -> Callable[..., Any]:
    """A before-send handler that answers the request with an S3 error document, as S3 would."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    return lambda **_: AWSResponse("http://test", 403, HTTPHeaders(), _Raw(body))


@pytest.fixture
def invokes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every Lambda Invoke the commands make, captured at the boto3 boundary."""
    calls: list[dict[str, Any]] = []
    on_aws_event(
        monkeypatch,
        "before-call.lambda.Invoke",
        lambda params, **_: calls.append({"function": params["url_path"], "body": params["body"],
                                          "type": params["headers"].get("X-Amz-Invocation-Type")}),
    )  # fmt: skip
    yield calls


# --- list -------------------------------------------------------------------------------------


def test_list_shows_newest_first_with_errors(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(seeded.moto, capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["TIME", "FUNCTION", "CONDITION", "ERROR", "REQUEST", "ID", "KEY"]
    assert [line.rsplit(" ", 1)[-1] for line in lines[1:]] == [seeded.keys[k] for k in ("b_big", "a_new", "a_old")]
    assert "ForcedError: the event set forceError" in lines[3] and "RetriesExhausted" in lines[3]
    assert "EventAgeExceeded" in lines[2] and " - " in lines[2]


def test_list_json_is_one_object_a_line(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(seeded.moto, capsys, "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["key"] for r in rows] == [seeded.keys[k] for k in ("b_big", "a_new", "a_old")]
    oldest = rows[2]
    assert oldest["function"] == "fn_a" and oldest["condition"] == "RetriesExhausted"
    assert oldest["errorType"] == "ForcedError" and oldest["approximateInvokeCount"] == 3
    assert rows[1]["errorType"] is None and rows[1]["errorMessage"] is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--function", "fn_a"], ["a_new", "a_old"]),
        (["--since", "1h"], ["b_big", "a_new"]),
        (["--since", "ISO:45m"], ["b_big", "a_new"]),
        (["--condition", "EventAgeExceeded"], ["a_new"]),
        (["--limit", "1"], ["b_big"]),
        (["--function", "fn_a", "--condition", "RetriesExhausted"], ["a_old"]),
        (["--function", "nobody"], []),
    ],
)
def test_list_filters(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], filters: list[str], expected: list[str]
) -> None:
    if filters[-1] == "ISO:45m":  # an absolute time, 45 minutes before now
        filters = [*filters[:-1], (now() - timedelta(minutes=45)).isoformat()]
    code, out, _ = run(seeded.moto, capsys, "list", "--json", *filters)
    assert code == 0
    assert [json.loads(line)["key"] for line in out.splitlines()] == [seeded.keys[k] for k in expected]


def test_list_reports_each_malformed_object_and_goes_on(malformed: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(malformed.moto, capsys, "list", "--json")
    assert code == 1, "problems make the exit code say so"
    assert len(out.splitlines()) == 3, "the good records are still listed"
    warnings = err.splitlines()
    assert len(warnings) == 3
    assert any("not valid JSON" in w for w in warnings)
    assert any("has no requestContext" in w for w in warnings)
    assert any("notes.txt: key is outside the record layout" in w for w in warnings)


def test_list_of_an_empty_bucket(aws_env: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    aws_env.client("s3").create_bucket(Bucket=BUCKET)
    code, out, err = run(aws_env, capsys, "list")
    assert code == 0 and out == "" and "no failure records" in err


def test_a_missing_bucket_is_a_clear_error(aws_env: Moto, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(aws_env, capsys, "list")
    assert code == 2 and out == ""
    expected = f"cannot list s3://{BUCKET}/aws/lambda/async/: the bucket does not exist (check --bucket and the region)"
    assert err == f"error: {expected}\n"


def test_bad_since_is_a_usage_error(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(seeded.moto, capsys, "list", "--since", "yesterday")
    assert code == 2 and "--since takes an ISO time" in err


# --- show -------------------------------------------------------------------------------------


def test_show_prints_error_trace_and_payload(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(seeded.moto, capsys, "show", seeded.keys["a_old"])
    assert code == 0
    assert "Condition:   RetriesExhausted after 3 attempt(s)" in out
    assert "Error:       ForcedError: the event set forceError" in out
    assert 'Stack trace:\n    File "/var/task/handler.py", line 21, in handler\n      raise ForcedError(...)\n' in out
    assert 'Payload:\n  {\n    "forceError": true,\n    "order": 1\n  }' in out


def test_show_explains_a_record_without_response(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(seeded.moto, capsys, "show", seeded.keys["a_new"])
    assert code == 0 and "none recorded" in out and '"note": "naïve ☃"' in out
    assert "waited longer than the maximum event age" in out


@pytest.mark.parametrize(
    ("condition", "meaning"),
    [
        ("ZeroReservedConcurrency", "reserved concurrency is 0, so Lambda sent the event here at once"),
        ("RetriesExhausted", "returned an error on its first attempt and on every retry"),
        ("SomethingNew", "a condition this version of the generator does not know"),
    ],
)
def test_show_explains_each_condition(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], condition: str, meaning: str
) -> None:
    key = seeded.put("z", "fn_a", condition, {"forceError": True}, age=timedelta(minutes=1), error=False)
    code, out, _ = run(seeded.moto, capsys, "show", key)
    assert code == 0 and f"Condition:   {condition} after " in out and meaning in out
    code, out, _ = run(seeded.moto, capsys, "list", "--json", "--condition", condition, "--since", "2m")
    assert [json.loads(line)["key"] for line in out.splitlines()] == [key]


def test_show_of_a_malformed_or_missing_record(malformed: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(malformed.moto, capsys, "show", "aws/lambda/async/fn_broken/notes.txt")
    assert code == 1 and "outside the record layout" in err
    missing = record_key("fn_a", now())
    code, _, err = run(malformed.moto, capsys, "show", missing)
    assert code == 1 and "no such record" in err


# --- wait -------------------------------------------------------------------------------------


def _write_later(
    seeded: Seeded, delay: float, function: str, request_id: str | None = None, after: threading.Event | None = None
) -> threading.Thread:
    """Play AWS's part: the record appears in the bucket some time after the failure (or after ``after`` is set)."""

    def write() -> None:
        if after is not None:
            after.wait(timeout=30)
        time.sleep(delay)
        when = datetime.now(UTC)
        body = record_body(
            function, "EventAgeExceeded", {"forceError": True}, when, request_id=request_id or "late", error=False
        )
        seeded.s3.put_object(Bucket=BUCKET, Key=record_key(function, when), Body=body)

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_wait_returns_when_the_record_arrives(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record appears only after wait has listed what was there before, however slow the machine."""
    listed = threading.Event()
    on_aws_event(monkeypatch, "after-call.s3.ListObjectsV2", lambda **_: listed.set())
    writer = _write_later(seeded, 0.5, "fn_a", after=listed)
    code, out, err = run(seeded.moto, capsys, "wait", "--function", "fn_a", "--timeout", "20", "--interval", "0.2")
    writer.join()
    assert code == 0, out
    assert "Record arrived after" in err and "Condition:   EventAgeExceeded" in out
    assert "Request ID:  late" in out, "the pre-existing records of fn_a were not taken for the new one"


def test_wait_times_out_with_exit_1(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(seeded.moto, capsys, "wait", "--function", "fn_b", "--timeout", "0.6", "--interval", "0.2")
    assert code == 1 and out == "" and "No record for fn_b after 1 s" in err


@pytest.mark.parametrize(
    ("concurrency", "retries", "age", "expected"),
    [
        (0, 2, 60, "within seconds, as ZeroReservedConcurrency (with reserved concurrency 0, Lambda records"),
        (None, 2, 3600, "after about 3 min, as RetriesExhausted (2 retries, 1 min and 2 min apart)"),
        (5, 1, 3600, "after about 1 min, as RetriesExhausted (1 retries, 1 min apart)"),
        (5, 2, 60, "after about 60 s, as EventAgeExceeded (the retries would outlast the maximum event age)"),
        (None, 0, 60, "within seconds of the failed attempt (no retries)"),
    ],
)  # fmt: skip
def test_wait_expects_the_record_when_aws_sends_it(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], concurrency: int | None, retries: int, age: int, expected: str
) -> None:
    lam = seeded.moto.client("lambda")
    if concurrency is not None:
        lam.put_function_concurrency(FunctionName="fn_b", ReservedConcurrentExecutions=concurrency)
    lam.put_function_event_invoke_config(FunctionName="fn_b", MaximumRetryAttempts=retries,
                                         MaximumEventAgeInSeconds=age)  # fmt: skip
    code, _, err = run(seeded.moto, capsys, "wait", "--function", "fn_b", "--timeout", "0.3", "--interval", "0.1")
    assert code == 1 and f"expect it {expected}" in err


def test_wait_says_at_once_when_failures_go_elsewhere(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At once: from the function's settings, before it lists the bucket even once."""
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-failures"
    seeded.moto.client("sqs").create_queue(QueueName="orders-failures")
    seeded.moto.client("lambda").put_function_event_invoke_config(
        FunctionName="fn_b", DestinationConfig={"OnFailure": {"Destination": queue}}
    )
    listings: list[int] = []
    on_aws_event(monkeypatch, "before-call.s3.ListObjectsV2", lambda **_: listings.append(1))
    code, _, err = run(seeded.moto, capsys, "wait", "--function", "fn_b", "--timeout", "60")
    assert code == 2 and listings == []
    assert f"fn_b sends the records of its failed events to {queue}, not to s3://{BUCKET}" in err


def test_wait_invoke_waits_for_the_record_of_its_own_request(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    request_ids: list[str] = []
    on_aws_event(
        monkeypatch,
        "after-call.lambda.Invoke",
        lambda parsed, **_: request_ids.append(parsed["ResponseMetadata"]["RequestId"]),
    )
    decoy = _write_later(seeded, 0.5, "fn_a", "someone-else")

    def answer() -> None:
        while not request_ids:
            time.sleep(0.05)
        _write_later(seeded, 1.0, "fn_a", request_ids[0]).join()

    answering = threading.Thread(target=answer)
    answering.start()
    code, out, err = run(seeded.moto, capsys, "wait", "--function", "fn_a", "--invoke", "--timeout", "20",
                       "--interval", "0.2")  # fmt: skip
    decoy.join()
    answering.join()
    assert code == 0, out
    assert 'Invoked fn_a asynchronously with {"forceError": true} (the bundled demo handler fails on it)' in err
    assert invokes == [{"function": "/2015-03-31/functions/fn_a/invocations", "body": b'{"forceError": true}',
                        "type": "Event"}]  # fmt: skip
    assert f"Request ID:  {request_ids[0]}" in out


# --- redrive ----------------------------------------------------------------------------------


def _sent_payloads(invokes: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(call["body"]) for call in invokes]


def test_redrive_sends_the_original_payloads_and_marks_the_records(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all", "--concurrency", "1")
    assert code == 0, out
    assert {c["type"] for c in invokes} == {"Event"}
    assert _sent_payloads(invokes) == [seeded.payloads[k] for k in ("a_old", "a_new", "b_big")], "oldest first"
    assert [unquote(c["function"]).split("/")[3].split(":")[-1] for c in invokes] == ["fn_a", "fn_a", "fn_b"]
    assert "redrive: sent 3, skipped 0, failed 0 in " in out
    remaining = seeded.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert sorted(o["Key"] for o in remaining) == sorted(
        f"{folder}/{k}" for k in seeded.keys.values() for folder in ("redriven", "redrive-claims")
    ), "moved, and each claim kept as the note that it was sent"

    invokes.clear()
    code, out, err = run(seeded.moto, capsys, "redrive", "--all")
    assert code == 0 and invokes == [], "a second run sends nothing"
    assert "nothing to redrive" in err and out == ""


def test_redrive_dry_run_sends_and_moves_nothing(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    code, out, _ = run(seeded.moto, capsys, "redrive", "--function", "fn_a", "--dry-run")
    assert code == 0 and invokes == []
    assert out.count("would send ") == 2 and "2 record(s) would be sent" in out
    keys = {o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == set(seeded.keys.values())


class _Raw:
    """The raw body of a canned HTTP response."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _lambda_answers(monkeypatch: pytest.MonkeyPatch, function: str, status: int, error: str, times: int) -> list[str]:
    """Make Lambda refuse ``times`` invokes of ``function`` with a real error response; returns the refusals."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    refused: list[str] = []

    def refuse(request: Any, **_: Any) -> Any:
        if function in unquote(request.url) and len(refused) < times:
            refused.append(error)
            body = json.dumps({"Type": "User", "message": f"{error} from the test"}).encode()
            headers = HTTPHeaders()
            headers["x-amzn-ErrorType"] = error
            return AWSResponse(request.url, status, headers, _Raw(body))
        return None

    on_aws_event(monkeypatch, "before-send.lambda.Invoke", refuse)
    return refused


def test_a_refused_invoke_leaves_its_record_in_place(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = seeded.put("gone", "fn_gone", "RetriesExhausted", {"order": 9}, age=timedelta(minutes=1), error=True)
    refused = _lambda_answers(monkeypatch, "fn_gone", 404, "ResourceNotFoundException", times=99)
    code, out, _ = run(seeded.moto, capsys, "redrive", "--since", "15m")
    assert code == 1 and refused == ["ResourceNotFoundException"], "a missing function is not retried"
    assert f"failed {gone}: the invoke was refused" in out and "the record stays" in out
    assert "redrive: sent 1, skipped 0, failed 1" in out
    assert seeded.s3.head_object(Bucket=BUCKET, Key=gone)
    assert "Contents" not in seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"redriven/{gone}")


def test_throttled_invokes_are_retried_with_backoff(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = _lambda_answers(monkeypatch, "fn_b", 429, "TooManyRequestsException", times=2)
    code, out, _ = run(seeded.moto, capsys, "redrive", "--function", "fn_b")
    assert code == 0, out
    assert refused == ["TooManyRequestsException"] * 2
    assert "redrive: sent 1, skipped 0, failed 0" in out


def _exists(seeded: Seeded, key: str) -> bool:
    return "Contents" in seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix=key)


def test_a_run_that_sent_but_could_not_remove_is_finished_by_the_next(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run 1 sends and copies the record, then cannot delete it; its claim holds run 2 off; run 3 finishes the move."""
    key = seeded.keys["a_old"]
    refused = _answer_403(b"<Error><Code>AccessDenied</Code><Message>not now</Message></Error>")
    deletes: list[int] = []

    def refuse_the_first_delete(**kwargs: Any) -> Any:
        deletes.append(1)
        return refused(**kwargs) if len(deletes) == 1 else None

    on_aws_event(monkeypatch, "before-send.s3.DeleteObject", refuse_the_first_delete)
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 1 and len(invokes) == 1 and f"failed {key}: sent, but could not be moved" in out
    marker = seeded.s3.head_object(Bucket=BUCKET, Key=f"redriven/{key}")["Metadata"]
    assert marker["redrive-source-etag"] == seeded.s3.head_object(Bucket=BUCKET, Key=key)["ETag"]

    code, out, err = run(seeded.moto, capsys, "redrive", key)
    assert code == 1 and len(invokes) == 1, "a fresh claim holds: the record is neither sent nor dropped"
    assert f"skipped {key}: another redrive claimed it" in out and "can be taken over after 20" in out
    assert "1 record(s) were not sent and are still in place" in err

    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)  # long after: the claim is taken over, the move finished
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0 and len(invokes) == 1
    assert f"skipped {key}: already redriven (found redriven/{key}, a copy of it)" in out
    assert not _exists(seeded, key)


# --- objects a function role could forge, if a policy attached by hand let it ------------------


def test_a_decoy_under_redriven_never_costs_the_record(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planted claim, old enough to take over, and a decoy under redriven/: the record stays, unsent, exit 1."""
    key = seeded.keys["a_old"]
    seeded.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b'{"claimedBy": "x", "record": "' +
                         key.encode() + b'"}')  # fmt: skip
    seeded.s3.put_object(Bucket=BUCKET, Key=f"redriven/{key}", Body=b'{"decoy": true}')
    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 1 and invokes == []
    assert f"failed {key}: redriven/{key} exists but is no copy of this record" in out
    assert _exists(seeded, key), "the record is never deleted on a marker it did not write"


def test_a_byte_identical_copy_is_believed(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy under redriven/ that holds the record's very bytes is a copy, whoever made it (an older release)."""
    key = seeded.keys["a_old"]
    seeded.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b"{}")
    seeded.s3.copy_object(Bucket=BUCKET, Key=f"redriven/{key}", CopySource={"Bucket": BUCKET, "Key": key})
    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0 and invokes == [] and f"skipped {key}: already redriven" in out
    assert not _exists(seeded, key)


def test_a_claim_no_redrive_wrote_is_reported_and_never_passes_for_done(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    """A claim rewritten every half second, as a role could: the record is reported, held, and the exit is 1."""
    key = seeded.keys["a_old"]
    stop = threading.Event()

    def keep_claiming() -> None:
        while not stop.is_set():
            seeded.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b"mine")
            stop.wait(0.5)

    writer = threading.Thread(target=keep_claiming)
    writer.start()
    try:
        time.sleep(0.2)
        code, out, err = run(seeded.moto, capsys, "redrive", "--all")
    finally:
        stop.set()
        writer.join()
    assert code == 1 and len(invokes) == 2, "the two other records are sent"
    assert f"skipped {key}: redrive-claims/{key} holds it, but no redrive wrote that claim" in out
    assert "s ago, it can be taken over after 20" in out
    assert "redrive: sent 2, skipped 1, failed 0" in out
    assert "1 record(s) were not sent and are still in place" in err
    assert _exists(seeded, key)


def test_a_rerun_right_after_a_killed_run_says_what_it_left_and_until_when(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    """The killed run had claimed two records: the rerun sends the third, and exits 1 naming when to run again."""
    aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, seeded.moto.endpoint))
    for name in ("a_old", "a_new"):
        record = reading.fetch(aws, RecordKey.parse(seeded.keys[name]))
        assert claims.take_claim(aws, record.key.key, record.etag, "run-that-was-killed").refused is None
    code, out, err = run(seeded.moto, capsys, "redrive", "--all")
    assert code == 1 and len(invokes) == 1
    assert out.count("another redrive claimed it") == 2 and "(run run-that-was-killed)" in out
    assert "redrive: 2 record(s) were not sent and are still in place" in err and "taken over after 20" in err
    assert _exists(seeded, seeded.keys["a_old"]) and _exists(seeded, seeded.keys["a_new"])


def test_a_sent_records_claim_stays_so_a_late_reader_skips_it(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run B sends and moves a record between run A's read of it and A's claim: A must not send it again."""
    key = seeded.keys["a_old"]
    other = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, seeded.moto.endpoint))
    real_read = reading.read_records

    def read_then_let_b_run(*args: Any) -> Iterator[Any]:
        monkeypatch.setattr(redrive_run, "read_records", real_read)  # B reads as usual
        for item in real_read(*args):  # A has read the record; B runs to the end before A goes on
            selection = reading.Selection(keys=[key])
            assert redrive.run_redrive(other, selection, dry_run=False, out=io.StringIO(), pace=BRIEF) == 0
            yield item

    monkeypatch.setattr(redrive_run, "read_records", read_then_let_b_run)
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0 and len(invokes) == 1, "B sent it; A did not"
    assert f"skipped {key}: another redrive claimed it" in out
    claims = seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix="redrive-claims/")["Contents"]
    assert [c["Key"] for c in claims] == [f"redrive-claims/{key}"], "the sent record's claim stays"


def test_a_refused_invoke_releases_its_claim(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, invokes: list[dict[str, Any]]
) -> None:
    _lambda_answers(monkeypatch, "fn_b", 404, "ResourceNotFoundException", times=1)
    code, _, _ = run(seeded.moto, capsys, "redrive", "--function", "fn_b")
    assert code == 1
    assert "Contents" not in seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix="redrive-claims/")
    code, out, _ = run(seeded.moto, capsys, "redrive", "--function", "fn_b")
    assert code == 0 and "redrive: sent 1, skipped 0, failed 0" in out, "nothing went out, so no claim holds it back"


def test_redrive_reads_records_as_it_sends_them(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory holds a few batches, not every record: the first invoke comes before most records are read."""
    for index in range(200):
        seeded.put(f"s{index}", "fn_a", "RetriesExhausted", {"n": index}, age=timedelta(minutes=index + 1),
                   error=True)  # fmt: skip
    calls: list[str] = []
    lock = threading.Lock()

    def log(name: str) -> Callable[..., None]:
        def handler(**_: Any) -> None:
            with lock:
                calls.append(name)

        return handler

    on_aws_event(monkeypatch, "before-send.s3.GetObject", log("get"))
    on_aws_event(monkeypatch, "before-send.lambda.Invoke", log("invoke"))
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all", "--concurrency", "2")
    assert code == 0 and "redrive: sent 203, skipped 0, failed 0" in out
    assert calls.count("get") == 203 and calls.count("invoke") == 203
    assert calls.index("invoke") <= 32, "the first send waits for one batch of reads, not for all of them"
    most_ahead = max(calls[: i + 1].count("get") - calls[: i + 1].count("invoke") for i in range(len(calls)))
    assert most_ahead <= 32 + 2 * 2 + 2 + 32, "reads run at most a batch and the send window ahead of the sends"


def test_a_record_moved_between_listing_and_reading_is_skipped(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, invokes: list[dict[str, Any]]
) -> None:
    key = seeded.keys["a_new"]

    def listed_then_moved(parsed: dict[str, Any], **_: Any) -> None:
        """Once S3 has listed the record, before the run reads it, it goes."""
        if any(item["Key"] == key for item in parsed.get("Contents", [])):
            seeded.s3.delete_object(Bucket=BUCKET, Key=key)

    on_aws_event(monkeypatch, "after-call.s3.ListObjectsV2", listed_then_moved)
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all")
    assert code == 0 and len(invokes) == 2
    assert f"skipped {key}: it is gone (another redrive moved it, or it was deleted)" in out
    assert "redrive: sent 2, skipped 1, failed 0" in out


def test_redrive_limit_takes_the_newest_and_sends_them_oldest_first(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all", "--limit", "2", "--concurrency", "1")
    assert code == 0, out
    assert _sent_payloads(invokes) == [seeded.payloads[k] for k in ("a_new", "b_big")]
    newer = seeded.put("a_newer", "fn_a", "EventAgeExceeded", {}, age=timedelta(minutes=1), error=False)
    invokes.clear()
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all", "--condition", "RetriesExhausted", "--limit", "1")
    assert code == 0 and "redrive: sent 1, skipped 0, failed 0" in out
    assert _sent_payloads(invokes) == [seeded.payloads["a_old"]], "the newest record of that condition"
    assert seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix=newer)["KeyCount"] == 1


def test_redrive_warns_when_the_function_is_throttled(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    seeded.moto.client("lambda").put_function_concurrency(FunctionName="fn_b", ReservedConcurrentExecutions=0)
    code, _, err = run(seeded.moto, capsys, "redrive", "--function", "fn_b")
    assert code == 0
    assert "warning: fn_b has reserved concurrency 0, so Lambda records every redriven event again at once" in err


def test_redrive_needs_a_selection(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(seeded.moto, capsys, "redrive")
    assert code == 2 and "say which records to redrive" in err


def test_redrive_goes_on_past_malformed_objects(
    malformed: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    code, out, err = run(malformed.moto, capsys, "redrive", "--all")
    assert code == 1, "three objects could not be redriven"
    assert len(invokes) == 3 and "redrive: sent 3, skipped 0, failed 3" in out
    assert err.count("warning: aws/lambda/async/fn_broken/") == 3


# --- errors that stop a command ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ExpiredToken", "the AWS credentials have expired"),
        ("AccessDenied", "access denied"),
        ("InvalidAccessKeyId", "the AWS credentials are not valid"),
    ],
)
def test_credential_and_access_errors_are_explained(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, code: str, message: str
) -> None:

    body = f"<Error><Code>{code}</Code><Message>{code} from the test</Message></Error>".encode()
    on_aws_event(monkeypatch, "before-send.s3.ListObjectsV2", _answer_403(body))
    status, out, err = run(seeded.moto, capsys, "list")
    assert status == 2 and out == ""
    assert err.startswith("error: cannot list") and message in err and "Traceback" not in err


def test_no_credentials_is_explained(
    aws_env: Moto, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = run(aws_env, capsys, "list")
    assert code == 2 and "no AWS credentials found" in err


def test_bucket_from_terraform_outputs(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(
        project, "terraform_outputs", lambda directory: {"failure_bucket_name": BUCKET, "region": REGION}
    )
    code = main(
        ["failures", "list", "--from-terraform", str(tmp_path), "--endpoint-url", seeded.moto.endpoint, "--json"]
    )
    assert code == 0 and len(capsys.readouterr().out.splitlines()) == 3


def test_no_bucket_and_no_state_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["failures", "list"]) == 2
    assert "no bucket given" in capsys.readouterr().err


def test_render_never_imports_boto3() -> None:
    import subprocess
    import sys

    modules = "generator.cli.main, generator.render.project, generator.output.files"
    code = f"import sys, {modules}; print('boto3' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_stdout_stays_clean_for_pipes(seeded: Seeded) -> None:
    """--json output can be piped: the status line and progress bar go to a terminal only."""
    aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, seeded.moto.endpoint))
    out = io.StringIO()
    assert commands.run_list(aws, reading.Selection(limit=2), as_json=True, out=out) == 0
    assert all(json.loads(line) for line in out.getvalue().splitlines())


# --- hostile and broken records ----------------------------------------------------------------


def _put_raw(seeded: Seeded, function: str, body: bytes, when: datetime | None = None) -> str:
    key = record_key(function, when or now() - timedelta(minutes=3))
    seeded.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def _poisoned(request_id: str, **changes: Any) -> bytes:
    document = json.loads(record_body("fn_a", "RetriesExhausted", {"ok": 1}, now(), request_id=request_id, error=True))
    document.update(changes)
    return json.dumps(document).encode()


@pytest.fixture
def poisoned(seeded: Seeded) -> Seeded:
    """Records that once crashed list, show and redrive outright, beside the three good ones."""
    _put_raw(seeded, "fn_a", _poisoned("rc-string", responseContext="a string"))
    _put_raw(seeded, "fn_a", _poisoned("rc-list", responseContext=[1, 2]))
    _put_raw(seeded, "fn_a", b'{"requestContext": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    _put_raw(seeded, "fn_a", _poisoned("surrogate", requestPayload={"text": "\ud800"}))
    _put_raw(seeded, "fn_a", _poisoned("count-text", requestContext={
        "requestId": "count-text", "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_a",
        "condition": "RetriesExhausted", "approximateInvokeCount": "three"}))  # fmt: skip
    seeded.s3.put_object(Bucket=BUCKET, Key="aws/lambda/async/fn_a/2026/02/30/2026-02-30T10.00.00-"
                         "4f245cb4-3b6c-4434-9c98-d3d904e37e98", Body=b"{}")  # fmt: skip
    return seeded


def test_one_bad_record_never_stops_list(poisoned: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(poisoned.moto, capsys, "list", "--json", "--limit", "100")
    assert code == 1 and "Traceback" not in err
    ids = {json.loads(line)["requestId"] for line in out.splitlines()}
    assert {"rc-string", "rc-list", "surrogate", "count-text"} <= ids and len(ids) == 7
    assert "nested too deeply" in err and "impossible time 2026-02-30T10.00.00" in err


def test_one_bad_record_never_stops_show_or_redrive(
    poisoned: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    for key in [o["Key"] for o in poisoned.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]:
        code, _, err = run(poisoned.moto, capsys, "show", key)
        assert code in (0, 1) and "Traceback" not in err, key
    code, out, err = run(poisoned.moto, capsys, "redrive", "--all")
    assert code == 1 and "redrive: sent 7, skipped 0, failed 2" in out
    assert len(invokes) == 7


def test_a_number_too_long_for_python_stops_no_command(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    """Valid JSON with a 5,000-digit integer, which any caller of the function can cause: every command reads it."""
    giant = "9" * 5000
    body = _poisoned("giant", requestPayload={"placeholder": 0}, responsePayload={"errorType": "E", "n": 0})
    body = body.replace(b'{"placeholder": 0}', b'{"n": ' + giant.encode() + b"}").replace(b'"n": 0', giant.encode()
                        .join([b'"n": ', b""]))  # fmt: skip
    key = _put_raw(seeded, "fn_a", body)
    code, out, err = run(seeded.moto, capsys, "list", "--json")
    assert code == 0 and "Traceback" not in err and len(out.splitlines()) == 4, err
    code, out, err = run(seeded.moto, capsys, "show", key)
    assert code == 0 and giant in out, err
    code, out, err = run(seeded.moto, capsys, "stats", "--by", "error_type")
    assert code == 0 and "Traceback" not in err
    code, out, err = run(seeded.moto, capsys, "redrive", "--all")
    assert code == 0 and "redrive: sent 4, skipped 0, failed 0" in out, err
    sent = [call["body"] for call in invokes]
    assert ('{"n": ' + giant + "}").encode() in [b if isinstance(b, bytes) else b.encode() for b in sent]


def test_stats_keeps_a_literal_dash_apart_from_no_error_type(
    seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.loads(_poisoned("dash"))
    body["responsePayload"]["errorType"] = "-"
    _put_raw(seeded, "fn_a", json.dumps(body).encode())
    code, out, _ = run(seeded.moto, capsys, "stats", "--by", "error_type", "--json")
    counts = {row["error_type"]: row["records"] for row in map(json.loads, out.splitlines())}
    assert code == 0 and counts == {"ForcedError": 2, "-": 1, None: 1}


def test_show_escapes_what_a_record_would_do_to_a_terminal(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(record_body("fn_a", "RetriesExhausted", {}, now(), request_id="r\x1b[2J", error=True))
    document["responsePayload"]["errorMessage"] = "boom\x1b]0;owned\x07\x1b[31m red \u202e"
    document["responsePayload"]["stackTrace"] = ["\x1b[1A\x1b[2Koverwritten"]
    document["requestPayload"] = {"note": "\x9b31m C1 and \ud800 lone"}
    key = _put_raw(seeded, "fn_a", json.dumps(document).encode())
    for argv in (["show", key], ["list"]):
        code, out, _ = run(seeded.moto, capsys, *argv)
        assert code == 0
        assert not [c for c in out if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c == "\u202e"]
    code, out, _ = run(seeded.moto, capsys, "show", key)
    assert "boom\\x1b]0;owned\\x07\\x1b[31m red \\u202e" in out and "\\ud800" in out and "\\x9b31m" in out


# --- redrive invokes only what the key names, with the exact payload ---------------------------


def _with_arn(seeded: Seeded, function: str, arn: str, payload_text: str = '{"n": 1}') -> str:
    body = record_body(function, "RetriesExhausted", {}, now(), request_id=str(uuid.uuid4()), error=True)
    document = json.loads(body)
    document["requestContext"]["functionArn"] = arn
    text = json.dumps(document).replace('"requestPayload": {}', f'"requestPayload": {payload_text}')
    return _put_raw(seeded, function, text.encode())


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_b", "names 'fn_b', but it is stored under fn_a"),
        (f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:fn_a", "is in eu-west-1 of account 123456789012"),
        (f"arn:aws:lambda:{REGION}:999999999999:function:fn_a", "of account 999999999999, not in the bucket's"),
        ("arn:aws:sqs:us-east-1:123456789012:q", "is not a Lambda function ARN"),
    ],
)
def test_a_record_whose_arn_disagrees_with_its_key_is_left_in_place(
    aws_env: Moto, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], arn: str, problem: str
) -> None:
    aws_env.client("s3").create_bucket(Bucket=BUCKET)
    key = _with_arn(Seeded(aws_env, aws_env.client("s3")), "fn_a", arn)
    code, out, _ = run(aws_env, capsys, "redrive", "--all")
    assert code == 1 and invokes == []
    assert f"failed {key}: its functionArn" in out and problem in out and "the record stays" in out
    assert aws_env.client("s3").head_object(Bucket=BUCKET, Key=key)


@pytest.mark.parametrize(("qualifier", "invoked"), [("live", "fn_a:live"), ("7", "fn_a:7"), ("$LATEST", "fn_a")])
def test_redrive_keeps_the_qualifier_of_the_same_function(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], qualifier: str, invoked: str
) -> None:
    key = _with_arn(seeded, "fn_a", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_a:{qualifier}")
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0, out
    assert unquote(invokes[0]["function"]).split("/")[3] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{invoked}"


def test_an_alias_gets_its_redriven_events_and_wait_reads_and_invokes_it(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    """A published function whose invoke config is on its alias: the alias is what redrive and wait must use."""
    lam = seeded.moto.client("lambda")
    version = lam.publish_version(FunctionName="fn_a")["Version"]
    alias_arn = lam.create_alias(FunctionName="fn_a", Name="live", FunctionVersion=version)["AliasArn"]
    lam.put_function_event_invoke_config(
        FunctionName="fn_a", Qualifier="live", MaximumRetryAttempts=0, MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{BUCKET}"}},
    )  # fmt: skip
    key = _with_arn(seeded, "fn_a", alias_arn)
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0 and f"sent {key} to {alias_arn};" in out
    invokes.clear()
    code, _, err = run(seeded.moto, capsys, "wait", "--function", "fn_a", "--qualifier", "live", "--invoke",
                       "--timeout", "1", "--interval", "1")  # fmt: skip
    assert code == 1 and unquote(invokes[0]["function"]).split("/")[3] == "fn_a:live"
    assert "Invoked fn_a:live asynchronously" in err
    assert f"expected {expected_record(None, 0, 120)}" in err, "the alias's settings, not the bare function's"


def test_redrive_sends_the_payload_byte_for_byte(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    exact = '{"big": 12345678901234567890, "tiny": 1e-400, "huge": 1e400, "text": "caf\\u00e9", "x":[ 1 ,2 ]}'
    key = _with_arn(seeded, "fn_a", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_a", exact)
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0, out
    assert invokes[0]["body"] == exact.encode()


def test_show_prints_numbers_as_written(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    exact = '{"big": 12345678901234567890, "tiny": 1e-400, "huge": 1e400}'
    key = _with_arn(seeded, "fn_a", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_a", exact)
    code, out, _ = run(seeded.moto, capsys, "show", key)
    assert code == 0
    assert '"big": 12345678901234567890,\n    "tiny": 1e-400,\n    "huge": 1e400' in out


# --- two operators at once ---------------------------------------------------------------------


def test_two_concurrent_redrives_send_each_event_once(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(60):
        seeded.put(f"c{index}", "fn_a", "RetriesExhausted", {"n": index}, age=timedelta(minutes=1), error=True)
    results: list[int] = []

    def operator() -> None:
        aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, seeded.moto.endpoint))
        patient = redrive.Pace(held_wait_seconds=30.0)  # each waits for what the other claimed
        results.append(redrive.run_redrive(aws, reading.Selection(), dry_run=False, out=io.StringIO(), pace=patient))

    threads = [threading.Thread(target=operator) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [json.loads(call["body"]) for call in invokes]
    assert results == [0, 0]
    assert len(sent) == 63 and len({json.dumps(p, sort_keys=True) for p in sent}) == 63, "each event exactly once"
    left = {o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    moved = {k for k in left if k.startswith("redriven/")}
    claims = {k for k in left if k.startswith("redrive-claims/")}
    assert len(moved) == 63 and moved | claims == left, "all moved"
    assert claims == {k.replace("redriven/", "redrive-claims/", 1) for k in moved}, "each sent record's claim stays"


def test_a_fresh_claim_is_respected_and_an_expired_one_taken_over(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = seeded.keys["a_old"]
    seeded.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b"{}")
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 1 and invokes == [] and f"skipped {key}: redrive-claims/{key} holds it" in out
    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)  # the claim's run died long ago
    code, out, _ = run(seeded.moto, capsys, "redrive", key)
    assert code == 0 and len(invokes) == 1 and f"sent {key}" in out


def test_held_wait_says_how_long_a_run_waits_for_a_claimed_record(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    """--held-wait is the wait for records another live run claimed; 0 reports them without waiting."""
    key = seeded.keys["a_old"]
    seeded.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b"{}")
    code, out, err = run(seeded.moto, capsys, "redrive", key, "--held-wait", "0.3")
    assert code == 1 and invokes == [] and "waiting up to 0.3 s for 1 record(s) another claim holds" in err
    code, out, err = run(seeded.moto, capsys, "redrive", key, "--held-wait", "0")
    assert code == 1 and invokes == [] and "waiting up to" not in err
    assert f"skipped {key}: redrive-claims/{key} holds it" in out


# --- failures along the way, and bad operator input --------------------------------------------


def test_losing_the_endpoint_mid_redrive_says_what_was_sent_and_where_the_rest_are(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import EndpointConnectionError

    calls: list[int] = []

    def cut(**_: Any) -> None:
        calls.append(1)
        if len(calls) > 1:
            raise EndpointConnectionError(endpoint_url=seeded.moto.endpoint)

    on_aws_event(monkeypatch, "before-send.lambda.Invoke", cut)
    code, _, err = run(seeded.moto, capsys, "redrive", "--all")
    assert code == 2 and "Traceback" not in err
    assert "after sending 1 record(s); the records not sent are still in s3://" in err
    assert "held by its claim until 20" in err and "run the same redrive again after that" in err
    assert len({o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix="aws/")["Contents"]}) == 2


def test_a_refused_delete_of_an_already_redriven_record_is_reported(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    key = seeded.keys["a_old"]
    seeded.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b"{}")  # a dead run's, long ago
    seeded.s3.copy_object(Bucket=BUCKET, Key=f"redriven/{key}", CopySource={"Bucket": BUCKET, "Key": key})
    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)
    body = b"<Error><Code>AccessDenied</Code><Message>no delete for you</Message></Error>"
    on_aws_event(monkeypatch, "before-send.s3.DeleteObject", _answer_403(body))
    code, out, err = run(seeded.moto, capsys, "redrive", key)
    assert code == 1 and "Traceback" not in err
    assert f"failed {key}: already redriven, but the original could not be removed: access denied" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list", "--since", "999999999d"], "reaches before the year 1"),
        (["list", "--endpoint-url", "not a url"], "must be an http:// or https:// URL"),
        (["wait", "--function", "f", "--interval", "-1"], "must be a positive number of seconds"),
        (["wait", "--function", "f", "--timeout", "nan"], "must be a positive number of seconds"),
        (["redrive", "--all", "--held-wait", "-1"], "must be 0 or a positive number of seconds"),
        (["list", "--bucket", "no spaces allowed"], "is not an S3 bucket name"),
        (["list", "--limit", "many"], "must be a whole number"),
        (["list", "--from-terraform", "/no/such/dir"], "directory not found"),
    ],
)
def test_bad_operator_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    full = ["failures", *argv]
    if "--bucket" not in argv and "--from-terraform" not in argv:
        full += ["--bucket", BUCKET]
    try:
        code = main(full)
    except SystemExit as exited:  # argparse refuses it before any command runs
        code = int(exited.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["show", "aws/lambda/async/f/2026/01/01/2026-01-01T00.00.00-" + "0" * 36],
                                  ["list"], ["redrive", "--all"]])  # fmt: skip
def test_a_dead_endpoint_is_one_line_and_exit_2(
    argv: list[str], aws_env: Moto, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["failures", *argv[:1], "--bucket", BUCKET, "--endpoint-url", "http://127.0.0.1:9", "--region",
                 REGION, *argv[1:]])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "cannot reach" in err and err.count("\n") == 1


def test_wait_invoke_without_a_region_is_one_line(aws_env: Moto, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    aws_env.client("s3").create_bucket(Bucket=BUCKET)
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    code = main(["failures", "wait", "--bucket", BUCKET, "--endpoint-url", aws_env.endpoint, "--function", "f",
                 "--invoke", "--timeout", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "no AWS region; pass --region or set AWS_REGION" in err


def test_list_into_a_closed_pipe_ends_quietly(seeded: Seeded) -> None:
    import subprocess
    import sys

    command = (
        f"{sys.executable} -m generator failures list --bucket {BUCKET} --endpoint-url {seeded.moto.endpoint} "
        f"--region {REGION} | true"
    )  # true exits without reading: every write meets a closed pipe
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    result = subprocess.run(command, shell=True, capture_output=True, text=True, check=False,
                            env={**os.environ, **credentials})  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


# --- redriven records, and keys as S3 URLs -----------------------------------------------------


def test_redriven_records_can_be_listed_and_shown_but_not_redriven_again(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    key = seeded.keys["a_old"]
    assert run(seeded.moto, capsys, "redrive", key)[0] == 0
    code, out, _ = run(seeded.moto, capsys, "list", "--redriven", "--json")
    assert code == 0 and [json.loads(line)["key"] for line in out.splitlines()] == [f"redriven/{key}"]
    code, out, _ = run(seeded.moto, capsys, "list", "--json")
    assert key not in out
    for argv in (["show", f"redriven/{key}"], ["show", "--redriven", key]):
        code, out, _ = run(seeded.moto, capsys, *argv)
        assert code == 0 and f"Key:         redriven/{key}" in out and '"forceError": true' in out
    invokes.clear()
    code, out, _ = run(seeded.moto, capsys, "redrive", f"redriven/{key}")
    assert code == 1 and invokes == [] and "it was redriven already, so it is not sent" in out
    assert f"python -m generator failures redrive --again redriven/{key}" in out, "it names the way to send it"


def test_again_sends_a_redriven_record_once_however_many_operators_ask(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = seeded.keys["a_old"]
    assert run(seeded.moto, capsys, "redrive", key)[0] == 0
    invokes.clear()
    results: list[int] = []

    def operator() -> None:
        aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, seeded.moto.endpoint))
        selection = reading.Selection(keys=[f"redriven/{key}"])
        patient = redrive.Pace(held_wait_seconds=30.0)  # the second operator waits for the first one's send
        results.append(redrive.run_redrive(aws, selection, dry_run=False, out=io.StringIO(), again=True, pace=patient))

    threads = [threading.Thread(target=operator) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0, 0] and len(invokes) == 1, "sent once; the others saw it sent"
    assert json.loads(invokes[0]["body"]) == seeded.payloads["a_old"]
    assert _exists(seeded, f"redriven/{key}") and not _exists(seeded, key), "it stays under redriven/"

    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)  # later, asked once more: sent once more, by key alone
    code, out, _ = run(seeded.moto, capsys, "redrive", "--again", key)
    assert code == 0 and len(invokes) == 2 and f"sent redriven/{key} again" in out


@pytest.mark.parametrize("argv", [["--again"], ["--again", "--all"], ["--again", "--function", "fn_a", "KEY"]])
def test_again_takes_keys_and_nothing_else(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]], argv: list[str]
) -> None:
    code, _, err = run(seeded.moto, capsys, "redrive", *argv)
    assert code == 2 and "--again sends exactly the records you name" in err and invokes == []


def test_again_refuses_a_record_not_yet_redriven(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    aws = ops_aws.Aws(ops_aws.Target(BUCKET, REGION, seeded.moto.endpoint))
    selection = reading.Selection(keys=[seeded.keys["a_old"]])
    code = redrive.run_redrive(aws, selection, False, io.StringIO(), again=True, pace=BRIEF)
    assert code == 1 and invokes == []


def test_redrive_into_a_closed_pipe_stops_and_exits_1(seeded: Seeded) -> None:
    """`redrive --all | head -n 2`: the lines stop, so the sending stops, and the exit says records are left."""
    import subprocess
    import sys

    for index in range(40):
        seeded.put(f"p{index}", "fn_a", "RetriesExhausted", {"n": index}, age=timedelta(minutes=1), error=True)
    command = (
        f"{sys.executable} -m generator failures redrive --all --bucket {BUCKET} --endpoint-url "
        f"{seeded.moto.endpoint} --region {REGION} --concurrency 1 | head -n 2; exit ${{PIPESTATUS[0]}}"
    )
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False,
                            env={**os.environ, **credentials})  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "stopped early, since standard output was closed" in result.stderr
    left = [o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix="aws/").get("Contents", [])]
    moved = [o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET, Prefix="redriven/").get("Contents", [])]
    assert left and len(left) + len(moved) == 43, "what was not sent is still in place"


def test_show_takes_an_s3_url(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    key = seeded.keys["a_new"]
    code = main(["failures", "show", f"s3://{BUCKET}/{key}", "--endpoint-url", seeded.moto.endpoint,
                 "--region", REGION])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and f"Key:         {key}" in out
    code = main(["failures", "show", f"s3://other-bucket/{key}", "--bucket", BUCKET])
    assert code == 2 and "names bucket other-bucket" in capsys.readouterr().err


def test_access_denied_on_a_record_stops_the_command_with_exit_2(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    body = b"<Error><Code>AccessDenied</Code><Message>no reading for you</Message></Error>"
    on_aws_event(monkeypatch, "before-send.s3.GetObject", _answer_403(body))
    for argv in (["show", seeded.keys["a_old"]], ["list"]):
        code, out, err = run(seeded.moto, capsys, *argv)
        assert code == 2 and out == "" and "access denied" in err and err.count("\n") == 1, err


# --- the command line speaks the user's language ------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["rendr"], "did you mean 'render'?"),
        (["failures", "lst"], "did you mean 'list'?"),
        (["render", "--conifg", "x.yaml"], "did you mean --config for --conifg?"),
        (["failures", "list", "--functon", "f"], "did you mean --function for --functon?"),
    ],
)
def test_mistyped_commands_and_options_get_a_suggestion(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and expected in err
    if argv[0] == "render" and len(argv) > 1:
        assert err.startswith("usage: generator render "), "the usage of the command typed, not the top level's"


def test_every_failures_command_describes_itself(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("list", "show", "wait", "redrive"):
        with pytest.raises(SystemExit):
            main(["failures", action, "--help"])
        help_text = capsys.readouterr().out
        description = help_text.split("\n\n")[1]
        assert description.strip() and description.strip().endswith("."), action
    with pytest.raises(SystemExit):
        main(["failures", "redrive", "--help"])
    assert "(KEY ... | --function F | --since T | --condition C | --all)" in capsys.readouterr().out


def test_wait_off_a_terminal_logs_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    status = present.Status(stream)
    monkeypatch.setattr(present.Status, "LOG_EVERY_SECONDS", 0)
    status.show("waiting: 3 s of 10 s")
    assert stream.getvalue() == "still waiting: 3 s of 10 s\n"


def test_a_project_without_a_failure_bucket_or_queue_names_where_failures_go(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:orders-on-failure"
    monkeypatch.setattr(
        project, "terraform_outputs", lambda directory: {"destinations": {"orders": {"on_failure": topic}}}
    )
    assert main(["failures", "wait", "--from-terraform", str(tmp_path), "--function", "orders"]) == 2
    err = capsys.readouterr().err
    assert "records its failures in an S3 bucket or an SQS queue" in err and f"orders: {topic}" in err


# --- reading no more than the question needs ---------------------------------------------------


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every S3 list and get the commands make, with their parameters."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for operation in ("ListObjectsV2", "GetObject"):
        on_aws_event(
            monkeypatch,
            f"provide-client-params.s3.{operation}",
            lambda params, op=operation, **_: calls.append((op, params)),
        )
    return calls


def test_since_starts_each_functions_listing_at_its_first_day(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], s3_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    old = seeded.put("old", "fn_a", "RetriesExhausted", {"n": 0}, age=timedelta(days=40), error=True)
    code, out, _ = run(seeded.moto, capsys, "list", "--json", "--since", "1d")
    assert code == 0 and old not in out and len(out.splitlines()) == 3
    day = (now() - timedelta(days=1)).strftime("%Y/%m/%d")
    starts = {p["Prefix"]: p.get("StartAfter") for op, p in s3_calls if op == "ListObjectsV2" and "Delimiter" not in p}
    assert starts == {f"aws/lambda/async/{fn}/": f"aws/lambda/async/{fn}/{day}" for fn in ("fn_a", "fn_b")}
    assert not [p for op, p in s3_calls if op == "GetObject" and p["Key"] == old], "the old day is never read"


@pytest.mark.parametrize("limit", [1, 2])
def test_limit_reads_no_more_objects_than_it_shows(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], s3_calls: list[tuple[str, dict[str, Any]]], limit: int
) -> None:
    code, out, _ = run(seeded.moto, capsys, "list", "--json", "--limit", str(limit))
    assert code == 0 and len(out.splitlines()) == limit
    assert len([1 for op, _ in s3_calls if op == "GetObject"]) == limit


# --- windows, stats, pace and qualifiers ------------------------------------------------------------


def _count_calls(monkeypatch: pytest.MonkeyPatch, operation: str) -> list[int]:
    calls: list[int] = []
    on_aws_event(monkeypatch, f"before-send.s3.{operation}", lambda **_: calls.append(1))
    return calls


def test_until_ends_each_listing_after_the_window_and_keeps_only_its_records(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for days in (3, 5, 7):
        seeded.put(f"old_{days}", "fn_a", "RetriesExhausted", {"days": days}, age=timedelta(days=days), error=True)
    window = (now() - timedelta(days=6), now() - timedelta(days=4))
    code, out, _ = run(seeded.moto, capsys, "list", "--json", "--since", window[0].isoformat(),
                       "--until", window[1].isoformat())  # fmt: skip
    assert code == 0
    assert [json.loads(line)["key"] for line in out.splitlines()] == [seeded.keys["old_5"]]
    listed: list[str] = []

    def keep(parsed: Any, **_: Any) -> None:
        listed.extend(obj["Key"] for obj in parsed.get("Contents", []))

    on_aws_event(monkeypatch, "after-call.s3.ListObjectsV2", keep)
    selection = reading.Selection(function="fn_a", since=window[0], until=window[1])
    keys, _ = reading.selected_keys(ops_aws.Aws(project.resolve_target(BUCKET, None, REGION, seeded.moto.endpoint)),
                                    selection)  # fmt: skip
    assert [k.key for k in keys] == [seeded.keys["old_5"]]
    assert seeded.keys["old_7"] not in listed, "StartAfter skips the days before the window"


@pytest.fixture
def around_midnight(aws_env: Moto) -> Seeded:
    """Two records on either side of a UTC midnight: 2026-11-29T23:00Z and 2026-11-30T01:00Z."""
    s3 = aws_env.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    seeded = Seeded(aws_env, s3)
    for name, when in (("late", datetime(2026, 11, 29, 23, tzinfo=UTC)),
                       ("early", datetime(2026, 11, 30, 1, tzinfo=UTC))):  # fmt: skip
        key = _put_raw(seeded, "fn_a", record_body("fn_a", "RetriesExhausted", {}, when, request_id=name,
                                                    error=True), when)  # fmt: skip
        seeded.keys[name] = key
    return seeded


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--since", "2026-11-30T02:00+05:00", {"late", "early"}),  # 21:00Z on the 29th
        ("--since", "2026-11-30T04:30+05:30", {"late", "early"}),  # 23:00Z exactly: at or after
        ("--since", "2026-11-30T04:31+05:30", {"early"}),  # a minute past it
        ("--until", "2026-11-29T22:00-05:00", {"late", "early"}),  # 03:00Z on the 30th
        ("--until", "2026-11-29T19:30-05:00", {"late"}),  # 00:30Z on the 30th
        ("--since", "2026-11-29T23:00Z", {"late", "early"}),
        ("--until", "2026-11-30T00:59:59Z", {"late"}),
        ("--since", "2026-11-29T22:00", {"late", "early"}),  # no offset: UTC
        ("--until", "2026-11-30T01:30+00:30", {"late", "early"}),
    ],
)
def test_a_window_with_an_offset_selects_by_the_instant(
    around_midnight: Seeded, capsys: pytest.CaptureFixture[str], option: str, value: str, expected: set[str]
) -> None:
    code, out, _ = run(around_midnight.moto, capsys, "list", "--json", option, value)
    assert code == 0 and {json.loads(line)["requestId"] for line in out.splitlines()} == expected
    code, out, _ = run(around_midnight.moto, capsys, "stats", "--by", "day", "--json", option, value)
    assert sum(json.loads(line)["records"] for line in out.splitlines()) == len(expected)
    code, out, _ = run(around_midnight.moto, capsys, "redrive", "--dry-run", option, value)
    assert f"dry run: {len(expected)} record(s) would be sent" in out


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-29T03:30+02:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # the EU's spring DST day
        ("2026-11-01T01:30-04:00", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # the US's autumn one
        ("2028-02-29T23:30-01:00", datetime(2028, 3, 1, 0, 30, tzinfo=UTC)),  # a leap day, crossed
        ("2028-03-01T00:30+01:00", datetime(2028, 2, 29, 23, 30, tzinfo=UTC)),
        ("9999-12-31T18:00-05:00", datetime(9999, 12, 31, 23, 0, tzinfo=UTC)),
        ("2026-11-30T10:00Z", datetime(2026, 11, 30, 10, tzinfo=UTC)),
    ],
)
def test_times_become_utc_instants(text: str, utc: datetime) -> None:
    from generator.ops.records import parse_since

    moment = parse_since(text, now())
    assert moment == utc and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["9999-12-31T23:00-05:00", "0001-01-01T00:30+01:00"])
def test_a_time_outside_the_utc_years_is_one_line(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["failures", "list", "--bucket", BUCKET, "--since", text])
    err = capsys.readouterr().err
    assert code == 2 and "is outside the years 1 to 9999 in UTC" in err and "Traceback" not in err


def test_until_before_since_is_refused(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(seeded.moto, capsys, "list", "--since", "1h", "--until", "2h")
    assert code == 2 and "--until 2h is before --since 1h" in err


def test_stats_by_function_and_day_reads_no_record(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gets = _count_calls(monkeypatch, "GetObject")
    code, out, _ = run(seeded.moto, capsys, "stats", "--by", "function,day", "--json")
    assert code == 0 and gets == []
    rows = [json.loads(line) for line in out.splitlines()]
    by_function = {row["function"]: 0 for row in rows}
    for row in rows:
        by_function[row["function"]] += row["records"]
    assert by_function == {"fn_a": 2, "fn_b": 1}


def test_stats_by_condition_and_error_counts_every_record_once(
    malformed: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(malformed.moto, capsys, "stats", "--by", "condition,error_type")
    assert code == 1, "the malformed objects are reported"
    lines = out.splitlines()
    assert lines[0].split() == ["CONDITION", "ERROR", "TYPE", "RECORDS"]
    assert lines[1].split() == ["RetriesExhausted", "ForcedError", "2"]
    assert lines[2].split() == ["EventAgeExceeded", "(none)", "1"]
    assert lines[3].split() == ["total", "3"]
    assert err.count("warning: aws/lambda/async/fn_broken/") == 3


def test_stats_refuses_an_unknown_dimension(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(seeded.moto, capsys, "stats", "--by", "function,colour")
    assert exit_info.value.code == 2
    assert "must be distinct names from function, day, condition, error_type" in capsys.readouterr().err


def test_redrive_to_a_qualifier_sends_every_event_there(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    lam = seeded.moto.client("lambda")
    version = lam.publish_version(FunctionName="fn_a")["Version"]
    lam.create_alias(FunctionName="fn_a", Name="live", FunctionVersion=version)
    code, out, _ = run(seeded.moto, capsys, "redrive", "--function", "fn_a", "--to-qualifier", "live")
    assert code == 0, out
    assert [unquote(c["function"]).split("/")[3] for c in invokes] == [
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_a:live"
    ] * 2, "the records name $LATEST; --to-qualifier overrides it"


@pytest.mark.parametrize("bad", ["a b", "", "x" * 129, "v1;rm"])
def test_a_qualifier_that_lambda_would_refuse_is_refused_first(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    with pytest.raises(SystemExit):
        run(seeded.moto, capsys, "redrive", "--all", "--to-qualifier", bad)
    assert "is not a version or alias name" in capsys.readouterr().err


def test_concurrent_redrive_sends_each_record_exactly_once(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    for index in range(30):
        seeded.put(f"extra_{index}", "fn_b", "RetriesExhausted", {"n": index}, age=timedelta(minutes=index + 1),
                   error=True)  # fmt: skip
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all", "--concurrency", "8")
    assert code == 0, out
    sent = sorted(json.dumps(p, sort_keys=True) for p in _sent_payloads(invokes))
    assert sent == sorted(json.dumps(p, sort_keys=True) for p in seeded.payloads.values())
    assert "redrive: sent 33, skipped 0, failed 0 in " in out
    assert len(out.splitlines()) == 34, "each record's line is written whole"


def test_the_pacer_spaces_starts_by_the_rate_across_threads() -> None:
    clock = [100.0]
    starts: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            starts.append(clock[0] + seconds)

    pacer = redrive_run.Pacer(rate=4, clock=lambda: clock[0], sleep=sleep)
    threads = [threading.Thread(target=pacer.wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(starts) == [100.0 + i * 0.25 for i in range(8)], "4 a second, however many threads ask"
    assert redrive_run.Pacer(rate=None).interval == 0.0


# --- payload limits and canaries ----------------------------------------------------------------


def test_a_payload_lambda_would_refuse_is_reported_on_every_run_and_never_claimed_or_sent(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    key = seeded.put("huge", "fn_a", "RetriesExhausted", {"blob": "x" * (1024 * 1024)}, age=timedelta(minutes=1),
                     error=True)  # fmt: skip
    for _ in range(2):
        code, out, _ = run(seeded.moto, capsys, "redrive", key)
        assert code == 1 and invokes == []
        assert f"failed {key}: its payload is 1,048,588 bytes, and Lambda accepts at most 1,048,576" in out
    listed = {o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert key in listed and f"redrive-claims/{key}" not in listed, "it stays, and no claim holds it"


def test_a_canary_from_the_bucket_runs_synchronously_and_a_failure_keeps_the_rest(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_queue_failures import _recorded_invoke

    calls: list[str] = []
    on_aws_event(monkeypatch, "before-send.lambda.Invoke", _recorded_invoke(calls, failing=True))
    code, out, err = run(seeded.moto, capsys, "redrive", "--function", "fn_a", "--canary", "1")
    assert code == 1 and calls == ["RequestResponse"]
    assert f"canary {seeded.keys['a_old']} to arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn_a: failed" in out
    assert "nothing after it was sent" in err
    listed = {o["Key"] for o in seeded.s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {seeded.keys["a_old"], seeded.keys["a_new"]} <= listed, "the canary's record and the rest stay"
    assert f"redrive-claims/{seeded.keys['a_old']}" not in listed, "its claim is released for the next run"


def test_canaries_that_pass_are_moved_and_the_rest_sent_asynchronously(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_queue_failures import _recorded_invoke

    calls: list[str] = []
    on_aws_event(monkeypatch, "before-send.lambda.Invoke", _recorded_invoke(calls, failing=False))
    code, out, _ = run(seeded.moto, capsys, "redrive", "--all", "--canary", "2")
    assert code == 0 and calls == ["RequestResponse", "RequestResponse", "Event"]
    assert out.count(": succeeded") == 2 and out.count("moved to redriven/") == 3


def test_wait_refuses_a_payload_lambda_would_refuse_before_invoking(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], invokes: list[dict[str, Any]]
) -> None:
    payload = json.dumps({"blob": "x" * (1024 * 1024)})
    code, _, err = run(seeded.moto, capsys, "wait", "--function", "fn_a", "--invoke", "--payload", payload)
    assert code == 2 and invokes == [] and "--payload: its payload is 1,048,588 bytes" in err


def test_the_sandbox_lets_exactly_one_of_many_conditional_writes_win(seeded: Seeded) -> None:
    """Redrive's claims rest on S3's If-None-Match: moto checked, then wrote, so two at once could both win."""
    import sys

    import botocore.exceptions

    writers = 16
    clients = [seeded.moto.client("s3") for _ in range(writers)]
    for client in clients:  # each opens its connection before the race
        client.head_bucket(Bucket=BUCKET)

    def claim(client: Any, start: threading.Barrier, wins: list[int]) -> None:
        start.wait()
        try:
            client.put_object(Bucket=BUCKET, Key="redrive-claims/contested", Body=b"{}", IfNoneMatch="*")
        except botocore.exceptions.ClientError as exc:
            assert exc.response["Error"]["Code"] in ("PreconditionFailed", "412")
            return
        wins.append(1)

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the server runs in this process: its threads interleave as under load
    try:
        for attempt in range(40):  # the race was won twice in about one attempt in ten
            seeded.s3.delete_object(Bucket=BUCKET, Key="redrive-claims/contested")
            start, wins = threading.Barrier(writers), list[int]()
            threads = [threading.Thread(target=claim, args=(client, start, wins)) for client in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(wins) == 1, f"attempt {attempt}: {len(wins)} writers won one claim"
    finally:
        sys.setswitchinterval(switching)
