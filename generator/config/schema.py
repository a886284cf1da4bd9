"""The config's JSON Schema, derived from the same Field declarations that validate it.

Editors use it (through the ``yaml-language-server`` modeline) to complete and check
config files as people type. What a schema cannot say (unique function names, an
existing source directory, Lambda's 4 KB environment limit, AWS's tag alphabet) is
still checked by the generator itself.
"""

from __future__ import annotations

import json
from typing import Any

from generator.config.model import (
    ANALYTICS_FIELDS,
    BACKEND_FIELDS,
    BUCKET_FIELDS,
    DESTINATION_ARN_PATTERNS,
    DESTINATION_FIELDS,
    DESTINATION_TYPES,
    EMAIL_MAX,
    EMAIL_PATTERN,
    ENVIRONMENT_KEY_PATTERN,
    FUNCTION_FIELDS,
    MAX_BUCKET_PREFIX,
    MAX_DASHBOARD_FUNCTIONS,
    MAX_RANDOM_UUID_PREFIX,
    MONITORING_FIELDS,
    RESERVED_ENVIRONMENT_KEYS,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
    TOP_FIELDS,
    Field,
)

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"
_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", dict: "object", list: "array"}
# S3's general-purpose bucket naming rules, as config.bucket_name_problem checks them.
_BUCKET_NAME = (
    r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)"
    r"(?!.*(?:-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
)


