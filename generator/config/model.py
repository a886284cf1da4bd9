"""The v1 config: typed models, their defaults, and the checks that guard them.

Every key is declared once, as an attribute of its section's model (``config_key``),
and every rule between keys once, in the section's ``RULES``. The same declarations
drive validation here, the JSON Schema, the ``validation`` blocks of the rendered
Terraform and the README's key table, so the generator and its output can never
disagree about what a valid value is.
"""

from __future__ import annotations

import fnmatch
import inspect
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, dataclass_transform

from generator import destination_types, lambda_facts, trigger_types
from generator.bucket_layout import ATHENA_RESULTS_PREFIX
from generator.config._yaml import KeyPath, LoadedYaml, load_yaml, read_config_text
from generator.config.rules import ExactlyOne, LengthBy, OnlyWhen, PatternBy, Required, Rule, When
from generator.destination_types import SNS_TOPIC_ARN_PATTERN
from generator.errors import ConfigError, ConfigProblemsError
from generator.record import FieldSpec, Record, field, replace

# Values AWS accepts, as of the provider versions in versions.tf.
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip
RUNTIMES = tuple(runtime.name for runtime in lambda_facts.SUPPORTED_RUNTIMES)
PYTHON_RUNTIMES = tuple(name for name in RUNTIMES if name.startswith("python"))
NODEJS_RUNTIMES = tuple(name for name in RUNTIMES if name.startswith("nodejs"))
ARCHITECTURES = ("arm64", "x86_64")
TRACING_MODES = ("PassThrough", "Active")
# "Configuring advanced logging controls for Lambda functions": log levels filter only JSON logs.
LOGGING_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html"
LOG_FORMATS = ("Text", "JSON")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
# "Use Lambda recursive loop detection to prevent infinite loops": Lambda detects certain loops (the page lists
# the services and SDKs it tracks) and by default stops invoking the function and notifies; Allow turns that off.
RECURSION_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html"
RECURSIVE_LOOP_ACTIONS = ("Terminate", "Allow")
# "Configuring provisioned concurrency for a function": it is set on a version or an alias, never above the
# function's reserved concurrency, and it is billed while configured (https://aws.amazon.com/lambda/pricing/).
PROVISIONED_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html"
NAMING_MODES = ("random_uuid", "bucket_prefix", "fixed")
ALARM_PERIODS = (60, 300, 900, 3600, 21600, 86400)
CI_SYSTEMS = ("none", "github-actions")
RESERVED_ENVIRONMENT_KEYS = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
})  # fmt: skip
ENVIRONMENT_MAX_BYTES = 4096
UUID_LENGTH = 36  # random_uuid.result, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e
MAX_BUCKET_NAME_LENGTH = 63
MAX_RANDOM_UUID_PREFIX = MAX_BUCKET_NAME_LENGTH - 1 - UUID_LENGTH  # 26
MAX_BUCKET_PREFIX = 37 - 1  # the provider caps bucket_prefix at 37 characters, "<prefix>-" included

PROJECT_PATTERN = r"^[a-z0-9-]{1,32}$"
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$"
FUNCTION_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ENVIRONMENT_KEY_PATTERN = r"^[A-Za-z][A-Za-z0-9_]+$"
BUCKET_PREFIX_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
KMS_KEY_ARN_PATTERN = r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$"
HANDLER_PATTERN = r"^[^\s]{1,128}$"
# Lambda's alias names (API reference, CreateAlias): not all digits, which would name a version.
ALIAS_PATTERN = r"^(?![0-9]+$)[A-Za-z0-9_-]{1,128}$"
# IAM's policy grammar (IAM User Guide, "IAM JSON policy element reference"): a Sid of letters and digits;
# an action as service:Action, wildcards allowed in the action's name; a condition as operator, key and values.
IAM_POLICY_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html"
POLICY_SID_PATTERN = r"^[A-Za-z0-9]{1,100}$"
IAM_ACTION_PATTERN = r"^[a-z0-9-]+:[A-Za-z0-9*?]+$"
CONDITION_OPERATOR_PATTERN = r"^(ForAllValues:|ForAnyValue:)?[A-Za-z]+$"
CONDITION_KEY_PATTERN = r"^[A-Za-z0-9-]+:[A-Za-z0-9_./:${}*-]+$"
# CreateFunction's Layers: at most five layer version ARNs, each arn:<partition>:lambda:<region>:<account>:layer:
# <name>:<version> (Lambda API reference, "CreateFunction"; the quotas page: five layers a function).
LAYER_ARN_PATTERN = r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]{1,140}:[0-9]+$"
MAX_LAYERS = 5
# CreateFunction's VpcConfig: at most 16 subnets and 5 security groups.
SUBNET_ID_PATTERN = r"^subnet-[0-9a-f]{8,17}$"
SECURITY_GROUP_ID_PATTERN = r"^sg-[0-9a-f]{8,17}$"
MAX_SUBNETS, MAX_SECURITY_GROUPS = 16, 5
MANAGED_POLICY_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,512}$"
# The partition of a region's ARNs, by the region's prefix (AWS General Reference, "Amazon Resource Names":
# aws, aws-cn for China, aws-us-gov for GovCloud (US), aws-iso* for the isolated regions).
_PARTITION_BY_PREFIX = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"),
                        ("us-iso-", "aws-iso"), ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"))  # fmt: skip


def partition_of(region: str) -> str:
    """The ARN partition of ``region``: ``aws`` but for China, GovCloud and the isolated regions."""
    return next((partition for prefix, partition in _PARTITION_BY_PREFIX if region.startswith(prefix)), "aws")


# A conservative address: letters, digits and . _ % + - before the @, DNS labels of 63 at most after it, and a
# top-level label of letters; nothing Markdown, HTML or a terminal would read as markup. RE2 (Terraform) has no
# lookahead, so RFC 5321's lengths are limits of their own: 64 octets before the @, 254 in all.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
EMAIL_LOCAL_MAX, EMAIL_MAX = 64, 254
# What each pattern means, in the words an error message uses: no one should have to read a regex.
PATTERN_WORDS = {
    PROJECT_PATTERN: "1 to 32 lowercase letters, digits and -",
    REGION_PATTERN: "an AWS region code such as us-east-1",
    FUNCTION_NAME_PATTERN: "1 to 64 letters, digits, - and _",
    BUCKET_PREFIX_PATTERN: "lowercase letters, digits and -, starting with a letter or digit",
    KMS_KEY_ARN_PATTERN: "a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key id>",
    HANDLER_PATTERN: "<file>.<function>, 1 to 128 characters with no spaces",
    ALIAS_PATTERN: "1 to 128 letters, digits, - and _, not all digits (that would name a version)",
    SNS_TOPIC_ARN_PATTERN: "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts",
    EMAIL_PATTERN: "an email address such as oncall@example.com (letters, digits and . _ % + - before the @)",
    POLICY_SID_PATTERN: "1 to 100 letters and digits",
    CONDITION_OPERATOR_PATTERN: "an IAM condition operator such as StringEquals or ForAnyValue:StringLike",
    CONDITION_KEY_PATTERN: "an IAM condition key such as aws:SourceAccount",
}
TAG_KEY_MAX, TAG_VALUE_MAX = 128, 256
MAX_TAGS_PER_RESOURCE = 50  # S3, Lambda, IAM, CloudWatch Logs, SQS and SNS all allow 50 user tags a resource
DEFAULT_TAG_KEYS = ("Project", "ManagedBy")  # set on every resource by the provider's default_tags
API_INTEGER_MAX = 2**31 - 1  # AWS's API models type these numbers as 32-bit integers

Check = Callable[[Any], "str | None"]


class ListItems(Record):
    """What each entry of a list key must match, and how many it may hold: the schema and the module's
    validation say the same as the key's check."""

    pattern: str
    most: int
    words: str  # what the entries are, for messages: "layer version ARNs"


class Field(Record):
    """One config key: its type, default and limits, with a sentence for users."""

    name: str
    type: type
    default: Any
    doc: str
    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: Sequence[Any] | None = None
    pattern: str | None = None
    check: Check | None = None
    setting: bool = False  # a per-function setting: in the function module's settings variable, checked there
    choices_words: str = ""  # what the choices are, for messages: "the values CloudWatch Logs accepts"
    null_words: str = ""  # what null means, for messages: "unreserved"
    monitoring: bool = False  # a setting of the function's alarms: rendered only while monitoring is enabled
    unit: str = ""  # what a whole number counts, for messages: "days"
    items: ListItems | None = None  # a list key's entries

    def validate(self, value: Any) -> str | None:
        """Return what is wrong with ``value``, or None when it is acceptable."""
        if value is None:
            return None if self.nullable else "must be set; null is not allowed here"
        if not _is_type(value, self.type):
            return f"must be {_TYPE_WORDS[self.type]}, got {_describe(value)}"
        if self.choices is not None and value not in self.choices:
            # a check may say why a value outside the choices is refused (a runtime AWS retired, say)
            return (
                self.check(value) if self.check else None
            ) or f"must be one of {', '.join(map(str, self.choices))}; got {value!r}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}, got {value}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum}, got {value}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"must be {PATTERN_WORDS[self.pattern]}; got {value!r}"
        return self.check(value) if self.check else None


