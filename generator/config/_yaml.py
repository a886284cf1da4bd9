"""YAML loading that remembers where every value came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two equal
keys. Users need error messages that point at a line, so this module composes the
node tree itself and records the line of every key and list item by key path.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ConfigError

try:  # the C parser is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]


MAX_KEY_SHOWN = 40  # characters of one key a message quotes: enough to find it, never a whole line of another file


def format_path(path: KeyPath) -> str:
    """Render a key path the way users write it: ``functions[0].memory_mb``; a long key is cut short."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if len(part) <= MAX_KEY_SHOWN else part[: MAX_KEY_SHOWN - 1] + "…"
            text += f".{shown}" if text else shown
    return text


class LoadedYaml:
    """A parsed YAML document plus the file and line every key path came from.

    Layered configs merge several documents; each value keeps the origin of the
    file that set it, so an error points at the line a person has to change.
    """

    def __init__(self, data: Any, lines: dict[KeyPath, int], file: Path) -> None:
        self.data = data
        self.origins: dict[KeyPath, tuple[Path, int]] = {path: (file, line) for path, line in lines.items()}
        self.file = file
        self.problems: list[ConfigError] = []  # found while validating; reported together
        self.failed: set[KeyPath] = set()

    def report(self, path: KeyPath, message: str) -> None:
        """Note a problem and let validation go on, so one run reports them all."""
        self.problems.append(self.error(path, message))
        self.failed.add(path)

    def failed_under(self, path: KeyPath) -> bool:
        """Whether a key at or below ``path`` was reported: its checks across keys would only repeat it."""
        return any(failed[: len(path)] == path for failed in self.failed)

    def origin_of(self, path: KeyPath) -> tuple[Path, int | None]:
        """Where ``path`` was set, or its nearest ancestor; the last file when nothing matches."""
        while True:
            if path in self.origins:
                return self.origins[path]
            if not path:
                return self.file, None
            path = path[:-1]

    def error(self, path: KeyPath, message: str) -> ConfigError:
        file, line = self.origin_of(path)
        return ConfigError(message, key=format_path(path) or None, file=file, line=line)

    def merged_with(self, later: LoadedYaml) -> LoadedYaml:
        """``later`` over this document: mappings merge key by key, anything else (lists too) is replaced."""
        if not isinstance(self.data, dict) or not isinstance(later.data, dict):
            return later if later.data is not None else self
        result = LoadedYaml(None, {}, later.file)
        result.origins = dict(self.origins)
        result.data = self._merge(self.data, later, (), result.origins)
        return result

    @staticmethod
    def _merge(base: dict[str, Any], later: LoadedYaml, path: KeyPath, origins: dict[KeyPath, Any]) -> dict[str, Any]:
        merged = dict(base)
        node = later.data
        for part in path:
            node = node[part]
        for key, value in node.items():
            child: KeyPath = (*path, key)
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                origins[child] = later.origins[child]
                merged[key] = LoadedYaml._merge(merged[key], later, child, origins)
                continue
            for stale in [p for p in origins if p[: len(child)] == child]:
                del origins[stale]
            origins.update({p: o for p, o in later.origins.items() if p[: len(child)] == child})
            merged[key] = value
        return merged


MAX_CONFIG_BYTES = 1 << 20  # a config of 1000 functions is about 300 KB
MAX_DEPTH = 64  # the deepest legitimate value (a function's destination) is 4 levels down
MAX_ALIAS_NODES = 100_000  # values reached again through aliases and merge keys: enough for 1000 functions
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
# Plain numbers that YAML 1.1 (PyYAML) and YAML 1.2 (most editors and linters) read differently.
_YAML11_NUMBER = re.compile(r"^[-+]?(0[0-7_]+|0b[01_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[0-9.]*_[0-9_.]*)$")


