"""Apply, re-plan and destroy rendered projects with the real AWS provider against the moto emulator.

Each test renders a config, adds a test-only override.tf that points the provider at moto
(the generator's own files stay as rendered), applies, checks with boto3 what AWS would now
hold, proves a second plan has nothing to do, and destroys. If anything fails half-way the
fixture still destroys what was created.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import api
from generator.config.model import Config, Function, load_config, parse_config
from generator.lambda_facts import RECORD_COLUMNS
from generator.record_queries import NAMED_QUERIES
from generator.render import layout
from generator.render.monitoring import ALARMS
from generator.render.names import glue_database, record_rule_name, role_name, topic_name
from generator.render.project import render
from tests.harness import Moto, Terraform, TerraformError, applied
from tests.support import GOLDEN, OVERSIZED_CONFIG, REPO, oversized_source, parse_tree, write_tree

pytestmark = [pytest.mark.terraform, pytest.mark.e2e]

DEFAULT_WITH_BUCKET_PREFIX = (REPO / "config.yaml").read_text().replace("naming: random_uuid", "naming: bucket_prefix")


@dataclass
class Deployment:
    config: Config
    terraform: Terraform
    outputs: dict[str, Any]


@pytest.fixture
def deploy(moto: Moto, tf_cli_config: Path, tmp_path: Path) -> Iterator[Any]:
    """Render and apply a config; destroy whatever was created when the test ends, passed or failed."""
    projects = itertools.count()
    with contextlib.ExitStack() as stack:

        def _deploy(config_text: str, config_dir: Path = REPO) -> Deployment:
            config = parse_config(config_text, config_dir / "e2e.yaml")
            workdir = tmp_path / f"project{next(projects)}"
            terraform = stack.enter_context(applied(moto, tf_cli_config, workdir, render(config)))
            return Deployment(config, terraform, terraform.outputs())

        yield _deploy


def _assert_wired(moto: Moto, deployment: Deployment) -> None:
    """The bucket, and each function that records its failures there (the other destinations: see
    test_every_destination_type_applies_cleanly); each other function's records go where its output says."""
    _assert_bucket(moto, deployment)
    _assert_role_policies_pass_parliament(moto, deployment)
    lam = moto.client("lambda", deployment.config.region)
    for fn in deployment.config.functions:
        if fn.on_failure.is_failure_bucket:
            _assert_function(moto, deployment, fn)
        else:
            invoke = lam.get_function_event_invoke_config(FunctionName=fn.name)
            expected = deployment.outputs["destinations"][fn.name]["on_failure"]
            assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == expected


# parliament's one finding this project answers instead of fixing: the network-interface actions of a function in
# a VPC on "*". They are the ones the Lambda Developer Guide lists for a VPC function's execution role ("Giving
# Lambda functions access to resources in an Amazon VPC"), on "*" as AWS's own AWSLambdaVPCAccessExecutionRole
# grants them: Lambda manages the interfaces, whose ids the config cannot know.
JUSTIFIED_IN_A_VPC = ("RESOURCE_STAR", ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface",
                                        "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"])  # fmt: skip