_TYPE_WORDS: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    dict: "a mapping of strings to strings",
    list: "a list",
}


def _is_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _describe(value: Any) -> str:
    """A value as the YAML that wrote it: true, 5, "text", null, a list, a mapping."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "another kind of value"


# --- checks that need more than a pattern -------------------------------------------------


def _tag_problem(tags: Mapping[str, Any]) -> str | None:
    count = len(set(tags) | set(DEFAULT_TAG_KEYS))
    if count > MAX_TAGS_PER_RESOURCE:
        return (f"AWS allows {MAX_TAGS_PER_RESOURCE} tags a resource, and with {', '.join(DEFAULT_TAG_KEYS)} "
                f"these make {count}; remove {count - MAX_TAGS_PER_RESOURCE}")  # fmt: skip
    for key, value in tags.items():
        if not isinstance(value, str):
            return f"the value of tag {key!r} must be text, got {_describe(value)}; quote numbers and booleans"
        if not 1 <= len(key) <= TAG_KEY_MAX:
            return f"tag key {key!r} must be 1 to {TAG_KEY_MAX} characters"
        if len(value) > TAG_VALUE_MAX:
            return f"the value of tag {key!r} is longer than {TAG_VALUE_MAX} characters"
        if key.lower().startswith("aws:"):
            return f"tag key {key!r} starts with 'aws:', which AWS reserves for itself"
        for text in (key, value):
            bad = next((c for c in text if not _tag_character_ok(c)), None)
            if bad is not None:
                return (f"tag {key!r} contains {bad!r}; AWS allows letters, digits, spaces and _ . : / = + - @ "
                        "in tag keys and values")  # fmt: skip
    return None


TAG_SYMBOLS = "_.:/=+-@"  # besides letters, digits and spaces (Unicode categories L, N and Z)
# The same alphabet as an RE2 pattern, for the rendered Terraform validation.
TAG_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=+@-]*$"


def _tag_character_ok(char: str) -> bool:
    if char.isascii():  # ASCII's letters, digits and space are its only characters of categories L, N and Z
        return char.isalnum() or char == " " or char in TAG_SYMBOLS
    import unicodedata  # only for non-ASCII tags: keeps it off the render path's import time

    return unicodedata.category(char)[0] in "LNZ"


def _environment_problem(variables: Mapping[str, Any]) -> str | None:
    size = 0
    for key, value in variables.items():
        if not isinstance(value, str):
            return f"{key!r} must be text, got {_describe(value)}; quote numbers and booleans"
        if not re.fullmatch(ENVIRONMENT_KEY_PATTERN, key):
            return f"variable name {key!r} must start with a letter and hold at least two letters, digits or _"
        if key in RESERVED_ENVIRONMENT_KEYS:
            return f"variable name {key!r} is reserved by the Lambda runtime"
        size += len(key.encode()) + len(value.encode())
    if size > ENVIRONMENT_MAX_BYTES:
        return f"the variables take {size} bytes; Lambda allows {ENVIRONMENT_MAX_BYTES} in all"
    return None


def _patterns_problem(patterns: Sequence[Any]) -> str | None:
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            return f"each pattern must be a non-empty string, got {_describe(pattern)}"
    return None


def _emails_problem(addresses: Sequence[Any]) -> str | None:
    seen: set[str] = set()
    for address in addresses:
        if isinstance(address, str) and (len(address) > EMAIL_MAX or len(address.split("@")[0]) > EMAIL_LOCAL_MAX):
            return (f"an entry of {len(address)} characters is longer than an address may be (RFC 5321: "
                    f"{EMAIL_LOCAL_MAX} characters before the @, {EMAIL_MAX} in all)")  # fmt: skip
        if not isinstance(address, str) or not re.fullmatch(EMAIL_PATTERN, address):
            return f"each entry must be {PATTERN_WORDS[EMAIL_PATTERN]}, got {_describe(address)}"
        if address.lower() in seen:
            return f"{address!r} is listed twice"
        seen.add(address.lower())
    return None


# Name parts S3 keeps for itself ("General purpose bucket naming rules", Amazon S3 User Guide).
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """S3's general-purpose bucket naming rules, so a bad name fails here and not at apply time."""
    if not 3 <= len(name) <= MAX_BUCKET_NAME_LENGTH:
        return f"bucket name {name!r} must be 3 to {MAX_BUCKET_NAME_LENGTH} characters, has {len(name)}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return (f"bucket name {name!r} may hold only lowercase letters, digits, dots and hyphens, "
                "and must begin and end with a letter or digit")  # fmt: skip
    if ".." in name:
        return f"bucket name {name!r} must not contain two adjacent dots"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return f"bucket name {name!r} must not look like an IP address"
    for prefix in BUCKET_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"bucket name {name!r} must not start with {prefix!r}, which S3 reserves"
    for suffix in BUCKET_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"bucket name {name!r} must not end with {suffix!r}, which S3 reserves"
    return None


# --- the sections: each key declared once, in its model ---------------------------------------
#
# A section's keys are its model's fields, declared with ``config_key()``: the annotation gives the type (and
# ``| None`` or a null default makes null acceptable), ``config_key()`` the default, the limits and the sentence.
# ``Section`` turns them into the ``Field``s that validation, the JSON Schema, the Terraform validations
# and the README's key table read, so none of those can name a key the model lacks, or miss one.

# How an annotation's type is written in YAML: lists become tuples, a source directory a Path.
_YAML_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool, "dict[str, str]": dict, "tuple[str, ...]": list,
                                "Path": str}  # fmt: skip


def config_key(
    *,
    default: Any,
    doc: str,
    minimum: int | None = None,
    maximum: int | None = None,
    choices: Sequence[Any] | None = None,
    pattern: str | None = None,
    check: Check | None = None,
    setting: bool = False,
    choices_words: str = "",
    null_words: str = "",
    monitoring: bool = False,
    unit: str = "",
    items: ListItems | None = None,
) -> Any:
    """Declare a config key in a ``Section``: its default, limits and sentence (see ``Field``)."""
    return Field("", object, default, doc, minimum=minimum, maximum=maximum, choices=choices, pattern=pattern,
                 check=check, setting=setting, choices_words=choices_words, null_words=null_words,
                 monitoring=monitoring, unit=unit, items=items)  # fmt: skip


def _yaml_type(owner: str, name: str, annotation: str) -> tuple[type, bool]:
    """(the YAML type, whether null is allowed) of a key annotated ``annotation``."""
    options = [part.strip() for part in annotation.split("|")]
    optional = "None" in options
    options = [part for part in options if part != "None"]
    if len(options) != 1 or options[0] not in _YAML_TYPES:
        raise TypeError(f"{owner}.{name}: a config key cannot be {annotation!r} (known: {', '.join(_YAML_TYPES)})")
    return _YAML_TYPES[options[0]], optional


@dataclass_transform(frozen_default=True, field_specifiers=(config_key, field, FieldSpec))
class Section(Record):
    """A model whose ``config_key()`` attributes are config keys; ``FIELDS`` lists them, in order, as ``Field``s."""

    FIELDS: ClassVar[tuple[Field, ...]] = ()
    RULES: ClassVar[tuple[Rule, ...]] = ()  # between its keys: checked by the reader, stated by the schema

    def __init_subclass__(cls, **kwargs: Any) -> None:
        fields = []
        for name, annotation in inspect.get_annotations(cls).items():
            spec = cls.__dict__.get(name)
            if not isinstance(spec, Field):
                continue
            kind, optional = _yaml_type(cls.__name__, name, str(annotation))
            declared = replace(spec, name=name, type=kind, nullable=optional or spec.default is None)
            fields.append(declared)
            # The model's own default: a list is held as a tuple, a mapping is copied for each record.
            if isinstance(spec.default, dict):
                setattr(cls, name, field(default_factory=spec.default.copy))
            else:
                setattr(cls, name, tuple(spec.default) if isinstance(spec.default, list) else spec.default)
        cls.FIELDS = tuple(fields)
        names = {f.name for f in fields}
        for rule in cls.RULES:
            if unknown := set(rule.keys()) - names:
                raise TypeError(f"{cls.__name__}: a rule names {', '.join(sorted(unknown))}, not a key of it")
        super().__init_subclass__(**kwargs)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Each key's default as YAML gives it (a list, not a tuple), for the rules."""
        return {f.name: f.default for f in cls.FIELDS}


