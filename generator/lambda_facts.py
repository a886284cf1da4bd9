"""What AWS Lambda does with an asynchronous event, as AWS documents it, each fact beside its source.

The rendered README, ``failures show`` and ``failures wait`` all describe this behaviour;
they take it from here so that they cannot disagree with each other or drift from AWS.
"""

from __future__ import annotations

from generator.record import Record

# "How Lambda handles errors and retries with asynchronous invocation"
ERROR_HANDLING_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html"
# "Capturing records of Lambda asynchronous invocations"
RECORDS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
# PutFunctionEventInvokeConfig: "Configures options for asynchronous invocation on a function, version, or
# alias." and "By default, Lambda retries an asynchronous invocation twice if the function returns an error. It
# retains events in a queue for up to six hours." A config on an alias leaves the bare function at these defaults.
INVOKE_CONFIG_DOC = "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html"

# ERROR_HANDLING_DOC: "If the function returns an error, by default Lambda attempts to run it two more times,
# with a one-minute wait between the first two attempts, and two minutes between the second and third attempts."
RETRY_DELAYS_SECONDS = (60, 120)

# ERROR_HANDLING_DOC: throttled events (429) and system errors are retried "for up to 6 hours by default", that
# is, up to the maximum event age; expected_record says so for a throttled function.

# RECORDS_DOC: "When you set reserved concurrency to zero for an asynchronously invoked function, Lambda begins
# sending new events to the configured dead-letter queue or the on-failure event destination, without any retries."
# The record then has condition ZeroReservedConcurrency, approximateInvokeCount 0, and no response.
ZERO_CONCURRENCY_CONDITION = "ZeroReservedConcurrency"

# RECORDS_DOC, "Amazon S3 destinations": Lambda writes each record of a failed event as a JSON object at
# aws/lambda/async/<function name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>, with the function's execution role.
RECORD_PREFIX = "aws/lambda/async/"


def record_prefix(function: str) -> str:
    """Where Lambda writes the records of ``function``: the only part of a bucket its role may write."""
    return f"{RECORD_PREFIX}{function}/"


class Condition(Record):
    """A value of ``requestContext.condition`` in a failure record."""

    name: str
    meaning: str  # one line for people reading a record


# RECORDS_DOC lists the record's fields; these are the conditions Lambda writes on failure.
CONDITIONS = {
    c.name: c
    for c in (
        Condition("RetriesExhausted", "the function returned an error on its first attempt and on every retry"),
        Condition(
            "EventAgeExceeded",
            "the event waited longer than the maximum event age (throttled, or retried too long) and was not run again",
        ),
        Condition(
            ZERO_CONCURRENCY_CONDITION,
            "the function's reserved concurrency is 0, so Lambda sent the event here at once, without running it "
            "or retrying",
        ),
    )
}


def condition_meaning(name: str) -> str:
    """The line ``failures show`` prints; a condition AWS adds later is passed through by name."""
    known = CONDITIONS.get(name)
    return known.meaning if known else "a condition this version of the generator does not know; see " + RECORDS_DOC


def retries_seconds(retry_attempts: int) -> int:
    """How long the retries of an event whose handler keeps failing take, by the documented delays."""
    return sum(RETRY_DELAYS_SECONDS[:retry_attempts])


def expected_record(reserved_concurrency: int | None, retry_attempts: int, maximum_event_age: int) -> str:
    """When the failure record of an event that fails should arrive, for a function configured like this."""
    if reserved_concurrency == 0:
        return (
            f"within seconds, as {ZERO_CONCURRENCY_CONDITION} (with reserved concurrency 0, Lambda records the event "
            "at once, without running it)"
        )
    retrying = retries_seconds(retry_attempts)
    if retrying >= maximum_event_age:
        return (
            f"after about {maximum_event_age} s, as EventAgeExceeded (the retries would outlast the maximum event age)"
        )
    if retry_attempts == 0:
        return "within seconds of the failed attempt (no retries), as RetriesExhausted"
    delays = " and ".join(f"{d // 60} min" for d in RETRY_DELAYS_SECONDS[:retry_attempts])
    return (
        f"after about {retrying // 60} min, as RetriesExhausted ({retry_attempts} retries, {delays} apart); "
        f"if the function is throttled instead, up to the maximum event age ({maximum_event_age} s)"
    )


# RECORDS_DOC, "Example invocation record": the members of a failure record. The Athena table over the
# failure bucket declares them as columns (Hive lowercases column names; the JSON SerDe matches either case);
# requestPayload is any JSON the event held, so the table keeps it as its JSON text.
RECORD_COLUMNS = (
    ("version", "string"),
    ("timestamp", "string"),
    ("requestContext", "struct<requestId:string,functionArn:string,condition:string,approximateInvokeCount:int>"),
    ("requestPayload", "string"),
    ("responseContext", "struct<statusCode:int,executedVersion:string,functionError:string>"),
    ("responsePayload", "struct<errorMessage:string,errorType:string,requestId:string,stackTrace:array<string>>"),
)


