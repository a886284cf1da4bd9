"""Writing a rendered tree into a directory where people also run Terraform.

The output directory holds files nobody else may touch: ``.terraform/``, state, the
lock file, a user's own ``override.tf``. So the writer:

- writes or removes only files it wrote before, as its manifest lists them, and of a
  shape the generator produces (``removable``); Terraform's own files never, whatever
  the manifest says, so a hand-edited or merged manifest cannot become a delete list;
- never follows a symbolic link: every path is opened relative to the output
  directory's descriptor with ``O_NOFOLLOW``, and a link anywhere on a path it would
  write or delete stops the render before anything is written;
- writes each file atomically (a temporary file, then a rename), with the mode the
  umask allows and never wider than the file it replaces or the source it copies;
- holds a lock on the output directory, so two renders into one directory take turns,
  and removes the temporary files a killed render left behind.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import OutputError
from generator.record import Record, field

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; renders there are not serialised
    fcntl = None  # type: ignore[assignment]

# Marks a rendered output directory: render writes it, and packaging never puts such a directory in a zip.
MANIFEST = ".generator-manifest.json"
_TEMP_SUFFIX = ".generator-tmp"
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.generator-tmp$")
_LEGACY_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")  # left by versions before 0.2
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_MODE = 0o666  # narrowed by the umask when the file is created, as every other tool's files are


def is_terraform_file(path: str) -> bool:
    """State, lock file and working directory: what Terraform owns in the output directory."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        ".terraform" in parts
        or name == ".terraform.lock.hcl"
        or name.endswith(".tfstate")
        or ".tfstate." in name
        or name.endswith(".tfplan")
    )


class WriteReport(Record, frozen=False):
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # listed in the manifest, but not a file the generator produces
    cleaned: list[str] = field(default_factory=list)  # temporary files an interrupted render left


class Difference(Record, frozen=False):
    path: str
    kind: str  # "changed", "missing" or "stale"
    diff: str = ""


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output directory that cannot be one: a file, or a system directory such as ``/``."""
    resolved = out_dir.resolve()
    anchor = Path(resolved.anchor)
    if resolved in (anchor, Path.home().resolve()) or resolved.parent == anchor:
        raise OutputError(
            f"--out {out_dir} is {resolved}, a system or home directory; render into a directory of its own, "
            "such as out/"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"--out {out_dir} is a file, not a directory; choose a directory")


def write_tree(
    files: Mapping[str, bytes],
    out_dir: Path,
    *,
    removable: Callable[[str], bool],
    modes: Mapping[str, int] | None = None,
    stamp: Mapping[str, Any] | None = None,
) -> WriteReport:
    """Make ``out_dir`` hold ``files``; remove what the manifest lists, ``removable`` allows and the render lacks.

    ``modes`` narrows the mode of a file below the default (a copy of a private source file stays private).
    ``stamp`` is what the manifest records about the render beside its files (who wrote them, from what).
    """
    check_out_dir(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create --out {out_dir}: {exc.strerror}") from None
    with _locked(out_dir, exclusive=True) as root:
        try:
            return _write_locked(root, files, out_dir, removable, modes or {}, stamp=stamp or {})
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise OutputError(f"cannot write into {out_dir}:{where} {exc.strerror}") from None


def compare_tree(files: Mapping[str, bytes], out_dir: Path, *, removable: Callable[[str], bool]) -> list[Difference]:
    """What ``write_tree`` would change, with a unified diff for each changed text file. Writes nothing."""
    if not out_dir.is_dir():
        check_out_dir(out_dir)
        return [Difference(path, "missing") for path in files]
    with _locked(out_dir, exclusive=False) as root:
        owned, _ = _read_manifest(root, out_dir, removable)
        differences = []
        for path, content in files.items():
            current = root.read(path)
            if current is None:
                differences.append(Difference(path, "missing"))
            elif current != content:
                differences.append(Difference(path, "changed", _unified_diff(path, current, content)))
        for path in sorted(owned - set(files)):
            if root.is_regular_file(path):
                differences.append(Difference(path, "stale"))
        if not differences and owned != set(files):
            differences.append(Difference(MANIFEST, "changed"))
    return differences


def read_manifest(out_dir: Path, removable: Callable[[str], bool]) -> set[str]:
    """Paths the generator wrote last time and may remove; empty when it never wrote here."""
    if not out_dir.is_dir():
        return set()
    with _locked(out_dir, exclusive=False) as root:
        return _read_manifest(root, out_dir, removable)[0]


def create_new(target: Path, content: bytes) -> None:
    """Write a file that must not exist yet; an existing file (or a link) is never replaced or followed."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, _NEW_FILE_FLAGS, _FILE_MODE)
    except FileExistsError:
        raise OutputError(f"{target} already exists; it was left as it is. Choose another path.") from None
    except OSError as exc:
        raise OutputError(f"cannot create {target}: {exc.strerror}") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


