"""Deterministic deployment packages, so Terraform redeploys a function only when its code changes.

Terraform compares ``source_code_hash`` with the hash of the zip it uploads. A zip that embeds
file times, permissions or directory order would change on every render and redeploy every
function; these zips depend on file names and contents alone. Entries are stored, not deflated:
deflate output may differ between zlib builds, and the bytes must be identical on every machine.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record
_ENTRY_MODE = 0o100644  # regular file, rw-r--r--


def build_zip(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``(archive name, content)`` pairs, identical bytes for identical input."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, content in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = _ENTRY_MODE << 16
            info.create_system = 3  # Unix, so the mode above is honoured when Lambda unpacks it
            archive.writestr(info, content)
    return buffer.getvalue()