class FailureBucket(Section):
    """The S3 bucket that receives the records of failed asynchronous invocations."""

    naming: str = config_key(
        default="random_uuid",
        doc="How the failure bucket gets its unique name: random_uuid "
        "(<prefix>-<uuid>, by hashicorp/random), bucket_prefix (AWS adds a suffix) or fixed (name).",
        choices=NAMING_MODES,
    )
    prefix: str = config_key(
        default="async-lambda-destination",
        doc="Start of the bucket name: at most "
        f"{MAX_RANDOM_UUID_PREFIX} characters with random_uuid, {MAX_BUCKET_PREFIX} with "
        "bucket_prefix.",
        pattern=BUCKET_PREFIX_PATTERN,
    )
    name: str | None = config_key(
        default=None,
        doc="Full bucket name (fixed naming only); S3's naming rules are checked.",
        check=bucket_name_problem,
    )
    force_destroy: bool = config_key(
        default=False, doc="Let `terraform destroy` delete a bucket that still holds records."
    )
    versioning: bool = config_key(default=True, doc="Keep earlier versions of overwritten or deleted records.")
    expire_after_days: int | None = config_key(
        default=30,
        doc="Days after which failure records expire; null keeps them forever.",
        minimum=1,
        maximum=API_INTEGER_MAX,
        unit="days",
    )
    kms_key_arn: str | None = config_key(
        default=None,
        doc="KMS key for SSE-KMS (the roles get kms:GenerateDataKey on it); null uses SSE-S3 (AES256).",
        pattern=KMS_KEY_ARN_PATTERN,
    )

    RULES = (
        Required("name", When("naming", ("fixed",))),
        OnlyWhen(("name",), When("naming", ("fixed",))),
        LengthBy("prefix", "naming", (("random_uuid", MAX_RANDOM_UUID_PREFIX), ("bucket_prefix", MAX_BUCKET_PREFIX)),
                 f"so the full bucket name fits in {MAX_BUCKET_NAME_LENGTH}"),
    )  # fmt: skip


DESTINATION_TYPES = destination_types.NAMES
DESTINATION_KINDS = ("on_failure", "on_success")  # the two destinations of a function's invoke config
DESTINATION_ARN_PATTERNS = {t.name: t.arn_pattern for t in destination_types.TYPES}
SQS_MAX_RETENTION_SECONDS = 1209600  # 14 days, the most SQS keeps a message
DEFAULT_SQS_RETENTION_SECONDS = SQS_MAX_RETENTION_SECONDS
DEFAULT_SQS_MAX_RECEIVE_COUNT = 5


# Actions that let a role grant itself (or a principal it creates) more than it was given: the escalation paths
# Rhino Security Labs documented ("AWS IAM Privilege Escalation - Methods and Mitigation"). An Allow that an
# action pattern of a statement matches is refused; iam:PassRole and sts:AssumeRole only on "*".
ESCALATION_ACTIONS = (
    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreateAccessKey", "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile", "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
    "iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy", "iam:CreateRole", "iam:CreateUser", "iam:CreateServiceLinkedRole",
    "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile",
)  # fmt: skip
ESCALATION_ON_ANY_RESOURCE = ("iam:PassRole", "sts:AssumeRole")


def _strings_problem(values: Sequence[Any]) -> str | None:
    if not values:
        return "must hold at least one entry"
    for value in values:
        if not isinstance(value, str) or not value.strip():
            return f"each entry must be a non-empty string, got {_describe(value)}"
    return None


def _actions_problem(actions: Sequence[Any]) -> str | None:
    problem = _strings_problem(actions)
    if problem:
        return problem
    for action in actions:
        if action == "*" or action.endswith(":*"):
            return f"{action!r} grants every action{' of a service' if action != '*' else ''}; name the actions"
        if not re.fullmatch(IAM_ACTION_PATTERN, action):
            return f"{action!r} must look like service:Action, e.g. dynamodb:GetItem ({IAM_POLICY_DOC})"
        escalating = [known for known in ESCALATION_ACTIONS if fnmatch.fnmatchcase(known.lower(), action.lower())]
        if escalating or action.lower().startswith("iam:create"):
            named = escalating[0] if escalating else action
            return (f"{action!r} lets the function raise its own privileges ({named}); grant it to a deployment "
                    "role instead")  # fmt: skip
    return None


def _layers_problem(arns: Sequence[Any]) -> str | None:
    if len(arns) > MAX_LAYERS:
        return f"Lambda allows at most {MAX_LAYERS} layers a function, got {len(arns)}"
    for arn in arns:
        if not isinstance(arn, str) or not re.fullmatch(LAYER_ARN_PATTERN, arn):
            return (f"{arn!r} is not a layer version ARN, such as "
                    "arn:aws:lambda:us-east-1:123456789012:layer:shared-libs:3")  # fmt: skip
    if len(set(arns)) < len(arns):
        return "names a layer version twice"
    return None


def _ids_problem(pattern: str, most: int, example: str) -> Check:
    def problem(ids: Sequence[Any]) -> str | None:
        if len(ids) > most:
            return f"Lambda allows at most {most}, got {len(ids)}"
        for value in ids:
            if not isinstance(value, str) or not re.fullmatch(pattern, value):
                return f"{value!r} is not an id such as {example}"
        return None

    return problem


def _policy_arns_problem(arns: Sequence[Any]) -> str | None:
    for arn in arns:
        if not isinstance(arn, str) or not re.fullmatch(MANAGED_POLICY_ARN_PATTERN, arn):
            return f"{arn!r} is not an IAM policy ARN, such as arn:aws:iam::123456789012:policy/team-read"
    return None


class PolicyCondition(Section):
    """A condition of a statement: an IAM condition operator, a condition key and the values it compares."""

    test: str | None = config_key(
        default=None, doc="The condition operator, e.g. StringEquals or ArnLike.", pattern=CONDITION_OPERATOR_PATTERN
    )
    variable: str | None = config_key(
        default=None, doc="The condition key, e.g. aws:SourceAccount or dynamodb:LeadingKeys.",
        pattern=CONDITION_KEY_PATTERN,
    )  # fmt: skip
    values: tuple[str, ...] | None = config_key(
        default=None, doc="The values the key is compared with; any one may match.", check=_strings_problem
    )

    RULES = (Required("test"), Required("variable"), Required("values"))


class PolicyStatement(Section):
    """A statement of the function's own permissions, added to its role's inline policy after the generated ones."""

    sid: str | None = config_key(
        default=None, doc="Statement id, unique in the function; the generated statements' ids are reserved.",
        pattern=POLICY_SID_PATTERN,
    )  # fmt: skip
    effect: str = config_key(default="Allow", doc="Allow, or Deny to carve out of what is allowed.",
                             choices=("Allow", "Deny"))  # fmt: skip
    actions: tuple[str, ...] | None = config_key(
        default=None, doc="service:Action names, wildcards allowed in the name; * and service:* are refused.",
        check=_actions_problem,
    )  # fmt: skip
    resources: tuple[str, ...] | None = config_key(
        default=None, doc='ARNs the actions apply to; "*" only with allow_any_resource.', check=_strings_problem
    )
    allow_any_resource: bool = config_key(
        default=False,
        doc='Allow "*" in resources, for the actions AWS does not scope to a resource (see the README).',
    )
    conditions: tuple[PolicyCondition, ...] = ()

    RULES = (Required("sid"), Required("actions"), Required("resources"))


def _s3_events_problem(events: Sequence[Any]) -> str | None:
    if not events:
        return "must hold at least one event type"
    for event in events:
        if event not in trigger_types.S3_EVENT_TYPES:
            return (f"{event!r} is not an S3 event type EventBridge carries: "
                    f"{', '.join(trigger_types.S3_EVENT_TYPES)} ({trigger_types.S3_EVENTBRIDGE_DOC})")  # fmt: skip
    if len(set(events)) < len(events):
        return "names an event type twice"
    return None


PATTERN_WORDS[trigger_types.TRIGGER_NAME_PATTERN] = "1 to 63 letters, digits, - and _"
PATTERN_WORDS[trigger_types.EVENT_BUS_PATTERN] = "an event bus name or ARN, such as default or orders"
PATTERN_WORDS[trigger_types.TIMEZONE_PATTERN] = "an IANA time zone such as Europe/Paris or UTC"
_BY_EVENTBRIDGE = When("type", trigger_types.DELIVERED_BY_EVENTBRIDGE)