# --- the locked output directory ---------------------------------------------------------------


class _Root:
    """The output directory, reached only through descriptors opened without following links."""

    def __init__(self, descriptor: int, out_dir: Path) -> None:
        self.descriptor = descriptor
        self.out_dir = out_dir
        self._directories: dict[tuple[str, ...], int] = {(): descriptor}

    def close(self) -> None:
        for parts, descriptor in self._directories.items():
            if parts:
                os.close(descriptor)

    def directory(self, parts: tuple[str, ...], create: bool) -> int | None:
        """A descriptor of ``parts`` below the root; None when missing (and not created). Never follows links."""
        if parts in self._directories:
            return self._directories[parts]
        parent = self.directory(parts[:-1], create)
        if parent is None:
            return None
        try:
            descriptor = os.open(parts[-1], _DIRECTORY_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            os.mkdir(parts[-1], 0o777, dir_fd=parent)
            descriptor = os.open(parts[-1], _DIRECTORY_FLAGS, dir_fd=parent)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise OutputError(self._not_a_directory("/".join(parts))) from None
            raise
        self._directories[parts] = descriptor
        return descriptor

    def lstat(self, path: str) -> os.stat_result | None:
        parts = _split(path)
        parent = self.directory(parts[:-1], create=False)
        if parent is None:
            return None
        try:
            return os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def is_regular_file(self, path: str) -> bool:
        status = self.lstat(path)
        return status is not None and stat.S_ISREG(status.st_mode)

    def read(self, path: str) -> bytes | None:
        """The content of a regular file at ``path``; None when there is none (a link is never followed)."""
        if not self.is_regular_file(path):
            return None
        parts = _split(path)
        parent = self.directory(parts[:-1], create=False)
        descriptor = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read()

    def write(self, path: str, content: bytes, mode: int) -> None:
        parts = _split(path)
        parent = self.directory(parts[:-1], create=True)
        assert parent is not None
        existing = self.lstat(path)
        if existing is not None:
            mode &= stat.S_IMODE(existing.st_mode)  # never wider than the file it replaces
        temp = f".{parts[-1][:100]}.{os.urandom(4).hex()}{_TEMP_SUFFIX}"
        descriptor = os.open(temp, _NEW_FILE_FLAGS, mode, dir_fd=parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            os.replace(temp, parts[-1], src_dir_fd=parent, dst_dir_fd=parent)
        except BaseException:
            _unlink_quietly(temp, parent)
            raise

    def remove(self, path: str) -> bool:
        """Unlink a regular file (never a link's target); then remove the directories it leaves empty."""
        parts = _split(path)
        parent = self.directory(parts[:-1], create=False)
        if parent is None or not self.is_regular_file(path):
            return False
        os.unlink(parts[-1], dir_fd=parent)
        for depth in range(len(parts) - 1, 0, -1):
            try:
                os.rmdir(parts[depth - 1], dir_fd=self.directory(parts[: depth - 1], create=False))
            except OSError:  # not empty: stop
                break
            os.close(self._directories.pop(parts[:depth]))
        return True

    def problems_on_path(self, path: str) -> str | None:
        """Why writing or removing ``path`` would leave the output directory, or touch what is not a file."""
        parts = _split(path)
        for depth in range(1, len(parts) + 1):
            status = self.lstat("/".join(parts[:depth]))
            if status is None:
                return None
            where = "/".join(parts[:depth])
            if stat.S_ISLNK(status.st_mode):
                return f"{self.out_dir / where} is a symbolic link"
            if depth < len(parts) and not stat.S_ISDIR(status.st_mode):
                return f"{self.out_dir / where} is not a directory"
            if depth == len(parts) and not stat.S_ISREG(status.st_mode):
                return f"{self.out_dir / where} is not a regular file"
        return None

    def _not_a_directory(self, where: str) -> str:
        return f"{self.out_dir / where} is a symbolic link or not a directory; render never writes through one"


@contextmanager
def _locked(out_dir: Path, *, exclusive: bool) -> Iterator[_Root]:
    try:
        descriptor = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise OutputError(f"cannot open --out {out_dir}: {exc.strerror}") from None
    root = _Root(descriptor, out_dir)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield root
    finally:
        root.close()
        os.close(descriptor)  # closing the descriptor releases the lock


def _write_locked(
    root: _Root,
    files: Mapping[str, bytes],
    out_dir: Path,
    removable: Callable[[str], bool],
    modes: Mapping[str, int],
    *,
    stamp: Mapping[str, Any],
) -> WriteReport:
    report = WriteReport()
    owned, report.kept = _read_manifest(root, out_dir, removable)
    stale = sorted(owned - set(files))
    blocked = [problem for path in [*files, *stale] if (problem := root.problems_on_path(path))]
    if blocked:
        raise OutputError(f"refusing to render into {out_dir}: " + "; ".join(blocked) + ". Nothing was written.")
    foreign = sorted(p for p in files if p not in owned and root.lstat(p) is not None)
    if foreign:
        raise OutputError(
            f"{out_dir} already has files the generator did not write: {', '.join(foreign)}. "
            "Move them away, or render into another directory."
        )
    report.cleaned = _remove_leftover_temporaries(root, owned | set(files))
    # Claim every path before touching it, so an interrupted render leaves nothing unowned behind.
    _write_manifest(root, owned | set(files), stamp)
    for path, content in files.items():
        if root.read(path) == content:
            report.unchanged.append(path)
            continue
        root.write(path, content, _FILE_MODE & modes.get(path, _FILE_MODE))
        report.written.append(path)
    for path in stale:
        if root.remove(path):
            report.removed.append(path)
    _write_manifest(root, set(files), stamp)
    return report


def add_owned_file(out_dir: Path, path: str, content: bytes) -> None:
    """Write one file beside a render's and list it in the manifest, so the next render removes it."""
    with _locked(out_dir, exclusive=True) as root:
        data = _manifest_data(root, out_dir)
        if data is None:
            raise OutputError(f"{out_dir} holds no rendered project (no {MANIFEST}); render into it first")
        files = set(data["files"])
        if path not in files and root.lstat(path) is not None:
            raise OutputError(f"{out_dir / path} exists and the generator did not write it; move it away")
        stamp = {key: value for key, value in data.items() if key not in ("about", "files")}
        _write_manifest(root, files | {path}, stamp)  # claimed before it is written, as render does
        root.write(path, content, _FILE_MODE)


def remove_owned_file(out_dir: Path, path: str) -> bool:
    """Remove a file ``add_owned_file`` wrote, and its manifest entry; False when there was none."""
    with _locked(out_dir, exclusive=True) as root:
        data = _manifest_data(root, out_dir)
        if data is None or path not in data["files"]:
            return False
        removed = root.remove(path)
        stamp = {key: value for key, value in data.items() if key not in ("about", "files")}
        _write_manifest(root, set(data["files"]) - {path}, stamp)
        return removed


class Manifest(Record):
    """What the last render into a directory recorded: the files it wrote, and its stamp (who, from what)."""

    files: frozenset[str]
    stamp: Mapping[str, Any]


def read_manifest_record(out_dir: Path) -> Manifest | None:
    """The manifest of the last render into ``out_dir``, or None when the generator never wrote there."""
    if not out_dir.is_dir():
        return None
    with _locked(out_dir, exclusive=False) as root:
        data = _manifest_data(root, out_dir)
    if data is None:
        return None
    stamp = {key: value for key, value in data.items() if key not in ("about", "files")}
    return Manifest(frozenset(data["files"]), stamp)


def _read_manifest(root: _Root, out_dir: Path, removable: Callable[[str], bool]) -> tuple[set[str], list[str]]:
    """(entries the generator may remove, entries it keeps because it never produces such a file)."""
    data = _manifest_data(root, out_dir)
    if data is None:
        return set(), []
    files = data["files"]
    owned = {f for f in files if removable(f) and not is_terraform_file(f)}
    return owned, sorted(set(files) - owned)


def _manifest_data(root: _Root, out_dir: Path) -> dict[str, Any] | None:
    """The manifest's content, checked to be one of ours; None when there is none."""
    where = out_dir / MANIFEST
    try:
        content = root.read(MANIFEST)
    except OSError as exc:
        raise OutputError(f"cannot read {where}: {exc.strerror}; restore or delete it and render again") from None
    if content is None:
        if root.lstat(MANIFEST) is not None:
            raise OutputError(f"{where} is not a regular file; delete it and render again")
        return None
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise OutputError(f"cannot read {where}: {exc}; restore or delete it and render again") from None
    except RecursionError:  # valid JSON nested deeper than Python's decoder goes: no manifest of ours is
        raise OutputError(f"{where} is not a generator manifest; restore or delete it and render again") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) and _is_inside(f) for f in files):
        raise OutputError(f"{where} is not a generator manifest; restore or delete it and render again")
    return dict(data)


