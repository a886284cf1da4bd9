"""A function's dependencies, installed for Lambda's platform rather than the machine that renders.

A ``requirements.txt`` in a Python function's source is installed by pip with the runtime's
interpreter version and the function's CPU (``--platform``, ``--implementation cp``,
``--python-version``, ``--only-binary=:all:``), as AWS documents for packages with native code
(PYTHON_PACKAGING_DOC). Only wheels are taken: a source build would compile for this machine. A
``package.json`` with dependencies is installed by ``npm ci --omit=dev`` from its lockfile, for Linux
and the function's CPU, so optional native packages match; install scripts do not run (they would
build for this machine, and they are code from the registry running on it).

Builds run as subprocesses whose output goes to stderr behind one progress line. Each result is
kept in a private build cache (``cache_dir``) under a key of the lock's content, the runtime, the
architecture and the installer's version: an unchanged function does not rebuild, and a render
with every build cached needs no network.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from generator import lambda_facts
from generator.cache_dir import private_cache_dir
from generator.record import Record, field
from generator.render.packaging.sources import PackagingError, SourceFile

# "Working with .zip file archives for Python Lambda functions", "Creating a .zip deployment package with
# dependencies" and the knowledge-center article on packages with compiled code: pip install --platform
# manylinux2014_<arch> --implementation cp --python-version 3.x --only-binary=:all: --target <dir>.
PYTHON_PACKAGING_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/python-package.html"
REQUIREMENTS = "requirements.txt"
PACKAGE_JSON = "package.json"
NODE_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")
# Lockfiles of other Python tools: not installed from; the user exports a requirements.txt.
OTHER_PYTHON_LOCKS = {"uv.lock": "uv export --frozen --no-dev -o requirements.txt",
                      "poetry.lock": "poetry export -o requirements.txt"}  # fmt: skip
# The format of a cache entry; bump it when what a build writes changes, so old entries are not reused.
_CACHE_FORMAT = 1
_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}  # Lambda's architecture -> wheel and Linux machine name
_NODE_CPUS = {"arm64": "arm64", "x86_64": "x64"}  # -> Node's process.arch
_ERROR_LINES = 6  # of the installer's own output, in a one-line failure


class BuildError(PackagingError):
    """A function's dependencies cannot be installed; the message names the function and what failed."""

    def __init__(self, message: str, output: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.detail = _tail(output)  # the installer's own last error lines


class Recipe(Record):
    """How one function's dependencies are installed: which installer, from which files of its source."""

    installer: str  # "pip" or "npm"
    inputs: tuple[SourceFile, ...]  # the files that pin the dependencies, as packaged

    @property
    def own_directory(self) -> str | None:
        """The directory the installer owns in the package: a local copy in the source is replaced, not packaged."""
        return "node_modules/" if self.installer == "npm" else None


class Builder(Record, frozen=False):
    """Builds dependencies, through the cache; ``offline`` forbids building what the cache lacks."""

    offline: bool = False
    log: TextIO = field(default_factory=lambda: sys.stderr)
    built: list[str] = field(default_factory=list)  # the functions this builder ran an installer for

    def install(self, function: str, recipe: Recipe, runtime: str, architecture: str) -> tuple[SourceFile, ...]:
        """The files ``recipe`` installs for ``function``, from the cache when it holds them."""
        facts = lambda_facts.RUNTIMES_BY_NAME[runtime]
        key = _cache_key(recipe, runtime, architecture)
        cache = private_cache_dir("builds")
        entry = cache / key if cache is not None else None
        if entry is not None and entry.is_dir():
            return _read_tree(entry)
        if self.offline:
            raise BuildError(
                f"the dependencies of {function} ({', '.join(f.name for f in recipe.inputs)}) are not in the build "
                "cache, and --offline forbids building them; render once without --offline"
            )
        with tempfile.TemporaryDirectory(prefix="generator-build-", dir=cache) as work:
            tree = Path(work) / "tree"
            started = time.monotonic()
            print(f"building {function}'s dependencies: {describe(recipe, facts, architecture)}", file=self.log)
            if recipe.installer == "pip":
                _pip_install(function, recipe, facts, architecture, work=Path(work), tree=tree, log=self.log)
            else:
                _npm_install(function, recipe, architecture, tree=tree, log=self.log)
            _normalise(tree)
            files = _read_tree(tree)
            self.built.append(function)
            if entry is not None:
                _publish(tree, entry)
            print(f"built {function}'s dependencies in {time.monotonic() - started:.1f} s", file=self.log)
        return files


def recipe_for(language: str, files: Sequence[SourceFile]) -> Recipe | None:
    """What installs the dependencies of a function whose source has ``files``, or None when nothing does.

    A ``package.json`` without a lockfile raises: ``npm install`` would resolve anew on every build.
    """
    top = {f.name: f for f in files if "/" not in f.name}
    if language == "python":
        return Recipe("pip", (top[REQUIREMENTS],)) if REQUIREMENTS in top else None
    manifest = top.get(PACKAGE_JSON)
    if manifest is None or not _node_dependencies(manifest.content):
        return None
    lock = next((top[name] for name in NODE_LOCKFILES if name in top), None)
    if lock is None:
        raise PackagingError(
            f"{PACKAGE_JSON} lists dependencies but the source has no {NODE_LOCKFILES[0]}: run npm install once and "
            f"keep {NODE_LOCKFILES[0]} beside it, so every build installs the same versions with npm ci"
        )
    return Recipe("npm", (manifest, lock))


def unpinned_requirements(requirements: bytes) -> list[str]:
    """The requirements of a requirements.txt that pin neither a version (==) nor a hash."""
    unpinned = []
    text = requirements.decode("utf-8", "replace").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        if "==" in line or "--hash" in line or " @ " in line:
            continue
        unpinned.append(re.split(r"[\s;<>=!~\[]", line, maxsplit=1)[0])
    return unpinned


def other_lock_hint(language: str, files: Sequence[SourceFile]) -> str | None:
    """A lockfile this generator does not install from, and the command that exports what it does."""
    names = {f.name for f in files}
    if language != "python" or REQUIREMENTS in names:
        return None
    for lock, command in OTHER_PYTHON_LOCKS.items():
        if lock in names:
            return f"{lock} is not installed from; export a {REQUIREMENTS} beside it ({command})"
    return None


def platform_tags(runtime: lambda_facts.Runtime, architecture: str) -> list[str]:
    """The manylinux wheel tags that load on ``runtime``'s glibc, newest first (PEP 600, PEP 599)."""
    machine = _MACHINES[architecture]
    major, minor = runtime.glibc
    tags = [f"manylinux_{major}_{glibc_minor}_{machine}" for glibc_minor in range(minor, 16, -1)]
    tags.append(f"manylinux2014_{machine}")
    if machine == "x86_64":
        tags += ["manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]
    return tags


def installer_version(installer: str) -> str:
    """The version of the installer a build would run: part of the cache key, read without running it."""
    if installer == "pip":
        try:
            return importlib.metadata.version("pip")
        except importlib.metadata.PackageNotFoundError:
            raise BuildError(f"pip is not installed for {sys.executable}; install it with: "
                             f"{sys.executable} -m ensurepip") from None  # fmt: skip
    npm = _npm()
    manifest = Path(npm).resolve().parent.parent / "package.json"  # <npm>/bin/npm-cli.js -> <npm>/package.json
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        result = subprocess.run([npm, "--version"], capture_output=True, text=True, check=False)
        return result.stdout.strip() or "unknown"


def _node_dependencies(manifest: bytes) -> bool:
    try:
        data = json.loads(manifest)
    except ValueError as exc:
        raise PackagingError(f"{PACKAGE_JSON} is not valid JSON: {exc}") from None
    return isinstance(data, dict) and bool(data.get("dependencies") or data.get("optionalDependencies"))


def _cache_key(recipe: Recipe, runtime: str, architecture: str) -> str:
    facts = lambda_facts.RUNTIMES_BY_NAME[runtime]
    description = {
        "format": _CACHE_FORMAT,
        "installer": f"{recipe.installer} {installer_version(recipe.installer)}",
        "runtime": runtime,
        "architecture": architecture,
        "platform": platform_tags(facts, architecture) if recipe.installer == "pip" else _NODE_CPUS[architecture],
        "inputs": {f.name: hashlib.sha256(f.content).hexdigest() for f in recipe.inputs},
    }
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()


def describe(recipe: Recipe, runtime: lambda_facts.Runtime, architecture: str) -> str:
    """The installer's command, in words: the progress line and the rendered README say it."""
    if recipe.installer == "pip":
        return f"`pip install -r {REQUIREMENTS}` for {runtime.name} on {_MACHINES[architecture]} (wheels only)"
    return f"`npm ci --omit=dev` for linux {_NODE_CPUS[architecture]}, without install scripts"


def _pip_install(
    function: str, recipe: Recipe, runtime: lambda_facts.Runtime, architecture: str, *, work: Path, tree: Path,
    log: TextIO,
) -> None:  # fmt: skip
    requirements = work / REQUIREMENTS
    requirements.write_bytes(recipe.inputs[0].content)
    command = [
        sys.executable, "-m", "pip", "install", "--target", str(tree), "--requirement", str(requirements),
        "--only-binary=:all:", "--implementation", "cp", "--python-version", runtime.version,
        *(arg for tag in platform_tags(runtime, architecture) for arg in ("--platform", tag)),
        "--no-compile", "--no-input", "--disable-pip-version-check", "--no-warn-script-location",
        "--progress-bar", "off",
    ]  # fmt: skip
    output = _run(command, work, log)
    if output is None:
        return
    missing = re.search(r"No matching distribution found for (\S+)", "\n".join(output))
    if missing:
        machine = _MACHINES[architecture]
        raise BuildError(
            f"{function}: no wheel of {missing[1]} for {runtime.name} on {machine} (manylinux, glibc "
            f"{'.'.join(map(str, runtime.glibc))}), and render installs only wheels: pin a version that publishes "
            f"one, or use a pure-Python package ({PYTHON_PACKAGING_DOC})",
            output,
        )
    raise BuildError(f"{function}: pip could not install {REQUIREMENTS}", output)


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not on PATH; install Node.js, which brings npm, to build Node.js dependencies")
    return npm


def _npm_install(function: str, recipe: Recipe, architecture: str, *, tree: Path, log: TextIO) -> None:
    npm = _npm()
    tree.mkdir()
    for source in recipe.inputs:
        (tree / source.name).write_bytes(source.content)
    command = [npm, "ci", "--omit=dev", "--os=linux", f"--cpu={_NODE_CPUS[architecture]}", "--libc=glibc",
               "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"]  # fmt: skip
    output = _run(command, tree, log)
    for source in recipe.inputs:  # the function's own copies are packaged from its source
        (tree / source.name).unlink()
    if output is not None:
        raise BuildError(f"{function}: npm ci could not install {recipe.inputs[1].name}", output)


def _run(command: list[str], cwd: Path, log: TextIO) -> list[str] | None:
    """Run an installer with its output passed through to ``log``; None on success, else its output."""
    kept: collections.deque[str] = collections.deque(maxlen=200)
    with subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", stdin=subprocess.DEVNULL) as process:  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            log.write(f"  {line}")
            kept.append(line.rstrip())
    return None if process.returncode == 0 else list(kept)


def _tail(output: Sequence[str]) -> str:
    """The installer's own last error lines: its ERROR lines when it wrote any, else its last lines."""
    lines = [line for line in output if line.strip()]
    errors = [line for line in lines if line.lstrip().startswith(("ERROR", "npm error", "npm ERR"))]
    return "\n".join(line.strip() for line in (errors or lines)[-_ERROR_LINES:])


def _normalise(tree: Path) -> None:
    """Remove what an install leaves that depends on this machine rather than on the lock.

    pip's console scripts (``bin/``) carry this interpreter's path in their first line, and the
    RECORD files list them with their hashes; npm's ``.bin`` holds links. Lambda runs neither.
    Bytecode is never kept: it is compiled for the renderer's Python, not the runtime's.
    """
    for scripts in (tree / "bin", tree / "node_modules" / ".bin"):
        if scripts.is_dir() and not scripts.is_symlink():
            shutil.rmtree(scripts)
    for record in tree.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith(("../../bin/", "bin/"))))
    for cache in list(tree.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for compiled in tree.rglob("*.pyc"):
        compiled.unlink()


def _read_tree(tree: Path) -> tuple[SourceFile, ...]:
    """Every regular file under ``tree``; links are left out (a zip of this kind holds none)."""
    files = []
    for current, dirnames, filenames in os.walk(tree):
        here = Path(current)
        dirnames[:] = sorted(name for name in dirnames if not (here / name).is_symlink())
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            files.append(SourceFile(path.relative_to(tree).as_posix(), path.read_bytes(), 0o644))
    return tuple(files)


def _publish(tree: Path, entry: Path) -> None:
    """Move a finished build into the cache in one step: a killed render leaves no half entry behind.

    When another render published the same key first, its entry (the same lock, the same installer)
    is kept and this one is dropped with the temporary directory.
    """
    try:
        os.rename(tree, entry)
    except OSError:
        if not entry.is_dir():
            raise
