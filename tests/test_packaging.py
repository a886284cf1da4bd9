"""Deployment packages depend only on the code: same bytes on every render and machine."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from generator import lambda_facts
from generator.config.model import parse_config
from generator.render.packaging import build_zip, collect_sources, limits
from generator.render.packaging.sources import summary
from generator.render.project import render
from tests.support import GOLDEN


def test_zip_is_independent_of_order_times_and_modes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for directory, mode, mtime in ((first, 0o600, 1_000_000_000), (second, 0o755, 1_700_000_000)):
        (directory / "pkg").mkdir(parents=True)
        for name in ("z.py", "a.py", "pkg/m.py"):
            path = directory / name
            path.write_text(f"# {name}\n")
            path.chmod(mode)
            os.utime(path, (mtime, mtime))
    entries = [[(f.name, f.content) for f in collect_sources(d).files] for d in (first, second)]
    assert build_zip(entries[0]) == build_zip(entries[1])


def test_zip_entries_are_sorted_with_fixed_metadata() -> None:
    archive = zipfile.ZipFile(io.BytesIO(build_zip([("b.py", b"b"), ("a/c.py", b"c"), ("a.py", b"a")])))
    infos = archive.infolist()
    assert [i.filename for i in infos] == ["a.py", "a/c.py", "b.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert archive.read("a/c.py") == b"c"


def test_caches_and_vcs_folders_are_not_packaged(tmp_path: Path) -> None:
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x00")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "app.py").write_text("x = 1\n")
    assert [f.name for f in collect_sources(tmp_path).files] == ["app.py"]


def test_only_a_code_change_changes_the_package_hash(tmp_path: Path) -> None:
    source = GOLDEN / "custom_source" / "app"
    config_text = "functions:\n  - name: f\n    source: app\n    handler: main.handle\n"

    def package_hash(memory: int) -> str:
        config = parse_config(config_text + f"    memory_mb: {memory}\n", tmp_path / "c.yaml")
        return hashlib.sha256(render(config)["build/f.zip"]).hexdigest()

    (tmp_path / "app").mkdir()
    for path in source.rglob("*"):
        if path.is_file():
            target = tmp_path / "app" / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    original = package_hash(128)
    assert package_hash(512) == original, "a settings change must not redeploy the code"
    (tmp_path / "app" / "main.py").write_text("# changed\n")
    assert package_hash(128) != original


def test_bundled_handlers_are_packaged_at_the_handler_path() -> None:
    config = parse_config("functions:\n  - name: py\n  - name: js\n    runtime: nodejs22.x\n", Path("c.yaml"))
    files = render(config)
    assert zipfile.ZipFile(io.BytesIO(files["build/py.zip"])).namelist() == ["handler.py"]
    assert zipfile.ZipFile(io.BytesIO(files["build/js.zip"])).namelist() == ["index.mjs"]
    assert files["src/py/handler.py"] == zipfile.ZipFile(io.BytesIO(files["build/py.zip"])).read("handler.py")


# --- what never goes into a package ------------------------------------------------------------


def _app(root: Path) -> Path:
    app = root / "app"
    app.mkdir()
    (app / "main.py").write_text("def handle(event, context):\n    return event\n")
    return app


def _render_cli(config: Path, out: Path, *extra: str) -> int:
    from generator.cli.main import main

    return main(["render", "--config", str(config), "--out", str(out), *extra])


def test_secrets_state_and_tool_folders_are_left_out_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(tmp_path)
    for name in (".env", ".env.production", "id_rsa", "id_ed25519.pub", "tls.key", "terraform.tfstate",
                 "terraform.tfstate.backup", "prod.tfvars", ".terraform/providers/p", ".venv/bin/python",
                 ".git/HEAD", "__pycache__/main.cpython-313.pyc", "lib/__pycache__/x.pyc",
                 ".aws/credentials"):  # fmt: skip
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text("secret\n")
    # A private key is told by its content, whatever its name; a certificate bundle is code's data and stays.
    (app / "server.pem").write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    (app / "config.txt").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n")
    (app / "cacert.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    config = tmp_path / "c.yaml"
    config.write_text("functions:\n  - name: f\n    source: app\n    handler: main.handle\n")
    assert _render_cli(config, tmp_path / "out") == 0
    packaged = zipfile.ZipFile(io.BytesIO((tmp_path / "out" / "build" / "f.zip").read_bytes())).namelist()
    assert packaged == ["cacert.pem", "main.py"]
    assert sorted(p.name for p in (tmp_path / "out" / "src" / "f").rglob("*")) == ["cacert.pem", "main.py"]
    notes = [line for line in capsys.readouterr().err.splitlines() if "left out" in line]
    assert len(notes) == 1, "one short line per function, not a line per cache directory"
    (note,) = notes
    assert note.startswith("note: left out of f's package: ")
    # the first five left out are named, the other seven counted; .git/, .venv/ and two __pycache__/ are counted
    assert note == (
        "note: left out of f's package: .aws/, .env, .env.production, .terraform/, config.txt (holds a private key), "
        "7 more, 4 cache, tool or version-control entries"
    )
    assert "__pycache__" not in note


def test_the_summary_names_a_few_files_and_counts_the_caches() -> None:
    skipped = [f"f{i}.env (excluded)" for i in range(7)] + ["a/__pycache__/ (excluded)", "x.pyc (excluded)"]
    assert (
        summary(skipped) == "f0.env, f1.env, f2.env, f3.env, f4.env, 2 more, 2 cache, tool or version-control entries"
    )
    assert summary(["link (a link to /etc, outside the source directory)"]) == (
        "link (a link to /etc, outside the source directory)"
    )


def test_exclude_patterns_add_to_and_take_from_the_defaults(tmp_path: Path) -> None:
    app = _app(tmp_path)
    (app / ".env.example").write_text("TOKEN=\n")
    (app / "tests").mkdir()
    (app / "tests" / "test_main.py").write_text("")
    (app / "README.md").write_text("")
    config = parse_config(
        "functions:\n  - name: f\n    source: app\n    handler: main.handle\n"
        "    source_exclude: ['tests/', '*.md', '!.env.example']\n",
        tmp_path / "c.yaml",
    )
    packaged = zipfile.ZipFile(io.BytesIO(render(config)["build/f.zip"])).namelist()
    assert packaged == [".env.example", "main.py"]


def test_links_out_of_the_source_are_never_followed(tmp_path: Path) -> None:
    app = _app(tmp_path)
    (tmp_path / "outside.txt").write_text("outside\n")
    (app / "shadow").symlink_to("/etc/shadow")
    (app / "outside.txt").symlink_to(tmp_path / "outside.txt")
    (app / "etc").symlink_to("/etc", target_is_directory=True)
    (app / "inside.py").symlink_to(app / "main.py")
    config = parse_config("functions:\n  - name: f\n    source: app\n    handler: main.handle\n", tmp_path / "c.yaml")
    files = render(config)
    assert zipfile.ZipFile(io.BytesIO(files["build/f.zip"])).namelist() == ["inside.py", "main.py"]
    assert not [p for p in files if "shadow" in p or "outside" in p or "/etc/" in p]


def test_a_source_that_contains_the_output_never_packages_it(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("def handle(event, context):\n    return event\n")
    config = tmp_path / "config.yaml"
    config.write_text("functions:\n  - name: f\n    source: .\n    handler: main.handle\n")
    out = tmp_path / "out"
    sizes = []
    for _ in range(3):
        assert _render_cli(config, out) == 0
        (out / "terraform.tfstate").write_text('{"secret": "state"}\n')
        sizes.append(zipfile.ZipFile(io.BytesIO((out / "build" / "f.zip").read_bytes())).namelist())
    assert sizes == [["config.yaml", "main.py"]] * 3
    assert _render_cli(config, out, "--check") == 0
    # another render's output (it holds a manifest) is never packaged either
    assert _render_cli(config, tmp_path / "elsewhere") == 0
    assert _render_cli(config, out) == 0
    assert "elsewhere" not in str(zipfile.ZipFile(io.BytesIO((out / "build" / "f.zip").read_bytes())).namelist())


@pytest.mark.parametrize(
    ("runtime", "handler", "message"),
    [
        ("python3.13", "nope.h", "'nope.h' needs nope.py or nope/__init__.py in the package"),
        ("nodejs22.x", "main.handle", "needs main.js or main.mjs or main.cjs in the package"),
        ("nodejs22.x", "main.handle", "the package has main.py, is runtime nodejs22.x right?"),
        ("python3.13", "handler", "must be <file>.<function>"),
        ("python3.13", "pkg.mod.handle", "needs pkg/mod.py or pkg/mod/__init__.py"),
    ],
)
def test_a_handler_must_name_a_file_of_the_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runtime: str, handler: str, message: str
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"functions:\n  - name: f\n    runtime: {runtime}\n    source: app\n    handler: {handler}\n")
    assert _render_cli(config, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {config}:5: functions[0].handler: ") and message in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("handler", ["pkg.mod.handle", "pkg/mod.handle", "pkg.handle"])
def test_python_handlers_in_packages_are_found(tmp_path: Path, handler: str) -> None:
    (tmp_path / "app" / "pkg").mkdir(parents=True)
    (tmp_path / "app" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "app" / "pkg" / "mod.py").write_text("")
    config = parse_config(f"functions:\n  - name: f\n    source: app\n    handler: {handler}\n", tmp_path / "c.yaml")
    assert "build/f.zip" in render(config)


def test_sources_outside_the_config_directory_must_be_allowed_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = _app(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "linked").symlink_to(shared, target_is_directory=True)
    for source in (str(shared), "../app", "linked"):
        config = project / "c.yaml"
        config.write_text(f"functions:\n  - name: f\n    source: {source}\n    handler: main.handle\n")
        assert _render_cli(config, project / "out") == 2
        err = capsys.readouterr().err
        assert "outside the config file's directory" in err and "allow_source_outside_config: true" in err
        config.write_text(config.read_text() + "    allow_source_outside_config: true\n")
        assert _render_cli(config, project / "out") == 0
        capsys.readouterr()


# A dangling link is left out with a note, like a link loop (test_hostile_input): neither leads to a file.
@pytest.mark.parametrize("problem", ["non-UTF-8 name", "fifo", "a file as source"])
def test_unpackageable_sources_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    app = _app(tmp_path)
    source = "app"
    if problem == "non-UTF-8 name":
        (app / os.fsdecode(b"caf\xe9.py")).write_text("")
        expected = "is not valid UTF-8"
    elif problem == "fifo":
        os.mkfifo(app / "pipe")
        expected = "pipe is not a regular file"
    else:
        source, expected = "app/main.py", "is a file, not a directory"
    config = tmp_path / "c.yaml"
    config.write_text(f"functions:\n  - name: f\n    source: {source}\n    handler: main.handle\n")
    assert _render_cli(config, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert f"{config}:3: functions[0].source: " in err and expected in err and err.count("\n") == 1


def _interpreter(runtime: str) -> str | None:
    """An interpreter of this machine for ``runtime``: Python of the same version (on PATH or from pyenv), or node.

    Node.js here is the machine's own (20): the demo is an ES module of the syntax every Node.js runtime reads.
    """
    facts = lambda_facts.RUNTIMES_BY_NAME[runtime]
    if facts.language == "nodejs":
        return shutil.which("node")
    pyenv = sorted(Path.home().glob(f".pyenv/versions/{facts.version}.*/bin/python{facts.version}"))
    found = str(pyenv[-1]) if pyenv else shutil.which(f"python{facts.version}")
    version = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                             text=True, check=False).stdout if found else ""  # fmt: skip
    return found if version.strip() == str(tuple(map(int, facts.version.split(".")))) else None


_RUN_DEMO = {
    "python": "import sys, types; sys.path.insert(0, sys.argv[1]); import handler\n"
    "context = types.SimpleNamespace(aws_request_id='r-1')\n"
    "print(handler.handler({'a': 1}, context)['status'])\n"
    "try:\n    handler.handler({'forceError': True}, context)\nexcept handler.ForcedError as e:\n    print(e)\n",
    "nodejs": "const { handler } = await import(process.argv[1] + '/index.mjs');\n"
    "console.log((await handler({ a: 1 }, { awsRequestId: 'r-1' })).status);\n"
    "try { await handler({ forceError: true }, {}); } catch (e) { console.log(e.message); }\n",
}


# Runtimes whose interpreter this machine has (not python3.14 here); this machine's own Python is always one.
_RUNNABLE = {r.name: found for r in lambda_facts.SUPPORTED_RUNTIMES if (found := _interpreter(r.name))}


def test_the_demo_runs_at_least_on_this_machines_python_and_node() -> None:
    assert {f"python{sys.version_info[0]}.{sys.version_info[1]}", "nodejs24.x"} <= _RUNNABLE.keys()


@pytest.mark.parametrize("runtime", sorted(_RUNNABLE))
def test_the_bundled_demo_handler_runs_on_each_runtime_this_machine_has(tmp_path: Path, runtime: str) -> None:
    """Each runtime's package runs under this machine's interpreter of that version."""
    interpreter = _RUNNABLE[runtime]
    config = parse_config(f"functions:\n  - name: f\n    runtime: {runtime}\n", tmp_path / "c.yaml")
    zipfile.ZipFile(io.BytesIO(render(config)["build/f.zip"])).extractall(tmp_path / "unpacked")
    language = lambda_facts.RUNTIMES_BY_NAME[runtime].language
    command = [interpreter, "-I", "-c", _RUN_DEMO[language]] if language == "python" else [
        interpreter, "--input-type=module", "-e", _RUN_DEMO[language]]  # fmt: skip
    result = subprocess.run([*command, str(tmp_path / "unpacked")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    printed = [line for line in result.stdout.splitlines() if not line.startswith("event:")]  # Node logs the event
    assert printed == ["ok", "the event set forceError"]


def test_a_package_over_lambdas_unzipped_limit_is_refused_naming_its_largest_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(tmp_path)
    for name, size in (("data/table.bin", 200), ("models/m.bin", 51), ("models/n.bin", 1)):
        (app / name).parent.mkdir(exist_ok=True)
        with (app / name).open("wb") as sparse:  # holes read back as zeros: real bytes in the package
            sparse.truncate(size * 1024 * 1024)
    config = tmp_path / "c.yaml"
    config.write_text("functions:\n  - name: f\n    source: app\n    handler: main.handle\n")
    assert _render_cli(config, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {config}:3: functions[0].source: f: the package is 252.0 MB unzipped, over the 250.0 MB Lambda "
        f"allows ({lambda_facts.QUOTAS_DOC}); the largest directories: data/ 200.0 MB, models/ 52.0 MB, "
        "(top level) 0.0 MB\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_package_near_a_limit_is_warned_of_and_one_over_the_upload_limit_goes_through_s3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(tmp_path)
    (app / "data.bin").write_bytes(os.urandom(41 * 1024 * 1024))  # incompressible: 82% of the 50 MB upload limit
    config = tmp_path / "c.yaml"
    config.write_text("functions:\n  - name: f\n    source: app\n    handler: main.handle\n")
    assert _render_cli(config, tmp_path / "out") == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warning == (
        f"warning: {config}:3: functions[0].source: the package is 41.0 MB zipped, 82% of the 50.0 MB Lambda accepts "
        "directly; past it, the package goes through S3"
    )
    assert not (tmp_path / "out" / "packages.tf").exists()
    near = limits.PackageSize(zipped=1, unzipped=201 * 1024 * 1024)
    assert near.warnings() == [
        "the package is 201.0 MB unzipped, 80% of the 250.0 MB Lambda allows, layers included "
        f"({lambda_facts.QUOTAS_DOC})"
    ]
    over = limits.PackageSize(zipped=lambda_facts.MAX_DIRECT_UPLOAD_BYTES + 1, unzipped=60 * 1024 * 1024)
    assert over.through_s3 and over.warnings() == []