def _remove_leftover_temporaries(root: _Root, generated: Iterable[str]) -> list[str]:
    """Temporary files of a render killed between creating and renaming them, in the directories it writes."""
    names_by_directory: dict[tuple[str, ...], set[str]] = {}
    for path in generated:
        parts = _split(path)
        names_by_directory.setdefault(parts[:-1], set()).add(parts[-1])
    removed = []
    for parts, generated_names in sorted(names_by_directory.items()):
        descriptor = root.directory(parts, create=False)
        if descriptor is None:
            continue
        for name in os.listdir(descriptor):
            legacy = _LEGACY_TEMP_NAME.match(name)
            if not (_TEMP_NAME.match(name) or (legacy and legacy["name"] in generated_names)):
                continue
            if stat.S_ISREG(os.stat(name, dir_fd=descriptor, follow_symlinks=False).st_mode):
                os.unlink(name, dir_fd=descriptor)
                removed.append("/".join((*parts, name)))
    return removed


def _write_manifest(root: _Root, paths: Iterable[str], stamp: Mapping[str, Any]) -> None:
    body = {"about": "Files written by generator. It only ever changes or removes the files listed here.",
            **stamp, "files": sorted(paths)}  # fmt: skip
    content = (json.dumps(body, indent=2) + "\n").encode()
    if root.read(MANIFEST) != content:  # an unchanged render leaves it untouched
        root.write(MANIFEST, content, _FILE_MODE)


def _unified_diff(path: str, old: bytes, new: bytes) -> str:
    import difflib  # only on the --check path when something differs

    try:
        old_lines = old.decode().splitlines(keepends=True)
        new_lines = new.decode().splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"Binary file {path} differs\n"
    return "".join(difflib.unified_diff(old_lines, new_lines, f"a/{path}", f"b/{path}"))


def _unlink_quietly(name: str, directory: int) -> None:
    with suppress(OSError):
        os.unlink(name, dir_fd=directory)


def _split(path: str) -> tuple[str, ...]:
    return tuple(PurePosixPath(path).parts)


def _is_inside(path: str) -> bool:
    """Manifest entries are relative paths inside the output; anything else is not ours to delete."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts and "." not in parts
