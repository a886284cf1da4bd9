"""The config's JSON Schema, derived from the same declarations (keys and rules) that validate it.

Editors use it (through the ``yaml-language-server`` modeline) to complete and check
config files as people type. What a schema cannot say (unique function names, an
existing source directory, Lambda's 4 KB environment limit, AWS's tag alphabet) is
still checked by the generator itself.
"""

from __future__ import annotations

import json
from typing import Any

from generator.config.model import (
    BUCKET_RESERVED_PREFIXES,
    BUCKET_RESERVED_SUFFIXES,
    EMAIL_MAX,
    EMAIL_PATTERN,
    ENVIRONMENT_KEY_PATTERN,
    IAM_ACTION_PATTERN,
    MANAGED_POLICY_ARN_PATTERN,
    MAX_BUCKET_NAME_LENGTH,
    MAX_DASHBOARD_FUNCTIONS,
    RESERVED_ENVIRONMENT_KEYS,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
    Analytics,
    Backend,
    Config,
    Destination,
    FailureBucket,
    Field,
    Function,
    Monitoring,
    PolicyCondition,
    PolicyStatement,
    Section,
    Trigger,
)
from generator.destination_types import GENERATED_STATEMENT_IDS
from generator.trigger_types import S3_EVENT_TYPES, TIMEZONE_PATTERN

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"
_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", dict: "object", list: "array"}


def _bucket_name_pattern() -> str:
    """S3's general-purpose bucket naming rules, from the constants bucket_name_problem checks them with."""
    prefixes = "|".join(p.replace(".", r"\.") for p in BUCKET_RESERVED_PREFIXES)  # only . is special in them
    suffixes = "|".join(s.replace(".", r"\.") for s in BUCKET_RESERVED_SUFFIXES)
    return (
        rf"^(?!{prefixes})(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)(?!.*(?:{suffixes})$)"
        rf"[a-z0-9][a-z0-9.-]{{1,{MAX_BUCKET_NAME_LENGTH - 2}}}[a-z0-9]$"
    )


