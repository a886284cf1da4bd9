"""What the templates display, decided here: a typed, frozen view of the project one config describes.

Templates only display. Every decision they would otherwise make (is there a failure bucket,
which functions run the demo handler, where a function's records go, which files exist) is a
property here, typed and checked by mypy, and made once for every template that needs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from generator import __version__, bucket_layout, ci, destination_types, lambda_facts, project_outputs, trigger_types
from generator.config import model as config_limits
from generator.config.model import (
    ANALYTICS_FIELDS,
    BUCKET_FIELDS,
    ENVIRONMENT_KEY_PATTERN,
    FUNCTION_FIELDS,
    FUNCTION_SETTINGS,
    IAM_ACTION_PATTERN,
    MANAGED_POLICY_ARN_PATTERN,
    MONITORING_FIELDS,
    PATTERN_WORDS,
    POLICY_SID_PATTERN,
    RESERVED_ENVIRONMENT_KEYS,
    TOP_FIELDS,
    Config,
    FailureBucket,
    Field,
    PolicyStatement,
    Trigger,
)
from generator.record import Record
from generator.record_queries import NAMED_QUERIES
from generator.render import destinations, layout, monitoring, names, tftest
from generator.render.destinations import Wiring
from generator.render.hcl import Hcl, interpolate, quote, to_hcl
from generator.render.packaging import SourceFile

_DESCRIPTION_MAX = 256  # Lambda's limit on a function's description
_CREATED_KINDS = tuple(destination_types.CREATED)


class FunctionView(Record):
    """One function as the templates show it."""

    name: str
    runtime: str
    handler: str
    package: str  # the zip's path in the rendered project
    role_name: str
    record_rule_name: str  # the EventBridge rule that announces its new failure records
    publish: bool  # publishes a version on each change
    alias: str | None  # follows the newest version; the invoke config is set on it
    settings: Mapping[str, Any]  # the tunables, as the functions variable holds them
    sources: tuple[SourceFile, ...]
    skipped: tuple[str, ...]  # what packaging left out
    destinations: tuple[Wiring, ...]
    demo: bool  # runs the bundled demo handler
    expected_record: str  # when a failed event's record arrives (lambda_facts)
    group: str  # its group digit, which names its module call once the project is grouped (layout)
    module_call: str  # the call of modules/function that holds it (layout)
    other_call: str  # the call that held it on the other side of the layout's threshold, moved from
    through_s3: bool = False  # it deploys from S3: its package is over Lambda's direct-upload limit, or asks to
    package_bucket: str | None = None  # the existing bucket it deploys from; None: the project's own, if through_s3
    installed_by: str | None = None  # how its dependencies were installed, in words; None: it has none
    policy_statements: tuple[PolicyStatement, ...] = ()  # its own permissions, after the generated ones
    managed_policy_arns: tuple[str, ...] = ()  # existing policies attached to its role
    triggers: tuple[Trigger, ...] = ()  # what invokes it asynchronously

    @property
    def overrides(self) -> dict[str, Any]:
        """The settings the config changes from the function module's defaults: all the root module carries.

        The module holds every default, so a setting added to it changes no root file of any project.
        """
        defaults = {f.name: module_default(f) for f in FUNCTION_SETTINGS}
        # a list setting reads back as a tuple, and () must equal its declared default []
        return {name: value for name, value in self.settings.items()
                if (list(value) if isinstance(value, tuple) else value) != defaults[name]}  # fmt: skip

    @property
    def trigger_arguments(self) -> dict[str, Hcl]:
        """Each trigger as the module's triggers variable takes it, an event pattern as jsonencode() of it."""
        rendered = {}
        for trigger in self.triggers:
            fields = trigger.rendered.hcl_fields
            if "event_pattern" in fields:
                fields["event_pattern"] = Hcl(f"jsonencode({to_hcl(json.loads(fields['event_pattern']), 8)})")
            rendered[trigger.rendered.name] = to_hcl(fields, 6)
        return rendered

    @property
    def on_failure(self) -> Wiring:
        return next(w for w in self.destinations if w.kind == "on_failure")

    @property
    def in_bucket(self) -> bool:
        """Records its failures in the bucket this project creates."""
        return self.on_failure.destination.is_failure_bucket

    @property
    def records_to(self) -> str:
        return destinations.described(self.on_failure)

    @property
    def record_prefix(self) -> str:
        """Where Lambda writes its records in an S3 bucket, and all of the bucket its role may write."""
        return lambda_facts.record_prefix(self.name)

    @property
    def description(self) -> str:
        """The function's description, where its failures go (the bucket's takes its name at apply time)."""
        text = f"Invoked asynchronously; records of failed events go to {self.records_to}"
        return text if len(text) <= _DESCRIPTION_MAX else "Invoked asynchronously; see its on-failure destination"

    @property
    def targets(self) -> dict[str, Hcl]:
        """Each destination kind's ARN expression, ``null`` where the function has none."""
        by_kind = {w.kind: w.target for w in self.destinations}
        return {kind: by_kind.get(kind, Hcl("null")) for kind in destinations.KINDS}

    @property
    def destination_cells(self) -> tuple[str, ...]:
        """The README's destinations table: one cell per kind, in Markdown."""
        by_kind = {w.kind: w for w in self.destinations}
        return tuple(_cell(by_kind.get(kind)) for kind in destinations.KINDS)


