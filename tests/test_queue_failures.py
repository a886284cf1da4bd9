"""The failures commands on an SQS queue destination, against the moto server: looking never moves a record into
the dead-letter queue, and redrive's claim (the visibility timeout) sends each record once."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from generator.cli.main import main
from generator.ops import aws as ops_aws
from generator.ops import project, queues, reading, redrive
from tests.harness import Moto
from tests.test_failures import ACCOUNT, REGION, aws_env, invokes, on_aws_event, record_body  # noqa: F401

QUEUE, DEAD_LETTER, FUNCTION = "enrich-on-failure", "enrich-on-failure-dlq", "enrich"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"
MAX_RECEIVES = 5  # what the created queues allow (DEFAULT_SQS_MAX_RECEIVE_COUNT)


class Queued:
    """A function whose records go to a queue with a dead-letter queue, as the rendered project creates them."""

    def __init__(self, moto: Moto) -> None:
        self.moto, self.sqs = moto, moto.client("sqs")
        dead = self.sqs.create_queue(QueueName=DEAD_LETTER)["QueueUrl"]
        dead_arn = self.sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": MAX_RECEIVES})
        self.url = self.sqs.create_queue(QueueName=QUEUE, Attributes={"RedrivePolicy": policy})["QueueUrl"]
        self.dead_url = dead
        iam, lam = moto.client("iam"), moto.client("lambda")
        role = iam.create_role(RoleName="queued-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam.create_function(FunctionName=FUNCTION, Runtime="python3.13", Role=role, Handler="handler.handler",
                            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})  # fmt: skip
        self.request_ids: list[str] = []

    def put(self, payload: Any, *, condition: str = "RetriesExhausted", age: timedelta = timedelta(minutes=5),
            function: str = FUNCTION, dead: bool = False) -> str:  # fmt: skip
        request_id = str(uuid.uuid4())
        when = datetime.now(UTC).replace(microsecond=0) - age
        body = record_body(function, condition, payload, when, request_id=request_id, error=True).decode()
        self.sqs.send_message(QueueUrl=self.dead_url if dead else self.url, MessageBody=body)
        self.request_ids.append(request_id)
        return request_id

    def counts(self, url: str) -> tuple[int, int]:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def expire_claims(self) -> None:
        """Time passes: every message out of sight shows again, as when a dead run's visibility timeout ends."""
        from moto.backends import get_backend

        for name in (QUEUE, DEAD_LETTER):
            for message in get_backend("sqs")[ACCOUNT][REGION].queues[name]._messages:
                message.change_visibility(0)


@pytest.fixture
def queued(aws_env: Moto, monkeypatch: pytest.MonkeyPatch) -> Queued:  # noqa: F811
    monkeypatch.setattr(project, "terraform_outputs", lambda directory: {
        "region": REGION, "destinations": {FUNCTION: {"on_failure": QUEUE_ARN, "on_success": None}}})  # fmt: skip
    return Queued(aws_env)


def failures(queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["failures", argv[0], "--from-terraform", str(tmp_path), "--endpoint-url", queued.moto.endpoint,
                 *argv[1:]])  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def aws_of(queued: Queued) -> ops_aws.Aws:
    return ops_aws.Aws(ops_aws.Target(bucket="", region=REGION, endpoint_url=queued.moto.endpoint,
                                      queues={FUNCTION: QUEUE_ARN}))  # fmt: skip