def json_schema() -> dict[str, Any]:
    bucket = _object(BUCKET_FIELDS, "The S3 bucket that receives the records of failed asynchronous invocations.")
    bucket["properties"]["name"]["pattern"] = _BUCKET_NAME
    bucket["allOf"] = [
        _when({"naming": {"const": "fixed"}}, {"required": ["name"], "properties": {"name": {"type": "string"}}}),
        _when(
            {"naming": {"enum": ["random_uuid", "bucket_prefix"]}},
            {"properties": {"name": {"type": "null"}}},
            absent_means_match=True,
        ),
        _when({"naming": {"const": "bucket_prefix"}}, {"properties": {"prefix": {"maxLength": MAX_BUCKET_PREFIX}}}),
        _when(
            {"naming": {"const": "random_uuid"}},
            {"properties": {"prefix": {"maxLength": MAX_RANDOM_UUID_PREFIX}}},
            absent_means_match=True,
        ),
    ]
    function = _object(FUNCTION_FIELDS, "A Lambda function; its failed asynchronous invocations go to the bucket.")
    function["properties"]["environment"].update(
        propertyNames={"pattern": ENVIRONMENT_KEY_PATTERN, "not": {"enum": sorted(RESERVED_ENVIRONMENT_KEYS)}},
        additionalProperties={"type": "string"},
    )
    function["allOf"] = [
        _when({"source": {"type": "string"}}, {"required": ["handler"], "properties": {"handler": {"type": "string"}}}),
        _when({"alias": {"type": "string"}}, {"required": ["publish"], "properties": {"publish": {"const": True}}}),
    ]
    destination = _destination()
    function["properties"]["on_failure"] = destination
    function["properties"]["on_success"] = {
        "anyOf": [
            {"type": "null"},
            {**destination, "not": {"required": ["type"], "properties": {"type": {"const": "s3"}}}},
        ],
        "description": "Where successful invocations are recorded, like on_failure; AWS accepts S3 only on failure.",
        "default": None,
    }
    schema = _object(TOP_FIELDS, "Config of the generator: one YAML file renders one Terraform project.")
    schema["properties"]["tags"].update(
        propertyNames={"minLength": 1, "maxLength": TAG_KEY_MAX, "not": {"pattern": "^[Aa][Ww][Ss]:"}},
        additionalProperties={"type": "string", "maxLength": TAG_VALUE_MAX},
    )
    schema["properties"]["failure_bucket"] = bucket
    backend = _object(BACKEND_FIELDS, "Where Terraform keeps the state of the rendered project.")
    backend["properties"]["bucket"]["pattern"] = _BUCKET_NAME
    backend["allOf"] = [
        _when(
            {"type": {"const": "s3"}},
            {"required": ["bucket", "key"], "properties": {"bucket": {"type": "string"}, "key": {"type": "string"}}},
        ),
        _when(
            {"type": {"const": "local"}},
            {"properties": {name: {"type": "null"} for name in ("bucket", "key", "region")}},
            absent_means_match=True,
        ),
    ]
    schema["properties"]["terraform"] = {
        "type": "object",
        "description": "Settings of the rendered Terraform project itself.",
        "additionalProperties": False,
        "properties": {"backend": backend},
    }
    monitoring = _object(MONITORING_FIELDS, "Alarms, notices of new failure records and a dashboard, on one topic.")
    address = {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": EMAIL_MAX}
    monitoring["properties"]["email"].update(items=address, uniqueItems=True)
    monitoring["allOf"] = [
        _when({"enabled": {"const": False}}, {"properties": {"topic_arn": {"type": "null"}, "email": {"maxItems": 0}}})
    ]
    schema["properties"]["monitoring"] = monitoring
    schema["properties"]["analytics"] = _object(ANALYTICS_FIELDS, "Athena over the failure records.")
    schema["properties"]["functions"] = {
        "type": "array",
        "description": "One or more functions; every function sends its failures to failure_bucket.",
        "minItems": 1,
        "items": function,
    }
    dashboard_on = {"properties": {"enabled": {"const": True}, "dashboard": {"const": True}}}
    schema["allOf"] = [
        _when(
            {"monitoring": dashboard_on},
            {"properties": {"functions": {"maxItems": MAX_DASHBOARD_FUNCTIONS}}},
            absent_means_match=True,
        )
    ]
    return {"$schema": SCHEMA_ID, "title": "generator config (v1)", **schema}


def _destination() -> dict[str, Any]:
    destination = _object(DESTINATION_FIELDS, "Where Lambda sends the record of an invocation once it has ended.")
    destination["required"] = ["type"]
    destination["properties"]["type"] = {
        "type": "string", "enum": list(DESTINATION_TYPES), "description": DESTINATION_FIELDS[0].doc,
    }  # fmt: skip
    no_queue_settings = {"properties": {"retention_seconds": {"type": "null"}, "max_receive_count": {"type": "null"}}}
    destination["allOf"] = [
        *(_when({"type": {"const": kind}}, {"properties": {"arn": {"pattern": pattern}}})
          for kind, pattern in DESTINATION_ARN_PATTERNS.items()),
        _when({"type": {"const": "lambda"}}, {"oneOf": [
            {"required": ["arn"], "properties": {"arn": {"type": "string"}, "function": {"type": "null"}}},
            {"required": ["function"], "properties": {"function": {"type": "string"}, "arn": {"type": "null"}}},
        ]}),
        _when({"type": {"not": {"const": "lambda"}}}, {"properties": {"function": {"type": "null"}}}),
        _when({"type": {"not": {"const": "sqs"}}}, no_queue_settings),
        _when({"arn": {"type": "string"}}, no_queue_settings),
    ]  # fmt: skip
    return destination


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _object(fields: tuple[Field, ...], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": {field.name: _property(field) for field in fields},
    }


def _property(field: Field) -> dict[str, Any]:
    kind = _JSON_TYPES[field.type]
    prop: dict[str, Any] = {"type": [kind, "null"] if field.nullable else kind, "description": field.doc}
    prop["default"] = field.default
    if field.choices is not None:
        prop["enum"] = [*field.choices, *([None] if field.nullable else [])]
    if field.minimum is not None:
        prop["minimum"] = field.minimum
    if field.maximum is not None:
        prop["maximum"] = field.maximum
    if field.pattern is not None:
        prop["pattern"] = field.pattern
    if field.type is dict:
        prop["additionalProperties"] = {"type": "string"}
    return prop


def _when(condition: dict[str, Any], then: dict[str, Any], absent_means_match: bool = False) -> dict[str, Any]:
    """``if`` the properties match ``condition`` ``then`` apply ``then``; a missing key takes its default."""
    test: dict[str, Any] = {"properties": condition}
    if not absent_means_match:
        test["required"] = list(condition)
    return {"if": test, "then": then}