_TAGS_DESCRIPTION = "Extra tags for every taggable resource, on top of Project and ManagedBy."
_EXPIRATION_DESCRIPTION = "Days after which failure records (and their earlier versions) expire."
_KMS_DESCRIPTION = "ARN of the KMS key that encrypts the failure records (SSE-KMS)."
_FUNCTIONS_DESCRIPTION = (
    "Settings of each Lambda function, keyed by function name: exactly the functions the generator packaged. "
    "A setting left out takes its default from the settings variable of modules/function, which checks each value."
)
_FUNCTION_OUTPUTS = {
    project_outputs.DESTINATIONS: "Where Lambda sends the record of each function's asynchronous invocations once "
    "they end: ARNs by function name.",
    "function_names": "Names of the Lambda functions.",
    "function_arns": "ARN of each Lambda function, by function name.",
    "role_arns": "ARN of each function's execution role, by function name.",
    project_outputs.ASYNCHRONOUS_SETTINGS: "Each function's asynchronous invocation as applied: the qualifier its "
    "invoke config is on (null: the function itself), retries, event age, reserved concurrency, destinations and "
    "recursive-loop setting; failures doctor checks the deployed functions against it.",
}


def active_settings(config: Config) -> tuple[Field, ...]:
    """The per-function settings the rendered project carries: alarm settings only while it has alarms."""
    return tuple(f for f in FUNCTION_SETTINGS if config.monitoring.enabled or not f.monitoring)


class Publisher(Record):
    """A service that publishes to the notification topic, and how its sources' ARNs start."""

    sid: str
    service: str  # its ARN's service part; its principal is <service>.amazonaws.com
    resource: str  # where the resource's name starts in its ARN: alarm: or rule/

    @property
    def principal(self) -> str:
        return f"{self.service}.amazonaws.com"


_PUBLISHERS = (
    Publisher("ProjectAlarmsPublish", "cloudwatch", "alarm:"),
    Publisher("ProjectRulesPublish", "events", "rule/"),
)


class ModuleSetting(Record):
    """One attribute of the function module's settings variable: its sentence, and its type with its default."""

    name: str
    doc: str
    type: Hcl


