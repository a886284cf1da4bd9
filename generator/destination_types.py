"""The five kinds of asynchronous-invocation destination, one declaration each.

Config validation reads a type's name and ARN pattern, the rendered Terraform its permission, created resource
and name limit, the README and messages its words, and the rendered ``terraform test`` its mock ARN: a new
type, or a change to one, is made here. Which destinations Lambda accepts, and the permission each needs on
the execution role, are on AWS's page on asynchronous invocation destinations:
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

from generator.record import Record

RETAIN_RECORDS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
_PARTITION = r"arn:aws[a-z-]*"
SNS_TOPIC_ARN_PATTERN = rf"^{_PARTITION}:sns:[a-z0-9-]+:[0-9]{{12}}:[A-Za-z0-9_-]{{1,256}}$"


class Created(Record):
    """What the project creates for a destination the config names by type alone."""

    resource: str  # the Terraform resource type
    name_limit: int  # the longest name of one
    mock_arn: str  # the rendered terraform test's stand-in for one, in its {account}


class DestinationType(Record):
    """One kind of destination: how the config names and checks it, and what the project grants and creates."""

    name: str  # the config's `type`
    words: str  # what it is, for sentences: "the SQS queue orders-on-failure"
    arn_pattern: str  # an ARN of it the config accepts
    action: str  # what the function's role needs to deliver a record to it
    statement: str  # the role policy statement's id, with {word}: Failure or Success
    created: Created | None = None  # what the project creates when the config gives no ARN; None: never
    # The largest record it takes, in bytes, and the page that says so; None: no limit near a record's size.
    record_limit: int | None = None
    limit_source: str = ""


TYPES = (
    DestinationType(
        "s3", "S3 bucket", rf"^{_PARTITION}:s3:::[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]$", "s3:PutObject",
        "Write{word}Records",
    ),
    DestinationType(
        "sqs", "SQS queue", rf"^{_PARTITION}:sqs:[a-z0-9-]+:[0-9]{{12}}:[A-Za-z0-9_-]{{1,80}}$", "sqs:SendMessage",
        "Send{word}ToQueue",
        # A created queue's dead-letter queue adds -dlq to its name, and SQS allows 80 characters.
        Created("aws_sqs_queue", 80 - len("-dlq"), "arn:aws:sqs:us-east-1:{account}:queue-under-test"),
        # A queue's MaximumMessageSize defaults to 256 KiB (it may be raised to 1 MiB; the AWS provider 5.x, which
        # creates the queues, accepts at most 262144 for max_message_size).
        256 * 1024, "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html",
    ),
    DestinationType(
        "sns", "SNS topic", SNS_TOPIC_ARN_PATTERN, "sns:Publish", "Publish{word}ToTopic",
        Created("aws_sns_topic", 256, "arn:aws:sns:us-east-1:{account}:topic-under-test"),
        # "By default, topics accept messages up to 256 KiB" (MaximumMessageSize may raise it to 1 MiB).
        256 * 1024, "https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html",
    ),
    DestinationType(
        "eventbridge", "EventBridge bus",
        rf"^{_PARTITION}:events:[a-z0-9-]+:[0-9]{{12}}:event-bus/[A-Za-z0-9._/-]{{1,256}}$", "events:PutEvents",
        "Put{word}Events",
        Created("aws_cloudwatch_event_bus", 256, "arn:aws:events:us-east-1:{account}:event-bus/bus-under-test"),
        # "The total entry size must be less than 256KB."
        256 * 1024, "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html",
    ),
    DestinationType(
        "lambda", "Lambda function",
        rf"^{_PARTITION}:lambda:[a-z0-9-]+:[0-9]{{12}}:function:[A-Za-z0-9_-]{{1,64}}(:[A-Za-z0-9$_-]+)?$",
        "lambda:InvokeFunction", "Invoke{word}Function", None,
        # The record is the payload of an asynchronous invoke of the destination function: 1 MB at most.
        1024 * 1024, "https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html",
    ),
)  # fmt: skip
BY_NAME = {t.name: t for t in TYPES}
NAMES = tuple(BY_NAME)
CREATED = {t.name: t.created for t in TYPES if t.created is not None}  # the kinds the project can create

# The statements render writes into each role's policy beside the destinations' own: the function module's log,
# trace, network and key statements (modules/function/iam.tf), the listing Lambda needs beside an S3
# destination, and the KMS key of a failure bucket encrypted with one. A function's own policy_statements may
# not reuse any of these ids.
LOG_STATEMENT = "WriteOwnLogs"
TRACES_STATEMENT = "WriteTraces"  # with tracing Active
DECRYPT_ENVIRONMENT_STATEMENT = "DecryptEnvironment"  # with a kms_key_arn of the function's
NETWORK_INTERFACES_STATEMENT = "ManageNetworkInterfaces"  # in a VPC
LIST_BUCKET_STATEMENT = "List{word}Bucket"
ENCRYPT_RECORDS_STATEMENT = "EncryptFailureRecords"
WORDS = ("Failure", "Success")  # the {word} of a statement id: which of a function's destinations it serves
GENERATED_STATEMENT_IDS = frozenset({
    LOG_STATEMENT, TRACES_STATEMENT, DECRYPT_ENVIRONMENT_STATEMENT, NETWORK_INTERFACES_STATEMENT,
    ENCRYPT_RECORDS_STATEMENT,
    *(template.format(word=word) for template in (LIST_BUCKET_STATEMENT, *(t.statement for t in TYPES))
      for word in WORDS),
})  # fmt: skip
