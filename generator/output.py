"""Writing a rendered tree into a directory where people also run Terraform.

The output directory holds files nobody else may touch: ``.terraform/``, state,
the lock file, a user's own ``override.tf``. So the writer only ever writes or
removes files listed in its manifest, writes each file atomically, and refuses
outright when a file it is about to write exists but is not its own.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import OutputError

MANIFEST = ".generator-manifest.json"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Difference:
    path: str
    kind: str  # "changed", "missing" or "stale"
    diff: str = ""


def read_manifest(out_dir: Path) -> set[str]:
    """Paths the generator wrote last time; empty when it never wrote here."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot read {out_dir / MANIFEST}: {exc}; restore or delete it and render again") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) and _is_inside(f) for f in files):
        raise OutputError(f"{out_dir / MANIFEST} is not a generator manifest; restore or delete it and render again")
    return set(files)


def write_tree(files: dict[str, bytes], out_dir: Path) -> WriteReport:
    """Make ``out_dir`` hold ``files``; remove what the manifest lists and the render no longer has."""
    owned = read_manifest(out_dir) if out_dir.is_dir() else set()
    foreign = sorted(p for p in files if p not in owned and (out_dir / p).exists())
    if foreign:
        raise OutputError(
            f"{out_dir} already has files the generator did not write: {', '.join(foreign)}. "
            "Move them away, or render into another directory."
        )
    report = WriteReport()
    # Claim every path before touching it, so an interrupted render leaves nothing unowned behind.
    _write_manifest(out_dir, owned | set(files))
    for path, content in files.items():
        target = out_dir / path
        if target.is_file() and target.read_bytes() == content:
            report.unchanged.append(path)
            continue
        _atomic_write(target, content)
        report.written.append(path)
    for path in sorted(owned - set(files)):
        target = out_dir / path
        if target.is_file():
            target.unlink()
            report.removed.append(path)
            _remove_empty_parents(target.parent, out_dir)
    _write_manifest(out_dir, set(files))
    return report


def compare_tree(files: dict[str, bytes], out_dir: Path) -> list[Difference]:
    """What ``write_tree`` would change, with a unified diff for each changed text file."""
    owned = read_manifest(out_dir) if out_dir.is_dir() else set()
    differences = []
    for path, content in files.items():
        target = out_dir / path
        if not target.is_file():
            differences.append(Difference(path, "missing"))
        elif (current := target.read_bytes()) != content:
            differences.append(Difference(path, "changed", _unified_diff(path, current, content)))
    for path in sorted(owned - set(files)):
        if (out_dir / path).is_file():
            differences.append(Difference(path, "stale"))
    if not differences and owned != set(files):
        differences.append(Difference(MANIFEST, "changed"))
    return differences


def create_new(target: Path, content: bytes) -> None:
    """Write a file that must not exist yet; an existing file is never replaced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("xb") as handle:
            handle.write(content)
    except FileExistsError:
        raise OutputError(f"{target} already exists; it was left as it is. Choose another path.") from None


def _unified_diff(path: str, old: bytes, new: bytes) -> str:
    import difflib  # only on the --check path when something differs

    try:
        old_lines = old.decode().splitlines(keepends=True)
        new_lines = new.decode().splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"Binary file {path} differs\n"
    return "".join(difflib.unified_diff(old_lines, new_lines, f"a/{path}", f"b/{path}"))


def _atomic_write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_manifest(out_dir: Path, paths: Iterable[str]) -> None:
    body = {"about": "Files written by generator. It only ever changes or removes the files listed here.",
            "files": sorted(paths)}  # fmt: skip
    content = (json.dumps(body, indent=2) + "\n").encode()
    target = out_dir / MANIFEST
    if not (target.is_file() and target.read_bytes() == content):  # an unchanged render leaves it untouched
        _atomic_write(target, content)


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _is_inside(path: str) -> bool:
    """Manifest entries are relative paths inside the output; anything else is not ours to delete."""
    parts = Path(path).parts
    return bool(parts) and not Path(path).is_absolute() and ".." not in parts
