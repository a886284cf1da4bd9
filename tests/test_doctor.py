"""``failures doctor`` against a project deployed on the moto server, one finding at a time.

The project is made with boto3 as the rendered Terraform makes it (a bucket, a role, a function with reserved
concurrency 0 and its invoke config, its alarms), and its outputs are what ``terraform output`` would give.
moto lacks IAM policy simulation, keys invoke configs by function alone, and ignores ExpectedBucketOwner, so
those findings are shown on recorded responses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.cli.main import main
from generator.ops import project
from generator.ops.redrive import claims
from tests.harness import Moto
from tests.test_failures import ACCOUNT, REGION, aws_env, on_aws_event  # noqa: F401
from tests.test_queue_failures import _Body

BUCKET, FUNCTION = "doctor-failures", "fn_a"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ALARMS = [f"doc-{FUNCTION}-destination-delivery-failures", f"doc-{FUNCTION}-async-events-dropped",
          f"doc-{FUNCTION}-async-event-age"]  # fmt: skip


class Deployed:
    def __init__(self, moto: Moto) -> None:
        self.moto = moto
        self.s3, self.lam, self.cloudwatch = moto.client("s3"), moto.client("lambda"), moto.client("cloudwatch")
        self.s3.create_bucket(Bucket=BUCKET)
        iam = moto.client("iam")
        self.role = iam.create_role(RoleName="doc-fn_a", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        self.lam.create_function(FunctionName=FUNCTION, Runtime="python3.13", Role=self.role, Handler="h.handler",
                                 Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})  # fmt: skip
        self.lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=0)
        self.lam.put_function_event_invoke_config(
            FunctionName=FUNCTION, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=21600,
            DestinationConfig={"OnFailure": {"Destination": BUCKET_ARN}},
        )  # fmt: skip
        for name in ALARMS:
            self.cloudwatch.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="AWS/Lambda",
                                             Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=0,
                                             ComparisonOperator="GreaterThanThreshold")  # fmt: skip

    def outputs(self, **settings: Any) -> dict[str, Any]:
        applied = {"qualifier": None, "maximum_retry_attempts": 2, "maximum_event_age_seconds": 21600,
                   "reserved_concurrency": 0, "on_failure": BUCKET_ARN, "on_success": None,
                   "recursive_loop": "Terminate", **settings}  # fmt: skip
        return {"failure_bucket_name": BUCKET, "region": REGION,
                "destinations": {FUNCTION: {"on_failure": BUCKET_ARN, "on_success": None}},
                "asynchronous_settings": {FUNCTION: applied}, "role_arns": {FUNCTION: self.role},
                "alarm_names": {FUNCTION: ALARMS}}  # fmt: skip


@pytest.fixture
def deployed(aws_env: Moto, monkeypatch: pytest.MonkeyPatch) -> Deployed:  # noqa: F811
    project_ = Deployed(aws_env)
    monkeypatch.setattr(project, "terraform_outputs", lambda directory: project_.outputs())
    return project_


def doctor(deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, list[dict[str, str]]]:
    code = main(["failures", "doctor", "--from-terraform", str(tmp_path), "--endpoint-url", deployed.moto.endpoint,
                 "--json"])  # fmt: skip
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()]


def finding(findings: list[dict[str, str]], check: str, severity: str | None = None) -> list[str]:
    return [f["message"] for f in findings if f["check"] == check and severity in (None, f["severity"])]


def test_a_healthy_project_has_nothing_wrong_and_says_what_it_could_not_check(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 0, findings
    assert {f["severity"] for f in findings} == {"ok", "not checked"}
    assert finding(findings, "invoke config", "ok") == [
        f"on the function itself (no qualifier), records to {BUCKET_ARN}"
    ]
    (unchecked,) = finding(findings, "on_failure destination", "not checked")
    assert unchecked.startswith(f"{BUCKET_ARN} exists; whether the role may s3:PutObject on it was not checked")
    assert finding(findings, "recursive loop", "ok") == ["Terminate: Lambda stops a loop it detects"]
    assert len(finding(findings, "alarm", "ok")) == 3 and finding(findings, "claims", "ok")
    assert finding(findings, "last day", "ok") == ["DestinationDeliveryFailures 0", "AsyncEventsDropped 0"]


def test_an_invoke_config_pointing_elsewhere_is_an_error_and_changed_retries_a_warning(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = "arn:aws:s3:::someone-elses-bucket"
    deployed.lam.update_function_event_invoke_config(
        FunctionName=FUNCTION, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": other}}
    )
    deployed.lam.delete_function_event_invoke_config(FunctionName=FUNCTION)  # moto's update appends; start over
    deployed.lam.put_function_event_invoke_config(FunctionName=FUNCTION, MaximumRetryAttempts=0,
                                                  MaximumEventAgeInSeconds=21600,
                                                  DestinationConfig={"OnFailure": {"Destination": other}})  # fmt: skip
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 3 and findings[0]["severity"] == "error", "most serious first"
    assert finding(findings, "invoke config", "error") == [
        f"OnFailure goes to {other}, but the project applied {BUCKET_ARN}; terraform apply restores it"
    ]
    assert finding(findings, "invoke config", "warning") == ["changed since the apply: retries 0 (applied: 2)"]


def test_a_missing_invoke_config_and_a_missing_bucket_are_errors(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deployed.lam.delete_function_event_invoke_config(FunctionName=FUNCTION)
    deployed.s3.delete_bucket(Bucket=BUCKET)
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 3
    (missing,) = finding(findings, "invoke config", "error")
    assert missing.startswith("no invoke config on the function itself (no qualifier)")
    assert finding(findings, "on_failure destination", "error") == [
        f"{BUCKET_ARN}: it does not exist; Lambda cannot deliver records there"
    ]


def test_a_failure_bucket_another_account_owns_is_an_error(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owners: list[str] = []

    def forbidden(request: Any, **_: Any) -> Any:  # S3's answer when ExpectedBucketOwner is not the owner
        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders

        owner = request.headers.get("x-amz-expected-bucket-owner", b"")
        owners.append(owner.decode() if isinstance(owner, bytes) else owner)
        return AWSResponse(request.url, 403, HTTPHeaders(), _Body(b""))

    on_aws_event(monkeypatch, "before-send.s3.HeadBucket", forbidden)
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 3 and owners == [ACCOUNT]
    (error,) = finding(findings, "on_failure destination", "error")
    assert f"the bucket does not belong to this account ({ACCOUNT})" in error


@pytest.mark.parametrize(("decision", "severity"), [("allowed", "ok"), ("implicitDeny", "error")])
def test_the_roles_reach_is_judged_by_iam_policy_simulation(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    decision: str, severity: str,
) -> None:  # fmt: skip
    asked: list[str] = []

    def simulated(request: Any, **_: Any) -> Any:  # IAM's SimulatePrincipalPolicy answer, recorded
        from urllib.parse import parse_qs

        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders

        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        asked.append(json.dumps({k: v for k, v in parse_qs(body).items() if k != "Version"}))
        body = (f'<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>'
                f'<EvaluationResults><member><EvalActionName>s3:PutObject</EvalActionName><EvalDecision>{decision}'
                '</EvalDecision></member></EvaluationResults></SimulatePrincipalPolicyResult>'
                '</SimulatePrincipalPolicyResponse>').encode()  # fmt: skip
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(body))

    on_aws_event(monkeypatch, "before-send.iam.SimulatePrincipalPolicy", simulated)
    code, findings = doctor(deployed, capsys, tmp_path)
    (asked_for,) = map(json.loads, asked)
    assert asked_for["PolicySourceArn"] == [deployed.role] and asked_for["ActionNames.member.1"] == ["s3:PutObject"]
    assert asked_for["ResourceArns.member.1"] == [f"{BUCKET_ARN}/aws/lambda/async/{FUNCTION}/doctor"]
    (message,) = finding(findings, "on_failure destination", severity)
    assert ("may not s3:PutObject" in message) == (severity == "error") and code == (3 if severity == "error" else 0)


def test_an_alarm_that_fires_a_loss_alarm_a_gone_alarm_and_last_days_losses(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deployed.cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="ALARM", StateReason="records lost")
    deployed.cloudwatch.set_alarm_state(AlarmName=ALARMS[2], StateValue="ALARM", StateReason="events old")
    deployed.cloudwatch.delete_alarms(AlarmNames=[ALARMS[1]])
    deployed.cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "DestinationDeliveryFailures", "Dimensions": [{"Name": "FunctionName", "Value": FUNCTION}],
        "Value": 3.0}])  # fmt: skip
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 3
    assert finding(findings, "alarm", "error") == [f"{ALARMS[0]} is in ALARM"]
    assert finding(findings, "alarm", "warning") == [f"{ALARMS[1]} is gone; terraform apply restores it",
                                                     f"{ALARMS[2]} is in ALARM"]  # fmt: skip
    assert finding(findings, "last day", "error") == ["3 records not delivered (DestinationDeliveryFailures)"]


def test_records_waiting_and_a_claim_a_dead_redrive_left_are_warnings(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"aws/lambda/async/{FUNCTION}/2026/12/01/2026-12-01T10.00.00-{'0' * 8}-0000-0000-0000-{'0' * 12}"
    deployed.s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    deployed.s3.put_object(Bucket=BUCKET, Key=f"redrive-claims/{key}", Body=b"{}")
    deployed.s3.put_object(Bucket=BUCKET, Key="redrive-claims/aws/lambda/async/fn_a/moved-long-ago", Body=b"{}")
    monkeypatch.setattr(claims, "CLAIM_SECONDS", -1)  # every claim is past its takeover age
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 1
    assert finding(findings, "waiting", "warning") == [
        f"1 record(s) wait in s3://{BUCKET}/aws/lambda/async/{FUNCTION}/: failures list --function {FUNCTION}, "
        "then redrive them"]  # fmt: skip
    (stale,) = finding(findings, "claims", "warning")
    assert stale.startswith("1 record(s) still in place are held by a claim"), "a moved record's claim is normal"


def test_a_recursive_loop_allowed_behind_the_projects_back_is_an_error(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deployed.lam.put_function_recursion_config(FunctionName=FUNCTION, RecursiveLoop="Allow")
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 3 and finding(findings, "recursive loop", "error") == [
        "Allow, but the project applied Terminate; Lambda will not stop a loop through its destination"
    ]


def test_an_invoke_config_on_the_bare_function_instead_of_the_alias(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "terraform_outputs", lambda directory: deployed.outputs(qualifier="live"))

    def listed(request: Any, **_: Any) -> Any:  # Lambda's answer: one config, on the unqualified function
        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders

        config = {
            "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}:$LATEST",
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": BUCKET_ARN}},
        }
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(json.dumps(
            {"FunctionEventInvokeConfigs": [config]}).encode()))  # fmt: skip

    on_aws_event(monkeypatch, "before-send.lambda.ListFunctionEventInvokeConfigs", listed)
    code, findings = doctor(deployed, capsys, tmp_path)
    assert code == 3
    (missing,) = finding(findings, "invoke config", "error")
    assert missing.startswith("no invoke config on the alias live: events invoked there get Lambda's default")
    (extra,) = finding(findings, "invoke config", "warning")
    assert extra.startswith("the function itself (no qualifier) has an invoke config of its own")


def test_the_table_lists_the_same_findings_most_serious_first(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deployed.lam.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=3)
    code = main(["failures", "doctor", "--from-terraform", str(tmp_path), "--endpoint-url", deployed.moto.endpoint])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0] == (f"WARNING      {FUNCTION}  concurrency: reserved concurrency is 3, applied 0; terraform apply "
                        "restores it")  # fmt: skip
    assert lines[-1].startswith("1 warning, ") and " ok" in lines[-1]


def test_doctor_needs_a_deployed_project(aws_env: Moto, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    code = main(["failures", "doctor", "--bucket", BUCKET, "--endpoint-url", aws_env.endpoint])
    assert code == 2 and "doctor checks a deployed project" in capsys.readouterr().err