class Trigger(Section):
    """A source that invokes the function asynchronously: an S3 bucket, an SNS topic, an EventBridge rule or a
    schedule."""

    name: str | None = config_key(
        default=None,
        doc="Name of the trigger, unique in the function; its rule or schedule is named function-trigger.",
        pattern=trigger_types.TRIGGER_NAME_PATTERN,
    )  # fmt: skip
    type: str | None = config_key(
        default=None,
        doc="s3 (a bucket's object events, through EventBridge), sns (a topic), eventbridge (a rule on a bus) or "
        "schedule (EventBridge Scheduler).",
        choices=trigger_types.TYPES,
    )
    bucket: str | None = config_key(
        default=None, doc="s3: the bucket whose object events invoke the function; not the failure bucket.",
        check=bucket_name_problem,
    )  # fmt: skip
    events: tuple[str, ...] = config_key(
        default=list(trigger_types.DEFAULT_S3_EVENTS),
        doc="s3: the kinds of object event, as EventBridge names them (Object Created, Object Deleted, ...).",
        check=_s3_events_problem,
    )
    prefix: str | None = config_key(default=None, doc="s3: only objects whose key starts with this.")
    suffix: str | None = config_key(default=None, doc="s3: only objects whose key ends with this.")
    owns_notifications: bool = config_key(
        default=False,
        doc="s3: the project turns the bucket's EventBridge notifications on, and so owns its whole notification "
        "configuration (other notifications of the bucket are removed); false: they must already be on.",
    )
    topic_arn: str | None = config_key(
        default=None, doc="sns: the topic whose messages invoke the function.", pattern=SNS_TOPIC_ARN_PATTERN
    )
    bus: str = config_key(
        default="default", doc="eventbridge: the event bus the rule watches, by name or ARN.",
        pattern=trigger_types.EVENT_BUS_PATTERN,
    )  # fmt: skip
    pattern: str | None = config_key(
        default=None, doc="eventbridge: the rule's event pattern, a JSON object (a YAML block scalar).",
        check=trigger_types.event_pattern_problem,
    )  # fmt: skip
    expression: str | None = config_key(
        default=None, doc="schedule: rate(5 minutes), cron(0 12 * * ? *) or at(2027-01-01T09:00:00).",
        check=trigger_types.schedule_problem,
    )  # fmt: skip
    timezone: str = config_key(
        default="UTC", doc="schedule: the IANA time zone cron() and at() are read in.",
        check=trigger_types.timezone_problem,
    )  # fmt: skip
    flexible_window_minutes: int | None = config_key(
        default=None, doc="schedule: let Scheduler invoke up to this many minutes after the time, to spread load; "
        "null: exactly on time.", minimum=1, maximum=trigger_types.MAX_FLEXIBLE_WINDOW_MINUTES, null_words="off",
    )  # fmt: skip
    maximum_event_age_seconds: int = config_key(
        default=trigger_types.MAX_EVENT_AGE_SECONDS,
        doc="s3, eventbridge, schedule: how long EventBridge keeps retrying to hand an event to Lambda before it "
        "goes to the trigger's dead-letter queue.",
        minimum=trigger_types.MIN_EVENT_AGE_SECONDS, maximum=trigger_types.MAX_EVENT_AGE_SECONDS,
    )  # fmt: skip
    maximum_retry_attempts: int = config_key(
        default=trigger_types.MAX_RETRY_ATTEMPTS,
        doc="s3, eventbridge, schedule: how many times EventBridge retries handing an event to Lambda.",
        minimum=0, maximum=trigger_types.MAX_RETRY_ATTEMPTS,
    )  # fmt: skip

    RULES = (
        Required("name"),
        Required("type", hint=f": one of {', '.join(trigger_types.TYPES)}"),
        Required("bucket", When("type", ("s3",))),
        OnlyWhen(("bucket", "events", "prefix", "suffix", "owns_notifications"), When("type", ("s3",))),
        Required("topic_arn", When("type", ("sns",))),
        OnlyWhen(("topic_arn",), When("type", ("sns",))),
        Required("pattern", When("type", ("eventbridge",))),
        OnlyWhen(("bus", "pattern"), When("type", ("eventbridge",))),
        Required("expression", When("type", ("schedule",))),
        OnlyWhen(("expression", "timezone", "flexible_window_minutes"), When("type", ("schedule",))),
        OnlyWhen(("maximum_event_age_seconds", "maximum_retry_attempts"), _BY_EVENTBRIDGE),
    )

    @property
    def rendered(self) -> trigger_types.RenderedTrigger:
        """What the function module makes of it: an S3 trigger is a rule on the default bus."""
        assert self.name is not None and self.type is not None  # required, checked by the reader
        if self.type == "sns":
            return trigger_types.RenderedTrigger(self.name, "sns", topic_arn=self.topic_arn)
        arguments: dict[str, Any] = {"maximum_event_age_seconds": self.maximum_event_age_seconds,
                                     "maximum_retry_attempts": self.maximum_retry_attempts}  # fmt: skip
        if self.type == "schedule":
            arguments.update(schedule_expression=self.expression, timezone=self.timezone,
                             flexible_window_minutes=self.flexible_window_minutes)  # fmt: skip
            return trigger_types.RenderedTrigger(self.name, "schedule", **arguments)
        if self.type == "s3":
            assert self.bucket is not None
            pattern = trigger_types.s3_event_pattern(self.bucket, self.events, self.prefix, self.suffix)
            arguments.update(event_bus="default", event_pattern=pattern)
        else:
            assert self.pattern is not None
            canonical = json.dumps(json.loads(self.pattern), separators=(",", ":"))
            arguments.update(event_bus=self.bus, event_pattern=canonical)
        return trigger_types.RenderedTrigger(self.name, "rule", **arguments)


class Destination(Section):
    """Where Lambda sends the record of an asynchronous invocation once it has ended."""

    # null only as written: the reader makes an on_failure without a type s3, and refuses any other without one
    type: str = config_key(
        default=None,
        doc=f"Where the records go: {', '.join(DESTINATION_TYPES[:-1])} or "
        f"{DESTINATION_TYPES[-1]}; required in an on_failure one writes (without one, s3).",
        choices=DESTINATION_TYPES,
    )
    arn: str | None = config_key(
        default=None,
        doc="An existing resource to send to; null creates one (s3: the failure bucket; lambda needs function).",
    )
    function: str | None = config_key(
        default=None,
        doc="lambda: another function of this config to invoke, not the function itself.",
        pattern=FUNCTION_NAME_PATTERN,
    )
    retention_seconds: int | None = config_key(
        default=None,
        doc="sqs, created: how long the queue keeps a record (default 14 days).",
        minimum=60,
        maximum=SQS_MAX_RETENTION_SECONDS,
    )
    max_receive_count: int | None = config_key(
        default=None, doc="sqs, created: receives before a record goes to the DLQ (default 5).", minimum=1, maximum=1000
    )

    RULES = (
        Required("type", hint=f": one of {', '.join(DESTINATION_TYPES)}"),
        PatternBy("arn", "type", tuple(DESTINATION_ARN_PATTERNS.items()), "the ARN of a standard {} destination"),
        ExactlyOne(("arn", "function"), When("type", ("lambda",))),
        OnlyWhen(("function",), When("type", ("lambda",))),
        # Queue settings are for a queue the generator creates: of type sqs, without an arn.
        OnlyWhen(("retention_seconds", "max_receive_count"), When("type", ("sqs",))),
        OnlyWhen(("retention_seconds", "max_receive_count"), When("arn", (None,))),
    )

    @property
    def is_failure_bucket(self) -> bool:
        """The bucket this project creates for failure records (an s3 destination without an ARN)."""
        return self.type == "s3" and self.arn is None

    @property
    def created(self) -> bool:
        """The generator creates it (a queue, topic or bus of this function; s3: the shared bucket)."""
        return self.arn is None and self.function is None


DEFAULT_ON_FAILURE = Destination(type="s3")


