"""The sandbox: moto's server on 127.0.0.1 over HTTPS, with the fixes and the delivery of failure records.

It serves HTTPS with a certificate of its own, made on first use and kept in the user's private cache, so the
rendered bucket policy's TLS-only statement applies to it as it does on AWS: the provider trusts the
certificate through ``custom_ca_bundle`` in the override it writes, boto3 and the AWS CLI through
``AWS_CA_BUNDLE``. A background sandbox leaves its address and process id in a state file beside the
certificate; ``stop`` reads it.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from generator.cache_dir import private_cache_dir
from generator.errors import GeneratorError
from generator.record import Record

DEFAULT_PORT = 4599
HOST = "127.0.0.1"
_STARTUP_SECONDS = 20
_CERTIFICATE_DAYS = 365


class SandboxError(GeneratorError):
    """The sandbox cannot start, be found or be stopped."""


class Sandbox(Record):
    """A running sandbox: where it answers, the certificate to trust, and the projects it wrote overrides into."""

    pid: int
    port: int
    ca_bundle: str
    projects: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str:
        return f"https://{HOST}:{self.port}"

    def environment(self, region: str) -> dict[str, str]:
        """What boto3, the AWS CLI and the failures commands need in the environment to use it."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_CA_BUNDLE": self.ca_bundle, "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": region}  # fmt: skip


def state_dir() -> Path:
    directory = private_cache_dir("sandbox")
    if directory is None:
        raise SandboxError("cannot make a private directory for the sandbox's certificate and state under the "
                           "user cache directory (XDG_CACHE_HOME or ~/.cache)")  # fmt: skip
    return directory


def _state_file() -> Path:
    return state_dir() / "sandbox.json"


def running() -> Sandbox | None:
    """The background sandbox, if one is running (a state file whose process answers)."""
    try:
        data = json.loads(_state_file().read_text())
        sandbox = Sandbox(int(data["pid"]), int(data["port"]), str(data["ca_bundle"]), tuple(data["projects"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(sandbox.pid, 0)
    except OSError:
        return None
    return sandbox


def save(sandbox: Sandbox) -> None:
    target = _state_file()
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({"pid": sandbox.pid, "port": sandbox.port, "ca_bundle": sandbox.ca_bundle,
                                     "projects": list(sandbox.projects)}))  # fmt: skip
    temporary.replace(target)


def certificate() -> tuple[Path, Path]:
    """The sandbox's certificate and key, for 127.0.0.1 and localhost, made once and kept private."""
    directory = state_dir()
    cert, key = directory / "sandbox.crt", directory / "sandbox.key"
    if cert.is_file() and key.is_file() and _valid(cert):
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "generator sandbox")])
    now = datetime.datetime.now(datetime.UTC)
    built = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CERTIFICATE_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(private, hashes.SHA256())
    )  # fmt: skip
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _valid(cert: Path) -> bool:
    from cryptography import x509

    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    return loaded.not_valid_after_utc > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)


# A path the sandbox answers, so that the failures commands can tell it from an emulator that delivers nothing.
PROBE_PATH = "/_generator/sandbox"
PROBE_ANSWER = b'{"sandbox": "generator", "delivers": "asynchronous failure records"}'


def _tls_aware(app: Callable[..., Any], judge_scheme: bool) -> Callable[..., Any]:
    """The WSGI app, telling the fixes whether each request came over TLS (the bucket policy's condition);
    without ``judge_scheme`` (the tests' plain-HTTP server, standing in for AWS over HTTPS) it says nothing."""
    from generator.sandbox.patches import REQUEST_OVER_TLS

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == PROBE_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [PROBE_ANSWER]
        if not judge_scheme:
            return app(environ, start_response)
        token = REQUEST_OVER_TLS.set(environ.get("wsgi.url_scheme") == "https")
        try:
            return app(environ, start_response)
        finally:
            REQUEST_OVER_TLS.reset(token)

    return application


@contextlib.contextmanager
def serving(port: int, tls: bool = True) -> Iterator[tuple[Any, str]]:
    """A sandbox answering on ``port`` in a thread of this process, until the block ends: (server, endpoint)."""
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from generator.sandbox import delivery, patches

    with patches.applied(), delivery.applied():
        app = _tls_aware(DomainDispatcherApplication(create_backend_app), judge_scheme=tls)
        cert, key = certificate() if tls else (None, None)
        context = (str(cert), str(key)) if tls else None
        try:
            server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler,
                                 ssl_context=context)  # fmt: skip
        except OSError as exc:
            raise SandboxError(f"cannot listen on {HOST}:{port}: {exc.strerror}; choose another --port") from None
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server, f"{'https' if tls else 'http'}://{HOST}:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


def serve_forever(port: int, on_ready: Callable[[str], None]) -> None:
    """The foreground sandbox: answers until interrupted (SIGINT or SIGTERM)."""
    stopped = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopped
        stopped = True

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with serving(port) as (_, endpoint):
            on_ready(endpoint)
            with contextlib.suppress(KeyboardInterrupt):
                while not stopped:
                    time.sleep(0.2)
    finally:
        signal.signal(signal.SIGTERM, previous)


def start_background(port: int) -> Sandbox:
    """Start a sandbox in a process of its own, which outlives this one; return once it answers."""
    if (already := running()) is not None:
        raise SandboxError(f"a sandbox is already running at {already.endpoint} (pid {already.pid}); "
                           "stop it first with: python -m generator sandbox --stop")  # fmt: skip
    cert, _ = certificate()
    log = state_dir() / "sandbox.log"
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "sandbox", "--port", str(port)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + _STARTUP_SECONDS
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                process.kill()
            raise SandboxError(f"the sandbox did not start on {HOST}:{port}; its log is {log}")
        time.sleep(0.05)
    sandbox = Sandbox(process.pid, port, str(cert))
    save(sandbox)
    return sandbox


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
        return True
    return False


def stop_background() -> Sandbox | None:
    """Stop the background sandbox; None when none was running."""
    sandbox = running()
    with contextlib.suppress(OSError):
        _state_file().unlink()
    if sandbox is None:
        return None
    os.kill(sandbox.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(sandbox.pid, 0)
        except OSError:
            break
        time.sleep(0.05)
    return sandbox