def module_context() -> dict[str, Any]:
    """What the function module's templates may use: project facts only, never a config.

    The module is the same for every config, so a change to it shows in one golden file, not once per
    variant, and every decision a config makes stays in the root module's call.
    """
    return {
        "module_settings": tuple(ModuleSetting(f.name, f.doc, setting_type(f)) for f in FUNCTION_SETTINGS),
        "setting_validations": tuple(v for f in FUNCTION_SETTINGS if (v := setting_validation(f)) is not None),
        "reserved_environment_keys": sorted(RESERVED_ENVIRONMENT_KEYS),
        "environment_key_pattern": ENVIRONMENT_KEY_PATTERN,
        "fields": field_tables(),
        "monitoring": monitoring,
        "facts": lambda_facts,
        "trigger_types": trigger_types,
        "sns_topic_arn_pattern": destination_types.SNS_TOPIC_ARN_PATTERN,
        "policy": {
            "sid_pattern": POLICY_SID_PATTERN,
            "action_pattern": IAM_ACTION_PATTERN,
            "managed_arn_pattern": MANAGED_POLICY_ARN_PATTERN,
            "generated_ids": sorted(destination_types.GENERATED_STATEMENT_IDS),
        },
    }


def field_tables() -> dict[str, dict[str, Field]]:
    """The declarations the templates read limits and sentences from, by section."""
    sections = {"top": TOP_FIELDS, "failure_bucket": BUCKET_FIELDS, "functions": FUNCTION_FIELDS,
                "monitoring": MONITORING_FIELDS, "analytics": ANALYTICS_FIELDS}  # fmt: skip
    return {section: {f.name: f for f in specs} for section, specs in sections.items()}


class Validation(Record):
    """A validation block of the module's settings variable: its condition and error message, as HCL."""

    condition: Hcl
    message: Hcl


_HCL_TYPES = {str: "string", int: "number", bool: "bool", dict: "map(string)", list: "list(string)"}
_LISTED_RANGE = 3  # a whole-number range of at most this many values reads best listed: "0, 1, 2"


def module_default(field: Field) -> Any:
    """What the function module gives a setting a call leaves out: its declared default; null when nullable.

    Terraform replaces an explicit null with an ``optional`` default, and null has a meaning of its own, so a
    nullable setting left out is null.
    """
    return None if field.nullable else field.default


def setting_type(field: Field) -> Hcl:
    """The type of a setting in the function module's settings variable: every one may be left out.

    A setting left out takes ``module_default``, so a ``functions`` value written for an earlier release,
    before a setting existed, stays valid, and the root module carries only what a config changes.
    """
    base, default = _HCL_TYPES[field.type], module_default(field)
    return Hcl(f"optional({base})" if default is None else f"optional({base}, {to_hcl(default)})")


def _field(fields: tuple[Field, ...], name: str) -> Field:
    return next(f for f in fields if f.name == name)


# The root variables that carry one config key each, and that key: their validations come from its limits.
VARIABLE_FIELDS = {
    "region": _field(TOP_FIELDS, "region"),
    "failure_record_expiration_days": _field(BUCKET_FIELDS, "expire_after_days"),
    "failure_bucket_kms_key_arn": _field(BUCKET_FIELDS, "kms_key_arn"),
    "athena_scan_cutoff_mb": _field(ANALYTICS_FIELDS, "scan_cutoff_mb"),
    "athena_results_expiration_days": _field(ANALYTICS_FIELDS, "results_expire_after_days"),
}


def setting_validation(field: Field) -> Validation | None:
    """The module's check of a setting, from the same limits the generator checks (None: checked otherwise).

    The message starts with the function's name: the settings of many functions meet in one root variable.
    """
    return field_validation(field, f"var.settings.{field.name}", field.name, field.nullable, Hcl("var.name"))


def variable_validation(field: Field, variable: str) -> Validation:
    """The check of a root variable that carries ``field``'s value; the variable exists only when it is set."""
    check = field_validation(field, f"var.{variable}", variable, nullable=False)
    assert check is not None, f"{field.name} declares no limits for {variable} to check"
    return check