class Function(Section):
    """A Lambda function invoked asynchronously, and where the records of its invocations go."""

    name: str = config_key(
        default="async_function", doc="Lambda function name, unique in the config.", pattern=FUNCTION_NAME_PATTERN
    )
    runtime: str = config_key(
        default="python3.13",
        doc="Lambda runtime; the bundled demo handler comes in each. Deprecated runtimes are refused.",
        choices=RUNTIMES,
        check=lambda_facts.deprecated_runtime_problem,
    )
    handler: str | None = config_key(
        default=None,
        doc="Handler entry point, required with source; null uses the bundled demo handler's.",
        pattern=HANDLER_PATTERN,
    )
    architecture: str = config_key(
        default="arm64", doc="Instruction set of the function: arm64 or x86_64.", choices=ARCHITECTURES, setting=True
    )
    memory_mb: int = config_key(default=128, doc="Memory in MB.", minimum=128, maximum=10240, setting=True)
    timeout_seconds: int = config_key(default=10, doc="Timeout in seconds.", minimum=1, maximum=900, setting=True)
    reserved_concurrency: int | None = config_key(
        default=0,
        doc="Reserved concurrency; 0 keeps the function from running "
        "(Lambda records each event at once), null leaves it unreserved.",
        minimum=0,
        maximum=API_INTEGER_MAX,
        setting=True,
        null_words="unreserved",
    )
    publish: bool = config_key(
        default=False, doc="Publish a new version of the function each time its code or configuration changes."
    )
    alias: str | None = config_key(
        default=None,
        doc="An alias that follows the newest published version (needs publish: "
        "true); the asynchronous invocation settings and destinations are set on it, and the "
        "alias_arns output and the invoke commands use it. null: no alias.",
        pattern=ALIAS_PATTERN,
    )
    provisioned_concurrency: int | None = config_key(
        default=None,
        doc="Execution environments Lambda keeps initialized on the alias (needs alias); Lambda bills them for as "
        "long as they are configured, invoked or not. null: none.",
        minimum=1,
        maximum=API_INTEGER_MAX,
        setting=True,
        null_words="none",
    )
    source: Path | None = config_key(
        default=None,
        doc="Directory with the function's code, relative to the config file; null packages the bundled demo handler.",
    )
    source_exclude: tuple[str, ...] = config_key(
        default=[],
        doc="Gitignore-style patterns of files in source to leave out "
        "of the package, on top of the defaults (secrets, state, caches); !pattern "
        "puts a default back.",
        check=_patterns_problem,
    )
    managed_policy_arns: tuple[str, ...] = config_key(
        default=[],
        doc="Existing IAM policies attached to the function's role, by ARN, beside its inline policy; AWS managed "
        "ones are warned of (AWS widens them without notice).",
        check=_policy_arns_problem,
    )
    package_bucket: str | None = config_key(
        default=None,
        doc="An existing S3 bucket the package deploys from, always; null: a package over Lambda's "
        "direct-upload limit deploys from a private bucket the project creates, and others upload directly.",
        check=bucket_name_problem,
    )
    allow_source_outside_config: bool = config_key(
        default=False, doc="Let source lead outside the config file's directory (an absolute path, .. or a link)."
    )
    environment: dict[str, str] = config_key(
        default={},
        doc="Environment variables of the function, string to string; "
        "names the runtime reserves are refused, and Lambda allows "
        f"{ENVIRONMENT_MAX_BYTES} bytes in all.",
        check=_environment_problem,
        setting=True,
    )
    layers: tuple[str, ...] = config_key(
        default=[],
        doc=f"Layer version ARNs, at most {MAX_LAYERS}, in the config's region; Lambda counts them in the "
        f"{lambda_facts.MAX_UNZIPPED_BYTES // 2**20} MB unzipped, and render cannot see their size.",
        check=_layers_problem,
        setting=True,
        items=ListItems(LAYER_ARN_PATTERN, MAX_LAYERS, "layer version ARNs"),
    )
    vpc_subnet_ids: tuple[str, ...] = config_key(
        default=[],
        doc=f"Subnets to run the function in, at most {MAX_SUBNETS}; with vpc_security_group_ids. The function "
        "then reaches AWS APIs only through the VPC's NAT or endpoints.",
        check=_ids_problem(SUBNET_ID_PATTERN, MAX_SUBNETS, "subnet-0123456789abcdef0"),
        setting=True,
        items=ListItems(SUBNET_ID_PATTERN, MAX_SUBNETS, "subnet ids"),
    )
    vpc_security_group_ids: tuple[str, ...] = config_key(
        default=[],
        doc=f"Security groups of the function's network interfaces, at most {MAX_SECURITY_GROUPS}; with "
        "vpc_subnet_ids.",
        check=_ids_problem(SECURITY_GROUP_ID_PATTERN, MAX_SECURITY_GROUPS, "sg-0123456789abcdef0"),
        setting=True,
        items=ListItems(SECURITY_GROUP_ID_PATTERN, MAX_SECURITY_GROUPS, "security group ids"),
    )
    vpc_ipv6_allowed: bool = config_key(
        default=False, doc="In a VPC, let the function use IPv6 on dual-stack subnets.", setting=True
    )
    kms_key_arn: str | None = config_key(
        default=None,
        doc="A customer managed KMS key that encrypts the function's environment variables (the role gets "
        "kms:Decrypt on it); null: Lambda's AWS managed key.",
        pattern=KMS_KEY_ARN_PATTERN,
        setting=True,
        null_words="Lambda's AWS managed key",
    )
    ephemeral_storage_mb: int = config_key(
        default=512, doc="Size of the function's /tmp in MB.", minimum=512, maximum=10240, setting=True
    )
    tracing: str = config_key(
        default="PassThrough",
        doc="X-Ray tracing: Active records a sample of requests (the role then may write traces); "
        "PassThrough only passes on a caller's trace header.",
        choices=TRACING_MODES,
        setting=True,
    )
    log_format: str = config_key(
        default="Text", doc="Format of the function's logs: Text, or JSON, which log levels need.",
        choices=LOG_FORMATS, setting=True,
    )  # fmt: skip
    log_application_level: str | None = config_key(
        default=None, doc="With JSON logs, the lowest level of the function's own log lines that is kept.",
        choices=APPLICATION_LOG_LEVELS, setting=True, null_words="every level",
    )  # fmt: skip
    log_system_level: str | None = config_key(
        default=None, doc="With JSON logs, the lowest level of Lambda's own log lines (START, REPORT) that is kept.",
        choices=SYSTEM_LOG_LEVELS, setting=True, null_words="every level",
    )  # fmt: skip
    recursive_loop: str = config_key(
        default="Terminate",
        doc="What Lambda does when it detects the function in a loop of invocations: Terminate stops invoking it; "
        "Allow lets the loop run.",
        choices=RECURSIVE_LOOP_ACTIONS,
        setting=True,
    )
    log_retention_days: int = config_key(
        default=14,
        doc="Days CloudWatch Logs keeps the function's logs (0: forever).",
        choices=LOG_RETENTION_DAYS,
        setting=True,
        choices_words="the values CloudWatch Logs accepts",
    )
    maximum_event_age_seconds: int = config_key(
        default=60,
        doc="How long Lambda keeps an asynchronous event before it records it as failed.",
        minimum=60,
        maximum=21600,
        setting=True,
    )
    maximum_retry_attempts: int = config_key(
        default=2, doc="Retries after the function returns an error.", minimum=0, maximum=2, setting=True
    )
    alarm_period_seconds: int = config_key(
        default=300,
        doc="Period of the function's alarms: each compares one period's value with its threshold.",
        choices=ALARM_PERIODS,
        setting=True,
        monitoring=True,
        choices_words="a period in seconds",
    )
    alarm_delivery_failures_threshold: int = config_key(
        default=0,
        doc="The DestinationDeliveryFailures alarm fires when "
        "more records than this fail to reach the on-failure destination "
        "in one period.",
        minimum=0,
        maximum=API_INTEGER_MAX,
        setting=True,
        monitoring=True,
    )
    alarm_dropped_events_threshold: int = config_key(
        default=0,
        doc="The AsyncEventsDropped alarm fires when Lambda drops more events than this in one period.",
        minimum=0,
        maximum=API_INTEGER_MAX,
        setting=True,
        monitoring=True,
    )
    alarm_event_age_percent: int = config_key(
        default=50,
        doc="The AsyncEventAge alarm fires when an event has waited "
        "longer than this percentage of maximum_event_age_seconds.",
        minimum=1,
        maximum=100,
        setting=True,
        monitoring=True,
    )
    on_failure: Destination = DEFAULT_ON_FAILURE
    on_success: Destination | None = None
    policy_statements: tuple[PolicyStatement, ...] = ()  # the function's own permissions (policy_statements[])
    triggers: tuple[Trigger, ...] = ()  # what invokes it asynchronously (triggers[])

    RULES = (
        Required("handler", When("source"), hint=", e.g. 'app.handler'"),
        OnlyWhen(("alias",), When("publish", (True,)), hint=": an alias points at a published version"),
        OnlyWhen(("provisioned_concurrency",), When("alias"),
                 hint=f": this project provisions concurrency on the function's alias ({PROVISIONED_DOC})"),
        OnlyWhen(("log_application_level", "log_system_level"), When("log_format", ("JSON",)),
                 hint=f": Lambda filters log levels only in JSON logs ({LOGGING_DOC})"),
    )  # fmt: skip

    @property
    def language(self) -> str:
        return "python" if self.runtime.startswith("python") else "nodejs"


# A dashboard holds at most 500 widgets (CloudWatch's "Dashboard Body Structure and Syntax"): one for the
# failures commands and one per function.
MAX_DASHBOARD_WIDGETS = 500
MAX_DASHBOARD_FUNCTIONS = MAX_DASHBOARD_WIDGETS - 1


class Monitoring(Section):
    """Alarms, notices of new failure records and a dashboard, on one topic."""

    enabled: bool = config_key(
        default=True,
        doc="Alarms on each function's asynchronous invocations, a notice for each new "
        "failure record and a dashboard; false renders none of them.",
    )
    topic_arn: str | None = config_key(
        default=None,
        doc="An existing SNS topic for the alarms and notices; null creates "
        "one, encrypted with a customer managed KMS key.",
        pattern=SNS_TOPIC_ARN_PATTERN,
    )
    email: tuple[str, ...] = config_key(
        default=[],
        doc="Email addresses to subscribe to the topic; AWS mails each a link to confirm.",
        check=_emails_problem,
    )
    record_notices: bool = config_key(
        default=True, doc="Publish a notice to the topic for each new record in the failure bucket (S3 to EventBridge)."
    )
    dashboard: bool = config_key(
        default=True,
        doc="A CloudWatch dashboard of every function's asynchronous invocations (at "
        f"most {MAX_DASHBOARD_FUNCTIONS} functions).",
    )

    RULES = (OnlyWhen(("topic_arn", "email"), When("enabled", (True,))),)


# Athena cancels a query once it has scanned this much; BytesScannedCutoffPerQuery is at least 10,000,000 bytes.
MIN_SCAN_CUTOFF_MB = 10  # of 2**20 bytes each


class Analytics(Section):
    """Athena over the failure records."""

    enabled: bool = config_key(
        default=False,
        doc="Athena over the failure records: a Glue table with partition projection, a workgroup and named queries.",
    )
    scan_cutoff_mb: int = config_key(
        default=10240,
        doc="Athena cancels a query of the workgroup once it has scanned this many MB.",
        minimum=MIN_SCAN_CUTOFF_MB,
        maximum=API_INTEGER_MAX,
        unit="MB",
    )
    results_expire_after_days: int = config_key(
        default=7,
        doc=f"Days after which query results (under {ATHENA_RESULTS_PREFIX} in the failure bucket) expire.",
        minimum=1,
        maximum=API_INTEGER_MAX,
        unit="days",
    )


