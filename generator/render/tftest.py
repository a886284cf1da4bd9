"""The rendered project's own `terraform test` file: what it checks, and the mock values it checks with.

A mock AWS provider gives every computed attribute a made-up value, and only at apply time unless a
mock says ``override_during = plan``. The file mocks exactly the values its assertions compare, here,
so that a plan answers them offline: no account, no credentials, nothing created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.config.model import FUNCTION_SETTINGS
from generator.destination_types import CREATED
from generator.record import Record

TEST_FILE = "tests/pattern.tftest.hcl"
ACCOUNT_ID = "123456789012"
PARTITION = "aws"
BUCKET_NAME = "failure-records-under-test"
ROLE_NAME = "role-under-test"
# The ARN each mocked resource type gets. Every resource of a type gets the same one; the checks
# compare references, so what matters is that the value is known when the plan is made.
MOCK_ARNS = {
    "aws_s3_bucket": f"arn:aws:s3:::{BUCKET_NAME}",
    **{created.resource: created.mock_arn.format(account=ACCOUNT_ID) for created in CREATED.values()},
    "aws_cloudwatch_log_group": f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/lambda/under-test",
    "aws_iam_role": f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}",
    "aws_cloudwatch_event_rule": f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/rule-under-test",
    "aws_lambda_alias": f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:under-test:live",
}
_TRIGGER_RUN_MOCKS = ("aws_cloudwatch_event_rule", "aws_lambda_alias", "aws_sqs_queue")
# The topic the function module's trigger run subscribes it to, in another account: its permission names that one.
MOCK_TOPIC_ACCOUNT = "210987654321"
MOCK_TOPIC_ARN = f"arn:aws:sns:us-east-1:{MOCK_TOPIC_ACCOUNT}:topic-under-test"
# A table the function module's own run grants a statement on: the module adds it after the generated ones.
MOCK_TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/table-under-test"
_RETRY_LIMIT = next(f.maximum for f in FUNCTION_SETTINGS if f.name == "maximum_retry_attempts")
REJECTED_RETRIES = (_RETRY_LIMIT or 0) + 1  # one more than Lambda allows: the negative test's value


class Mock(Record):
    resource_type: str
    values: Mapping[str, str]


def mocked_resources(uses_bucket: bool, created: Mapping[str, Mapping[str, Any]]) -> tuple[Mock, ...]:
    """The resources whose ARNs the checks compare: the bucket, the destinations created, log group and role."""
    mocks = []
    if uses_bucket:
        mocks.append(Mock("aws_s3_bucket", {"arn": MOCK_ARNS["aws_s3_bucket"], "id": BUCKET_NAME}))
    for kind, names in created.items():
        if names:
            resource_type = CREATED[kind].resource
            mocks.append(Mock(resource_type, {"arn": MOCK_ARNS[resource_type]}))
    # The function module's trigger run compares its rule, alias and undelivered queue by ARN.
    mocked = {mock.resource_type for mock in mocks}
    mocks.extend(Mock(kind, {"arn": MOCK_ARNS[kind]}) for kind in _TRIGGER_RUN_MOCKS if kind not in mocked)
    mocks.append(Mock("aws_cloudwatch_log_group", {"arn": MOCK_ARNS["aws_cloudwatch_log_group"]}))
    mocks.append(Mock("aws_iam_role", {"arn": MOCK_ARNS["aws_iam_role"], "id": ROLE_NAME}))
    return tuple(mocks)


PROVISIONED_UNDER_TEST = 2


def with_provisioned_concurrency(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A function's settings, unreserved, with environments provisioned on its alias."""
    return {**settings, "reserved_concurrency": None, "provisioned_concurrency": PROVISIONED_UNDER_TEST}


def with_too_many_retries(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A function's settings with its retries one past the limit."""
    return {**settings, "maximum_retry_attempts": REJECTED_RETRIES}
