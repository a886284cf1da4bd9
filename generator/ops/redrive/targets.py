"""Where a redriven event goes: the function the record's key names, in the bucket's own partition, account and region.

Every function role may write to the bucket, so a record's ``functionArn`` is whatever some function wrote;
only the key's function name and the bucket's home are trusted.
"""

from __future__ import annotations

import sys

import botocore.exceptions

from generator.ops.aws import Aws
from generator.ops.present import safe
from generator.ops.records import FailureRecord, RecordError
from generator.record import Record

QUALIFIER_PATTERN = r"[A-Za-z0-9$_-]{1,128}"  # Lambda's pattern for a version or alias name


class Home(Record):
    """The bucket's partition, account and region: redrive invokes functions there and nowhere else.

    Every function role may write to the bucket, so a record's ``functionArn`` is whatever some
    function wrote. Redrive trusts only the key's function name and this home.
    """

    partition: str
    account: str
    region: str

    def function_arn(self, name: str, qualifier: str | None) -> str:
        arn = f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}"
        return f"{arn}:{qualifier}" if qualifier else arn


def bucket_home(aws: Aws) -> Home:
    identity = aws.sts().get_caller_identity()
    account, partition = identity["Account"], identity["Arn"].split(":")[1]
    location = aws.s3.get_bucket_location(Bucket=aws.target.bucket, ExpectedBucketOwner=account)
    region = location.get("LocationConstraint") or "us-east-1"
    return Home(partition, account, "eu-west-1" if region == "EU" else region)


def invoke_target(record: FailureRecord, home: Home, to_qualifier: str | None = None) -> str:
    """The ARN to invoke: the key's function in the bucket's home, with the record's qualifier if it agrees.

    ``to_qualifier`` replaces the record's qualifier, so a fixed version or alias can be targeted.
    """
    parts = record.function_arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        raise RecordError(f"its functionArn {safe(record.function_arn)!r} is not a Lambda function ARN")
    partition, region, account, name = parts[1], parts[3], parts[4], parts[6]
    if name != record.key.function:
        raise RecordError(f"its functionArn names {safe(name)!r}, but it is stored under {record.key.function}")
    if (partition, region, account) != (home.partition, home.region, home.account):
        raise RecordError(
            f"its functionArn is in {safe(region)} of account {safe(account)}, not in the bucket's "
            f"{home.region} of account {home.account}"
        )
    qualifier = parts[7] if len(parts) == 8 and parts[7] != "$LATEST" else None
    return home.function_arn(name, to_qualifier or qualifier)


def warn_about_throttled_functions(aws: Aws, home: Home, functions: list[str]) -> None:
    for name in functions:
        target = home.function_arn(name, None)
        try:
            concurrency = aws.lambda_for(home.region).get_function_concurrency(FunctionName=target)
        except botocore.exceptions.ClientError:
            continue
        if concurrency.get("ReservedConcurrentExecutions") == 0:
            print(
                f"warning: {target.rsplit(':', 1)[-1]} has reserved concurrency 0, so Lambda records every redriven "
                "event again at once without running it; raise it (functions[].reserved_concurrency) before redriving",
                file=sys.stderr,
            )