BACKEND_TYPES = ("local", "s3")
# S3's "safe characters" for object keys (letters, digits, ! - _ . * ' ( )) plus = and / between parts.
STATE_KEY_PATTERN = r"^[A-Za-z0-9!_.*'()=-]+(/[A-Za-z0-9!_.*'()=-]+)*$"
PATTERN_WORDS[STATE_KEY_PATTERN] = "an S3 key of letters, digits and ! - _ . * ' ( ) =, in parts separated by /"


class Backend(Section):
    """Where Terraform keeps the state of the rendered project."""

    type: str = config_key(
        default="local",
        doc="Where Terraform keeps its state: local (a file beside the project) or s3 (renders backend.tf).",
        choices=BACKEND_TYPES,
    )
    bucket: str | None = config_key(
        default=None, doc="s3: the existing bucket that holds the state.", check=bucket_name_problem
    )
    key: str | None = config_key(
        default=None,
        doc="s3: the state object's key, e.g. lambda-s3-async-failure/terraform.tfstate.",
        pattern=STATE_KEY_PATTERN,
    )
    region: str | None = config_key(
        default=None, doc="s3: the state bucket's region; null uses the config's region.", pattern=REGION_PATTERN
    )
    use_lockfile: bool = config_key(
        default=True, doc="s3: lock the state with an S3 lock file (Terraform 1.11 or later)."
    )

    RULES = (
        Required("bucket", When("type", ("s3",))),
        Required("key", When("type", ("s3",))),
        OnlyWhen(("bucket", "key", "region"), When("type", ("s3",))),
    )


class Config(Section):
    """Config of the generator: one YAML file renders one Terraform project."""

    project: str = config_key(
        default="lambda-s3-async-failure",
        doc="Name of the deployment; goes into the Project tag.",
        pattern=PROJECT_PATTERN,
    )
    region: str = config_key(default="us-east-1", doc="AWS region to deploy into.", pattern=REGION_PATTERN)
    tags: dict[str, str] = config_key(
        default={}, doc="Extra tags for every taggable resource; AWS's tag rules are checked.", check=_tag_problem
    )
    ci: str = config_key(
        default="none",
        doc="A CI workflow for the rendered project: none, or github-actions "
        "(.github/workflows/terraform.yml: fmt, init, validate, test and checkov, actions pinned by commit, "
        "read-only permissions, superseded runs cancelled).",
        choices=CI_SYSTEMS,
    )
    failure_bucket: FailureBucket = field(default_factory=FailureBucket)
    functions: tuple[Function, ...] = field(default_factory=lambda: (Function(),))
    backend: Backend = field(default_factory=Backend)
    monitoring: Monitoring = field(default_factory=Monitoring)
    analytics: Analytics = field(default_factory=Analytics)
    # Where each key was written, so checks made after loading (render's) still point at a line.
    origins: LoadedYaml | None = field(default=None, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)  # worth saying, not wrong

    def warnings(self) -> tuple[str, ...]:
        """What is allowed but worth changing, each with its key and line: runtimes AWS is retiring, and AWS
        managed policies (AWS adds actions to them as services grow, so they rarely stay least-privilege)."""
        said = []
        for index, fn in enumerate(self.functions):
            if warning := lambda_facts.RUNTIMES_BY_NAME[fn.runtime].warning():
                said.append(str(self.error(("functions", index, "runtime"), warning)))
            managed = [arn for arn in fn.managed_policy_arns if ":iam::aws:policy/" in arn]
            if managed:
                kind = "is an AWS managed policy" if len(managed) == 1 else "are AWS managed policies"
                text = f"{', '.join(managed)} {kind}: AWS adds actions to them without notice; prefer policy_statements"
                said.append(str(self.error(("functions", index, "managed_policy_arns"), text)))
            for kind in DESTINATION_KINDS:
                destination = getattr(fn, kind)
                size_warning = _record_size_warning(destination.type) if destination is not None else None
                if size_warning:
                    said.append(str(self.error(("functions", index, kind, "type"), size_warning)))
        return tuple(said)

    def error(self, path: KeyPath, message: str) -> ConfigError:
        if self.origins is None:
            from generator.config._yaml import format_path

            return ConfigError(message, key=format_path(path))
        return self.origins.error(path, message)


def _record_size_warning(destination_type: str) -> str | None:
    """A destination that takes smaller records than the events Lambda accepts loses the records of large ones
    (delivery fails on "size limits": destination_types.RETAIN_RECORDS_DOC)."""
    kind = destination_types.BY_NAME[destination_type]
    if kind.record_limit is None:
        return None
    return (
        f"the {kind.words} takes records of at most {_size(kind.record_limit)} ({kind.limit_source}); Lambda accepts "
        f"events of up to {_size(lambda_facts.MAX_ASYNC_PAYLOAD_BYTES)}, so the record of an event near or over "
        f"{_size(kind.record_limit)} is not delivered, only counted in DestinationDeliveryFailures"
    )


def _size(size: int) -> str:
    return f"{size // 2**20} MiB" if size % 2**20 == 0 else f"{size // 2**10} KiB"


TOP_FIELDS = Config.FIELDS
BUCKET_FIELDS = FailureBucket.FIELDS
FUNCTION_FIELDS = Function.FIELDS
MONITORING_FIELDS = Monitoring.FIELDS
DESTINATION_FIELDS = Destination.FIELDS
ANALYTICS_FIELDS = Analytics.FIELDS
BACKEND_FIELDS = Backend.FIELDS
FUNCTION_SETTINGS = tuple(f for f in FUNCTION_FIELDS if f.setting)

FIELDS_BY_SECTION: dict[str, tuple[Field, ...]] = {
    "": TOP_FIELDS,
    "failure_bucket": BUCKET_FIELDS,
    "functions[]": FUNCTION_FIELDS,
    "terraform.backend": BACKEND_FIELDS,
    "monitoring": MONITORING_FIELDS,
    "analytics": ANALYTICS_FIELDS,
    "functions[].on_failure": DESTINATION_FIELDS,  # on_success takes the same fields
    "functions[].policy_statements[]": PolicyStatement.FIELDS,
    "functions[].policy_statements[].conditions[]": PolicyCondition.FIELDS,
    "functions[].triggers[]": Trigger.FIELDS,
}


# --- loading ----------------------------------------------------------------------------------


def load_config(*paths: Path) -> Config:
    """Read, merge (later files over earlier ones) and validate config files; every problem is a ``ConfigError``."""
    doc = None
    for path in paths:
        layer = load_yaml(read_config_text(path), path)
        if layer.data is not None and not isinstance(layer.data, dict):
            raise layer.error((), f"must be a mapping of keys to values, got {_describe(layer.data)}")
        doc = layer if doc is None else doc.merged_with(layer)
    if doc is None:
        raise ConfigError("no config file given")
    return _validate(doc)


def parse_config(text: str, path: Path) -> Config:
    """Validate config ``text`` as if read from ``path`` (which anchors relative sources)."""
    return _validate(load_yaml(text, path))


_TOP_SECTIONS = ("failure_bucket", "functions", "terraform", "monitoring", "analytics")


def _validate(doc: LoadedYaml) -> Config:
    notes = (f"{doc.file} sets nothing; rendering every default",) if not doc.data else ()
    if doc.data is None:
        doc.data = {}
    _refuse_a_file_that_is_no_config(doc)
    try:
        top = _read_section(doc, (), doc.data, Config, extra_keys=_TOP_SECTIONS)
        config = Config(
            project=top["project"],
            region=top["region"],
            tags=dict(top["tags"]),
            ci=top["ci"],
            failure_bucket=(bucket := _read_bucket(doc)),
            functions=(functions := _read_functions(doc, top["region"])),
            backend=_read_backend(doc, top["region"]),
            monitoring=(monitoring := _read_monitoring(doc, len(functions), top["region"])),
            analytics=_read_analytics(doc, functions),
            origins=doc,
            notes=notes,
        )
        _refuse_trigger_loops(doc, functions, bucket, monitoring)
    except ConfigError as exc:  # a problem validation cannot go on past: report it with the others
        doc.problems.append(exc)
    if doc.problems:
        raise ConfigProblemsError(doc.problems)
    return config


_NOT_A_CONFIG_KEYS = 3  # this many top-level keys, none of them the config's: some other file was given


def _refuse_a_file_that_is_no_config(doc: LoadedYaml) -> None:
    """One line, quoting nothing, for a file whose top-level keys are all foreign: it is not a config at all."""
    if not isinstance(doc.data, dict) or len(doc.data) < _NOT_A_CONFIG_KEYS:
        return
    known = {f.name for f in TOP_FIELDS} | set(_TOP_SECTIONS)
    if not known.intersection(doc.data):
        raise ConfigError(
            f"none of its {len(doc.data)} top-level keys is a config key ({', '.join(sorted(known))}); "
            "is it the config file?",
            file=doc.file,
        )


