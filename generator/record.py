"""Typed records that cost nothing to declare: the dataclass idiom without dataclasses' code generation.

``@dataclass`` compiles fresh source for each method of each class it decorates (six ``exec``
calls for a frozen class). On this project's render path that was thirty classes and about a
fifth of a cold ``python -m generator render``. A :class:`Record` is declared the same way, with
annotations, defaults and :func:`field`, and mypy reads it as a dataclass (PEP 681
``dataclass_transform``), but its methods are written once, here, and shared by every record.

Records are frozen unless declared ``class Name(Record, frozen=False)``. Fields are taken from the
class's own annotations (strings, under ``from __future__ import annotations``; they are never
evaluated), in order, after those of a record it extends; a ``ClassVar`` is not a field.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

_MISSING: Any = object()
R = TypeVar("R", bound="Record")


class FrozenRecordError(AttributeError):
    """A frozen record was assigned to: it is a value, so build a new one with :func:`replace`."""


class FieldSpec:
    """What :func:`field` declares beyond a plain default; any other class attribute value is a default."""

    __slots__ = ("compare", "default", "default_factory")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, compare: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.compare = compare


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None, compare: bool = True) -> Any:
    """A field with a factory for a mutable default, or one left out of equality (``compare=False``)."""
    return FieldSpec(default, default_factory, compare)


@dataclass_transform(frozen_default=True, field_specifiers=(field, FieldSpec))
class Record:
    """Base of a typed record: keyword or positional construction, equality, hash and repr by its fields."""

    __fields__: ClassVar[tuple[str, ...]] = ()
    __compared__: ClassVar[tuple[str, ...]] = ()
    __defaults__: ClassVar[dict[str, Any]] = {}  # a value, or a FieldSpec whose factory makes one
    __frozen__: ClassVar[bool] = True

    def __init_subclass__(cls, frozen: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names, compared, defaults = list(cls.__fields__), list(cls.__compared__), dict(cls.__defaults__)
        for name, annotation in inspect.get_annotations(cls).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")) or name in names:
                continue
            names.append(name)
            compared.append(name)
            value = cls.__dict__.get(name, _MISSING)
            if isinstance(value, FieldSpec):
                if not value.compare:
                    compared.remove(name)
                if value.default_factory is not None:
                    defaults[name] = value
                    delattr(cls, name)  # no shared class attribute: each record gets its own value
                    continue
                value = value.default
                setattr(cls, name, value) if value is not _MISSING else delattr(cls, name)
            if value is not _MISSING:
                defaults[name] = value
        cls.__fields__, cls.__compared__, cls.__defaults__ = tuple(names), tuple(compared), defaults
        cls.__frozen__ = frozen
        # Equality by fields: a frozen record hashes by them too, a mutable one is not a dict key.
        cls.__hash__ = Record.__hash__ if frozen else None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self.__fields__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} fields, got {len(args)} positional values")
        values = dict(zip(names, args, strict=False))  # the first len(args) fields
        for name, value in kwargs.items():
            if name in values or name not in names:
                problem = "got two values for" if name in values else "has no field"
                raise TypeError(f"{type(self).__name__} {problem} {name!r}")
            values[name] = value
        for name in names:
            if name not in values:
                default = self.__defaults__.get(name, _MISSING)
                if default is _MISSING:
                    raise TypeError(f"{type(self).__name__} needs a value for {name!r}")
                factory = default.default_factory if isinstance(default, FieldSpec) else None
                values[name] = factory() if factory is not None else default
        if self.__frozen__:
            object.__setattr__(self, "__dict__", values)
        else:
            self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__frozen__:
            raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self.__frozen__:
            raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")
        object.__delattr__(self, name)

    def _compared_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__compared__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared_values() == other._compared_values()

    def __hash__(self) -> int:
        return hash((self.__class__, self._compared_values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__compared__)
        return f"{type(self).__name__}({shown})"


def replace(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes``: how a frozen record is 'changed'."""
    return type(record)(**{**{name: getattr(record, name) for name in record.__fields__}, **changes})


def as_dict(value: Any) -> Any:
    """``value`` with every record in it turned into a dict of its fields, recursively (for JSON)."""
    if isinstance(value, Record):
        return {name: as_dict(getattr(value, name)) for name in value.__fields__}
    if isinstance(value, (list, tuple)):
        return [as_dict(item) for item in value]
    if isinstance(value, dict):
        return {key: as_dict(item) for key, item in value.items()}
    return value