# "Lambda runtimes" (RUNTIMES_DOC), its tables of supported and deprecated runtimes, read on 2026-12-03: each
# runtime's operating system, and the dates after which Lambda stops patching it (deprecation), refuses new
# functions on it, and refuses updates to functions on it.
RUNTIMES_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
# The glibc each operating system ships (Amazon Linux 2023 user guide, "Comparing AL2 and AL2023": glibc 2.34 in
# AL2023, 2.26 in AL2): the newest manylinux tag whose wheels load there.
GLIBC_DOC = "https://docs.aws.amazon.com/linux/al2023/ug/compare-with-al2.html"
_GLIBC = {"Amazon Linux 2023": (2, 34), "Amazon Linux 2": (2, 26)}


class Runtime(Record):
    """A Lambda runtime this generator deploys to, and when AWS retires it."""

    name: str  # the runtime identifier: python3.13, nodejs22.x
    operating_system: str
    deprecated_on: str  # ISO dates, from RUNTIMES_DOC
    blocks_create_on: str
    blocks_update_on: str

    @property
    def language(self) -> str:
        return "python" if self.name.startswith("python") else "nodejs"

    @property
    def version(self) -> str:
        """The language version: 3.13 for python3.13, 22 for nodejs22.x."""
        return self.name.removeprefix("python").removeprefix("nodejs").removesuffix(".x")

    @property
    def glibc(self) -> tuple[int, int]:
        return _GLIBC[self.operating_system]

    def warning(self) -> str | None:
        """What a user choosing this runtime should hear, or None for a current one."""
        if self.operating_system == "Amazon Linux 2023":
            return None
        return (
            f"{self.name} runs on {self.operating_system}, whose support ended; Lambda deprecates {self.name} on "
            f"{self.deprecated_on} and refuses updates to its functions from {self.blocks_update_on} "
            f"({RUNTIMES_DOC}); move to {NEWEST_RUNTIME[self.language]}"
        )


SUPPORTED_RUNTIMES = (
    Runtime("python3.14", "Amazon Linux 2023", "2029-06-30", "2029-07-31", "2029-08-31"),
    Runtime("python3.13", "Amazon Linux 2023", "2029-06-30", "2029-07-31", "2029-08-31"),
    Runtime("python3.12", "Amazon Linux 2023", "2028-10-31", "2028-11-30", "2029-01-10"),
    Runtime("python3.11", "Amazon Linux 2", "2027-06-30", "2027-07-31", "2027-08-31"),
    Runtime("nodejs24.x", "Amazon Linux 2023", "2028-04-30", "2028-06-01", "2028-07-01"),
    Runtime("nodejs22.x", "Amazon Linux 2023", "2027-04-30", "2027-06-01", "2027-07-01"),
)
RUNTIMES_BY_NAME = {runtime.name: runtime for runtime in SUPPORTED_RUNTIMES}
NEWEST_RUNTIME = {"python": "python3.14", "nodejs": "nodejs24.x"}
# RUNTIMES_DOC, "Deprecated runtimes": when each was deprecated. A render refuses them: functions on them get no
# security patches, and Lambda refuses to create (and later to update) them.
DEPRECATED_RUNTIMES = {
    "python3.10": "2026-06-30",
    "python3.9": "2025-12-15",
    "python3.8": "2024-10-14",
    "nodejs20.x": "2026-04-30",
    "nodejs18.x": "2025-09-01",
    "nodejs16.x": "2024-06-12",
}


def deprecated_runtime_problem(name: object) -> str | None:
    """Why a runtime outside the supported ones is refused, when AWS has retired it."""
    if not isinstance(name, str) or name not in DEPRECATED_RUNTIMES:
        return None
    language = "python" if name.startswith("python") else "nodejs"
    return (
        f"{name} was deprecated on {DEPRECATED_RUNTIMES[name]}: Lambda no longer patches it and refuses new "
        f"functions on it ({RUNTIMES_DOC}); use {NEWEST_RUNTIME[language]}"
    )


# "Lambda quotas", "Function configuration, deployment, and execution": a deployment package is at most 50 MB
# zipped when uploaded directly (larger ones go through Amazon S3), and 250 MB unzipped, layers and custom
# runtimes included. The API counts in MiB: CreateFunction refuses an unzipped size of 262144000 bytes or more.
QUOTAS_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024


# The Invoke API page (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html): "For synchronous invocations,
# the maximum payload size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB." (256 KB before
# 2025; the quotas page, QUOTAS_DOC, says the same.) Redrive and wait --invoke check a payload against these.
INVOKE_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html"
MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
