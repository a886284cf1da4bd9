"""Rules between the keys of one section, declared once beside its keys: the reader checks them, the schema states them.

A section's ``RULES`` say what one key's value means for another's (``name`` is required when ``naming``
is ``fixed``). Each rule gives the reader its problems, worded for users, and the JSON Schema its
``if``/``then``, so an editor refuses in advance exactly what ``render`` would refuse. A condition on a key
that is left out is judged on the key's default, in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.record import Record

Values = Mapping[str, Any]  # a section's values by key, defaults filled in
Problem = tuple[str, str]  # (the key at fault, or "" for the section; the message)
JsonSchema = dict[str, Any]


def _word(value: Any) -> str:
    """A value as a message shows it: YAML's true, false and null; text quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


class When(Record):
    """A condition on one key: it holds one of ``values``, or (no values) it is set, not null."""

    key: str
    values: tuple[Any, ...] = ()

    def holds(self, values: Values) -> bool:
        value = values.get(self.key)
        return value is not None if not self.values else value in self.values

    def words(self) -> str:
        if not self.values:
            return f"{self.key} is set"
        return f"{self.key} is {' or '.join(_word(v) for v in self.values)}"

    def schema(self, defaults: Values) -> JsonSchema:
        """The JSON Schema ``if``: a document without the key matches as its default would."""
        if not self.values:
            test: JsonSchema = {"not": {"type": "null"}}
        else:
            test = {"const": self.values[0]} if len(self.values) == 1 else {"enum": list(self.values)}
        condition: JsonSchema = {"properties": {self.key: test}}
        if not self.holds(defaults):
            condition["required"] = [self.key]
        return condition


class Rule(Record):
    """One rule of a section: its problems with given values, and the same rule as JSON Schema."""

    def keys(self) -> tuple[str, ...]:
        """The keys the rule reads, so a section can refuse a rule that names a key it lacks."""
        raise NotImplementedError

    def problems(self, values: Values, defaults: Values) -> Iterator[Problem]:
        raise NotImplementedError

    def schema(self, defaults: Values) -> list[JsonSchema]:
        raise NotImplementedError


class Required(Rule):
    """``key`` must be set when ``when`` holds (always, without a condition); ``hint`` ends the message."""

    key: str
    when: When | None = None
    hint: str = ""

    def keys(self) -> tuple[str, ...]:
        return (self.key,) if self.when is None else (self.key, self.when.key)

    def problems(self, values: Values, defaults: Values) -> Iterator[Problem]:
        if values[self.key] is None and (self.when is None or self.when.holds(values)):
            condition = "" if self.when is None else f" when {self.when.words()}"
            yield self.key, f"is required{condition}{self.hint}"

    def schema(self, defaults: Values) -> list[JsonSchema]:
        then: JsonSchema = {"required": [self.key], "properties": {self.key: {"not": {"type": "null"}}}}
        return [then if self.when is None else {"if": self.when.schema(defaults), "then": then}]


class OnlyWhen(Rule):
    """``keys`` keep their defaults unless ``when`` holds: setting one otherwise would do nothing."""

    only: tuple[str, ...]
    when: When
    hint: str = ""

    def keys(self) -> tuple[str, ...]:
        return (*self.only, self.when.key)

    def problems(self, values: Values, defaults: Values) -> Iterator[Problem]:
        if self.when.holds(values):
            return
        actual = f"{self.when.key} is {_word(values[self.when.key])}"
        for key in self.only:
            if values[key] != defaults[key]:
                yield key, f"is only used when {self.when.words()} ({actual}){self.hint}"

    def schema(self, defaults: Values) -> list[JsonSchema]:
        unset = {key: _unset(defaults[key]) for key in self.only}
        return [{"if": self.when.schema(defaults), "else": {"properties": unset}}]


def _unset(default: Any) -> JsonSchema:
    """A key that keeps its default, in JSON Schema: null, an empty list or map, or the value itself."""
    if default is None:
        return {"type": "null"}
    if isinstance(default, list):
        return {"maxItems": 0}
    if isinstance(default, dict):
        return {"maxProperties": 0}
    return {"const": default}


class LengthBy(Rule):
    """``key`` may hold at most ``limits[value of by]`` characters; ``why`` says what the limit protects."""

    key: str
    by: str
    limits: tuple[tuple[str, int], ...]
    why: str

    def keys(self) -> tuple[str, ...]:
        return (self.key, self.by)

    def problems(self, values: Values, defaults: Values) -> Iterator[Problem]:
        limit = dict(self.limits).get(values[self.by])
        text = values[self.key]
        if limit is not None and text is not None and len(text) > limit:
            yield self.key, (f"must be at most {limit} characters with {self.by} {values[self.by]!r} {self.why}; "
                             f"{text!r} has {len(text)}")  # fmt: skip

    def schema(self, defaults: Values) -> list[JsonSchema]:
        return [
            {"if": When(self.by, (value,)).schema(defaults), "then": {"properties": {self.key: {"maxLength": limit}}}}
            for value, limit in self.limits
        ]


class PatternBy(Rule):
    """``key``, when set, must match ``patterns[value of by]``; ``words`` names what it then is ({} the value)."""

    key: str
    by: str
    patterns: tuple[tuple[str, str], ...]
    words: str

    def keys(self) -> tuple[str, ...]:
        return (self.key, self.by)

    def problems(self, values: Values, defaults: Values) -> Iterator[Problem]:
        pattern = dict(self.patterns).get(values[self.by])
        text = values[self.key]
        if pattern is not None and text is not None and not re.fullmatch(pattern, text):
            yield self.key, f"{text!r} is not {self.words.format(values[self.by])}"

    def schema(self, defaults: Values) -> list[JsonSchema]:
        return [
            {"if": When(self.by, (value,)).schema(defaults), "then": {"properties": {self.key: {"pattern": pattern}}}}
            for value, pattern in self.patterns
        ]


class ExactlyOne(Rule):
    """Exactly one of two keys is set when ``when`` holds."""

    pair: tuple[str, str]
    when: When

    def keys(self) -> tuple[str, ...]:
        return (*self.pair, self.when.key)

    def problems(self, values: Values, defaults: Values) -> Iterator[Problem]:
        if self.when.holds(values) and (values[self.pair[0]] is None) == (values[self.pair[1]] is None):
            yield "", f"needs exactly one of {self.pair[0]} and {self.pair[1]} when {self.when.words()}"

    def schema(self, defaults: Values) -> list[JsonSchema]:
        first, second = self.pair
        one_of = [
            {"required": [key], "properties": {key: {"not": {"type": "null"}}, other: {"type": "null"}}}
            for key, other in ((first, second), (second, first))
        ]
        return [{"if": self.when.schema(defaults), "then": {"oneOf": one_of}}]
