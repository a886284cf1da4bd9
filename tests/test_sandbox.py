"""The sandbox: the whole story a user tries on it, driven by the project's own commands, and its delivery.

The e2e test is the proof that the rendered names, keys and permissions and the failure tools fit together:
the records it reads are the ones the sandbox delivered for the invokes it made, over HTTPS, under the
rendered TLS-only bucket policy, never records a test wrote itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config.model import parse_config
from generator.sandbox.override import SANDBOX_OVERRIDE
from tests.harness import Moto, Terraform, _free_port
from tests.support import REPO

STORY_CONFIG = (REPO / "config.yaml").read_text().replace("naming: random_uuid", "naming: bucket_prefix")


def _story_config() -> str:
    """The default config, beside a function whose records go to a queue the project creates."""
    data = yaml.safe_load(STORY_CONFIG)
    data["functions"].append({"name": "queued", "on_failure": {"type": "sqs"}})
    return yaml.safe_dump(data, sort_keys=False)


def _generator(*args: str, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "generator", *args], env=env, capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    assert result.returncode in ok, f"generator {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
    return result


@pytest.mark.e2e
def test_the_whole_story_runs_on_the_sandbox(tf_cli_config: Path, tmp_path: Path) -> None:
    project = tmp_path / "out"
    (tmp_path / "config.yaml").write_text(_story_config())
    port = _free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "TF_CLI_CONFIG_FILE": str(tf_cli_config)}
    env = {name: value for name, value in env.items() if not name.startswith("AWS_")}
    _generator("render", "--config", str(tmp_path / "config.yaml"), "--out", str(project), env=env)
    started = _generator("sandbox", "--background", "--port", str(port), "--project", str(project), env=env)
    try:
        exports = next(line for line in started.stdout.splitlines() if line.strip().startswith("export "))
        aws = dict(word.split("=", 1) for word in exports.split()[1:])
        assert aws["AWS_ENDPOINT_URL"] == f"https://127.0.0.1:{port}", "the sandbox serves HTTPS"
        # Nothing exported: Terraform and the failures commands find the sandbox through the override alone.
        assert not {name for name in env if name.startswith("AWS_")}
        assert (project / SANDBOX_OVERRIDE).is_file()
        manifest = json.loads((project / ".generator-manifest.json").read_text())
        assert SANDBOX_OVERRIDE in manifest["files"], "the override is the generator's, so a render removes it"
        terraform = Terraform(project, tf_cli_config)
        terraform.init()
        terraform.run("apply", "-auto-approve")
        _story(terraform, project, env, aws)
    finally:
        stopped = _generator("sandbox", "--stop", env=env)
    assert "stopped the sandbox" in stopped.stdout
    assert not (project / SANDBOX_OVERRIDE).exists(), "--stop removes the override it wrote"


def _story(terraform: Terraform, project: Path, env: dict[str, str], aws: dict[str, str]) -> None:
    where = ("--from-terraform", str(project))
    # 2-3. invoke as the README says (failures wait --invoke), and the record arrives at once, over HTTPS
    waited = _generator("failures", "wait", *where, "--function", "async_function", "--invoke", "--timeout", "30",
                        env=env)  # fmt: skip
    assert "Record arrived after" in waited.stderr and "ZeroReservedConcurrency" in waited.stdout
    key = next(line.split()[-1] for line in waited.stdout.splitlines() if line.startswith("Key:"))
    assert key.startswith("aws/lambda/async/async_function/")
    # 4. show explains the condition, stats counts it
    shown = _generator("failures", "show", *where, key, env=env).stdout
    assert "the function's reserved concurrency is 0, so Lambda sent the event here at once" in shown
    assert '"forceError": true' in shown
    stats = _generator("failures", "stats", *where, env=env).stdout
    assert any(line.split() == ["async_function", "ZeroReservedConcurrency", "1"] for line in stats.splitlines())
    # 5. redrive sends it; with reserved concurrency 0 the sandbox records it again under the same prefix
    redriven = _generator("failures", "redrive", *where, key, env=env)
    assert "redrive: sent 1, skipped 0, failed 0" in redriven.stderr + redriven.stdout
    listed = _generator("failures", "list", *where, "--json", env=env).stdout.splitlines()
    again = [json.loads(line) for line in listed]
    assert len(again) == 1 and again[0]["key"] != key and again[0]["key"].startswith("aws/lambda/async/async_function/")
    # the function whose records go to the queue the project created: the record is that queue's message, which
    # the failures commands read and redrive there (the sandbox records the redriven event again, under a new id)
    request_id = _assert_queue_gets_its_record(terraform, aws)
    queued = [json.loads(line) for line in _generator("failures", "list", *where, "--function", "queued", "--json",
                                                      env=env).stdout.splitlines()]  # fmt: skip
    assert [row["requestId"] for row in queued] == [request_id] and queued[0]["key"].startswith("sqs:")
    redriven = _generator("failures", "redrive", *where, "--function", "queued", env=env)
    assert f"sent {queued[0]['key']}" in redriven.stdout and "redrive: sent 1, failed 0" in redriven.stdout
    requeued = _generator("failures", "list", *where, "--function", "queued", "--json", env=env).stdout.splitlines()
    assert len(requeued) == 1 and json.loads(requeued[0])["requestId"] != request_id
    # 5b. doctor on the applied project: nothing wrong, two functions with records waiting
    doctor = _generator("failures", "doctor", *where, "--json", env=env, ok=(1,))
    findings = [json.loads(line) for line in doctor.stdout.splitlines()]
    assert not [f for f in findings if f["severity"] == "error"], findings
    assert {f["function"] for f in findings if f["check"] == "waiting"} == {"async_function", "queued"}
    assert {f["function"] for f in findings if f["check"] == "invoke config" and f["severity"] == "ok"} == {
        "async_function",
        "queued",
    }, "the applied asynchronous_settings output matches what AWS holds"
    # 6. the clean-up recipe, then destroy: versioned records and delete markers go with the bucket
    terraform.run("apply", "-auto-approve", "-target=aws_s3_bucket.failure_records",
                  "-var", "failure_bucket_force_destroy=true")  # fmt: skip
    terraform.run("destroy", "-auto-approve", "-var", "failure_bucket_force_destroy=true")


def _assert_queue_gets_its_record(terraform: Terraform, env: dict[str, str]) -> str:
    """The queue's record of an event sent to the function; its message is shown again, and its request id returned."""
    import boto3

    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    where = {"endpoint_url": env["AWS_ENDPOINT_URL"], "verify": env["AWS_CA_BUNDLE"]}
    clients: dict[str, Any] = {name: session.client(name, **where) for name in ("lambda", "sqs")}  # type: ignore[call-overload]
    queue = terraform.outputs()["destinations"]["queued"]["on_failure"]
    url = clients["sqs"].get_queue_url(QueueName=queue.rsplit(":", 1)[1])["QueueUrl"]
    request = clients["lambda"].invoke(FunctionName="queued", InvocationType="Event", Payload=b'{"order": 7}')
    (message,) = clients["sqs"].receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["requestId"] == request["ResponseMetadata"]["RequestId"]
    assert record["requestContext"]["condition"] == "ZeroReservedConcurrency"
    assert record["requestContext"]["approximateInvokeCount"] == 0 and record["requestPayload"] == {"order": 7}
    assert "responseContext" not in record, "Lambda never ran it: the record has no response"
    clients["sqs"].change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return str(record["requestContext"]["requestId"])


