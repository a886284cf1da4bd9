"""What of a function's own source directory goes into its package.

A source directory is often a working copy: it may hold ``.env`` files, keys, Terraform state or a
virtual environment, and none of that belongs in a function anyone can download with
``lambda:GetFunction``. These rules apply to the user's own files only; dependencies a build installs
are packaged as the installer wrote them (see ``dependencies``).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from generator.errors import GeneratorError
from generator.output.files import MANIFEST
from generator.record import Record

# Caches, tools and version control: left out by the hundred, so the summary counts them instead of naming them.
_TOOL_DIRECTORIES = (".git/", ".hg/", ".svn/", ".venv/", "venv/", "__pycache__/", ".pytest_cache/", ".mypy_cache/",
                     ".ruff_cache/")  # fmt: skip
_TOOL_FILES = ("*.pyc", ".DS_Store")
# Left out of every package unless an exclude pattern of the function re-includes it with "!".
DEFAULT_EXCLUDES: tuple[str, ...] = (
    # secrets and credentials
    ".env", ".env.*", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".ssh/", ".aws/", ".netrc", ".npmrc", ".pypirc",
    # Terraform's files: state can hold every secret of a deployment
    "*.tfstate", "*.tfstate.*", "*.tfvars", "*.tfplan", ".terraform/", ".terraform.lock.hcl", MANIFEST,
    *_TOOL_DIRECTORIES, *_TOOL_FILES,
)  # fmt: skip
# A PEM private key of any kind (RSA, EC, PKCS#8, encrypted, OpenSSH) ends its BEGIN line so; a certificate,
# a public key or a CA bundle never does. Names alone cannot tell server.pem (a key) from cacert.pem (certificates).
_PRIVATE_KEY_MARK = b"PRIVATE KEY-----"


class PackagingError(GeneratorError):
    """A source directory cannot be packaged as it is; the message names the file."""

    detail = ""  # what a tool printed about it, shown whole after the message


class SourceFile(Record):
    name: str  # POSIX path inside the package
    content: bytes
    mode: int  # permission bits of the file it was read from


class Sources(Record):
    files: tuple[SourceFile, ...]
    skipped: tuple[str, ...]  # what was left out, and why, for the person rendering

    def names(self) -> set[str]:
        return {f.name for f in self.files}


def summary(skipped: Sequence[str], shown: int = 5) -> str:
    """What was left out, as one short line: the files named (a few), caches and tools counted."""
    tools = [entry for entry in skipped if _is_tool_entry(entry)]
    others = [entry.removesuffix(" (excluded)") for entry in skipped if not _is_tool_entry(entry)]
    parts = others[:shown]
    if len(others) > shown:
        parts.append(f"{len(others) - shown} more")
    if tools:
        parts.append(f"{len(tools)} cache, tool or version-control entr{'y' if len(tools) == 1 else 'ies'}")
    return ", ".join(parts)


def _is_tool_entry(entry: str) -> bool:
    path = entry.partition(" (")[0]
    name = path.rstrip("/").rpartition("/")[2]
    if path.endswith("/"):
        return f"{name}/" in _TOOL_DIRECTORIES
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in _TOOL_FILES)


def collect_sources(directory: Path, exclude: Sequence[str] = (), never: Sequence[Path] = ()) -> Sources:
    """The files of ``directory`` that belong in a package.

    Left out: what ``DEFAULT_EXCLUDES`` and ``exclude`` (gitignore patterns) match, links that lead
    outside ``directory`` or nowhere (a loop, a missing target), links to directories, any directory in
    ``never`` (the output of this render) and any directory that holds a generator manifest (an earlier
    render's output).
    """
    import pathspec  # only when a function brings its own code

    spec = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *exclude])
    root = directory.resolve()
    never_dirs = {p.resolve() for p in never}
    files: list[SourceFile] = []
    skipped: list[str] = []
    for current, dirnames, filenames in os.walk(root, onerror=_raise):
        here = Path(current)
        relative_dir = here.relative_to(root)
        kept_dirs = []
        for name in sorted(dirnames):
            path, relative = here / name, _posix(relative_dir / name)
            if path.is_symlink():
                skipped.append(f"{relative}/ (a link to a directory)")
            elif path in never_dirs or (path / MANIFEST).exists():
                skipped.append(f"{relative}/ (a rendered output directory)")
            elif spec.match_file(relative + "/"):
                skipped.append(f"{relative}/ (excluded)")
            else:
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            path, relative = here / name, _posix(relative_dir / name)
            if spec.match_file(relative):
                skipped.append(f"{relative} (excluded)")
                continue
            if path.is_symlink():
                target = _link_target(path)
                if target is None:
                    skipped.append(f"{relative} (a link that leads nowhere: a loop, or a missing target)")
                    continue
                if not _inside(target, root):
                    skipped.append(f"{relative} (a link to {target}, outside the source directory)")
                    continue
            source = _read(path, relative)
            if _PRIVATE_KEY_MARK in source.content:
                skipped.append(f"{relative} (holds a private key)")
                continue
            files.append(source)
    return Sources(tuple(files), tuple(sorted(skipped)))


def _read(path: Path, relative: str) -> SourceFile:
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        shown = relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise PackagingError(f"file name {shown!r} is not valid UTF-8; rename it or exclude it") from None
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise PackagingError(f"{relative} is not a regular file (a device, socket or pipe); exclude it")
        return SourceFile(relative, path.read_bytes(), stat.S_IMODE(status.st_mode))
    except OSError as exc:
        raise PackagingError(f"cannot read {relative}: {exc.strerror}") from None


def _link_target(path: Path) -> Path | None:
    """Where a link leads, or None when it leads nowhere (Python 3.11 raises RuntimeError on a loop, 3.13 OSError)."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def _raise(error: OSError) -> None:
    raise PackagingError(f"cannot read directory {error.filename}: {error.strerror}")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _posix(path: Path) -> str:
    return path.as_posix()
