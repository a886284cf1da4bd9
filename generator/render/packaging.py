"""Deterministic deployment packages, so Terraform redeploys a function only when its code changes.

Terraform compares ``source_code_hash`` with the hash of the zip it uploads. A zip
that embeds file times, permissions or directory order would change on every
render and redeploy every function; these zips depend on file names and contents
alone. Entries are stored, not deflated: deflate output may differ between zlib
builds, and the bytes must be identical on every machine.

What goes into a package is decided here too. A source directory is often a working
copy: it may hold ``.env`` files, keys, Terraform state or a virtual environment, and
none of that belongs in a function anyone can download with ``lambda:GetFunction``.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from generator.errors import GeneratorError
from generator.output.files import MANIFEST
from generator.record import Record

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record
_ENTRY_MODE = 0o100644  # regular file, rw-r--r--

# Left out of every package unless an exclude pattern of the function re-includes it with "!".
DEFAULT_EXCLUDES: tuple[str, ...] = (
    # secrets and credentials
    ".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".ssh/", ".aws/", ".netrc", ".npmrc", ".pypirc",
    # Terraform's files: state can hold every secret of a deployment
    "*.tfstate", "*.tfstate.*", "*.tfvars", "*.tfplan", ".terraform/", ".terraform.lock.hcl", MANIFEST,
    # tools, caches and version control
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", "__pycache__/", "*.pyc", ".pytest_cache/", ".mypy_cache/",
    ".ruff_cache/", ".DS_Store",
)  # fmt: skip


class PackagingError(GeneratorError):
    """A source directory cannot be packaged as it is; the message names the file."""


class SourceFile(Record):
    name: str  # POSIX path inside the package
    content: bytes
    mode: int  # permission bits of the file it was read from


class Sources(Record):
    files: tuple[SourceFile, ...]
    skipped: tuple[str, ...]  # what was left out, and why, for the person rendering

    def names(self) -> set[str]:
        return {f.name for f in self.files}


def build_zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``(archive name, content)`` pairs, identical bytes for identical input."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = _ENTRY_MODE << 16
            info.create_system = 3  # Unix, so the mode above is honoured when Lambda unpacks it
            archive.writestr(info, content)
    return buffer.getvalue()


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
            files.append(_read(path, relative))
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
