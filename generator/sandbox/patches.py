"""The fixes the sandbox makes to moto 5.2.5, each where moto answers differently from AWS.

Each function's docstring says what moto does and what AWS does instead. The sandbox and the test suite apply
the same ones (``applied``), so a project behaves alike in both; delivery.py adds what moto lacks altogether,
Lambda's asynchronous delivery of failure records.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

_MISSING = object()


class Patches:
    """Attributes and entries replaced, each undone in reverse order by ``undo``."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def setattr(self, owner: Any, name: str, value: Any, raising: bool = True) -> None:
        old = owner.__dict__.get(name, _MISSING) if isinstance(owner, type) else getattr(owner, name, _MISSING)
        if old is _MISSING and raising and not hasattr(owner, name):
            raise AttributeError(f"{owner!r} has no attribute {name!r} to patch")
        setattr(owner, name, value)
        self._undo.append(lambda: delattr(owner, name) if old is _MISSING else setattr(owner, name, old))

    def setitem(self, mapping: Any, key: Any, value: Any) -> None:
        old = mapping.get(key, _MISSING)
        mapping[key] = value
        self._undo.append(lambda: mapping.pop(key) if old is _MISSING else mapping.__setitem__(key, old))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


def _reserved_concurrency_zero(patches: Patches) -> None:
    """Make moto's GetFunction report a reserved concurrency of 0.

    moto builds the ``Concurrency`` block only ``if self.reserved_concurrency:`` (a truth
    test, so 0 is dropped; still so in moto 5.2.5). The AWS provider then reads -1 and
    plans to change the function on every run, which would hide real drift behind a
    known emulator bug. AWS itself returns the block for 0, so this restores exactly that.
    """
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.get_code

    def get_code(self: Any) -> dict[str, Any]:
        response: dict[str, Any] = original(self)
        if self.reserved_concurrency is not None and "Concurrency" not in response:
            response["Concurrency"] = {"ReservedConcurrentExecutions": self.reserved_concurrency}
        return response

    patches.setattr(LambdaFunction, "get_code", get_code)


def _logging_config(patches: Patches) -> None:
    """Make moto's Lambda keep and report a function's LoggingConfig.

    moto (5.2.5) drops ``LoggingConfig`` from CreateFunction and UpdateFunctionConfiguration and never
    returns it, so the provider plans to add the block on every run. AWS returns it for every function,
    Text and the function's own log group unless set otherwise; this keeps what was sent, or that default.
    """
    from moto.awslambda.models import LambdaFunction

    original_init, original_update = LambdaFunction.__init__, LambdaFunction.update_configuration
    original_configuration = LambdaFunction.get_configuration

    def init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.logging_config = spec.get("LoggingConfig")

    def update(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.logging_config = config_updates["LoggingConfig"]
        result: dict[str, Any] = original_update(self, config_updates)
        return result

    def configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        response: dict[str, Any] = original_configuration(self, on_create)
        default = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        response["LoggingConfig"] = {**default, **(getattr(self, "logging_config", None) or {})}
        return response

    patches.setattr(LambdaFunction, "__init__", init)
    patches.setattr(LambdaFunction, "update_configuration", update)
    patches.setattr(LambdaFunction, "get_configuration", configuration)


def _compact_redrive_policy(patches: Patches) -> None:
    """Make moto's GetQueueAttributes return RedrivePolicy as compact JSON, as SQS does.

    moto writes it with ``json.dumps`` defaults (``{"a": 1, "b": 2}``, still so in moto
    5.2.5); SQS returns ``{"a":1,"b":2}``, byte-equal to Terraform's ``jsonencode``. The
    AWS provider compares the text, so against moto every re-plan wanted to rewrite the
    queue's redrive policy, a change that AWS itself never reports.
    """
    from moto.sqs.models import Queue

    original = Queue.attributes

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original.fget(self)  # type: ignore[attr-defined]
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    patches.setattr(Queue, "attributes", property(attributes))


def _receive_without_recounting(patches: Patches) -> None:
    """Make moto's ReceiveMessage read a queue's retention period instead of computing every attribute.

    For each message it returns, moto 5.2.5 checks retention through GetQueueAttributes, which counts every
    message in the queue: a receive of ten from a queue of 10,000 took seconds, and reading the queue through
    took hours. SQS answers a receive in milliseconds whatever the queue holds.
    """
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention + message.sent_timestamp / 1000 > unix_time())

    patches.setattr(
        SQSBackend, "is_message_valid_based_on_retention_period", is_message_valid_based_on_retention_period
    )


