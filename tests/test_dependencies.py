"""Dependencies are installed for the function's platform by the real installers, through the build cache.

pip and npm run against the package registries, as they do for users; nothing here mocks them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.config.model import parse_config
from generator.render.packaging import dependencies
from generator.render.project import BuildOptions, render_project
from tests.support import REPO, require_tool

# requests brings charset-normalizer, whose wheels hold compiled modules (cd and md), and certifi's cacert.pem.
REQUESTS = "requests==2.32.3\n"
APP = "import requests\n\n\ndef handler(event, context):\n    return requests.__version__\n"
DEAD_INDEX = {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": ""}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A build cache of this test's own, so that each test sees the cache states it sets up."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GENERATOR_NO_CACHE", raising=False)
    return tmp_path / "cache" / "generator" / "builds"


def _python_app(root: Path, requirements: str = REQUESTS, app: str = APP) -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "app.py").write_text(app)
    (root / "app" / "requirements.txt").write_text(requirements)
    return root / "app"


def _config(root: Path, runtime: str = "python3.13", architecture: str = "arm64", source: str = "app") -> Path:
    handler = "app.handler" if runtime.startswith("python") else "index.handler"
    path = root / "config.yaml"
    path.write_text(f"functions:\n  - name: f\n    runtime: {runtime}\n    architecture: {architecture}\n"
                    f"    source: {source}\n    handler: {handler}\n")  # fmt: skip
    return path


def _render(config: Path, out: Path, *extra: str) -> int:
    return main(["render", "--config", str(config), "--out", str(out), *extra])


def _names(out: Path) -> list[str]:
    return zipfile.ZipFile(io.BytesIO((out / "build" / "f.zip").read_bytes())).namelist()


def _node_app(
    root: Path, package_json: str, handler: str = "export const handler = async () => 1;\n", lock: bool = True
) -> Path:
    """A Node.js source: index.mjs and package.json, with the lockfile npm writes for it (from the registry)."""
    require_tool("npm", shutil.which("npm") is not None and shutil.which("node") is not None, "Node.js is needed")
    app = root / "app"
    app.mkdir()
    (app / "index.mjs").write_text(handler)
    (app / "package.json").write_text(package_json)
    if lock:
        subprocess.run(["npm", "install", "--package-lock-only", "--no-audit", "--no-fund"], cwd=app, check=True,
                       capture_output=True)  # fmt: skip
    return app


@pytest.mark.parametrize(
    ("runtime", "architecture", "machine", "abi"),
    [("python3.13", "arm64", "aarch64", "cpython-313"), ("python3.12", "x86_64", "x86_64", "cpython-312")],
)
def test_python_dependencies_are_wheels_for_the_functions_runtime_and_cpu(
    tmp_path: Path, cache: Path, runtime: str, architecture: str, machine: str, abi: str
) -> None:
    _python_app(tmp_path)
    assert _render(_config(tmp_path, runtime, architecture), tmp_path / "out") == 0
    names = _names(tmp_path / "out")
    compiled = [name for name in names if name.endswith(".so")]
    assert compiled, "charset-normalizer ships compiled modules"
    assert all(f"{abi}-{machine}-linux-gnu.so" in name for name in compiled), compiled
    # what the defaults leave out of the user's own files stays in installed packages
    assert "certifi/cacert.pem" in names and "requests/__init__.py" in names
    # nothing of this machine: no bytecode, no console scripts with this interpreter's path
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("bin/")]
    # the user's own files are copied to src/ for review; what pip installed is only in the zip
    assert sorted(p.name for p in (tmp_path / "out" / "src" / "f").iterdir()) == ["app.py", "requirements.txt"]


def test_the_unzipped_package_imports_its_dependency_under_the_runtimes_python(tmp_path: Path, cache: Path) -> None:
    """This machine is x86_64 and runs Python 3.11: a python3.11 x86_64 package must import here, isolated."""
    _python_app(tmp_path)
    assert _render(_config(tmp_path, "python3.11", "x86_64"), tmp_path / "out") == 0
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(tmp_path / "out" / "build" / "f.zip").extractall(unpacked)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app, charset_normalizer.md; print(app.handler({}, None))"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", probe, str(unpacked)],
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.32.3"


def test_an_arm64_package_holds_no_module_of_this_machine(tmp_path: Path, cache: Path) -> None:
    """The trap a hand-vendored package falls into: x86_64 modules for Python 3.11 in an arm64 python3.13 function."""
    _python_app(tmp_path)
    assert _render(_config(tmp_path, "python3.13", "arm64"), tmp_path / "out") == 0
    assert not [n for n in _names(tmp_path / "out") if "x86_64" in n or "cpython-311" in n]


def test_node_dependencies_are_installed_from_the_lockfile_and_run_under_node(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _node_app(
        tmp_path,
        '{"name": "f", "version": "1.0.0", "type": "module", "dependencies": {"ms": "2.1.3"},'
        ' "devDependencies": {"is-number": "7.0.0"}}\n',
        'import ms from "ms";\nexport const handler = async () => ms("2 days");\n',
    )
    (app / "node_modules" / "ms").mkdir(parents=True)  # a developer's own install: replaced, never packaged
    (app / "node_modules" / "ms" / "index.js").write_text("module.exports = () => 'stale';\n")
    assert _render(_config(tmp_path, "nodejs22.x"), tmp_path / "out") == 0
    assert "node_modules/ (installed afresh from the lockfile)" in capsys.readouterr().err
    names = _names(tmp_path / "out")
    assert "node_modules/ms/index.js" in names
    assert not (tmp_path / "out" / "src" / "f" / "node_modules").exists()
    assert not [n for n in names if n.startswith("node_modules/is-number/")], "devDependencies are omitted"
    assert not [n for n in names if n.startswith("node_modules/.bin/")]
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(tmp_path / "out" / "build" / "f.zip").extractall(unpacked)
    run = 'import("./index.mjs").then((m) => m.handler()).then((r) => console.log(r))'
    result = subprocess.run(["node", "-e", run], cwd=unpacked, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "172800000"


def test_a_package_json_with_dependencies_needs_its_lockfile(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _node_app(tmp_path, '{"dependencies": {"ms": "2.1.3"}}\n', lock=False)
    assert _render(_config(tmp_path, "nodejs22.x"), tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "config.yaml:5: functions[0].source: package.json lists dependencies but the source has no " in err
    assert "run npm install once and keep package-lock.json beside it" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_broken_lockfile_is_npms_own_error_in_one_line_and_nothing_is_written(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _node_app(tmp_path, '{"name": "f", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}\n', lock=False)
    (app / "package-lock.json").write_text('{"name": "f", "lockfileVersion": 3, "packages": {"": {"dependencies": ')
    assert _render(_config(tmp_path, "nodejs22.x"), tmp_path / "out") == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith(f"error: {tmp_path}")]
    assert line.endswith("functions[0].source: f: npm ci could not install package-lock.json")
    assert "npm error" in err.split(line, 1)[1], "npm's own last error lines follow"
    assert not (tmp_path / "out").exists() and not list(cache.glob("[0-9a-f]" * 64))


def test_a_dependency_without_a_wheel_for_the_platform_is_named_with_what_to_do(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PyYAML 5.3.1 published Windows wheels and a source archive only: nothing Lambda can load.
    _python_app(tmp_path, "pyyaml==5.3.1\n", "def handler(event, context):\n    return 1\n")
    assert _render(_config(tmp_path, "python3.13", "arm64"), tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "config.yaml:5: functions[0].source: f: no wheel of pyyaml==5.3.1 for python3.13 on aarch64 " in err
    assert "(manylinux, glibc 2.34), and render installs only wheels: pin a version that publishes one" in err
    assert "ERROR: No matching distribution found for pyyaml==5.3.1" in err, "pip's own error line follows"
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_renders_are_byte_identical_across_runs_and_cache_states_and_a_cached_build_is_not_rerun(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _python_app(tmp_path)
    config = parse_config(_config(tmp_path, "python3.13", "arm64").read_text(), tmp_path / "config.yaml")
    quiet = BuildOptions(log=io.StringIO())
    cold = render_project(config, builds=quiet)
    warm = render_project(config, builds=quiet)
    assert cold.built == ("f",) and warm.built == ()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-cache"))  # a second machine, say
    elsewhere = render_project(config, builds=quiet)
    assert elsewhere.built == ("f",)
    assert cold.files["build/f.zip"] == warm.files["build/f.zip"] == elsewhere.files["build/f.zip"]
    assert cold.files == warm.files == elsewhere.files


def test_a_rerender_and_a_check_work_offline_from_the_cache(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _python_app(tmp_path)
    config = _config(tmp_path)
    assert _render(config, tmp_path / "out") == 0
    for name, value in DEAD_INDEX.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert _render(config, tmp_path / "out", "--check") == 0
    assert _render(config, tmp_path / "out") == 0
    assert _render(config, tmp_path / "out", "--offline") == 0
    assert "building" not in capsys.readouterr().err

    # the same project on a machine whose cache is empty: a miss while offline is one line naming the function
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    assert _render(config, tmp_path / "elsewhere", "--offline") == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: {config}:5: functions[0].source: the dependencies of f (requirements.txt) are not in the build "
        "cache, and --offline forbids building them; render once without --offline"
    )
    # without --offline, pip tries the dead index: its failure is named, and nothing is written
    assert _render(config, tmp_path / "elsewhere") == 2
    err = capsys.readouterr().err
    assert f"{config}:5: functions[0].source: f: " in err and "ERROR:" in err
    assert not (tmp_path / "elsewhere").exists()


def test_unpinned_requirements_and_other_lockfiles_are_warned_of_by_name(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _python_app(tmp_path, "# tools\nidna\ncertifi>=2024.1  # any new one\nurllib3==2.2.3\n")
    assert _render(_config(tmp_path), tmp_path / "out") == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {tmp_path / 'config.yaml'}:5: functions[0].source: requirements.txt pins neither a version (==) "
        "nor a hash for idna, certifi: a later render may install other versions"
    ]
    assert dependencies.unpinned_requirements(b"a==1 \\\n  --hash=sha256:00\nb @ https://x/b.whl\n-r other.txt\n") == []

    (tmp_path / "app" / "requirements.txt").unlink()
    (tmp_path / "app" / "pyproject.toml").write_text("[project]\nname = 'f'\n")
    (tmp_path / "app" / "uv.lock").write_text("version = 1\n")
    assert _render(_config(tmp_path), tmp_path / "out") == 0
    assert "uv.lock is not installed from; export a requirements.txt beside it (uv export" in capsys.readouterr().err


def test_a_cache_others_could_write_to_is_never_used(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _python_app(tmp_path)
    config = parse_config(_config(tmp_path).read_text(), tmp_path / "config.yaml")
    quiet = BuildOptions(log=io.StringIO())
    assert render_project(config, builds=quiet).built == ("f",)
    cache.chmod(0o777)
    planted = next(cache.iterdir())
    (planted / "app_planted.py").write_text("# written by someone else\n")
    unshared = render_project(config, builds=quiet)
    assert unshared.built == ("f",), "a group- or world-writable cache is not read"
    assert "app_planted.py" not in zipfile.ZipFile(io.BytesIO(unshared.files["build/f.zip"])).namelist()


def test_a_render_killed_mid_build_leaves_no_cache_entry_and_two_at_once_agree(tmp_path: Path, cache: Path) -> None:
    _python_app(tmp_path)
    config = _config(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "generator", "render", "--config", str(config)]
    killed = subprocess.Popen([*command, "--out", str(tmp_path / "killed")], cwd=REPO, env=env,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    assert killed.stderr is not None
    for line in killed.stderr:
        if line.startswith("building f's dependencies"):
            break
    time.sleep(0.3)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert not [p for p in cache.iterdir() if re.fullmatch("[0-9a-f]{64}", p.name)], "no half-built entry"
    # two operators at once, on a cache the killed render left its scraps in
    runs = [subprocess.Popen([*command, "--out", str(tmp_path / f"out{i}")], cwd=REPO, env=env,
                             stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL) for i in range(2)]  # fmt: skip
    assert [run.wait() for run in runs] == [0, 0]
    assert (tmp_path / "out0/build/f.zip").read_bytes() == (tmp_path / "out1/build/f.zip").read_bytes()
    assert len([p for p in cache.iterdir() if re.fullmatch("[0-9a-f]{64}", p.name)]) == 1


@pytest.mark.parametrize(("architecture", "wanted", "unwanted"), [("arm64", "linux-arm64", "linux-x64"),
                                                                  ("x86_64", "linux-x64", "linux-arm64")])  # fmt: skip
def test_npm_installs_the_optional_native_package_for_lambdas_cpu_not_this_machines(
    tmp_path: Path, cache: Path, architecture: str, wanted: str, unwanted: str
) -> None:
    """esbuild ships its binary as one optional package per platform; the lockfile lists them all."""
    _node_app(tmp_path, '{"name": "f", "version": "1.0.0", "dependencies": {"esbuild": "0.24.0"}}\n')
    assert _render(_config(tmp_path, "nodejs22.x", architecture), tmp_path / "out") == 0
    installed = {n.split("/")[2] for n in _names(tmp_path / "out") if n.startswith("node_modules/@esbuild/")}
    assert installed == {wanted}, f"not {unwanted}, nor any other platform's"
