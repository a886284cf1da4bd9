"""The generator as its users install it: a wheel that works outside the checkout, and a pre-commit hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from generator import DISTRIBUTION, __version__
from tests.support import REPO


def _run(*argv: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=check)


def _outside_the_package(directory: str, names: list[str]) -> set[str]:
    """What a copy of the checkout leaves out: the repository's own tests and outputs, not templates/.../tests."""
    top = {".git", "out", "tests", "benchmarks", ".venv", "build", "dist"} if Path(directory) == REPO else set()
    return {n for n in names if n in top or n == "__pycache__" or n.endswith(".egg-info")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment outside the repository, with only the built wheel installed into it."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy, so the build never writes into the checkout
    shutil.copytree(REPO, source, ignore=_outside_the_package)
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", root / "dist", source, cwd=root)
    (wheel,) = (root / "dist").glob("*.whl")
    assert wheel.name.startswith(DISTRIBUTION.replace("-", "_") + f"-{__version__}-")
    environment = root / "venv"
    venv.create(environment, with_pip=True)
    _run(environment / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, cwd=root)
    return environment


def test_the_wheel_renders_initialises_and_prints_its_schema_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    generator, python = installed / "bin" / "generator", installed / "bin" / "python"
    where = _run(
        python, "-c", "import generator.render.project as r; print(r.__file__, r.templates_dir())", cwd=tmp_path
    )
    module_file, templates = where.stdout.split()
    assert str(installed) in module_file and str(installed) in templates, "code and templates come from the wheel"
    assert _run(generator, "--version", cwd=tmp_path).stdout.strip() == f"generator {__version__}"
    _run(generator, "init", "config.yaml", cwd=tmp_path)
    assert (tmp_path / "config.yaml").read_text() == (REPO / "config.yaml").read_text()
    schema = _run(generator, "schema", cwd=tmp_path).stdout
    assert schema == (REPO / "config.schema.json").read_text()
    _run(generator, "render", "--out", "one", cwd=tmp_path)
    _run(python, "-m", "generator", "render", "--out", "two", cwd=tmp_path)
    for out in ("one", "two"):
        handler = (tmp_path / out / "src" / "async_function" / "handler.py").read_bytes()
        assert handler == (REPO / "templates" / "functions" / "python" / "handler.py").read_bytes()
        assert f"rendered by `generator` {__version__}" in (tmp_path / out / "README.md").read_text()
    assert _run(generator, "render", "--check", "--out", "one", cwd=tmp_path).returncode == 0


def test_the_pre_commit_hook_passes_when_up_to_date_and_fails_on_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to try the pre-commit hook")
    hooks = tmp_path / "hooks"  # pre-commit clones the hook repository: a commit of the checkout as it is now
    shutil.copytree(REPO, hooks, ignore=_outside_the_package)
    user = tmp_path / "user"
    user.mkdir()
    for repo in (hooks, user):
        _run("git", "init", "-q", cwd=repo)
        _run("git", "config", "user.email", "test@example.com", cwd=repo)
        _run("git", "config", "user.name", "test", cwd=repo)
    _run("git", "add", "-A", cwd=hooks)
    _run("git", "commit", "-qm", "hooks", cwd=hooks)
    shutil.copy(REPO / "config.yaml", user / "config.yaml")
    _run(sys.executable, "-m", "generator", "render", "--config", "config.yaml", "--out", "out", cwd=user)
    _run("git", "add", "-A", cwd=user)
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "cache"))
    passed = _run(sys.executable, "-m", "pre_commit", "try-repo", hooks, "generator-render-check", "--all-files",
                  cwd=user, check=False)  # fmt: skip
    assert passed.returncode == 0, passed.stdout + passed.stderr
    config = user / "config.yaml"
    config.write_text(config.read_text().replace("memory_mb: 128", "memory_mb: 256"))
    _run("git", "add", "-A", cwd=user)
    drifted = _run(sys.executable, "-m", "pre_commit", "try-repo", hooks, "generator-render-check", "--all-files",
                   cwd=user, check=False)  # fmt: skip
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "is out of date with config.yaml" in drifted.stdout
