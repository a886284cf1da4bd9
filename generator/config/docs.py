"""The README's table of config keys, written from the declarations: each key, its default and what it means.

The README holds the table between two markers; ``tests/test_docs.py`` compares it with ``key_table()`` and
rewrites it under ``pytest --update-golden -n 0``, so a key's default, limits and sentence have one home.
"""

from __future__ import annotations

import json
from typing import Any

from generator.config.model import (
    API_INTEGER_MAX,
    DESTINATION_FIELDS,
    FIELDS_BY_SECTION,
    PATTERN_WORDS,
    Field,
)

BEGIN = "<!-- config keys: written from generator/config/model.py; update with pytest --update-golden -n 0 -->"
END = "<!-- end of config keys -->"
_LISTED = 6  # at most this many choices are listed; more are named by their words
# A function's on_success takes the fields of on_failure: one row says so, with what differs.
_ON_SUCCESS = ("functions[].on_success", None,
               "Where the records of successful invocations go, with the same fields as on_failure; null: nowhere. "
               "s3 is refused: AWS accepts an S3 bucket only as an on-failure destination.")  # fmt: skip
# Within an on_failure one writes, type is required; a function without one records to the failure bucket.
_ON_FAILURE_TYPE_DEFAULT = "s3"


def key_table() -> str:
    """The table, Markdown, between its markers."""
    rows = ["| Key | Default | Meaning |", "| --- | --- | --- |"]
    for section, fields in FIELDS_BY_SECTION.items():
        for field in fields:
            key = f"{section}.{field.name}" if section else field.name
            default = _ON_FAILURE_TYPE_DEFAULT if field is DESTINATION_FIELDS[0] else field.default
            rows.append(_row(key, default, meaning(field)))
    rows.append(_row(*_ON_SUCCESS))
    return "\n".join([BEGIN, *rows, END]) + "\n"


def meaning(field: Field) -> str:
    """The field's sentence, then what values it takes when the sentence does not say."""
    limits = _limits(field)
    return f"{field.doc} {limits}" if limits else field.doc


def _limits(field: Field) -> str:
    if field.choices is not None and field.type is not bool:
        if len(field.choices) > _LISTED and field.choices_words:
            return f"One of {field.choices_words}."
        listed = [str(choice) for choice in field.choices]
        if all(choice in field.doc for choice in listed):
            return ""
        return f"One of {', '.join(listed)}."
    if field.pattern is not None:
        return f"{PATTERN_WORDS[field.pattern][0].upper()}{PATTERN_WORDS[field.pattern][1:]}."
    if field.minimum is not None:
        unit = f" of {field.unit}" if field.unit else ""
        if field.maximum is None or field.maximum >= API_INTEGER_MAX:
            return f"A whole number{unit}, at least {field.minimum}."
        return f"A whole number{unit} from {field.minimum} to {field.maximum}."
    return ""


def _row(key: str, default: Any, text: str) -> str:
    cell = text.replace("|", "\\|")  # a bar would end the cell
    return f"| `{key}` | `{_default(default)}` | {cell} |"


def _default(value: Any) -> str:
    """A default as YAML spells it: null, true and false, flow style for lists and mappings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)
