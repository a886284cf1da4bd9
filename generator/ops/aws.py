"""The AWS clients the failure tools use, and AWS's errors turned into one sentence for people."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from generator import DISTRIBUTION
from generator.errors import AwsError, UsageError
from generator.ops.present import safe
from generator.record import Record, field

if TYPE_CHECKING:  # the stubs come with the test extras; at run time only boto3 itself is needed
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient

try:
    import boto3
    import botocore.config
    import botocore.exceptions

    HAVE_BOTO3 = True
except ImportError:  # pragma: no cover - exercised by users without the extra
    HAVE_BOTO3 = False

# botocore's standard mode retries throttling and transient errors with exponential backoff and jitter.
_RETRIES = {"mode": "standard", "max_attempts": 8}
MAX_CONNECTIONS = 32  # per client: the most requests a command has in flight at once


class Workgroup(Record):
    """Where the project's queries run, from its outputs athena_workgroup and athena_table (database.table)."""

    name: str
    database: str
    table: str


class Target(Record):
    """Where the records are and how to reach AWS."""

    bucket: str
    region: str | None = None
    endpoint_url: str | None = None
    ca_bundle: str | None = None  # the certificate to trust at endpoint_url (the sandbox's)
    sandbox: bool = False  # endpoint_url is the generator's sandbox, which takes any credentials
    # The functions whose records go to an SQS queue, with its ARN: the failures commands read it for them.
    queues: dict[str, str] = field(default_factory=dict)
    # The project's Athena workgroup, database and table (analytics.enabled), for --athena and failures query.
    athena: Workgroup | None = None
    outputs: dict[str, Any] | None = None  # the project's terraform outputs, when it was found through them


def make_session(region: str | None, sandbox: bool = False) -> boto3.session.Session:
    """The boto3 session every client comes from (tests attach event hooks to it); the sandbox's signs with
    stand-in credentials, so none need to be configured."""
    if not HAVE_BOTO3:
        raise UsageError(
            f"the failures commands need boto3: pip install '{DISTRIBUTION}[ops]' (in a checkout: pip install '.[ops]')"
        )
    if sandbox:
        return boto3.session.Session(region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
    return boto3.session.Session(region_name=region)


class Aws:
    """The clients a command needs, with AWS errors translated into messages for people."""

    def __init__(self, target: Target, session: boto3.session.Session | None = None) -> None:
        self.target = target
        self.session = session or make_session(target.region, sandbox=target.sandbox)
        self._config = botocore.config.Config(retries=_RETRIES, max_pool_connections=MAX_CONNECTIONS)  # type: ignore[arg-type]
        self.s3: S3Client = self.session.client("s3", **self.where(None))
        self._lambda: dict[str | None, LambdaClient] = {}
        self._sqs: dict[str | None, SQSClient] = {}

    def where(self, region: str | None) -> dict[str, Any]:
        trust = {"verify": self.target.ca_bundle} if self.target.ca_bundle else {}
        return {"region_name": region or self.target.region, "endpoint_url": self.target.endpoint_url,
                "config": self._config, **trust}  # fmt: skip

    def sts(self) -> STSClient:
        return self.session.client("sts", **self.where(None))

    def lambda_for(self, region: str | None) -> LambdaClient:
        if region not in self._lambda:
            self._lambda[region] = self.session.client("lambda", **self.where(region))
        return self._lambda[region]

    def athena(self) -> AthenaClient:
        return self.session.client("athena", **self.where(None))

    def sqs_for(self, region: str | None) -> SQSClient:
        if region not in self._sqs:
            self._sqs[region] = self.session.client("sqs", **self.where(region))
        return self._sqs[region]


@contextlib.contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Turn the errors that stop a whole command into one clear sentence (exit 2)."""
    try:
        yield
    except botocore.exceptions.NoCredentialsError:
        raise AwsError(f"{what}: no AWS credentials found; configure a profile, environment variables or SSO") from None
    except botocore.exceptions.NoRegionError:
        raise AwsError(f"{what}: no AWS region; pass --region or set AWS_REGION") from None
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError) as exc:
        raise AwsError(f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'the AWS endpoint')}") from None
    except botocore.exceptions.ClientError as exc:
        raise AwsError(f"{what}: {describe_client_error(exc)}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError(f"{what}: {exc}") from None


# Refusals that concern the credentials or the bucket, not one record.
# AWS error codes by what they mean to the person running the command.
_MISSING_BUCKET = frozenset({"NoSuchBucket"})
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_INVALID = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                      "InvalidClientTokenId"})  # fmt: skip
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "403", "Forbidden"})
# Refusals that concern the credentials or the bucket, not one record.
_WHOLE_COMMAND_CODES = _MISSING_BUCKET | _EXPIRED | _INVALID | _DENIED


def is_whole_command_error(exc: botocore.exceptions.ClientError) -> bool:
    """A refusal about the credentials or the bucket: no other record could be read either."""
    return exc.response.get("Error", {}).get("Code") in _WHOLE_COMMAND_CODES


def describe_client_error(exc: botocore.exceptions.ClientError) -> str:
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "") or str(exc)
    if code in _MISSING_BUCKET:
        return "the bucket does not exist (check --bucket and the region)"
    if code in _EXPIRED:
        return "the AWS credentials have expired; refresh them (for example: aws sso login) and try again"
    if code in _INVALID:
        return "the AWS credentials are not valid for this account"
    if code in _DENIED:
        return f"access denied ({safe(message)})"
    return safe(f"{code or 'error'}: {message}")