def json_schema() -> dict[str, Any]:
    bucket_name = _bucket_name_pattern()
    bucket = _object(FailureBucket)
    bucket["properties"]["name"]["pattern"] = bucket_name
    function = _object(Function)
    function["properties"]["environment"].update(
        propertyNames={"pattern": ENVIRONMENT_KEY_PATTERN, "not": {"enum": sorted(RESERVED_ENVIRONMENT_KEYS)}},
        additionalProperties={"type": "string"},
    )
    statement = _object(PolicyStatement)
    props = statement["properties"]
    props["sid"]["not"] = {"enum": sorted(GENERATED_STATEMENT_IDS)}
    props["actions"]["items"] = {"type": "string", "pattern": IAM_ACTION_PATTERN, "not": {"pattern": ":\\*$"}}
    props["actions"]["minItems"] = props["resources"]["minItems"] = 1
    # "*" among the resources of an Allow needs allow_any_resource: true
    allowed_anywhere = {"required": ["allow_any_resource"], "properties": {"allow_any_resource": {"const": True}}}
    denied = {"required": ["effect"], "properties": {"effect": {"const": "Deny"}}}
    statement.setdefault("allOf", []).append({
        "if": {"not": {"anyOf": [allowed_anywhere, denied]}},
        "then": {"properties": {"resources": {"not": {"contains": {"const": "*"}}}}},
    })  # fmt: skip
    function["properties"]["managed_policy_arns"]["items"] = {"type": "string", "pattern": MANAGED_POLICY_ARN_PATTERN}
    in_a_vpc = {"required": ["vpc_subnet_ids"], "properties": {"vpc_subnet_ids": {"minItems": 1}}}
    with_groups = {"required": ["vpc_security_group_ids"], "properties": {"vpc_security_group_ids": {"minItems": 1}}}
    function.setdefault("allOf", []).extend([
        {"if": in_a_vpc, "then": with_groups},
        {"if": with_groups, "then": in_a_vpc},
        {"if": {"required": ["vpc_ipv6_allowed"], "properties": {"vpc_ipv6_allowed": {"const": True}}},
         "then": in_a_vpc},
    ])  # fmt: skip
    statement["properties"]["conditions"] = {
        "type": "array",
        "description": "Conditions under which the statement applies; all must hold.",
        "items": _object(PolicyCondition),
        "default": [],
    }
    function["properties"]["policy_statements"] = {
        "type": "array",
        "description": "The function's own permissions, added to its role's inline policy after the generated ones.",
        "items": statement,
        "default": [],
    }
    trigger = _object(Trigger)
    trigger["properties"]["bucket"]["pattern"] = bucket_name
    trigger["properties"]["events"].update(items={"enum": list(S3_EVENT_TYPES)}, minItems=1, uniqueItems=True)
    trigger["properties"]["timezone"]["pattern"] = TIMEZONE_PATTERN
    function["properties"]["triggers"] = {
        "type": "array",
        "description": "What invokes the function asynchronously: S3 object events, SNS topics, EventBridge rules "
        "and schedules.",
        "items": trigger,
        "default": [],
    }
    destination = _object(Destination)
    function["properties"]["on_failure"] = destination
    function["properties"]["on_success"] = {
        "anyOf": [
            {"type": "null"},
            {**destination, "not": {"required": ["type"], "properties": {"type": {"const": "s3"}}}},
        ],
        "description": "Where successful invocations are recorded, like on_failure; AWS accepts S3 only on failure.",
        "default": None,
    }
    schema = _object(Config)
    schema["properties"]["tags"].update(
        propertyNames={"minLength": 1, "maxLength": TAG_KEY_MAX, "not": {"pattern": "^[Aa][Ww][Ss]:"}},
        additionalProperties={"type": "string", "maxLength": TAG_VALUE_MAX},
    )
    schema["properties"]["failure_bucket"] = bucket
    backend = _object(Backend)
    backend["properties"]["bucket"]["pattern"] = bucket_name
    schema["properties"]["terraform"] = {
        "type": "object",
        "description": "Settings of the rendered Terraform project itself.",
        "additionalProperties": False,
        "properties": {"backend": backend},
    }
    monitoring = _object(Monitoring)
    address = {"type": "string", "pattern": EMAIL_PATTERN, "maxLength": EMAIL_MAX}
    monitoring["properties"]["email"].update(items=address, uniqueItems=True)
    schema["properties"]["monitoring"] = monitoring
    schema["properties"]["analytics"] = _object(Analytics)
    schema["properties"]["functions"] = {
        "type": "array",
        "description": "One or more functions, each with where the records of its invocations go.",
        "minItems": 1,
        "items": function,
    }
    dashboard_on = {"properties": {"enabled": {"const": True}, "dashboard": {"const": True}}}
    schema["allOf"] = [
        {
            "if": {"properties": {"monitoring": dashboard_on}},
            "then": {"properties": {"functions": {"maxItems": MAX_DASHBOARD_FUNCTIONS}}},
        }
    ]
    return {"$schema": SCHEMA_ID, "title": "generator config (v1)", **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _object(section: type[Section]) -> dict[str, Any]:
    """A section's keys, described by its model's docstring, with its rules as ``if``/``then``."""
    obj: dict[str, Any] = {
        "type": "object",
        "description": (section.__doc__ or "").strip().split("\n")[0],
        "additionalProperties": False,
        "properties": {field.name: _property(field) for field in section.FIELDS},
    }
    if rules := [part for rule in section.RULES for part in rule.schema(section.defaults())]:
        obj["allOf"] = rules
    return obj


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
    if field.type is list:
        prop["items"] = {"type": "string"}
    if field.items is not None:
        prop.update(items={"type": "string", "pattern": field.items.pattern}, maxItems=field.items.most,
                    uniqueItems=True)  # fmt: skip
    return prop