def _assert_role_policies_pass_parliament(moto: Moto, deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Every function's role policy, as applied, has no finding of parliament (an offline IAM policy linter) but
    the justified one of a function in a VPC.

    Returns each role's statements by id."""
    from parliament import analyze_policy_string

    iam = moto.client("iam", deployment.config.region)
    statements, findings = {}, {}
    for fn in deployment.config.functions:
        role = role_name(deployment.config.project, fn.name)
        (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        statements[fn.name] = {s["Sid"]: s for s in document["Statement"]}
        findings[fn.name] = [(f.issue, f.detail) for f in analyze_policy_string(json.dumps(document)).findings]
    justified = {fn.name: [JUSTIFIED_IN_A_VPC] if fn.vpc_subnet_ids else [] for fn in deployment.config.functions}
    assert findings == justified
    return statements


def _assert_bucket(moto: Moto, deployment: Deployment) -> None:
    """The bucket: private, encrypted, owner-enforced, versioned, expiring, TLS-only, tagged."""
    config = deployment.config
    s3 = moto.client("s3", config.region)
    bucket = deployment.outputs["failure_bucket_name"]
    bucket_arn = deployment.outputs["failure_bucket_arn"]
    assert bucket.startswith(f"{config.failure_bucket.prefix}-")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Expiration"]["Days"] == config.failure_bucket.expire_after_days
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    (deny,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == [bucket_arn, f"{bucket_arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["Project"] == config.project and tags["ManagedBy"] == "terraform"
    assert config.tags.items() <= tags.items()


def _assert_function(moto: Moto, deployment: Deployment, fn: Function) -> None:
    """The function, its invoke config, its role and policy, its log group."""
    region = deployment.config.region
    lam, iam, logs = (moto.client(s, region) for s in ("lambda", "iam", "logs"))
    bucket_arn = deployment.outputs["failure_bucket_arn"]
    account = moto.client("sts", region).get_caller_identity()["Account"]
    function = lam.get_function(FunctionName=fn.name)
    settings = function["Configuration"]
    assert settings["Runtime"] == fn.runtime
    assert settings["MemorySize"] == fn.memory_mb and settings["Timeout"] == fn.timeout_seconds
    assert settings["Architectures"] == [fn.architecture]
    assert settings.get("Environment", {}).get("Variables", {}) == fn.environment
    assert settings["EphemeralStorage"] == {"Size": fn.ephemeral_storage_mb}
    assert settings.get("KMSKeyArn") == fn.kms_key_arn
    assert settings["TracingConfig"] == {"Mode": fn.tracing}
    levels = {"ApplicationLogLevel": fn.log_application_level, "SystemLogLevel": fn.log_system_level}
    assert settings["LoggingConfig"] == {"LogFormat": fn.log_format, "LogGroup": f"/aws/lambda/{fn.name}",
                                         **{key: level for key, level in levels.items() if level}}  # fmt: skip
    traces = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    concurrency = lam.get_function_concurrency(FunctionName=fn.name).get("ReservedConcurrentExecutions")
    assert concurrency == fn.reserved_concurrency

    if fn.alias:  # the settings are on the alias; the bare function has none, so Lambda's defaults
        invoke = lam.get_function_event_invoke_config(FunctionName=fn.name, Qualifier=fn.alias)
        assert invoke["FunctionArn"] == f"{settings['FunctionArn']}:{fn.alias}"
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_function_event_invoke_config(FunctionName=fn.name)
    else:
        invoke = lam.get_function_event_invoke_config(FunctionName=fn.name)
    assert invoke["MaximumEventAgeInSeconds"] == fn.maximum_event_age_seconds
    assert invoke["MaximumRetryAttempts"] == fn.maximum_retry_attempts
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == bucket_arn

    role = iam.get_role(RoleName=role_name(deployment.config.project, fn.name))["Role"]
    assert settings["Role"] == role["Arn"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"] == [
        {"Sid": "LambdaAssumeRole", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "lambda.amazonaws.com"}}
    ]  # fmt: skip
    assert iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"] == []
    (policy_name,) = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    log_group = f"/aws/lambda/{fn.name}"
    log_group_arn = f"arn:aws:logs:{region}:{account}:log-group:{log_group}"
    account_condition = {"StringEquals": {"s3:ResourceAccount": account}}
    statements = sorted(document["Statement"], key=lambda s: s["Sid"])
    for statement in statements:  # the order of actions inside a statement carries no meaning
        if isinstance(statement["Action"], list):
            statement["Action"] = sorted(statement["Action"])
    assert statements == sorted([
        {"Sid": "ListFailureBucket", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": bucket_arn, "Condition": account_condition},
        {"Sid": "WriteFailureRecords", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/aws/lambda/async/{fn.name}/*", "Condition": account_condition},
        {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:*"},
        *([{"Sid": "WriteTraces", "Effect": "Allow", "Action": sorted(traces), "Resource": "*"}]
          if fn.tracing == "Active" else []),
        *([{"Sid": "DecryptEnvironment", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": fn.kms_key_arn}]
          if fn.kms_key_arn else []),
    ], key=lambda statement: statement["Sid"])  # fmt: skip

    (group,) = logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
    assert group.get("retentionInDays") == (fn.log_retention_days or None)
    _assert_role_writes_only_its_records(moto, deployment, fn, role["Arn"])


def _assert_role_writes_only_its_records(moto: Moto, deployment: Deployment, fn: Function, role_arn: str) -> None:
    """Acting as the function's role, with IAM enforced: its own record prefix takes a write, nothing else does.

    Anything else a role could write, a redrive would trust: a forged record under another function's
    prefix, a claim that blocks a record, a decoy under redriven/.
    """
    bucket = deployment.outputs["failure_bucket_name"]
    others = [other.name for other in deployment.config.functions if other.name != fn.name] or ["another_function"]
    stamp = "2026/11/29/2026-11-29T10.00.00-00000000-0000-4000-8000-000000000000"
    own = f"aws/lambda/async/{fn.name}/{stamp}"
    refused = [
        f"aws/lambda/async/{others[0]}/{stamp}", f"redrive-claims/{own}", f"redriven/{own}",
        "aws/lambda/async/record-at-the-top", "athena-results/x.csv", f"aws/lambda/async/{fn.name}x/{stamp}",
    ]  # fmt: skip
    with moto.enforcing_iam_as(role_arn, "s3", deployment.config.region) as s3:
        written = s3.put_object(Bucket=bucket, Key=own, Body=b"{}")
        for key in refused:
            with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
                s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    version = {"VersionId": written["VersionId"]} if "VersionId" in written else {}
    moto.client("s3", deployment.config.region).delete_object(Bucket=bucket, Key=own, **version)  # leaves no trace


def _assert_monitoring(moto: Moto, deployment: Deployment) -> None:
    """Topic, key, subscriptions, alarms, record notices and dashboard, as AWS now holds them."""
    config, outputs = deployment.config, deployment.outputs
    cloudwatch, events, sns, kms, s3 = (
        moto.client(s, config.region) for s in ("cloudwatch", "events", "sns", "kms", "s3")
    )
    account = moto.client("sts", config.region).get_caller_identity()["Account"]
    topic_arn = outputs["notification_topic_arn"]
    assert topic_arn == f"arn:aws:sns:{config.region}:{account}:{topic_name(config.project)}"
    _assert_topic(sns, kms, topic_arn, config.region, account, config.project)
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == sorted(
        ("email", address) for address in config.monitoring.email
    )
    bucket = outputs["failure_bucket_name"]
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket)
    for fn in config.functions:
        in_bucket = fn.on_failure.is_failure_bucket
        _assert_alarms(cloudwatch, fn, outputs["alarm_names"][fn.name], topic_arn, config.project)
        _assert_record_notice(events, fn, config.project, bucket if in_bucket else None, topic_arn)
    body = json.loads(cloudwatch.get_dashboard(DashboardName=config.project)["DashboardBody"])
    text, *graphs = body["widgets"]
    assert f"failures list --bucket {bucket}" in text["properties"]["markdown"]
    assert [g["properties"]["title"] for g in graphs] == sorted(fn.name for fn in config.functions)
    for graph in graphs:
        name = graph["properties"]["title"]
        lambda_metrics = {m[1] for m in graph["properties"]["metrics"] if m[0] == "AWS/Lambda" and m[3] == name}
        assert lambda_metrics == {"AsyncEventsReceived", "AsyncEventsDropped", "DestinationDeliveryFailures",
                                  "Errors", "Throttles", "AsyncEventAge"}  # fmt: skip
        rules = [m[3] for m in graph["properties"]["metrics"] if m[:3] == ["AWS/Events", "MatchedEvents", "RuleName"]]
        in_bucket = next(fn for fn in config.functions if fn.name == name).on_failure.is_failure_bucket
        assert rules == ([record_rule_name(config.project, name)] if in_bucket else [])
    assert outputs["dashboard_url"].endswith(f"#dashboards/dashboard/{config.project}")


def _assert_topic(sns: Any, kms: Any, topic_arn: str, region: str, account: str, project: str) -> None:
    """Encrypted with a rotating key of its own that both publishers may use; only this project's may publish."""
    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    key_id = attributes["KmsMasterKeyId"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    by_sid = {s["Sid"]: s for s in key_policy["Statement"]}
    assert by_sid["AccountAdministersKey"]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    publishers = by_sid["PublishersEncryptMessages"]
    assert sorted(publishers["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    assert sorted(publishers["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    statements = {s["Sid"]: s for s in json.loads(attributes["Policy"])["Statement"]}
    assert sorted(statements) == ["ProjectAlarmsPublish", "ProjectRulesPublish"]
    for sid, service, source in (
        ("ProjectAlarmsPublish", "cloudwatch", f"arn:aws:cloudwatch:{region}:{account}:alarm:{project}-*"),
        ("ProjectRulesPublish", "events", f"arn:aws:events:{region}:{account}:rule/{project}-*"),
    ):
        statement = statements[sid]
        assert statement["Effect"] == "Allow" and statement["Action"] == "sns:Publish"
        assert statement["Principal"] == {"Service": f"{service}.amazonaws.com"}
        assert statement["Resource"] == topic_arn
        assert statement["Condition"] == {
            "ArnLike": {"aws:SourceArn": source},
            "StringEquals": {"aws:SourceAccount": account},
        }


def _assert_alarms(cloudwatch: Any, fn: Function, names: list[str], topic_arn: str, project: str) -> None:
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    assert sorted(alarms) == sorted(f"{project}-{fn.name}-{alarm.suffix}" for alarm in ALARMS)
    thresholds = {
        "DestinationDeliveryFailures": fn.alarm_delivery_failures_threshold,
        "AsyncEventsDropped": fn.alarm_dropped_events_threshold,
        "AsyncEventAge": fn.maximum_event_age_seconds * 1000 * fn.alarm_event_age_percent / 100,
    }
    for spec in ALARMS:
        alarm = alarms[f"{project}-{fn.name}-{spec.suffix}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", spec.metric,
                                                                                 spec.statistic)  # fmt: skip
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": fn.name}]
        assert alarm["Threshold"] == thresholds[spec.metric]
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == (fn.alarm_period_seconds, 1)
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [topic_arn] and alarm["OKActions"] == [topic_arn]
        assert spec.meaning in alarm["AlarmDescription"]
        if fn.on_failure.is_failure_bucket:
            assert "failures list --bucket " in alarm["AlarmDescription"]


def _assert_record_notice(events: Any, fn: Function, project: str, bucket: str | None, topic_arn: str) -> None:
    """A function whose records go to the bucket has a rule for them; any other has none."""
    name = record_rule_name(project, fn.name)
    if bucket is None:
        assert name not in [r["Name"] for r in events.list_rules()["Rules"]]
        return
    rule = events.describe_rule(Name=name)
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": f"aws/lambda/async/{fn.name}/"}]}},
    }
    (target,) = events.list_targets_by_rule(Rule=name)["Targets"]
    assert target["Arn"] == topic_arn
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key",
                                            "time": "$.time"}  # fmt: skip
    assert transformer["InputTemplate"] == (
        f'"New failure record of {fn.name} at <time>: s3://<bucket>/<key>. '
        'Show it: python -m generator failures show --bucket <bucket> <key>"'
    )


def _assert_no_changes(terraform: Terraform) -> None:
    result = terraform.run("plan", "-detailed-exitcode", ok_codes=(0, 2))
    assert result.returncode == 0, f"a second plan wants changes:\n{result.stdout}"


def _assert_gone(moto: Moto, deployment: Deployment) -> None:
    region = deployment.config.region
    s3, lam, iam, logs = (moto.client(s, region) for s in ("s3", "lambda", "iam", "logs"))
    assert s3.list_buckets()["Buckets"] == []
    assert lam.list_functions()["Functions"] == []
    assert [r for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")] == []
    assert logs.describe_log_groups()["logGroups"] == []
    cloudwatch, events, sns = (moto.client(s, region) for s in ("cloudwatch", "events", "sns"))
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []
    assert events.list_rules()["Rules"] == []
    assert sns.list_topics()["Topics"] == []


def _assert_redrive_trusts_only_its_own_markers(
    moto: Moto, deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the deployed bucket (TLS-only, versioned, owner-enforced): the role writes two records, as Lambda does;
    a decoy under redriven/ and a planted claim stand beside the second. Redrive sends the first and moves it with
    its ETag; the second stays, unsent, and the run exits 1. Then every object version is removed again."""
    from generator.ops import aws as ops_aws
    from generator.ops import reading, redrive
    from generator.ops.redrive import claims

    config = deployment.config
    fn = next(f for f in config.functions if f.name == "async_function")
    bucket, region = deployment.outputs["failure_bucket_name"], config.region
    role = moto.client("iam", region).get_role(RoleName=role_name(config.project, fn.name))["Role"]["Arn"]
    keys = [f"aws/lambda/async/{fn.name}/2026/11/29/2026-11-29T10.00.0{i}-00000000-0000-4000-8000-00000000000{i}"
            for i in (1, 2)]  # fmt: skip
    arn = deployment.outputs["function_arns"][fn.name]
    with moto.enforcing_iam_as(role, "s3", region) as as_role:
        for index, key in enumerate(keys):
            context = {"requestId": f"r{index}", "functionArn": f"{arn}:$LATEST",
                       "condition": "ZeroReservedConcurrency", "approximateInvokeCount": 0}  # fmt: skip
            record = {"version": "1.0", "timestamp": "2026-11-29T10:00:00.000Z", "requestContext": context,
                      "requestPayload": {"n": index}}  # fmt: skip
            as_role.put_object(Bucket=bucket, Key=key, Body=json.dumps(record).encode())
    s3 = moto.client("s3", region)
    s3.put_object(Bucket=bucket, Key=f"redrive-claims/{keys[1]}", Body=b"{}")
    s3.put_object(Bucket=bucket, Key=f"redriven/{keys[1]}", Body=b'{"decoy": true}')
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(claims, "CLAIM_SECONDS", 0)  # the planted claim is old enough to take over
    aws = ops_aws.Aws(ops_aws.Target(bucket, region, moto.endpoint))
    out = io.StringIO()
    assert redrive.run_redrive(aws, reading.Selection(function=fn.name), dry_run=False, out=out) == 1
    assert f"sent {keys[0]} to {arn}" in out.getvalue()
    assert f"failed {keys[1]}: redriven/{keys[1]} exists but is no copy of this record" in out.getvalue()
    moved = s3.head_object(Bucket=bucket, Key=f"redriven/{keys[0]}")["Metadata"]
    assert set(moved) == {"redrive-source-etag", "redrive-run"}
    assert s3.get_object(Bucket=bucket, Key=keys[1])["Body"].read().startswith(b'{"version"'), "the record stays"
    versions = s3.list_object_versions(Bucket=bucket)
    for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])


def _with_functions_of(base: str, golden: str, *sections: str) -> str:
    """``base`` config text with the functions (and the named sections) of a golden config added: one deployment
    serves the assertions of both, so an apply is paid for once."""
    data = yaml.safe_load(base)
    other = yaml.safe_load((GOLDEN / golden / "config.yaml").read_text())
    data["functions"] = data.get("functions", []) + other["functions"]
    for section in sections:
        data[section] = {**data.get(section, {}), **other[section]}
    return yaml.safe_dump(data, sort_keys=False)


def test_default_config_with_tuned_monitoring_applies_cleanly(
    moto: Moto, deploy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default project, with monitoring_email's two functions (tuned alarms; one records to a queue) and
    email subscriptions added: what the default config renders and what tuned monitoring renders, in one apply."""
    deployment = deploy(_with_functions_of(DEFAULT_WITH_BUCKET_PREFIX, "monitoring_email", "monitoring"))
    config = deployment.config
    assert [fn.name for fn in config.functions] == ["async_function", "charge", "refund"]
    assert config.functions[0].reserved_concurrency == 0
    assert config.monitoring.email and not config.functions[2].on_failure.is_failure_bucket
    # What a user pastes, as Terraform evaluates it: the payload must reach the shell as valid JSON.
    assert deployment.outputs["invoke_commands"]["async_function"] == (
        "aws lambda invoke --region us-east-1 --function-name async_function "
        "--invocation-type Event --cli-binary-format raw-in-base64-out "
        """--payload '{"forceError": true}' /dev/null"""
    )
    assert sorted(deployment.outputs["invoke_commands"]) == ["async_function", "charge", "refund"]
    bucket = deployment.outputs["failure_bucket_name"]
    assert deployment.outputs["list_failure_records_command"] == (
        f"aws s3 ls --region us-east-1 --recursive s3://{bucket}/aws/lambda/async/"
    )
    _assert_wired(moto, deployment)
    _assert_monitoring(moto, deployment)
    _assert_redrive_trusts_only_its_own_markers(moto, deployment, monkeypatch)
    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    _assert_gone(moto, deployment)


def test_athena_over_the_failure_records_applies_cleanly(moto: Moto, deploy: Any) -> None:
    case = GOLDEN / "analytics"
    deployment = deploy((case / "config.yaml").read_text(), case)
    config, outputs = deployment.config, deployment.outputs
    glue, athena = (moto.client(s, config.region) for s in ("glue", "athena"))
    bucket = outputs["failure_bucket_name"]
    database, table_name = outputs["athena_table"].split(".")
    assert database == glue_database(config.project)
    table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
    descriptor = table["StorageDescriptor"]
    assert descriptor["Location"] == f"s3://{bucket}/aws/lambda/async/"
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        (name.lower(), kind) for name, kind in RECORD_COLUMNS
    ]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["function", "day"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.function.values"].split(",") == [fn.name for fn in config.functions]
    assert (parameters["projection.day.type"], parameters["projection.day.format"]) == ("date", "yyyy/MM/dd")
    assert parameters["storage.location.template"] == f"s3://{bucket}/aws/lambda/async/${{function}}/${{day}}/"

    workgroup = athena.get_work_group(WorkGroup=outputs["athena_workgroup"])["WorkGroup"]["Configuration"]
    assert workgroup["EnforceWorkGroupConfiguration"] is True
    assert workgroup["BytesScannedCutoffPerQuery"] == config.analytics.scan_cutoff_mb * 2**20
    results = workgroup["ResultConfiguration"]
    assert results["OutputLocation"] == f"s3://{bucket}/athena-results/"
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    saved = {name: athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
             for name, query_id in outputs["athena_named_queries"].items()}  # fmt: skip
    assert sorted(saved) == sorted(q.resource for q in NAMED_QUERIES)
    for query in NAMED_QUERIES:
        assert saved[query.resource]["Database"] == database
        assert saved[query.resource]["QueryString"].strip() == query.sql
    rules = moto.client("s3", config.region).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    results_rule = next(r for r in rules if r["ID"] == "expire-athena-results")
    assert results_rule["Filter"] == {"Prefix": "athena-results/"}
    assert results_rule["Expiration"]["Days"] == config.analytics.results_expire_after_days
    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    _assert_gone(moto, deployment)
    assert glue.get_databases()["DatabaseList"] == []


def test_three_functions_and_published_versions_apply_cleanly(moto: Moto, deploy: Any) -> None:
    """multi_function's three functions (runtimes, tags, settings) with published's three beside them: the alias
    follows the published version and carries the invoke config (redriving to it: test_failures), and the
    triggers invoke it (a schedule invokes latest_only, which has no alias)."""
    text = _with_functions_of((GOLDEN / "multi_function" / "config.yaml").read_text(), "published")
    region = yaml.safe_load(text)["region"]
    s3, sns, events = (moto.client(s, region) for s in ("s3", "sns", "events"))
    s3.create_bucket(Bucket="incoming-uploads", CreateBucketConfiguration={"LocationConstraint": region})
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    events.create_event_bus(Name="orders")
    deployment = deploy(text.replace("arn:aws:sns:us-east-1:", f"arn:aws:sns:{region}:"))  # the topic of its region
    config = deployment.config
    assert len(config.functions) == 6
    assert sorted(deployment.outputs["function_arns"]) == sorted(f.name for f in config.functions)
    lam = moto.client("lambda", config.region)
    alias = lam.get_alias(FunctionName="async_function", Name="live")
    published = [v["Version"] for v in lam.list_versions_by_function(FunctionName="async_function")["Versions"]]
    assert alias["FunctionVersion"] != "$LATEST" and alias["FunctionVersion"] in published
    assert [v for v in lam.list_versions_by_function(FunctionName="versioned")["Versions"] if v["Version"] != "$LATEST"]
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="latest_only")["Versions"]] == ["$LATEST"]
    assert deployment.outputs["alias_arns"] == {"async_function": alias["AliasArn"]}
    provisioned = lam.get_provisioned_concurrency_config(FunctionName="async_function", Qualifier="live")
    assert provisioned["RequestedProvisionedConcurrentExecutions"] == 2, "provisioned on the alias, as configured"
    assert lam.get_function_recursion_config(FunctionName="reconcile")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName="ingest_orders")["RecursiveLoop"] == "Terminate"
    assert f"--function-name {alias['AliasArn']} " in deployment.outputs["invoke_commands"]["async_function"]
    assert "--function-name versioned " in deployment.outputs["invoke_commands"]["versioned"]
    _assert_wired(moto, deployment)
    _assert_triggers(moto, region, alias["AliasArn"], topic)
    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    scheduler = moto.client("scheduler", region)
    assert scheduler.list_schedules()["Schedules"] == []
    assert events.list_rules(EventBusName="orders")["Rules"] == []
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    sns.delete_topic(TopicArn=topic)
    events.delete_event_bus(Name="orders")
    s3.delete_bucket(Bucket="incoming-uploads")
    _assert_gone(moto, deployment)


def _assert_triggers(moto: Moto, region: str, alias_arn: str, topic: str) -> None:
    """published's triggers: each invokes the alias through a permission scoped to its source and account, or
    (the schedule) through a role that may do nothing else; rules and schedules leave undelivered events in a
    queue of the function's."""
    from parliament import analyze_policy_string

    s3, sns, events, lam, sqs, scheduler, iam = (
        moto.client(s, region) for s in ("s3", "sns", "events", "lambda", "sqs", "scheduler", "iam")
    )
    account = alias_arn.split(":")[4]

    def queue_arn(name: str) -> str:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    undelivered = queue_arn("async_function-undelivered")
    for bus, rule in (("default", "async_function-uploads"), ("orders", "async_function-orders")):
        (target,) = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
        assert target["Arn"] == alias_arn, "a trigger invokes the alias, so its events get the alias's invoke config"
        assert target["DeadLetterConfig"] == {"Arn": undelivered}
    pattern = json.loads(events.describe_rule(Name="async_function-uploads")["EventPattern"])
    assert pattern == {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {
        "bucket": {"name": ["incoming-uploads"]}, "object": {"key": [{"wildcard": "in/*.csv"}]}}}  # fmt: skip
    (orders,) = events.list_targets_by_rule(Rule="async_function-orders", EventBusName="orders")["Targets"]
    assert orders["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 86400}
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket="incoming-uploads")

    policy = json.loads(lam.get_policy(FunctionName="async_function", Qualifier="live")["Policy"])
    conditions = sorted((s["Principal"]["Service"], json.dumps(s["Condition"], sort_keys=True))
                        for s in policy["Statement"])  # fmt: skip
    rules = (("default", "async_function-uploads"), ("orders", "async_function-orders"))
    rule_arns = [events.describe_rule(Name=name, EventBusName=bus)["Arn"] for bus, name in rules]
    scoped = [
        (
            principal,
            json.dumps(
                {"ArnLike": {"AWS:SourceArn": arn}, "StringEquals": {"AWS:SourceAccount": account}}, sort_keys=True
            ),
        )
        for principal, arn in [("events.amazonaws.com", a) for a in rule_arns] + [("sns.amazonaws.com", topic)]
    ]
    assert conditions == sorted(scoped), "only each rule and the topic, of their own account, may invoke the alias"
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("lambda", alias_arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="versioned")  # a function without triggers: only its callers' own rights

    schedule = scheduler.get_schedule(Name="latest_only-nightly")
    latest_only = lam.get_function(FunctionName="latest_only")["Configuration"]["FunctionArn"]
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 2 * * ? *)",
        "Europe/Paris",
    )
    assert schedule["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    undelivered = queue_arn("latest_only-undelivered")
    assert schedule["Target"]["Arn"] == latest_only and schedule["Target"]["DeadLetterConfig"] == {"Arn": undelivered}
    role = schedule["Target"]["RoleArn"].split("/")[-1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    assert [(s["Action"], s["Resource"]) for s in document["Statement"]] == [
        ("lambda:InvokeFunction", latest_only),
        ("sqs:SendMessage", undelivered),
    ], "the schedule's role may do no more"
    assert analyze_policy_string(json.dumps(document)).findings == []


def test_a_package_over_the_direct_upload_limit_deploys_from_the_projects_package_bucket(
    moto: Moto, deploy: Any, tmp_path: Path
) -> None:
    oversized_source(tmp_path)
    deployment = deploy(OVERSIZED_CONFIG, tmp_path)
    region = deployment.config.region
    s3, lam = moto.client("s3", region), moto.client("lambda", region)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("big-package-pkg-")]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    uploaded = s3.head_object(Bucket=bucket, Key="lambda-packages/big.zip")
    package = (deployment.terraform.workdir / "build" / "big.zip").read_bytes()
    assert uploaded["ContentLength"] == len(package) > 50 * 1024 * 1024
    assert lam.get_function(FunctionName="big")["Configuration"]["CodeSize"] == len(package)
    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    _assert_gone(moto, deployment)


OWN_PERMISSIONS = """project: own-permissions
failure_bucket:
  naming: bucket_prefix
functions:
  - name: reader
    policy_statements:
      - sid: ReadOrders
        actions: [dynamodb:GetItem, dynamodb:Query]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]
        conditions:
          - {test: StringEquals, variable: "aws:RequestedRegion", values: [us-east-1]}
      - sid: ListTables
        actions: [dynamodb:ListTables]
        resources: ["*"]
        allow_any_resource: true
    managed_policy_arns: ["arn:aws:iam::123456789012:policy/team-read"]
  - name: plain
"""


def test_a_functions_own_permissions_apply_and_every_role_policy_passes_parliament(moto: Moto, deploy: Any) -> None:

    iam = moto.client("iam", "us-east-1")
    team_read = iam.create_policy(PolicyName="team-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::team-data/*"}],
    }))["Policy"]["Arn"]  # fmt: skip
    deployment = deploy(OWN_PERMISSIONS)
    reader, plain = (role_name("own-permissions", name) for name in ("reader", "plain"))
    attached = iam.list_attached_role_policies(RoleName=reader)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [team_read]
    assert iam.list_attached_role_policies(RoleName=plain)["AttachedPolicies"] == []
    statements = _assert_role_policies_pass_parliament(moto, deployment)
    assert list(statements["reader"])[-2:] == ["ReadOrders", "ListTables"], "its own statements, after the generated"
    assert statements["reader"]["ReadOrders"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    assert not {"ReadOrders", "ListTables"} & set(statements["plain"])
    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    iam.delete_policy(PolicyArn=team_read)
    _assert_gone(moto, deployment)


def test_a_function_in_a_vpc_applies_with_its_network_interface_permissions(moto: Moto, deploy: Any) -> None:
    ec2 = moto.client("ec2", "us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="fn", Description="function", VpcId=vpc)["GroupId"]
    deployment = deploy(
        "project: in-a-vpc\nfailure_bucket:\n  naming: bucket_prefix\nfunctions:\n  - name: private\n"
        f"    vpc_subnet_ids: [{subnet}]\n    vpc_security_group_ids: [{group}]\n"
    )
    config = moto.client("lambda", "us-east-1").get_function(FunctionName="private")["Configuration"]
    assert config["VpcConfig"]["SubnetIds"] == [subnet] and config["VpcConfig"]["SecurityGroupIds"] == [group]
    statements = _assert_role_policies_pass_parliament(moto, deployment)
    network = statements["private"]["ManageNetworkInterfaces"]
    assert network["Resource"] == "*" and "ec2:CreateNetworkInterface" in network["Action"]
    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    _assert_gone(moto, deployment)
    ec2.delete_security_group(GroupId=group)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_a_failed_apply_still_destroys_what_it_created(moto: Moto, tf_cli_config: Path, tmp_path: Path) -> None:
    files = render(parse_config(DEFAULT_WITH_BUCKET_PREFIX, REPO / "e2e.yaml"))
    # A resource that fails only after the bucket, role and function exist.
    files["zz_fails.tf"] = (
        b'resource "aws_lambda_function_event_invoke_config" "fails" {\n'
        b'  function_name          = "no-such-function"\n'
        b"  maximum_retry_attempts = 0\n"
        b"  depends_on             = [module.function]\n"
        b"}\n"
    )
    with pytest.raises(TerraformError, match="no-such-function"), applied(moto, tf_cli_config, tmp_path, files):
        pytest.fail("the apply should have failed")
    s3, lam = moto.client("s3"), moto.client("lambda")
    assert s3.list_buckets()["Buckets"] == [] and lam.list_functions()["Functions"] == []


def test_remote_state_initialises_against_moto(moto: Moto, tf_cli_config: Path, tmp_path: Path) -> None:
    """The rendered S3 backend stores the state in the bucket and locks it with a lock file while running."""
    config = parse_config((GOLDEN / "remote_state" / "config.yaml").read_text(), GOLDEN / "remote_state" / "c.yaml")
    state_region = config.backend.region
    s3 = moto.client("s3", state_region)
    s3.create_bucket(Bucket=config.backend.bucket, CreateBucketConfiguration={"LocationConstraint": state_region})
    write_tree(render(config), tmp_path)
    (tmp_path / "override.tf").write_text(moto.provider_override())
    terraform = Terraform(tmp_path, tf_cli_config)
    emulator = [  # only how to reach the emulator; bucket, key, region, encryption and locking come from backend.tf
        f'-backend-config=endpoints={{s3="{moto.endpoint}"}}',
        "-backend-config=use_path_style=true",
        "-backend-config=access_key=test",
        "-backend-config=secret_key=test",
        "-backend-config=skip_credentials_validation=true",
        "-backend-config=skip_requesting_account_id=true",
    ]
    terraform.init(*emulator)
    target = '-target=module.function["async_function"].aws_iam_role.this'
    try:
        terraform.run("apply", "-auto-approve", target)
        state = json.loads(s3.get_object(Bucket=config.backend.bucket, Key=config.backend.key)["Body"].read())
        assert [r["type"] for r in state["resources"]] == ["aws_iam_policy_document", "aws_iam_role"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=config.backend.bucket)["Contents"]]
        assert keys == [config.backend.key], "the lock file is gone once Terraform is done"
        assert not (tmp_path / "terraform.tfstate").exists(), "no local state"
        # Someone else holds the lock: Terraform must refuse to touch the state.
        lock = f"{config.backend.key}.tflock"
        s3.put_object(Bucket=config.backend.bucket, Key=lock, Body=b'{"ID": "held-by-a-test", "Who": "test"}')
        with pytest.raises(TerraformError, match="Error acquiring the state lock"):
            terraform.run("plan", "-lock-timeout=0s")
        s3.delete_object(Bucket=config.backend.bucket, Key=lock)
    finally:
        terraform.run("destroy", "-auto-approve", target)


def test_every_destination_type_applies_cleanly(moto: Moto, deploy: Any) -> None:
    """Created and existing SQS, SNS, EventBridge and Lambda destinations, on failure and on success."""
    account, region = "123456789012", "us-east-1"
    sqs, sns, events, lam, iam = (moto.client(s) for s in ("sqs", "sns", "events", "lambda", "iam"))
    sqs.create_queue(QueueName="existing-failures")  # the "existing" targets the config points at
    role = iam.create_role(RoleName="existing-consumer-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="existing-consumer", Runtime="python3.13", Role=role, Handler="h.h",
                        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})  # fmt: skip
    deployment = deploy((GOLDEN / "destinations" / "config.yaml").read_text(), GOLDEN / "destinations")
    _assert_role_policies_pass_parliament(moto, deployment)
    arn = f"arn:aws:{{}}:{region}:{account}:{{}}"
    expected = {
        "to_queue_and_topic": (arn.format("sqs", "destinations-to_queue_and_topic-on-failure"),
                               arn.format("sns", "destinations-to_queue_and_topic-on-success")),
        "to_bus_and_function": (arn.format("events", "event-bus/destinations-to_bus_and_function-on-failure"),
                                arn.format("lambda", "function:to_queue_and_topic")),
        "to_existing": (arn.format("sqs", "existing-failures"), arn.format("events", "event-bus/default")),
        "default_failure_bucket": (deployment.outputs["failure_bucket_arn"],
                                   arn.format("lambda", "function:existing-consumer")),
    }  # fmt: skip
    actions = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "events": "events:PutEvents",
               "lambda": "lambda:InvokeFunction"}  # fmt: skip
    for function, (on_failure, on_success) in expected.items():
        config = lam.get_function_event_invoke_config(FunctionName=function)["DestinationConfig"]
        assert config == {"OnFailure": {"Destination": on_failure}, "OnSuccess": {"Destination": on_success}}
        role_name_ = role_name("destinations", function)
        (policy,) = iam.list_role_policies(RoleName=role_name_)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role_name_, PolicyName=policy)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        granted = {(s["Action"] if isinstance(s["Action"], str) else tuple(sorted(s["Action"])), s["Resource"])
                   for s in document["Statement"]}  # fmt: skip
        for target in (on_failure, on_success):
            service = target.split(":")[2]
            if service == "s3":
                own_records = f"{target}/aws/lambda/async/{function}/*"
                assert ("s3:PutObject", own_records) in granted and ("s3:ListBucket", target) in granted
            else:
                assert (actions[service], target) in granted, f"{function} may not reach {target}"
        logs = [g for g in granted if g[0] == ("logs:CreateLogStream", "logs:PutLogEvents")]
        assert len(granted) == len(logs) + (3 if on_failure.startswith("arn:aws:s3") else 2), "nothing more"

    queue_url = sqs.get_queue_url(QueueName="destinations-to_queue_and_topic-on-failure")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert queue["SqsManagedSseEnabled"] == "true" and queue["MessageRetentionPeriod"] == "345600"
    redrive = json.loads(queue["RedrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": arn.format("sqs", "destinations-to_queue_and_topic-on-failure-dlq"),
        "maxReceiveCount": 3,
    }
    dlq_url = sqs.get_queue_url(QueueName="destinations-to_queue_and_topic-on-failure-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert dlq["SqsManagedSseEnabled"] == "true" and dlq["MessageRetentionPeriod"] == "1209600"
    topic = sns.get_topic_attributes(TopicArn=arn.format("sns", "destinations-to_queue_and_topic-on-success"))[
        "Attributes"
    ]
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"
    assert (
        events.describe_event_bus(Name="destinations-to_bus_and_function-on-failure")["Arn"]
        == expected["to_bus_and_function"][0]
    )

    _assert_no_changes(deployment.terraform)
    deployment.terraform.run("destroy", "-auto-approve")
    assert [q.rsplit("/", 1)[-1] for q in sqs.list_queues().get("QueueUrls", [])] == ["existing-failures"]
    assert sns.list_topics()["Topics"] == []
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["existing-consumer"]


def test_two_projects_with_the_same_function_name_share_an_account(moto: Moto, deploy: Any) -> None:
    """dev and prod in one account: IAM is global, so every created name must carry the project."""
    template = "project: {project}\nregion: {region}\nfunctions:\n  - name: orders\n    on_failure: {{type: sqs}}\n"
    dev = deploy(template.format(project="app-dev", region="us-east-1"))
    prod = deploy(template.format(project="app-prod", region="eu-west-1"))
    iam = moto.client("iam")
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")}
    assert roles == {"app-dev-orders-role", "app-prod-orders-role"}
    for deployment, region in ((dev, "us-east-1"), (prod, "eu-west-1")):
        project = deployment.config.project
        queue = moto.client("sqs", region).get_queue_url(QueueName=f"{project}-orders-on-failure")["QueueUrl"]
        assert queue.endswith(f"{project}-orders-on-failure")
        assert deployment.outputs["destinations"]["orders"]["on_failure"].endswith(f":{project}-orders-on-failure")
        assert "failure_bucket_name" not in deployment.outputs, "no function records to a bucket: none is created"
        _assert_no_changes(deployment.terraform)


def test_the_clean_up_recipe_only_flips_force_destroy(moto: Moto, tf_cli_config: Path, tmp_path: Path) -> None:
    """After a plain destroy failed on a non-empty bucket, the README's recipe must not re-create anything."""
    files = render(parse_config(DEFAULT_WITH_BUCKET_PREFIX, REPO / "e2e.yaml"))
    readme = files["README.md"].decode()
    recipe = readme.split("then destroy:\n\n```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert recipe == [
        "terraform apply -target=aws_s3_bucket.failure_records -var failure_bucket_force_destroy=true",
        "terraform destroy -var failure_bucket_force_destroy=true",
    ]
    with applied(moto, tf_cli_config, tmp_path, files) as terraform:
        bucket = terraform.outputs()["failure_bucket_name"]
        s3 = moto.client("s3")
        s3.delete_bucket_policy(Bucket=bucket)  # the emulator speaks plain HTTP, which the TLS-only policy refuses
        s3.put_object(Bucket=bucket, Key="aws/lambda/async/async_function/2026/11/30/record", Body=b"{}")
        with pytest.raises(TerraformError, match="BucketNotEmpty"):
            terraform.run("destroy", "-auto-approve")
        flip = terraform.run(*recipe[0].split()[1:], "-auto-approve")
        assert "0 added, 1 changed, 0 destroyed" in flip.stdout, flip.stdout
        terraform.run(*recipe[1].split()[1:], "-auto-approve")
        assert s3.list_buckets()["Buckets"] == []
        assert moto.client("lambda").list_functions()["Functions"] == []


PLAN_FILE = "next.tfplan"


def _saved_plan(terraform: Terraform) -> list[dict[str, Any]]:
    """Plan into PLAN_FILE, for an apply of exactly what was checked, and return its resource changes."""
    terraform.run("plan", "-out", PLAN_FILE)
    return list(json.loads(terraform.run("show", "-json", PLAN_FILE).stdout)["resource_changes"])


@pytest.mark.parametrize("grouped", [False, True], ids=["one-call", "grouped"])
def test_an_applied_flat_project_moves_into_the_module_layout_without_changes(
    moto: Moto, tf_cli_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grouped: bool
) -> None:
    """A deployment rendered before modules/function re-plans as moves only: nothing destroyed, replaced or changed.

    Grouped, the stored project's two functions are past a lowered threshold, so each resource moves from the root
    through module.function to its group's call: the chain a project of more than 100 functions takes.
    """
    if grouped:
        monkeypatch.setattr(layout, "FUNCTIONS_PER_CALL", 1)
    fixture = REPO / "tests" / "upgrade" / "flat_layout"
    workdir = tmp_path / "project"
    shutil.copytree(fixture / "rendered", workdir)
    assert (workdir / "iam.tf").is_file() and not (workdir / "modules").exists(), "the stored tree is the old layout"
    (workdir / "override.tf").write_text(moto.provider_override())
    terraform = Terraform(workdir, tf_cli_config)
    terraform.init()
    try:
        terraform.run("apply", "-auto-approve")
        config = load_config(fixture / "config.yaml")
        api.render_into(config, workdir)  # what a user's `render` does to the same directory
        assert not (workdir / "iam.tf").exists() and (workdir / "modules" / "function" / "main.tf").is_file()
        terraform.init()  # the new local module must be installed
        changes = _saved_plan(terraform)
        # Nothing that exists is destroyed or replaced; what generator 0.2 adds (monitoring) is created; the one
        # change is each role policy's narrowing to its own function's records.
        acted = {c["address"]: c["change"]["actions"] for c in changes if c["change"]["actions"] != ["no-op"]}
        assert {tuple(actions) for actions in acted.values()} <= {("create",), ("read",), ("update",)}, acted
        updated = [c for c in changes if c["change"]["actions"] == ["update"]]
        in_bucket = sorted(fn.name for fn in config.functions if fn.on_failure.is_failure_bucket)
        assert sorted(_function_of(c) for c in updated) == in_bucket, "only the roles that write records change"
        assert all(c["type"] == "aws_iam_role_policy" for c in updated)
        for change in updated:
            _assert_only_narrowed_to_own_records(change)
        added_types = {c["type"] for c in changes if c["address"] in acted and c not in updated}
        monitoring = {"aws_cloudwatch_metric_alarm", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
                      "aws_sns_topic", "aws_sns_topic_policy", "aws_kms_key", "aws_kms_alias",
                      "aws_iam_policy_document", "aws_partition", "aws_s3_bucket_notification",
                      "aws_cloudwatch_dashboard"}  # fmt: skip
        assert added_types <= monitoring, added_types - monitoring
        moved = {c["previous_address"]: c["address"] for c in changes if c.get("previous_address")}
        assert len(moved) == 5 * len(config.functions)
        call = f"functions_{layout.group_of('queued')}" if grouped else "function"
        assert moved['aws_lambda_function.this["queued"]'] == f'module.{call}["queued"].aws_lambda_function.this'
        terraform.run("apply", PLAN_FILE)
        _assert_no_changes(terraform)
    finally:
        terraform.run("destroy", "-auto-approve")


def test_a_project_of_the_templated_module_moves_into_the_static_one_without_changes(
    moto: Moto, tf_cli_config: Path, tmp_path: Path
) -> None:
    """The module before it became static (commit 199dbd4) had its alarms and one rule without count.

    Applied, then re-rendered into the same directory: Terraform moves each of those objects to instance
    [0] of its counted resource by itself, and nothing is created, changed or destroyed.
    """
    fixture = REPO / "tests" / "upgrade" / "module_layout"
    workdir = tmp_path / "project"
    shutil.copytree(fixture / "rendered", workdir)
    old_module = parse_tree({"monitoring.tf": (workdir / "modules" / "function" / "monitoring.tf").read_bytes()})
    old_alarms = [r for name, r in old_module["resource"].items() if name.startswith("aws_cloudwatch_metric_alarm.")]
    assert len(old_alarms) == len(ALARMS) and not any("count" in r for r in old_alarms), "the stored module is the old"
    (workdir / "override.tf").write_text(moto.provider_override())
    terraform = Terraform(workdir, tf_cli_config)
    terraform.init()
    try:
        terraform.run("apply", "-auto-approve")
        config = load_config(fixture / "config.yaml")
        api.render_into(config, workdir)
        terraform.init()
        changes = _saved_plan(terraform)
        acted = {
            c["address"]: c["change"]["actions"] for c in changes if c["change"]["actions"] not in (["no-op"], ["read"])
        }
        assert acted == {}, acted
        moved = {c["previous_address"]: c["address"] for c in changes if c.get("previous_address")}
        alarms = [f'module.function["{fn.name}"].aws_cloudwatch_metric_alarm.{alarm.resource}'
                  for fn in config.functions for alarm in ALARMS]  # fmt: skip
        assert moved == {address: f"{address}[0]" for address in alarms}
        terraform.run("apply", PLAN_FILE)
        _assert_no_changes(terraform)
    finally:
        terraform.run("destroy", "-auto-approve")


def _function_of(change: dict[str, Any]) -> str:
    """The function a planned change belongs to: the key of the module instance that holds it."""
    return str(json.loads(change["module_address"].rsplit("[", 1)[1].rstrip("]")))


def _assert_only_narrowed_to_own_records(change: dict[str, Any]) -> None:
    """A role policy whose one difference is s3:PutObject from the whole bucket to its function's records."""
    before, after = (json.loads(change["change"][side]["policy"])["Statement"] for side in ("before", "after"))
    function = _function_of(change)
    widened = [s for s in before if s["Action"] == "s3:PutObject"]
    (narrowed,) = [s for s in after if s["Action"] == "s3:PutObject"]
    assert [s["Resource"] for s in widened] == [narrowed["Resource"].replace(f"/aws/lambda/async/{function}/*", "/*")]
    assert narrowed["Resource"].endswith(f"/aws/lambda/async/{function}/*")
    assert [s for s in before if s not in widened] == [s for s in after if s is not narrowed]


def _planned(terraform: Terraform) -> tuple[dict[str, list[str]], dict[str, str]]:
    """A saved plan's actions by address (no-ops and reads left out) and its moves, previous address to new."""
    changes = _saved_plan(terraform)
    acted = {
        c["address"]: c["change"]["actions"] for c in changes if c["change"]["actions"] not in (["no-op"], ["read"])
    }
    return acted, {c["previous_address"]: c["address"] for c in changes if c.get("previous_address")}


def test_crossing_the_grouping_threshold_moves_functions_both_ways_without_replacing_them(
    moto: Moto, tf_cli_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third function past a threshold of two groups the module calls; removing it ungroups them; nothing else acts.

    The threshold is lowered so three functions cross it: the moved blocks are the ones a 101st function brings.
    """
    monkeypatch.setattr(layout, "FUNCTIONS_PER_CALL", 2)
    # The dashboard would change with the functions it shows; everything else of alpha and beta must not.
    two = (
        "failure_bucket:\n  naming: bucket_prefix\nmonitoring:\n  dashboard: false\n"
        "functions:\n  - name: alpha\n  - name: beta\n"
    )
    three = two + "  - name: gamma\n"
    workdir = tmp_path / "project"

    def group(name: str) -> str:
        return f'module.functions_{layout.group_of(name)}["{name}"]'

    with applied(moto, tf_cli_config, workdir, render(parse_config(two, REPO / "e2e.yaml"))) as terraform:
        state = terraform.run("state", "list").stdout.split()
        kept = [a for a in state if a.startswith("module.") and ".data." not in a]  # resources; data is read anew
        assert kept and all(a.startswith(('module.function["alpha"]', 'module.function["beta"]')) for a in kept)

        write_tree(render(parse_config(three, REPO / "e2e.yaml")), workdir)
        terraform.init()  # the module under its new calls
        acted, moved = _planned(terraform)
        assert acted and all(a.startswith(group("gamma")) and actions == ["create"] for a, actions in acted.items())
        for name in ("alpha", "beta"):
            assert (
                moved[f'module.function["{name}"].aws_lambda_function.this']
                == f"{group(name)}.aws_lambda_function.this"
            )
        assert set(moved) == set(kept), "every resource of alpha and beta moves, none is left behind"
        terraform.run("apply", PLAN_FILE)
        _assert_no_changes(terraform)

        write_tree(render(parse_config(two, REPO / "e2e.yaml")), workdir)
        terraform.init()
        acted, moved = _planned(terraform)
        assert acted and all(a.startswith(group("gamma")) and actions == ["delete"] for a, actions in acted.items())
        assert set(moved.values()) == set(kept), "alpha and beta are back where they began"
        terraform.run("apply", PLAN_FILE)
        _assert_no_changes(terraform)