def field_validation(
    field: Field, value: str, name: str, nullable: bool, about: Hcl | None = None
) -> Validation | None:
    """A Terraform validation of ``value`` from the limits ``field`` declares (None: it declares none).

    ``about`` names what the message is about (a function's name), when one variable holds many of them.
    """
    if field.choices is not None:
        words = f"one of {field.choices_words}: " if field.choices_words else "one of "
        if nullable:  # contains() refuses a null argument
            null = f"null ({field.null_words}) or " if field.null_words else "null or "
            # HCL evaluates both sides of || and both results of ?:, so the null never reaches contains()
            known = f'contains({to_hcl(list(field.choices))}, {value} == null ? "" : {value})'
            return _validation(f"{value} == null || {known}", f"{name} must be {null}{words}{_listed(field.choices)}.",
                               about)  # fmt: skip
        return _contains(value, list(field.choices), f"{name} must be {words}{_listed(field.choices)}.", about)
    if field.items is not None:
        items = field.items
        condition = (f"length({value}) <= {items.most} && "
                     f"alltrue([for item in {value} : can(regex({quote(items.pattern)}, item))])")  # fmt: skip
        return _validation(condition, f"{name} must be at most {items.most} {items.words}.", about)
    if field.pattern is not None:
        condition = f"can(regex({quote(field.pattern)}, {value}))"
        if nullable:  # can() turns regex()'s refusal of a null into false
            null = f"null ({field.null_words}) or " if field.null_words else "null or "
            return _validation(f"{value} == null || {condition}",
                               f"{name} must be {null}{PATTERN_WORDS[field.pattern]}.", about)  # fmt: skip
        return _validation(condition, f"{name} must be {PATTERN_WORDS[field.pattern]}.", about)
    if field.minimum is None or field.maximum is None:
        return None
    if field.maximum - field.minimum < _LISTED_RANGE:  # a few values read best listed: "0, 1, 2"
        values = list(range(field.minimum, field.maximum + 1))
        return _contains(value, values, f"{name} must be {_listed(values)}.", about)
    number = f"coalesce({value}, {field.minimum})" if nullable else value
    bounds = f"{number} >= {field.minimum} && {number} <= {field.maximum} && floor({number}) == {number}"
    null = f"null ({field.null_words}) or " if nullable else ""
    unit = f" of {field.unit}" if field.unit else ""
    return _validation(bounds, f"{name} must be {null}a whole number{unit} from {field.minimum} to {field.maximum}.",
                       about)  # fmt: skip


def _contains(value: str, values: list[Any], message: str, about: Hcl | None) -> Validation:
    return _validation(f"contains({to_hcl(values)}, {value})", message, about)


def _validation(condition: str, message: str, about: Hcl | None) -> Validation:
    return Validation(Hcl(condition), interpolate(about, f": {message}") if about else quote(message))


def _listed(values: Any) -> str:
    return ", ".join(map(str, values))


def _doc(fields: tuple[Field, ...], name: str) -> str:
    return _field(fields, name).doc


def _cell(wired: Wiring | None) -> str:
    if wired is None:
        return "-"
    destination = wired.destination
    if destination.arn:
        where = f"`{destination.arn}`"
    elif destination.function:
        where = f"function `{destination.function}`"
    elif destination.type == "s3":
        where = "the failure bucket"
    else:
        where = f"created `{wired.created_name}`"
    return f"{destination.type}: {where}"


class ModuleCall(Record):
    """One call of modules/function and the functions it holds."""

    name: str
    group: str  # the digit its functions' names hash to, when the project is grouped
    functions: tuple[FunctionView, ...]