def _queue_counts_with_one_clock_read(patches: Patches) -> None:
    """Make moto's queue read the clock once per count, not twice per message.

    moto 5.2.5 decides each message's visibility by reading the time (a datetime built and converted) for
    every message, and counts the queue so on every send and receive: at 10,000 messages each send took
    70 ms, and filling such a queue took a quarter of an hour. The same comparisons, against one reading.
    """
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import Queue

    def messages(self: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def delayed(self: Any) -> int:
        now = unix_time_millis()
        return sum(now < m.delayed_until for m in self._messages)

    def not_visible(self: Any) -> int:
        now = unix_time_millis()
        return sum(not now > m.visible_at for m in self._messages)

    patches.setattr(Queue, "messages", property(messages))
    patches.setattr(Queue, "approximate_number_of_messages_delayed", property(delayed))
    patches.setattr(Queue, "approximate_number_of_messages_not_visible", property(not_visible))


def _queue_deletes_one_at_a_time(patches: Patches) -> None:
    """Make moto's DeleteMessage safe when several arrive at once, as SQS is.

    moto 5.2.5 deletes by building a new message list and assigning it: two deletes at once each build theirs
    from the same list, and the last assignment brings back the message the other deleted. A redrive on 8
    threads left one of 10,000 deleted messages in the queue, held by a receipt no one had any more.
    """
    import threading

    from moto.sqs.models import Queue

    original = Queue.delete_message
    lock = threading.Lock()

    def delete_message(self: Any, receipt_handle: str) -> None:
        with lock:
            original(self, receipt_handle)

    patches.setattr(Queue, "delete_message", delete_message)


def _conditional_writes_one_at_a_time(patches: Patches) -> None:
    """Make moto's conditional PutObject (If-None-Match, If-Match) check and write as one step, as S3 does.

    moto 5.2.5 checks the condition, then writes: two PUTs with ``If-None-Match: *`` at once can both pass the
    check and both succeed. Redrive's claims rest on exactly one winning, and under load two operators in the
    tests sent one event twice. S3 makes the second writer fail with 412.
    """
    import threading

    from moto.s3.responses import S3Response

    original = S3Response.put_object
    lock = threading.Lock()

    def put_object(self: Any) -> Any:
        if self.headers.get("If-None-Match") is None and self.headers.get("If-Match") is None:
            return original(self)
        with lock:
            return original(self)

    patches.setattr(S3Response, "put_object", put_object)


def _bucket_eventbridge_notifications(patches: Patches) -> None:
    """Make moto's GetBucketNotificationConfiguration return the EventBridgeConfiguration it stored.

    moto 5.2.5 keeps a bucket's EventBridge setting (PutBucketNotificationConfiguration) but leaves it out of
    the Get response, so the AWS provider read ``eventbridge = false`` back and every re-plan wanted to turn
    it on again; S3 returns it as an empty ``EventBridgeConfiguration`` element.
    """
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        serialized = self.serialized

        def with_eventbridge(result: Any) -> Any:
            if getattr(configuration, "event_bridge", None) is not None and isinstance(result, ActionResult):
                result.result["EventBridgeConfiguration"] = {}  # type: ignore[index]
            return serialized(result)

        self.serialized = with_eventbridge
        try:
            return original(self)
        finally:
            del self.serialized

    patches.setattr(S3Response, "get_bucket_notification", get_bucket_notification)


# Whether the request being answered came over TLS, as the sandbox's server sets it; None (the test suite's
# plain-HTTP server, standing in for AWS over HTTPS) counts as TLS.
REQUEST_OVER_TLS: contextvars.ContextVar[bool | None] = contextvars.ContextVar("request_over_tls", default=None)


def _is_insecure_transport_denial(statement: dict[str, Any]) -> bool:
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    return statement.get("Effect") == "Deny" and statement.get("Condition") == insecure


def _bucket_policy_conditions_over_tls(patches: Patches) -> None:
    """Make moto apply a bucket policy's ``aws:SecureTransport = false`` Deny only to requests not made over TLS.

    moto evaluates a bucket policy on every object request without a request context, so every condition
    holds (moto 5.2.1: ``TrustCondition.verify_condition`` of no values is true): the rendered policy's
    ``Deny`` for ``aws:SecureTransport = false`` then refuses every read and write, with a bare 403. AWS
    applies that statement only to plain-HTTP requests; the sandbox serves HTTPS and says which each request
    used (``REQUEST_OVER_TLS``).
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        if REQUEST_OVER_TLS.get() is not False:
            document["Statement"] = [s for s in statements if not _is_insecure_transport_denial(s)]
        return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)

    patches.setattr(FakeBucket, "get_permission", get_permission)


def _athena_named_query_deletion(patches: Patches) -> None:
    """Give moto's Athena the DeleteNamedQuery action it lacks (moto 5.2.5), and a 400 for a deleted query.

    Without it every DeleteNamedQuery is a 500, which the AWS provider retries without end, so a project
    with saved queries could never be destroyed; Athena answers a query ID it does not know with
    InvalidRequestException.
    """
    from moto.athena.responses import AthenaResponse

    def delete_named_query(self: Any) -> str:
        self.athena_backend.named_queries.pop(self._get_param("NamedQueryId"), None)
        return "{}"

    original_get = AthenaResponse.get_named_query

    def get_named_query(self: Any) -> Any:
        if self._get_param("NamedQueryId") not in self.athena_backend.named_queries:
            return self.error(f"NamedQuery {self._get_param('NamedQueryId')} was not found", 400)
        return original_get(self)

    patches.setattr(AthenaResponse, "delete_named_query", delete_named_query, raising=False)
    patches.setattr(AthenaResponse, "get_named_query", get_named_query)


def _provisioned_concurrency_and_recursion(patches: Patches) -> None:
    """Give moto's Lambda the provisioned-concurrency and recursion-config APIs, which moto 5.2.5 lacks.

    Lambda keeps a provisioned concurrency config per (function, qualifier), READY here at once since no
    environments are started, and a function's recursive-loop setting, Terminate until set. Both are kept on
    the function, so they go with it.
    """
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    function_path = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)"
    patches.setitem(urls.url_paths, function_path + "/provisioned-concurrency/?$", LambdaResponse.dispatch)
    patches.setitem(urls.url_paths, function_path + "/recursion-config/?$", LambdaResponse.dispatch)

    def function_of(self: Any) -> Any:
        function = self.backend.get_function(unquote(self.path.split("?")[0].rstrip("/").rsplit("/", 2)[1]))
        if not hasattr(function, "provisioned"):
            function.provisioned, function.recursive_loop = {}, "Terminate"
        return function

    def provisioned(requested: int, modified: str) -> dict[str, Any]:
        return {"RequestedProvisionedConcurrentExecutions": requested, "AllocatedProvisionedConcurrentExecutions":
                requested, "AvailableProvisionedConcurrentExecutions": requested, "Status": "READY",
                "LastModified": modified}  # fmt: skip

    def not_found(qualifier: str) -> Any:
        body = {"Type": "User", "message": f"No Provisioned Concurrency Config found for qualifier {qualifier}"}
        return 404, {"x-amzn-errortype": "ProvisionedConcurrencyConfigNotFoundException"}, json.dumps(body)

    def put_provisioned(self: Any) -> Any:
        function, qualifier = function_of(self), self.querystring["Qualifier"][0]
        requested = self.json_body["ProvisionedConcurrentExecutions"]
        function.provisioned[qualifier] = provisioned(requested, function.last_modified)
        return 202, {"status": 202}, json.dumps(function.provisioned[qualifier])

    def get_provisioned(self: Any) -> Any:
        function, qualifier = function_of(self), self.querystring["Qualifier"][0]
        if qualifier not in function.provisioned:
            return not_found(qualifier)
        return 200, {}, json.dumps(function.provisioned[qualifier])

    def delete_provisioned(self: Any) -> Any:
        function, qualifier = function_of(self), self.querystring["Qualifier"][0]
        if function.provisioned.pop(qualifier, None) is None:
            return not_found(qualifier)
        return 204, {"status": 204}, ""

    def put_recursion(self: Any) -> Any:
        function = function_of(self)
        function.recursive_loop = self.json_body["RecursiveLoop"]
        return 200, {}, json.dumps({"RecursiveLoop": function.recursive_loop})

    def get_recursion(self: Any) -> Any:
        return 200, {}, json.dumps({"RecursiveLoop": function_of(self).recursive_loop})

    for name, method in (("put_provisioned_concurrency_config", put_provisioned),
                         ("get_provisioned_concurrency_config", get_provisioned),
                         ("delete_provisioned_concurrency_config", delete_provisioned),
                         ("put_function_recursion_config", put_recursion),
                         ("get_function_recursion_config", get_recursion)):  # fmt: skip
        patches.setattr(LambdaResponse, name, method, raising=False)


def _event_invoke_config_qualifiers(patches: Patches) -> None:
    """Keep one event invoke config per qualifier, as Lambda does; moto 5.2.5 ignores ``Qualifier``.

    moto keeps a list per function, appends on every put and answers every get with the first
    entry, so a config on an alias could not be told from one on the function, and an update was
    never seen. Here each (function, qualifier) has its own config, a put replaces it, and its
    ``FunctionArn`` carries the qualifier.
    """
    from moto.awslambda.exceptions import UnknownEventConfig
    from moto.awslambda.models import EventInvokeConfig
    from moto.awslambda.responses import LambdaResponse
    from moto.core.responses import ActionResult

    def where(self: Any, depth: int) -> tuple[Any, dict[str | None, EventInvokeConfig], str | None]:
        """The function, its configs by qualifier (kept on the function: gone with it), and the qualifier asked."""
        function = self.backend.get_function(unquote(self.path.rsplit("/", depth)[1]))
        if not hasattr(function, "configs_by_qualifier"):
            function.configs_by_qualifier = {}
        return function, function.configs_by_qualifier, self.querystring.get("Qualifier", [None])[0]

    def arn(function: Any, qualifier: str | None) -> str:
        return f"{function.function_arn}:{qualifier}" if qualifier else function.function_arn

    def put(self: Any) -> Any:
        function, configs, qualifier = where(self, 2)
        configs[qualifier] = EventInvokeConfig(arn(function, qualifier), function.last_modified, self.json_body)
        return ActionResult(configs[qualifier].response())  # serialised as moto's own: dates as numbers

    def get(self: Any) -> Any:
        function, configs, qualifier = where(self, 2)
        if qualifier not in configs:
            raise UnknownEventConfig(arn(function, qualifier))
        return ActionResult(configs[qualifier].response())

    def delete(self: Any) -> Any:
        function, configs, qualifier = where(self, 2)
        if configs.pop(qualifier, None) is None:
            raise UnknownEventConfig(arn(function, qualifier))
        return 204, {"status": 204}, "{}"

    def listing(self: Any) -> Any:
        _, configs, _ = where(self, 3)
        return ActionResult({"FunctionEventInvokeConfigs": [c.response() for c in configs.values()]})

    for name, method in {"put_function_event_invoke_config": put, "update_function_event_invoke_config": put,
                         "get_function_event_invoke_config": get, "delete_function_event_invoke_config": delete,
                         "list_function_event_invoke_configs": listing}.items():  # fmt: skip
        patches.setattr(LambdaResponse, name, method)


def _delete_marker_disposal(patches: Patches) -> None:
    """Let moto delete a versioned key whose versions include a delete marker.

    moto 5.2.5 disposes of every version of a key it removes, and its delete marker has no ``dispose``: a
    DeleteObjects of the last versions of such a key is a 500, which the AWS provider retries for minutes, so
    ``terraform destroy`` of a versioned bucket with ``force_destroy`` hung. A marker holds no data to dispose of.
    """
    from moto.s3.models import FakeDeleteMarker

    patches.setattr(FakeDeleteMarker, "dispose", lambda self, garbage=False: None, raising=False)


FIXES = (
    _reserved_concurrency_zero,
    _compact_redrive_policy,
    _receive_without_recounting,
    _queue_counts_with_one_clock_read,
    _queue_deletes_one_at_a_time,
    _conditional_writes_one_at_a_time,
    _logging_config,
    _bucket_eventbridge_notifications,
    _athena_named_query_deletion,
    _bucket_policy_conditions_over_tls,
    _event_invoke_config_qualifiers,
    _provisioned_concurrency_and_recursion,
    _delete_marker_disposal,
)


@contextlib.contextmanager
def applied() -> Iterator[Patches]:
    """moto with every fix applied, and without Docker (moto then accepts invokes without running code)."""
    from moto.core.config import default_user_config

    patches = Patches()
    try:
        for fix in FIXES:
            fix(patches)
        patches.setitem(default_user_config["lambda"], "use_docker", False)
        yield patches
    finally:
        patches.undo()