def _read_section(
    doc: LoadedYaml, path: KeyPath, raw: Any, section: type[Section] | None, extra_keys: Sequence[str] = ()
) -> dict[str, Any]:
    """The section's values, defaults filled in; each key checked, then the section's rules between them."""
    fields = section.FIELDS if section is not None else ()
    if not isinstance(raw, dict):
        raise doc.error(path, f"must be a mapping of keys to values, got {_describe(raw)}")
    known = [f.name for f in fields] + list(extra_keys)
    for key in raw:
        if key not in known:
            doc.report((*path, key), f"unknown key{_suggestion(key, known)}")
    values: dict[str, Any] = {}
    for spec in fields:
        value = raw.get(spec.name, spec.default)
        problem = spec.validate(value)
        if problem:
            doc.report((*path, spec.name), problem)
            value = spec.default  # reported; validation goes on to find the other problems
        values[spec.name] = value
    if section is not None:
        _check_rules(doc, path, section, values)
    return values


def _check_rules(doc: LoadedYaml, path: KeyPath, section: type[Section], values: dict[str, Any]) -> None:
    """Report what the section's rules find; a rule that reads a key already at fault has nothing to add."""
    faulty = {f.name for f in section.FIELDS if doc.failed_under((*path, f.name))}
    defaults = section.defaults()
    for rule in section.RULES:
        if faulty.intersection(rule.keys()):
            continue
        for key, message in rule.problems(values, defaults):
            doc.report((*path, key) if key else path, message)
            faulty.update((key,) if key else rule.keys())


def _suggestion(key: str, known: Sequence[str]) -> str:
    import difflib  # only on the error path: keeps it off the render path's import time

    close = difflib.get_close_matches(key, known, n=1)
    allowed = ", ".join(known)
    return f"; did you mean {close[0]!r}? (allowed: {allowed})" if close else f" (allowed: {allowed})"


def _read_bucket(doc: LoadedYaml) -> FailureBucket:
    return FailureBucket(**_read_section(doc, ("failure_bucket",), doc.data.get("failure_bucket", {}), FailureBucket))


def _read_backend(doc: LoadedYaml, region: str) -> Backend:
    terraform = doc.data.get("terraform", {})
    _read_section(doc, ("terraform",), terraform, None, extra_keys=("backend",))
    values = _read_section(doc, ("terraform", "backend"), terraform.get("backend", {}), Backend)
    if values["type"] == "s3":
        values["region"] = values["region"] or region
    return Backend(**values)


def _read_monitoring(doc: LoadedYaml, function_count: int, region: str) -> Monitoring:
    path: KeyPath = ("monitoring",)
    raw = doc.data.get("monitoring", {})
    values = _read_section(doc, path, raw, Monitoring)
    values["email"] = tuple(values["email"])
    monitoring = Monitoring(**values)
    if doc.failed_under(path) or not monitoring.enabled:
        return monitoring
    if (
        monitoring.topic_arn
        and not doc.failed_under(("region",))
        and (monitoring.topic_arn.split(":")[1] != (partition := partition_of(region)))
    ):
        doc.report((*path, "topic_arn"), f"is in the partition {monitoring.topic_arn.split(':')[1]}, but the region's "
                   f"ARNs are in {partition}: alarms cannot reach a topic of another partition")  # fmt: skip
    elif monitoring.dashboard and function_count > MAX_DASHBOARD_FUNCTIONS:
        doc.report(
            (*path, "dashboard"),
            f"a CloudWatch dashboard holds {MAX_DASHBOARD_WIDGETS} widgets, one per function and one for the "
            f"failures commands: {function_count} functions need {function_count + 1}; set dashboard: false",
        )
    return monitoring


def _read_analytics(doc: LoadedYaml, functions: Sequence[Function]) -> Analytics:
    path: KeyPath = ("analytics",)
    analytics = Analytics(**_read_section(doc, path, doc.data.get("analytics", {}), Analytics))
    if analytics.enabled and not any(fn.on_failure.is_failure_bucket for fn in functions):
        doc.report((*path, "enabled"), "Athena reads the failure bucket, and no function records its failures there")
    return analytics


_LIST_SECTIONS = ("policy_statements", "triggers")  # lists of sections in a function


def _read_functions(doc: LoadedYaml, region: str) -> tuple[Function, ...]:
    raw = doc.data.get("functions", [{}])
    if not isinstance(raw, list) or not raw:
        raise doc.error(("functions",), "must be a list with at least one function")
    functions: list[Function] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        path: KeyPath = ("functions", index)
        values = _read_section(doc, path, item, Function, extra_keys=(*DESTINATION_KINDS, *_LIST_SECTIONS))
        name = values["name"]
        if name in seen and not doc.failed_under((*path, "name")):
            doc.report((*path, "name"), f"{name!r} is already the name of functions[{seen[name]}]")
        seen.setdefault(name, index)
        # A relative source is relative to the config file that set it.
        source_file, _ = doc.origin_of((*path, "source"))
        try:
            values["source"] = _resolve_source(
                doc, (*path, "source"), values["source"], source_file.parent, values["allow_source_outside_config"]
            )
        except ConfigError as exc:
            doc.problems.append(exc)
            values["source"] = None
        values["source_exclude"] = tuple(values["source_exclude"])
        values["environment"] = dict(values["environment"])
        values["managed_policy_arns"] = tuple(values["managed_policy_arns"])
        values["layers"] = tuple(values["layers"])
        values["vpc_subnet_ids"] = tuple(values["vpc_subnet_ids"])
        values["vpc_security_group_ids"] = tuple(values["vpc_security_group_ids"])
        _check_vpc(doc, path, values)
        _check_provisioned(doc, path, values)
        for layer in values["layers"]:
            where = ":".join(layer.split(":")[1:4:2])  # partition:region
            if where != f"{partition_of(region)}:{region}":
                doc.report((*path, "layers"), f"{layer!r} is not in {region}: a function can use only layers of its "
                                              "own region and partition")  # fmt: skip
                break
        values["policy_statements"] = _read_statements(doc, (*path, "policy_statements"), item)
        values["triggers"] = _read_triggers(doc, (*path, "triggers"), item, name)
        failure = _destination_or_report(doc, (*path, "on_failure"), item.get("on_failure", {"type": "s3"}), name)
        success = _destination_or_report(doc, (*path, "on_success"), item.get("on_success"), name)
        functions.append(Function(**values, on_failure=failure or DEFAULT_ON_FAILURE, on_success=success))
    names = [fn.name for fn in functions]
    for index, fn in enumerate(functions):
        for kind in DESTINATION_KINDS:
            target = getattr(fn, kind)
            if target is not None and target.function is not None and target.function not in names:
                known = ", ".join(names)
                message = f"{target.function!r} is not a function of this config ({known})"
                raise doc.error(("functions", index, kind, "function"), message)
    _refuse_destination_loops(doc, functions)
    return tuple(functions)


def _refuse_destination_loops(doc: LoadedYaml, functions: Sequence[Function]) -> None:
    """A chain of Lambda destinations that returns to its start sends records round it for ever.

    Each function's record is an asynchronous invocation of the next; where the chain closes, the first
    function's own records come back to it, each wrapping the one before, on failure or on success alike.
    """
    index = {fn.name: i for i, fn in enumerate(functions)}
    for start in functions:
        frontier: list[list[tuple[str, str]]] = [[(start.name, "")]]  # each: (function, how its record got there)
        while frontier:
            steps = frontier.pop()
            last = steps[-1][0]
            for kind in DESTINATION_KINDS:
                target = getattr(functions[index[last]], kind)
                if target is None or target.function is None:
                    continue
                if target.function == start.name:
                    loop = " -> ".join(f"{name} ({how})" if how else name for name, how in [*steps, (start.name, kind)])
                    raise doc.error(("functions", index[last], kind, "function"),
                                    f"the records would go round {loop} for ever; end the chain at a queue, topic, "
                                    "event bus or bucket")  # fmt: skip
                if target.function not in (name for name, _ in steps):
                    frontier.append([*steps, (target.function, kind)])


def _check_provisioned(doc: LoadedYaml, path: KeyPath, values: dict[str, Any]) -> None:
    """Lambda provisions no more environments than the function may run at once."""
    provisioned, reserved = values["provisioned_concurrency"], values["reserved_concurrency"]
    if provisioned is not None and reserved is not None and provisioned > reserved:
        doc.report(
            (*path, "provisioned_concurrency"),
            f"is {provisioned}, more than reserved_concurrency "
            f"({reserved}): Lambda cannot provision more than the function may run at once ({PROVISIONED_DOC})",
        )


def _check_vpc(doc: LoadedYaml, path: KeyPath, values: dict[str, Any]) -> None:
    """A VPC needs both subnets and security groups; IPv6 only inside one."""
    subnets, groups = values["vpc_subnet_ids"], values["vpc_security_group_ids"]
    faulty = doc.failed_under((*path, "vpc_subnet_ids")) or doc.failed_under((*path, "vpc_security_group_ids"))
    if bool(subnets) != bool(groups) and not faulty:
        missing, given = (
            ("vpc_security_group_ids", "vpc_subnet_ids") if subnets else ("vpc_subnet_ids", "vpc_security_group_ids")
        )
        doc.report((*path, missing), f"is required with {given}: Lambda places a function in a VPC only with both")
    if values["vpc_ipv6_allowed"] and not subnets:
        doc.report((*path, "vpc_ipv6_allowed"), "is only used with vpc_subnet_ids (none are set)")