class ProjectView(Record):
    """The project one config describes, as the templates show it."""

    config: Config
    functions: tuple[FunctionView, ...]
    # First rendered before 0.2, when each function's resources sat at the root: moved.tf carries them over.
    carries_flat_layout: bool = False

    @property
    def bucket(self) -> FailureBucket:
        return self.config.failure_bucket

    @cached_property
    def uses_bucket(self) -> bool:
        return destinations.uses_failure_bucket(self.config)

    @property
    def uses_random(self) -> bool:
        return self.uses_bucket and self.bucket.naming == "random_uuid"

    @property
    def own_statements(self) -> tuple[FunctionView, ...]:
        """The functions with permissions of their own (policy_statements)."""
        return tuple(fn for fn in self.functions if fn.policy_statements)

    @property
    def triggered(self) -> tuple[FunctionView, ...]:
        """The functions something invokes (triggers)."""
        return tuple(fn for fn in self.functions if fn.triggers)

    @property
    def notification_buckets(self) -> tuple[str, ...]:
        """The buckets whose EventBridge notifications the project turns on (s3 triggers that own them)."""
        return tuple(sorted({t.bucket for fn in self.functions for t in fn.triggers
                             if t.type == "s3" and t.owns_notifications and t.bucket is not None}))  # fmt: skip

    @property
    def unowned_buckets(self) -> tuple[str, ...]:
        """The buckets of s3 triggers whose EventBridge notifications must already be on."""
        return tuple(sorted({t.bucket for fn in self.functions for t in fn.triggers if t.type == "s3"
                             and t.bucket is not None} - set(self.notification_buckets)))  # fmt: skip

    @property
    def managed_policies(self) -> tuple[FunctionView, ...]:
        return tuple(fn for fn in self.functions if fn.managed_policy_arns)

    @property
    def s3_packages(self) -> tuple[FunctionView, ...]:
        """The functions whose packages are uploaded to S3 and deploy from there."""
        return tuple(fn for fn in self.functions if fn.through_s3)

    @property
    def creates_package_bucket(self) -> bool:
        return any(fn.package_bucket is None for fn in self.s3_packages)

    @property
    def publishes(self) -> bool:
        """Whether any function publishes versions: only then do the module and its call carry publish and alias."""
        return any(fn.publish for fn in self.functions)

    @property
    def grouped(self) -> bool:
        """Whether the functions are spread over one module call per group (layout) rather than one call."""
        return layout.grouped(len(self.functions))

    @cached_property
    def module_calls(self) -> tuple[ModuleCall, ...]:
        """Each call of modules/function, in group order, with the functions it holds; only calls that hold some."""
        calls: dict[str, list[FunctionView]] = {}
        for fn in sorted(self.functions, key=lambda fn: fn.module_call):
            calls.setdefault(fn.module_call, []).append(fn)
        return tuple(ModuleCall(name, held[0].group, tuple(held)) for name, held in calls.items())

    @property
    def group_sizes(self) -> tuple[int, int]:
        """The fewest and most functions one module call holds."""
        sizes = [len(call.functions) for call in self.module_calls]
        return min(sizes), max(sizes)

    @property
    def function_modules(self) -> Hcl:
        """The expression outputs iterate over: every function's module instance, whichever call holds it."""
        return Hcl("local.function_modules" if self.grouped else f"module.{layout.SINGLE_CALL}")

    @property
    def uses_partition(self) -> bool:
        """A lambda destination in this config is named by a constructed ARN, which needs the partition."""
        return self.creates_topic or any(w.destination.function for fn in self.functions for w in fn.destinations)

    @property
    def custom_destinations(self) -> bool:
        return destinations.uses_custom_destinations(self.config)

    @cached_property
    def created(self) -> dict[str, dict[str, dict[str, int]]]:
        """The queues, topics and buses the project creates, by type, keyed by name, with a queue's settings."""
        created: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in _CREATED_KINDS}
        for fn in self.functions:
            for wired in fn.destinations:
                if wired.created_name is not None:
                    sqs = wired.destination.type == "sqs"
                    settings = destinations.queue_settings(wired.destination) if sqs else {}
                    created[wired.destination.type][wired.created_name] = settings
        return created

    @property
    def creates_destinations(self) -> bool:
        """Whether destinations.tf exists: decided here once, for render and the README alike."""
        return any(self.created.values())

    @property
    def alarms(self) -> tuple[monitoring.Alarm, ...]:
        return monitoring.ALARMS if self.config.monitoring.enabled else ()

    @property
    def creates_topic(self) -> bool:
        return self.config.monitoring.enabled and self.config.monitoring.topic_arn is None

    @property
    def topic_name(self) -> str:
        return names.topic_name(self.config.project)

    @property
    def bucket_functions(self) -> tuple[FunctionView, ...]:
        """The functions whose records go to the failure bucket: the ones the failures commands read."""
        return tuple(fn for fn in self.functions if fn.in_bucket)

    @property
    def records_where(self) -> str:
        """Where the functions' records go: "bucket" (all of them), "elsewhere" (none) or "mixed"."""
        count = len(self.bucket_functions)
        return "bucket" if count == len(self.functions) else "elsewhere" if count == 0 else "mixed"

    @property
    def record_notices(self) -> bool:
        """Whether the bucket announces new records: EventBridge notifications and a rule per function."""
        settings = self.config.monitoring
        return settings.enabled and settings.record_notices and self.uses_bucket

    @property
    def analytics(self) -> bool:
        """Athena over the failure records (config validation refuses it without a failure bucket)."""
        return self.config.analytics.enabled and self.uses_bucket

    @property
    def projection_range(self) -> str:
        """The days the table covers: as long as records are kept, or ten years when they never expire."""
        days = self.bucket.expire_after_days
        return f"NOW-{days}DAYS,NOW" if days else "NOW-10YEARS,NOW"

    @property
    def publishers(self) -> tuple[Publisher, ...]:
        """The services that publish to the project's topic: CloudWatch alarms, and EventBridge for notices."""
        return _PUBLISHERS if self.record_notices else _PUBLISHERS[:1]

    @property
    def dashboard(self) -> bool:
        return self.config.monitoring.enabled and self.config.monitoring.dashboard

    @property
    def demo_functions(self) -> tuple[FunctionView, ...]:
        return tuple(fn for fn in self.functions if fn.demo)

    @property
    def invoke_commands_description(self) -> str:
        """What the invoke commands do, true for these functions (lambda_facts has the behaviour)."""
        demo = self.demo_functions
        which = (
            "each function" if len(demo) == len(self.functions) else "each function that runs the bundled demo handler"
        )
        throttled = {fn.settings["reserved_concurrency"] == 0 for fn in demo}
        outcomes = []
        if True in throttled:
            outcomes.append(
                f"with reserved concurrency 0, Lambda records it at once as {lambda_facts.ZERO_CONCURRENCY_CONDITION}, "
                "without running the function"
            )
        if False in throttled:
            outcomes.append("otherwise the demo handler raises on it, and Lambda records it after the retries")
        which += " (its alias, where it has one)" if any(fn.alias for fn in demo) else ""
        return f'Ready-to-paste AWS CLI commands that invoke {which} asynchronously with {{"forceError": true}}: ' + (
            "; ".join(outcomes) + "."
        )

    @property
    def inputs(self) -> dict[str, str]:
        """The rendered variables and their descriptions, in order: variables.tf and the README's table."""
        inputs = {"region": _doc(TOP_FIELDS, "region"), "tags": _TAGS_DESCRIPTION}
        if self.uses_bucket:
            inputs["failure_bucket_force_destroy"] = _doc(BUCKET_FIELDS, "force_destroy")
            if self.bucket.expire_after_days:
                inputs["failure_record_expiration_days"] = _EXPIRATION_DESCRIPTION
            if self.bucket.kms_key_arn:
                inputs["failure_bucket_kms_key_arn"] = _KMS_DESCRIPTION
        inputs["functions"] = _FUNCTIONS_DESCRIPTION
        if self.analytics:
            inputs["athena_scan_cutoff_mb"] = _doc(ANALYTICS_FIELDS, "scan_cutoff_mb")
            inputs["athena_results_expiration_days"] = _doc(ANALYTICS_FIELDS, "results_expire_after_days")
        if self.config.monitoring.enabled:
            inputs["notification_emails"] = _doc(MONITORING_FIELDS, "email")
        return inputs

    @property
    def outputs(self) -> dict[str, str]:
        """The rendered outputs and their descriptions, in order: outputs.tf and the README's table."""
        outputs: dict[str, str] = {}
        if self.uses_bucket:
            whose = "the functions that keep the default" if self.custom_destinations else "every function"
            outputs[project_outputs.FAILURE_BUCKET_NAME] = (
                "Name of the S3 bucket that receives the records of failed asynchronous invocations."
            )
            outputs["failure_bucket_arn"] = f"ARN of the failure bucket, the on-failure destination of {whose}."
        outputs |= _FUNCTION_OUTPUTS
        if self.publishes:
            outputs["alias_arns"] = (
                "ARN of each function's alias, the target to invoke: its asynchronous invocation settings are there."
            )
        if self.demo_functions:
            outputs["invoke_commands"] = self.invoke_commands_description
        if self.uses_bucket:
            outputs["list_failure_records_command"] = (
                "Ready-to-paste AWS CLI command that lists the failure records in the bucket."
            )
        if self.config.monitoring.enabled:
            outputs["notification_topic_arn"] = "ARN of the SNS topic that receives the alarms" + (
                " and the notices of new failure records." if self.record_notices else "."
            )
            outputs["alarm_names"] = "Names of each function's CloudWatch alarms, by function name."
        if self.analytics:
            outputs["athena_workgroup"] = (
                "Athena workgroup for queries over the failure records (results encrypted, scans capped)."
            )
            outputs["athena_table"] = "The failure records' table, as <database>.<table> for SQL."
            outputs["athena_named_queries"] = "IDs of the saved queries over the failure records, by name."
        if self.dashboard:
            outputs["dashboard_url"] = "URL of the project's CloudWatch dashboard in the AWS console."
        outputs[project_outputs.REGION] = (
            "AWS region of the deployment, for the AWS CLI and the generator's failures commands."
        )
        return outputs

    @property
    def fields(self) -> dict[str, dict[str, Field]]:
        """The declarations the templates read limits and sentences from."""
        return field_tables()

    def template_context(self) -> dict[str, Any]:
        """The names templates may use, and nothing else."""
        shown = ("config", "bucket", "functions", "fields", "uses_bucket", "uses_random", "uses_partition",
                 "custom_destinations", "created", "creates_destinations", "demo_functions", "inputs",
                 "outputs", "alarms",
                 "creates_topic", "topic_name", "bucket_functions", "records_where", "record_notices", "dashboard",
                 "publishers", "analytics", "projection_range", "publishes", "grouped",
                 "module_calls", "group_sizes", "function_modules", "carries_flat_layout", "s3_packages",
                 "creates_package_bucket", "own_statements", "managed_policies", "triggered",
                 "notification_buckets", "unowned_buckets")  # fmt: skip
        return {
            **{name: getattr(self, name) for name in shown},
            "facts": lambda_facts,
            "variable_validations": {name: variable_validation(f, name) for name, f in VARIABLE_FIELDS.items()},
            "bucket_layout": bucket_layout,
            "destination_kinds": destinations.KINDS,
            "limits": config_limits,
            "monitoring": monitoring,
            "generator_version": __version__,
            "terraform_version": ci.TERRAFORM_VERSION,
            "checkov_version": ci.CHECKOV_VERSION,
            "named_queries": NAMED_QUERIES,
            "tftest": tftest,
            "trigger_types": trigger_types,
            "glue_database": names.glue_database(self.config.project),
            "layout": layout,
            "workgroup": names.athena_workgroup(self.config.project),
        }
