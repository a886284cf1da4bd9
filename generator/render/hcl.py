"""Turning Python values into HCL text, and tidying rendered HCL the way `terraform fmt` would.

Every config value reaches a ``.tf`` file through ``to_hcl``. Its result is an
``Hcl`` string; the template environment refuses to print anything else, so a
config value can never be interpolated raw and inject HCL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


class Hcl(str):
    """Text that is already valid HCL and safe to place in a template as it is."""


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control characters, the Unicode line separators some tools treat as line breaks, and invisible
# formatting characters (bidi overrides, zero-width spaces) that would make a file read otherwise
# than it parses, become \u escapes.
_NEEDS_ESCAPE = re.compile(
    r'[\\"\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]|[$%]\{'
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _escape_match(match: re.Match[str]) -> str:
    text = match.group()
    if text in _ESCAPES:
        return _ESCAPES[text]
    if text.endswith("{"):  # ${ and %{ start template sequences; doubling the sigil makes them literal
        return text[0] + text
    return f"\\u{ord(text):04x}"


def quote(text: str) -> Hcl:
    """A quoted HCL string whose value is exactly ``text``."""
    return Hcl('"' + _NEEDS_ESCAPE.sub(_escape_match, text) + '"')


# A bare `for` key opens a for expression (terraform validate: "Invalid 'for' expression"); the
# other keywords parse as keys today, and are quoted too so that a key always reads as text.
_KEYWORDS = frozenset({"for", "in", "if", "true", "false", "null"})


def interpolate(*parts: str) -> Hcl:
    """One HCL string from literal text and ``Hcl`` expressions: ``interpolate(Hcl("aws_s3_bucket.b.arn"), "/*")``.

    Literal parts are escaped; expressions become ``${...}``. A lone expression stays bare, as people write it.
    """
    if len(parts) == 1 and isinstance(parts[0], Hcl):
        return parts[0]
    body = "".join("${" + part + "}" if isinstance(part, Hcl) else quote(part)[1:-1] for part in parts)
    return Hcl('"' + body + '"')


def key(name: str) -> Hcl:
    """An object key: bare where HCL allows it (as people write them), quoted otherwise."""
    return Hcl(name) if _IDENTIFIER.fullmatch(name) and name not in _KEYWORDS else quote(name)


def to_hcl(value: Any, indent: int = 0) -> Hcl:
    """Render a config value (None, bool, int, str, list, mapping) as an HCL expression.

    Multi-line objects are indented for a block at ``indent`` spaces; the formatter
    aligns their ``=`` signs afterwards.
    """
    if isinstance(value, Hcl):
        return value
    if value is None:
        return Hcl("null")
    if isinstance(value, bool):
        return Hcl("true" if value else "false")
    if isinstance(value, int):
        return Hcl(str(value))
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Mapping):
        if not value:
            return Hcl("{}")
        pad = " " * (indent + 2)
        lines = [f"{pad}{key(str(k))} = {to_hcl(v, indent + 2)}" for k, v in value.items()]
        return Hcl("{\n" + "\n".join(lines) + "\n" + " " * indent + "}")
    if isinstance(value, Sequence):
        return Hcl("[" + ", ".join(to_hcl(item, indent) for item in value) + "]")
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


# --- formatting -------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(
    r'^(?P<indent> *)(?P<name>[A-Za-z_][A-Za-z0-9_-]*|"(?:[^"\\]|\\.)*") *=(?![=>]) *(?P<value>.*)$'
)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _opens_block(value: str) -> bool:
    """True when an attribute's value continues on the next lines (an open bracket)."""
    if "{" not in value and "[" not in value and "(" not in value:
        return False
    depth = 0
    for char in _QUOTED.sub('""', value):
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
    return depth > 0


def format_hcl(text: str) -> str:
    """Tidy template output into what `terraform fmt` prints.

    Removes template debris (trailing spaces, runs of blank lines, blank lines just
    inside braces) and aligns the ``=`` of consecutive single-line attributes, the
    rule `terraform fmt` applies: a blank line, a comment, a block or a multi-line
    value ends an alignment group.
    """
    return "\n".join(_align(tidy_lines(text, braces=True))) + "\n"


def tidy_text(text: str) -> str:
    """Template output of any kind without trailing spaces, leading or trailing blank lines, or blank-line runs."""
    return "\n".join(tidy_lines(text)) + "\n"


def tidy_lines(text: str, *, braces: bool = False) -> list[str]:
    """The lines of ``text`` tidied; with ``braces``, also no blank line just inside a {} or [] block."""
    # split("\n"), not splitlines(): the latter also splits at characters such as U+0085 inside strings.
    tidy: list[str] = []
    for line in (line.rstrip() for line in text.split("\n")):
        if not line and (not tidy or not tidy[-1] or (braces and tidy[-1].endswith(("{", "[")))):
            continue
        if braces and line.lstrip().startswith(("}", "]")) and tidy and not tidy[-1]:
            tidy.pop()
        tidy.append(line)
    while tidy and not tidy[-1]:
        tidy.pop()
    return tidy


def _columns(text: str) -> int:
    """Columns as `terraform fmt` counts them: grapheme clusters, so a decomposed syllable is one column."""
    if text.isascii():
        return len(text)
    import regex  # only for non-ASCII names (tag keys)

    return len(regex.findall(r"\X", text))


def _align(lines: list[str]) -> list[str]:
    out: list[str] = []
    group: list[re.Match[str]] = []

    def flush() -> None:
        if not group:
            return
        widths = [_columns(m["name"]) for m in group]
        width = max(widths)
        out.extend(
            f"{m['indent']}{m['name']}{' ' * (width - w)} = {m['value']}" for m, w in zip(group, widths, strict=True)
        )
        group.clear()

    for line in lines:
        match = _ATTRIBUTE.match(line)
        if match and group and match["indent"] != group[0]["indent"]:
            flush()
        if match and not _opens_block(match["value"]):
            group.append(match)
            continue
        flush()
        if match:
            out.append(f"{match['indent']}{match['name']} = {match['value']}")
        else:
            out.append(line)
    flush()
    return out
