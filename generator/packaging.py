"""Deterministic deployment packages, so Terraform redeploys a function only when its code changes.

Terraform compares ``source_code_hash`` with the hash of the zip it uploads. A zip
that embeds file times, permissions or directory order would change on every
render and redeploy every function; these zips depend on file names and contents
alone. Entries are stored, not deflated: deflate output may differ between zlib
builds, and the bytes must be identical on every machine.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record
_FILE_MODE = 0o100644  # regular file, rw-r--r--
_SKIPPED_NAMES = frozenset({"__pycache__", ".DS_Store", ".git", ".terraform", "node_modules/.cache"})


def build_zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``(archive name, content)`` pairs, identical bytes for identical input."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = _FILE_MODE << 16
            info.create_system = 3  # Unix, so the mode above is honoured when Lambda unpacks it
            archive.writestr(info, content)
    return buffer.getvalue()


def source_files(directory: Path) -> list[tuple[str, bytes]]:
    """The files under ``directory`` as archive entries, skipping caches and VCS folders."""
    entries = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not _SKIPPED_NAMES.intersection(relative.parts) and path.suffix != ".pyc":
            entries.append((relative.as_posix(), path.read_bytes()))
    return entries