def _list_of_sections(doc: LoadedYaml, path: KeyPath, function: Any, what: str) -> list[Any]:
    """The items of a function's list of sections (``path[-1]``); one that is no list is reported, and empty."""
    raw = function.get(path[-1], []) if isinstance(function, dict) else []
    if isinstance(raw, list):
        return raw
    doc.report(path, f"must be a list of {what}, got {_describe(raw)}")
    return []


def _read_statements(doc: LoadedYaml, path: KeyPath, function: Any) -> tuple[PolicyStatement, ...]:
    """A function's own policy statements: each checked on its own, then the ids between them."""
    raw = _list_of_sections(doc, path, function, "statements")
    statements: list[PolicyStatement] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where: KeyPath = (*path, index)
        try:
            values = _read_section(doc, where, item, PolicyStatement, extra_keys=("conditions",))
        except ConfigError as exc:
            doc.problems.append(exc)
            continue
        conditions = _read_conditions(doc, (*where, "conditions"), item.get("conditions", []))
        values.update(actions=tuple(values["actions"] or ()), resources=tuple(values["resources"] or ()))
        statement = PolicyStatement(**values, conditions=conditions)
        for key, problem in _statement_problems(statement, seen, index):
            doc.report((*where, key), problem)
        if statement.sid is not None:
            seen.setdefault(statement.sid, index)
        statements.append(statement)
    return tuple(statements)


def _read_triggers(doc: LoadedYaml, path: KeyPath, function: Any, name: str) -> tuple[Trigger, ...]:
    """What invokes a function: each trigger checked on its own, then the names between them."""
    raw = _list_of_sections(doc, path, function, "triggers")
    triggers: list[Trigger] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where: KeyPath = (*path, index)
        kind = item.get("type") if isinstance(item, dict) else None
        if isinstance(kind, str) and (why := trigger_types.refusal(kind)):
            doc.report((*where, "type"), why)
            continue
        try:
            values = _read_section(doc, where, item, Trigger)
        except ConfigError as exc:
            doc.problems.append(exc)
            continue
        if doc.failed_under(where):
            continue
        trigger = Trigger(**{**values, "events": tuple(values["events"])})
        assert trigger.name is not None
        if trigger.name in seen:
            doc.report((*where, "name"), f"{trigger.name!r} is already the name of triggers[{seen[trigger.name]}]")
        elif len(f"{name}-{trigger.name}") > trigger_types.MAX_RULE_NAME and trigger.type != "sns":
            doc.report((*where, "name"), f"the {'schedule' if trigger.type == 'schedule' else 'rule'} is named "
                       f"{name}-{trigger.name}, over the {trigger_types.MAX_RULE_NAME} characters AWS allows; "
                       "shorten the trigger's name")  # fmt: skip
        seen.setdefault(trigger.name, index)
        triggers.append(trigger)
    return tuple(triggers)


def _failure_bucket_could_be(bucket: FailureBucket, name: str) -> bool:
    """Whether a bucket named ``name`` may be the failure bucket, whose full name is known only once applied."""
    if bucket.naming == "fixed":
        return name == bucket.name
    suffix = name.removeprefix(f"{bucket.prefix}-")
    if bucket.naming == "random_uuid":
        return re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", suffix) is not None
    return suffix != name and len(suffix) == _BUCKET_PREFIX_SUFFIX  # bucket_prefix: AWS adds 26 characters


_BUCKET_PREFIX_SUFFIX = 26  # the provider's unique suffix of a bucket_prefix name


def _refuse_trigger_loops(
    doc: LoadedYaml, functions: Sequence[Function], bucket: FailureBucket, monitoring: Monitoring
) -> None:
    """A trigger that hands a function its own records would invoke it with each of them, round for ever."""
    records_in_bucket = any(fn.on_failure.is_failure_bucket for fn in functions)
    for index, fn in enumerate(functions):
        if doc.failed_under(("functions", index, "triggers")):
            continue  # a refused trigger is not in fn.triggers: the others' indexes would not be the config's
        own = {d.arn for d in (fn.on_failure, fn.on_success) if d is not None and d.arn is not None}
        for number, trigger in enumerate(fn.triggers):
            where: KeyPath = ("functions", index, "triggers", number)
            if trigger.type == "s3" and records_in_bucket and trigger.bucket is not None \
                    and _failure_bucket_could_be(bucket, trigger.bucket):  # fmt: skip
                doc.report(
                    (*where, "bucket"),
                    f"{trigger.bucket!r} is the failure bucket (or may be: its name is "
                    "chosen at apply time): each record written there would invoke the function, and a "
                    "failure of it would write another; read records with the failures commands instead",
                )
            elif trigger.type == "sns" and trigger.topic_arn in own:
                doc.report((*where, "topic_arn"), "is a destination of this function: each of its records would "
                           "invoke it again, round for ever")  # fmt: skip
            elif trigger.type == "sns" and fn.on_failure.is_failure_bucket and monitoring.enabled \
                    and monitoring.record_notices and trigger.topic_arn == monitoring.topic_arn:  # fmt: skip
                doc.report(
                    (*where, "topic_arn"),
                    "is monitoring.topic_arn, which gets a notice of each new failure "
                    "record: a failure of the function would invoke it again, round for ever",
                )
            elif trigger.type == "eventbridge" and _matches_own_records(trigger, own):
                doc.report(
                    (*where, "pattern"),
                    "matches the function's own records, which go to this bus with the "
                    'source "lambda": each would invoke it again; match other sources, or use another bus',
                )


def _matches_own_records(trigger: Trigger, destinations: set[str]) -> bool:
    """An eventbridge trigger on a bus the function sends its records to, whose pattern lets Lambda's through."""
    on_that_bus = any(arn == trigger.bus or arn.endswith(f":event-bus/{trigger.bus}") for arn in destinations)
    sources = json.loads(trigger.pattern or "{}").get("source")
    return on_that_bus and (not isinstance(sources, list) or "lambda" in sources)


def _read_conditions(doc: LoadedYaml, path: KeyPath, raw: Any) -> tuple[PolicyCondition, ...]:
    if not isinstance(raw, list):
        doc.report(path, f"must be a list of conditions, got {_describe(raw)}")
        return ()
    conditions = []
    for index, item in enumerate(raw):
        try:
            values = _read_section(doc, (*path, index), item, PolicyCondition)
        except ConfigError as exc:
            doc.problems.append(exc)
            continue
        conditions.append(PolicyCondition(**{**values, "values": tuple(values["values"] or ())}))
    return tuple(conditions)


def _statement_problems(statement: PolicyStatement, seen: dict[str, int], index: int) -> Iterator[tuple[str, str]]:
    """What a statement's keys say together: its id against the others, a "*" resource against what it allows."""
    if statement.sid in destination_types.GENERATED_STATEMENT_IDS:
        yield "sid", f"{statement.sid!r} is the id of a statement the generator writes; choose another"
    elif statement.sid in seen:
        yield "sid", f"{statement.sid!r} is already the id of policy_statements[{seen[statement.sid]}]"
    if statement.effect != "Allow" or "*" not in (statement.resources or ()):
        return
    for action in statement.actions or ():
        if any(fnmatch.fnmatchcase(known.lower(), action.lower()) for known in ESCALATION_ON_ANY_RESOURCE):
            yield "resources", f'{action!r} on "*" lets the function act as any role; name the role ARNs'
            return
    if not statement.allow_any_resource:
        yield "resources", ('"*" allows the actions on every resource of the account; name the ARNs, or set '
                            "allow_any_resource: true for actions AWS does not scope to a resource")  # fmt: skip


def _destination_or_report(doc: LoadedYaml, path: KeyPath, raw: Any, function: str) -> Destination | None:
    try:
        return _read_destination(doc, path, raw, function)
    except ConfigError as exc:
        doc.problems.append(exc)
        return None


def _read_destination(doc: LoadedYaml, path: KeyPath, raw: Any, function: str) -> Destination | None:
    """One destination, refused here whenever AWS would refuse it at apply time."""
    if raw is None:
        return None
    values = _read_section(doc, path, raw, Destination)
    if doc.failed_under(path):
        return None
    if path[-1] == "on_success" and values["type"] == "s3":
        raise doc.error((*path, "type"), "AWS accepts an S3 bucket only as an on-failure destination")
    if values["function"] == function:
        raise doc.error((*path, "function"), "a function cannot be its own destination")
    return Destination(**values)


def _resolve_source(
    doc: LoadedYaml, path: KeyPath, source: str | None, base_dir: Path, allow_outside: bool
) -> Path | None:
    """The source directory; one that leads out of the config's directory must be allowed by name."""
    if source is None:
        return None
    try:
        directory = (base_dir / source).resolve()
    except (OSError, RuntimeError) as exc:  # a link loop
        raise doc.error(path, f"cannot resolve source {source!r}: {exc}") from None
    if not directory.is_dir():
        what = "is a file, not a directory" if directory.is_file() else "does not exist"
        raise doc.error(path, f"source {source!r} {what} (looked in {directory})")
    base = base_dir.resolve()
    if not allow_outside and directory != base and base not in directory.parents:
        raise doc.error(
            path,
            f"source leads outside the config file's directory: {source!r} is {directory}, the config's directory "
            f"is {base}; set allow_source_outside_config: true for this function if that is meant",
        )
    return directory