def read_config_text(path: Path) -> str:
    """A config file's text, refused when it is not a regular file, too large, or not UTF-8."""
    try:
        if path.is_dir():
            raise ConfigError(f"{path} is a directory; pass the config file itself, e.g. {path / 'config.yaml'}")
        # Non-blocking, and judged by what was opened: a FIFO or a device never makes render wait or read forever.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ConfigError(f"{path} is not a regular file (a pipe, device or socket); pass the config file")
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}; create one with: python -m generator init {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KB; is it the config file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=path) from None


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """The line a person has to change, and what is wrong there in their words."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        return exc.context_mark.line + 1, "a quoted string that starts here is never closed"
    if mark is not None:
        lines = text.splitlines()
        here = lines[mark.line] if mark.line < len(lines) else ""
        if "tab" in problem or here[: mark.column + 1].lstrip(" ").startswith("\t"):
            return mark.line + 1, "a tab in the indentation; YAML indents with spaces only"
    return (mark.line + 1 if mark else None), problem


def load_yaml(text: str, file: Path) -> LoadedYaml:
    """Parse ``text``; YAML syntax errors become ``ConfigError`` with the line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line, problem = _syntax_problem(exc, text)
        raise ConfigError(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    lines: dict[KeyPath, int] = {}
    if node is None:
        return LoadedYaml(None, lines, file)
    lines[()] = node.start_mark.line + 1
    builder = _Builder(file, lines)
    return LoadedYaml(builder.build(node, ()), lines, file)


class _Builder:
    """Python values from a node tree, within budgets that stop alias bombs and cycles in well under a second."""

    def __init__(self, file: Path, lines: dict[KeyPath, int]) -> None:
        self.file = file
        self.lines = lines
        self.constructor = yaml.SafeLoader("")
        self.seen: set[int] = set()
        self.on_path: set[int] = set()
        self.alias_budget = MAX_ALIAS_NODES

    def error(self, path: KeyPath, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(message, key=format_path(path) or None, file=self.file, line=node.start_mark.line + 1)

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        if id(node) in self.on_path:
            raise self.error(path, node, "an alias refers to a value that contains it; YAML here cannot be recursive")
        if len(path) > MAX_DEPTH:
            raise self.error(path, node, f"is nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.seen:
            self.alias_budget -= 1
            if self.alias_budget < 0:
                raise self.error(path, node, f"aliases expand to more than {MAX_ALIAS_NODES} values; refusing to "
                                 "expand further (is this a YAML alias bomb?)")  # fmt: skip
        self.seen.add(id(node))
        self.on_path.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            assert isinstance(node, yaml.ScalarNode)
            return self._scalar(node, path)
        finally:
            self.on_path.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        own = sum(1 for key, _ in node.value if key.tag != _MERGE_TAG)
        try:
            self.constructor.flatten_mapping(node)  # resolves merge keys (<<: *defaults) in place
        except yaml.constructor.ConstructorError as exc:
            raise self.error(path, node, f"invalid merge key: {exc.problem}") from None
        except RecursionError:
            raise self.error(path, node, "a merge key refers to a value that contains it") from None
        merged_count = len(node.value) - own
        result: dict[str, Any] = {}
        own_keys: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self.error(path, key_node, f"keys must be text, got {key_node.id} {key!r}"[:200])
            if index >= merged_count:  # a key written here (merged keys may be overridden, not repeated)
                if key in own_keys:
                    raise self.error(path, key_node, f"duplicate key {key!r}; each key may appear once")
                own_keys.add(key)
            child: KeyPath = (*path, key)
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result

    def _sequence(self, node: yaml.SequenceNode, path: KeyPath) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            self.lines[child] = item.start_mark.line + 1
            items.append(self.build(item, child))
        return items

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        if node.tag in (_INT_TAG, _FLOAT_TAG) and not node.style and _YAML11_NUMBER.match(node.value):
            raise self.error(
                path, node,
                f"{node.value} is a number in YAML 1.1 (octal, base 60 or with _) but text in YAML 1.2; "
                "write the number in plain decimal, or quote it if you mean text",
            )  # fmt: skip
        try:
            value = self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # PyYAML's constructors raise ValueError, TypeError and more
            kind = node.tag.rsplit(":", 1)[-1]
            if isinstance(exc, yaml.MarkedYAMLError):
                raise self.error(path, node, f"invalid {kind} value: {exc.problem}") from None
            shown = f"{node.value[:40]}..." if len(node.value) > 40 else node.value
            raise self.error(path, node, f"invalid {kind} value: {shown!r} cannot be read as one") from None
        if isinstance(value, str) and not value.isascii():  # ASCII holds no format character or surrogate
            import unicodedata  # only for non-ASCII text: keeps it off the render path's import time

            invisible = next((c for c in value if unicodedata.category(c) in ("Cf", "Cs")), None)
            if invisible is not None:
                name = unicodedata.name(invisible, "a surrogate")
                raise self.error(path, node, f"contains U+{ord(invisible):04X} ({name}), an invisible "
                                 "formatting character; remove it")  # fmt: skip
        return value