def test_a_render_without_the_sandbox_removes_its_override(tmp_path: Path) -> None:
    from generator.api import render_into
    from generator.output.files import add_owned_file

    config = parse_config(STORY_CONFIG, REPO / "config.yaml")
    render_into(config, tmp_path)
    add_owned_file(tmp_path, SANDBOX_OVERRIDE, b"# stand-in\n")
    render_into(config, tmp_path)
    assert not (tmp_path / SANDBOX_OVERRIDE).exists()
    (tmp_path / SANDBOX_OVERRIDE).write_text("# a user's own\n")
    with pytest.raises(Exception, match="did not write it"):
        add_owned_file(tmp_path, SANDBOX_OVERRIDE, b"# stand-in\n")
    assert (tmp_path / SANDBOX_OVERRIDE).read_text() == "# a user's own\n", "a file the generator did not write stays"


def test_records_reach_each_kind_of_destination_under_the_roles_permissions(moto: Moto) -> None:
    """The delivery the sandbox and the tests share: S3 only where the role may write, SQS, SNS and EventBridge
    as their own messages, Lambda as an asynchronous invoke of the next function (which records it in turn)."""
    import io
    import zipfile

    iam, s3, lam, sqs, sns, events = (moto.client(s) for s in ("iam", "s3", "lambda", "sqs", "sns", "events"))
    assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [assume]})
    role = iam.create_role(RoleName="writer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    may_write = {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::records/aws/lambda/async/to_s3/*",
    }
    iam.put_role_policy(RoleName="writer", PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [may_write]}))  # fmt: skip
    s3.create_bucket(Bucket="records")
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="records")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    events.create_event_bus(Name="records")
    events.put_rule(Name="all", EventBusName="records", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="all", EventBusName="records", Targets=[{"Id": "inbox", "Arn": inbox_arn}])
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    destinations = {
        "to_s3": "arn:aws:s3:::records", "denied_s3": "arn:aws:s3:::records", "to_sqs": inbox_arn, "to_sns": topic,
        "to_bus": "arn:aws:events:us-east-1:123456789012:event-bus/records",
        "to_lambda": "arn:aws:lambda:us-east-1:123456789012:function:to_sqs",
    }  # fmt: skip
    for name, destination in destinations.items():
        lam.create_function(FunctionName=name, Runtime="python3.13", Role=role, Handler="handler.handler",
                            Code={"ZipFile": package.getvalue()})  # fmt: skip
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        on_failure = {"OnFailure": {"Destination": destination}}
        lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig=on_failure)
    for name in destinations:
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"sent_to": name}).encode())
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="records").get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith("aws/lambda/async/to_s3/"), "denied_s3's role may not write there"
    bodies = []
    while messages := sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages"):
        bodies += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=inbox, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                          for i, m in enumerate(messages)])  # fmt: skip
    records = [b.get("detail", b) for b in bodies]  # EventBridge wraps the record as its event's detail
    assert next(b for b in bodies if "detail" in b)["detail-type"] == "Lambda Function Invocation Result - Failure"
    sent = sorted(r["requestPayload"].get("sent_to") or r["requestPayload"]["requestPayload"]["sent_to"]
                  for r in records)  # fmt: skip
    # to_lambda's record invoked to_sqs, whose own record (wrapping it) arrives in the queue
    assert sent == ["to_bus", "to_lambda", "to_sns", "to_sqs"]
    assert all(r["requestContext"]["condition"] == "ZeroReservedConcurrency" for r in records)


def test_wait_tells_an_emulator_that_delivers_no_records_from_aws_and_the_sandbox(moto: Moto) -> None:
    from generator.ops.aws import Aws, Target
    from generator.ops.commands import _emulator_without_delivery

    def endpoint_of(url: str) -> str | None:
        return _emulator_without_delivery(Aws(Target(bucket="records", region="us-east-1", endpoint_url=url)))

    closed = f"http://127.0.0.1:{_free_port()}"  # nothing answers there, least of all the sandbox's probe
    assert endpoint_of(closed) == closed
    assert endpoint_of(moto.endpoint) is None, "the tests' server is the sandbox's, which delivers records"
    assert endpoint_of("https://lambda.eu-west-1.amazonaws.com") is None
