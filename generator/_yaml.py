"""YAML loading that remembers where every value came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two equal
keys. Users need error messages that point at a line, so this module composes the
node tree itself and records the line of every key and list item by key path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import ConfigError

try:  # the C parser is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    """Render a key path the way users write it: ``functions[0].memory_mb``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
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


def load_yaml(text: str, file: Path) -> LoadedYaml:
    """Parse ``text``; YAML syntax errors become ``ConfigError`` with the line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    lines: dict[KeyPath, int] = {}
    if node is None:
        return LoadedYaml(None, lines, file)
    lines[()] = node.start_mark.line + 1
    constructor = yaml.SafeLoader("")
    return LoadedYaml(_to_python(node, (), lines, constructor, file), lines, file)


def _to_python(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], ctor: yaml.SafeLoader, file: Path) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise ConfigError(
                    f"keys must be strings, got {key!r}", key=format_path(path) or None, file=file, line=line
                )
            if key in result:
                raise ConfigError(
                    f"duplicate key {key!r}; each key may appear once",
                    key=format_path(path) or None,
                    file=file,
                    line=line,
                )
            child: KeyPath = (*path, key)
            lines[child] = line
            result[key] = _to_python(value_node, child, lines, ctor, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            items.append(_to_python(item, child, lines, ctor, file))
        return items
    try:
        return ctor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(
            f"invalid YAML value: {exc.problem}",
            key=format_path(path) or None,
            file=file,
            line=node.start_mark.line + 1,
        ) from None
