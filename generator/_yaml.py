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
    """A parsed YAML document plus the line of every key path in it."""

    def __init__(self, data: Any, lines: dict[KeyPath, int], file: Path) -> None:
        self.data = data
        self.lines = lines
        self.file = file

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, path: KeyPath, message: str) -> ConfigError:
        return ConfigError(message, key=format_path(path) or None, file=self.file, line=self.line_of(path))


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