def test_list_reads_the_queue_and_its_dead_letter_queue_and_shows_every_message_again(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = queued.put({"n": 1}, age=timedelta(hours=2))
    new = queued.put({"n": 2}, age=timedelta(minutes=1))
    dead = queued.put({"n": 3}, age=timedelta(minutes=30), dead=True)
    code, out, err = failures(queued, capsys, tmp_path, "list", "--function", FUNCTION, "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert [row["key"] for row in rows] == [f"sqs:{QUEUE}/{new}", f"sqs:{DEAD_LETTER}/{dead}", f"sqs:{QUEUE}/{old}"]
    assert {row["function"] for row in rows} == {FUNCTION} and rows[0]["errorType"] == "ForcedError"
    assert queued.counts(queued.url) == (2, 0) and queued.counts(queued.dead_url) == (1, 0), "all shown again"


def test_looking_again_and_again_never_moves_a_record_into_the_dead_letter_queue(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = [queued.put({"n": n}) for n in range(3)]
    renewed_notes = 0
    for _ in range(3 * MAX_RECEIVES):  # three times the receives that would move each message
        code, out, err = failures(queued, capsys, tmp_path, "list", "--function", FUNCTION, "--json")
        assert code == 0 and sorted(json.loads(line)["requestId"] for line in out.splitlines()) == sorted(ids)
        renewed_notes += "were 1 receive(s) or fewer from its maxReceiveCount (5)" in err
        assert queued.counts(queued.dead_url) == (0, 0), "a look moved a record to the dead-letter queue"
    assert queued.counts(queued.url) == (3, 0) and renewed_notes >= 3


def test_a_message_at_its_receive_limit_is_renewed_not_moved(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    request_id = queued.put({"n": 1})
    for _ in range(MAX_RECEIVES - 1):  # another consumer received it up to one short of the limit, and let it go
        assert queued.sqs.receive_message(QueueUrl=queued.url, VisibilityTimeout=0)["Messages"]
    code, out, err = failures(queued, capsys, tmp_path, "stats", "--function", FUNCTION, "--json")
    assert code == 0 and json.loads(out) == {"function": FUNCTION, "condition": "RetriesExhausted", "records": 1}
    assert "1 message(s) in enrich-on-failure were 1 receive(s) or fewer from its maxReceiveCount (5)" in err
    again = queued.sqs.receive_message(QueueUrl=queued.url, AttributeNames=["ApproximateReceiveCount"],
                                       VisibilityTimeout=0)["Messages"]  # fmt: skip
    # Renewed: its count started again (one receive by the pass that renewed it, as its copy came round, and this).
    assert int(again[0]["Attributes"]["ApproximateReceiveCount"]) == 2
    assert queued.counts(queued.dead_url) == (0, 0)
    code, out, _ = failures(queued, capsys, tmp_path, "show", f"sqs:{QUEUE}/{request_id}")
    assert code == 0 and f"Request ID:  {request_id}" in out


def test_a_record_another_consumer_pushed_into_the_dead_letter_queue_is_still_read(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    request_id = queued.put({"n": 1})
    for _ in range(MAX_RECEIVES):  # a consumer used every receive; SQS moves it on the next
        assert queued.sqs.receive_message(QueueUrl=queued.url, VisibilityTimeout=0)["Messages"]
    code, out, _ = failures(queued, capsys, tmp_path, "list", "--function", FUNCTION, "--json")
    assert code == 0 and json.loads(out)["key"] == f"sqs:{DEAD_LETTER}/{request_id}"
    code, out, _ = failures(queued, capsys, tmp_path, "show", f"sqs:{DEAD_LETTER}/{request_id}")
    assert code == 0 and f"Key:         sqs:{DEAD_LETTER}/{request_id}" in out


def test_a_renewal_cut_short_leaves_a_copy_that_counts_once_and_is_sent_once(
    queued: Queued,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    invokes: list[dict[str, Any]],  # noqa: F811
) -> None:
    queued.put({"n": 1})
    body = queued.sqs.receive_message(QueueUrl=queued.url, VisibilityTimeout=0)["Messages"][0]["Body"]
    queued.sqs.send_message(QueueUrl=queued.url, MessageBody=body)  # a run killed between renewal's send and delete
    code, out, err = failures(queued, capsys, tmp_path, "stats", "--function", FUNCTION, "--json")
    assert code == 0 and json.loads(out)["records"] == 1 and "held a copy of a record already read" in err
    code, out, _ = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION)
    assert code == 0 and len(invokes) == 1 and "deleted 1 copies of records sent" in out
    assert queued.counts(queued.url) == (0, 0)


def test_redrive_sends_each_record_and_deletes_its_message(
    queued: Queued,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    invokes: list[dict[str, Any]],  # noqa: F811
) -> None:
    kept = queued.put({"keep": True}, condition="EventAgeExceeded")
    queued.put({"n": 1})
    queued.put({"n": 2}, dead=True)
    code, out, _ = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION, "--dry-run")
    assert code == 0 and out.count("would send") == 3 and invokes == []
    code, out, err = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION,
                              "--condition", "RetriesExhausted")  # fmt: skip
    assert code == 0, err
    assert sorted(json.loads(call["body"])["n"] for call in invokes) == [1, 2]
    assert {call["type"] for call in invokes} == {"Event"}
    assert all(unquote_function(call) == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}" for call in invokes)
    assert queued.counts(queued.url) == (1, 0) and queued.counts(queued.dead_url) == (0, 0), "only the kept one"
    code, out, _ = failures(queued, capsys, tmp_path, "list", "--function", FUNCTION, "--json")
    assert [json.loads(line)["requestId"] for line in out.splitlines()] == [kept]


def unquote_function(call: dict[str, Any]) -> str:
    from urllib.parse import unquote

    return unquote(call["function"]).split("/")[3]


def test_redrive_refuses_a_record_naming_another_function(
    queued: Queued,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    invokes: list[dict[str, Any]],  # noqa: F811
) -> None:
    queued.put({"n": 1}, function="payroll")  # written by a role that may send to this queue, naming another
    for _ in range(2):  # reported on every run, never sent
        code, out, _ = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION)
        assert code == 1 and invokes == []
        assert "which does not send its failures to enrich-on-failure (that is enrich)" in out
    assert queued.counts(queued.url) == (1, 0), "it stays, shown again"


def test_two_operators_redriving_one_queue_send_each_record_once(
    queued: Queued,
    invokes: list[dict[str, Any]],  # noqa: F811
) -> None:
    for n in range(40):
        queued.put({"n": n})
    codes: list[int] = []
    outputs: list[str] = []

    def operator() -> None:
        out = io.StringIO()
        codes.append(redrive.run_redrive(aws_of(queued), reading.Selection(function=FUNCTION), dry_run=False, out=out))
        outputs.append(out.getvalue())

    threads = [threading.Thread(target=operator) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sorted(json.loads(call["body"])["n"] for call in invokes)
    assert sent == list(range(40)), "each record exactly once"
    assert sum(out.count("sent ") - out.count("redrive: sent") for out in outputs) == 40
    assert queued.counts(queued.url) == (0, 0) and set(codes) <= {0, 1}


def test_a_killed_redrive_holds_its_messages_until_its_claim_ends_then_the_next_run_sends_them(
    queued: Queued,
    tmp_path: Path,
    invokes: list[dict[str, Any]],  # noqa: F811
) -> None:
    for n in range(5):
        queued.put({"n": n})
    (tmp_path / "terraform.tfstate").write_text(json.dumps(_state()))
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": REGION, "PYTHONPATH": str(Path(__file__).parent.parent)}  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "generator", "failures", "redrive", "--function", FUNCTION, "--rate", "2",
         "--from-terraform", str(tmp_path), "--endpoint-url", queued.moto.endpoint],
        stdout=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    assert run.stdout is not None
    first = run.stdout.readline()  # the first record is sent; the others wait for the pace
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert first.startswith("sent sqs:")
    visible, hidden = queued.counts(queued.url)
    assert visible == 0 and hidden == 4, "the dead run's claims hold the other four"
    out = io.StringIO()
    assert redrive.run_redrive(aws_of(queued), reading.Selection(function=FUNCTION), dry_run=False, out=out) == 1
    assert "no failure records match" not in out.getvalue() and invokes == []
    queued.expire_claims()  # the claims end
    out = io.StringIO()
    assert redrive.run_redrive(aws_of(queued), reading.Selection(function=FUNCTION), dry_run=False, out=out) == 0
    assert out.getvalue().count("sent sqs:") == 4 and queued.counts(queued.url) == (0, 0)


def _state() -> dict[str, Any]:
    """A Terraform state holding only the outputs the failures commands read."""
    destination = ["object", {"on_failure": "string", "on_success": "string"}]
    return {"version": 4, "terraform_version": "1.11.0", "serial": 1, "lineage": str(uuid.uuid4()),
            "outputs": {"region": {"value": REGION, "type": "string"},
                        "destinations": {"value": {FUNCTION: {"on_failure": QUEUE_ARN, "on_success": None}},
                                         "type": ["object", {FUNCTION: destination}]}},
            "resources": [], "check_results": None}  # fmt: skip


def test_a_canary_that_fails_stops_the_redrive_and_keeps_every_message(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        queued.put({"n": n})
    calls: list[str] = []
    on_aws_event(monkeypatch, "before-send.lambda.Invoke", _recorded_invoke(calls, failing=True))
    code, out, err = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION, "--canary", "1")
    assert code == 1 and calls == ["RequestResponse"], "one canary, then nothing"
    assert (
        "failed: the function failed on it (Unhandled)" in out and "log: ForcedError: the event set forceError" in out
    )
    assert "nothing after it was sent" in err and queued.counts(queued.url) == (3, 0)


def test_canaries_that_pass_are_followed_by_the_rest_asynchronously(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        queued.put({"n": n})
    calls: list[str] = []
    on_aws_event(monkeypatch, "before-send.lambda.Invoke", _recorded_invoke(calls, failing=False))
    code, out, _ = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION, "--canary", "2")
    assert code == 0 and calls == ["RequestResponse"] * 2 + ["Event"] * 2
    assert out.count("succeeded") == 2 and 'answer: {"ok": true}' in out and queued.counts(queued.url) == (0, 0)


def _recorded_invoke(calls: list[str], *, failing: bool) -> Any:
    """Lambda's answers to Invoke, recorded: moto runs no function, so it cannot say how a synchronous one went."""
    import base64

    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    def answer(request: Any, **_: Any) -> Any:
        kind = request.headers.get("X-Amz-Invocation-Type", b"RequestResponse")
        kind = kind.decode() if isinstance(kind, bytes) else kind
        calls.append(kind)
        if kind == "Event":
            return AWSResponse(request.url, 202, HTTPHeaders(), _Body(b""))
        headers = HTTPHeaders()
        log = "START RequestId: 1\nForcedError: the event set forceError\n" if failing else "START RequestId: 1\n"
        headers["X-Amz-Log-Result"] = base64.b64encode(log.encode()).decode()
        headers["X-Amz-Executed-Version"] = "$LATEST"
        if failing:
            headers["X-Amz-Function-Error"] = "Unhandled"
        body = (
            b'{"errorType": "ForcedError", "errorMessage": "the event set forceError"}' if failing else b'{"ok": true}'
        )
        return AWSResponse(request.url, 200, headers, _Body(body))

    return answer


class _Body(io.BytesIO):
    """A canned response body that botocore can both stream and read."""

    def stream(self, **_: Any) -> Any:
        yield self.getvalue()


def test_a_project_whose_failures_go_to_queues_asks_whose_records_to_read(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = failures(queued, capsys, tmp_path, "list")
    assert code == 2 and "say whose with --function (enrich)" in err
    code, _, err = failures(queued, capsys, tmp_path, "show", "sqs:someone-elses/1")
    assert code == 2 and "someone-elses is not a failure queue of this project (its queues: enrich-on-failure)" in err


def test_a_look_killed_midway_hides_messages_only_until_its_visibility_ends(queued: Queued) -> None:
    for n in range(12):
        queued.put({"n": n})
    aws = aws_of(queued)
    queue = queues.queue_of_selection(aws, FUNCTION)
    assert queue is not None
    with queues.looking(aws, queue) as (messages, _):
        next(messages)  # the pass holds its first batch ...
        assert queued.counts(queued.url)[1] == 10
    assert queued.counts(queued.url) == (12, 0), "... and shows it again when it ends, however it ends"


def test_a_redrive_never_sends_the_records_its_own_events_make_again(
    queued: Queued, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With reserved concurrency 0, each event sent is recorded into the same queue at once (the sandbox delivers
    as Lambda does): a redrive that sent those too would never end."""
    lam = queued.moto.client("lambda")
    lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(FunctionName=FUNCTION, DestinationConfig={
        "OnFailure": {"Destination": QUEUE_ARN}})  # fmt: skip
    sent = [queued.put({"n": n}) for n in range(3)]
    code, out, err = failures(queued, capsys, tmp_path, "redrive", "--function", FUNCTION)
    assert code == 0 and "redrive: sent 3, failed 0" in out
    assert "3 new record(s) of events this run sent came back" in err
    code, out, _ = failures(queued, capsys, tmp_path, "list", "--function", FUNCTION, "--json")
    again = [json.loads(line) for line in out.splitlines()]
    assert len(again) == 3 and not {row["requestId"] for row in again} & set(sent), "three new records, kept"


def test_the_sandbox_still_drops_a_message_past_its_queues_retention(queued: Queued) -> None:
    """The sandbox's receive reads the retention period directly (moto recounted the whole queue per message)."""
    from moto.backends import get_backend

    queued.sqs.set_queue_attributes(QueueUrl=queued.url, Attributes={"MessageRetentionPeriod": "60"})
    queued.put({"n": "new"})
    queued.put({"n": "old"})
    old: Any = get_backend("sqs")[ACCOUNT][REGION].queues[QUEUE]._messages[1]
    old.sent_timestamp = int(old.sent_timestamp) - 61_000  # sent 61 s earlier: past the queue's 60 s
    received = queued.sqs.receive_message(QueueUrl=queued.url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["requestPayload"] for m in received] == [{"n": "new"}]


def test_the_sandbox_deletes_messages_on_many_threads_without_bringing_any_back(queued: Queued) -> None:
    """moto rebuilt the message list on each delete, so two at once brought back the one the other deleted."""
    from concurrent.futures import ThreadPoolExecutor

    for n in range(200):
        queued.put({"n": n})
    receipts = []
    while batch := queued.sqs.receive_message(QueueUrl=queued.url, MaxNumberOfMessages=10,
                                              VisibilityTimeout=900).get("Messages", []):  # fmt: skip
        receipts += [message["ReceiptHandle"] for message in batch]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the server runs in this process: its threads now interleave as they would under load
    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda r: queued.sqs.delete_message(QueueUrl=queued.url, ReceiptHandle=r), receipts))
    finally:
        sys.setswitchinterval(switching)
    assert len(receipts) == 200 and queued.counts(queued.url) == (0, 0)
