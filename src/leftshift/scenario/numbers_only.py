"""Scenarios that differ from an already validated one in numbers only, validated part by part.

An experiment's points are its first point's scenario with numbers changed at a few key paths. Validating
the whole mapping again for each of thousands of points costs more than running them, so `PartValidator`
validates only the parts that hold a changed number (a top-level field, or one item of a list or mapping
field), each with the annotation the model validates it with, and joins them to the first point's other,
unchanged (and so identical) parts. The model's fields are validated independently of one another, so the
result is the scenario a whole validation would give. The checks across fields that numbers can break then
run on the whole, as `Scenario`'s after-validator runs them with the NUMBERS_ONLY context.

Fields its before-validator reads (`emergency_state`, `roles`), and any path this module cannot prove it
handles, make `PartValidator.of` return None: the caller validates whole scenarios as before.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Annotated, Any

import numpy as np
from pydantic import TypeAdapter, ValidationError

from leftshift.scenario.checks import scenario_problems
from leftshift.scenario.keypaths import Loc
from leftshift.scenario.model import Scenario

_WHOLE_ONLY = frozenset({"emergency_state", "roles"})  # read by Scenario's before-validator
_CACHED = tuple(name for klass in Scenario.__mro__ for name, v in vars(klass).items() if isinstance(v, cached_property))
_FIELD_OF_KEY = {(info.alias or name): name for name, info in Scenario.model_fields.items()}


@cache
def _field_adapter(name: str) -> TypeAdapter:
    """Validates a whole field as the model does: its annotation with its constraints (ge, min_length, ...)."""
    info = Scenario.model_fields[name]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation)


@cache
def _item_adapter(name: str) -> TypeAdapter | None:
    """Validates one item of a list field, or one value of a str-keyed mapping field, with no constraint on the
    whole (its items are then validated one by one, independently); None for any other field."""
    info = Scenario.model_fields[name]
    origin, args = typing.get_origin(info.annotation), typing.get_args(info.annotation)
    if info.metadata:
        return None
    if origin is list and len(args) == 1:
        return TypeAdapter(args[0])
    if origin is dict and len(args) == 2 and args[0] is str:
        return TypeAdapter(args[1])
    return None


CACHE_SIZE = 4096
"""Validated parts kept per part, by the numbers they were validated from (cleared when full)."""


@dataclass(frozen=True)
class _Item:
    """One list item or mapping value of a field, and the row's numbers (`columns`) that fall in it."""

    key: Any
    columns: np.ndarray
    cache: dict[bytes, Any] = field(default_factory=dict, compare=False)

    def validated(self, name: str, container: Any, row: np.ndarray) -> Any:
        adapter = _item_adapter(name)
        assert adapter is not None  # an item part exists only for a field that has one
        numbers = row[self.columns].tobytes()
        return _remembered(self.cache, numbers, lambda: adapter.validate_python(container[self.key]))


@dataclass(frozen=True)
class _Field:
    """A field validated again at each point: whole (`items` None), or item by item; `columns` are the row's
    numbers that fall in it. Parts validated from the same numbers are the same object, so that points share
    what they have in common (engines skip work on an object they have seen: `engines.memo`)."""

    name: str
    key: str
    columns: np.ndarray
    items: tuple[_Item, ...] | None
    cache: dict[bytes, Any] = field(default_factory=dict, compare=False)

    def validated(self, first: Scenario, data: dict[str, Any], row: np.ndarray) -> Any:
        return _remembered(self.cache, row[self.columns].tobytes(), lambda: self._validate(first, data, row))

    def _validate(self, first: Scenario, data: dict[str, Any], row: np.ndarray) -> Any:
        if self.items is None:
            return _field_adapter(self.name).validate_python(data[self.key])
        container = getattr(first, self.name)
        value = list(container) if isinstance(container, list) else dict(container)
        for item in self.items:
            value[item.key] = item.validated(self.name, data[self.key], row)
        return value


def _remembered(cache: dict[bytes, Any], numbers: bytes, validate: Any) -> Any:
    """What was validated from these numbers (bit for bit: -0.0 is not 0.0), validating it the first time."""
    found = cache.get(numbers)
    if found is None:
        found = validate()
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[numbers] = found
    return found


class PartValidator:
    """Validates data that differs from `first`'s (the data it was validated from) at `locs` only."""

    def __init__(self, first: Scenario, fields: Sequence[_Field]) -> None:
        self.first = first
        self.fields = tuple(fields)

    @classmethod
    def of(cls, first: Scenario, data: dict[str, Any], locs: Sequence[Loc]) -> PartValidator | None:
        """The validator for these changed paths of `data` (from which `first` was validated), or None when
        a whole validation is needed. Number j of a row of `validate` is the one at `locs[j]`."""
        columns: dict[str, list[int]] = {}
        items: dict[str, dict[Any, list[int]]] = {}
        whole: set[str] = set()
        for j, loc in enumerate(locs):
            name = _FIELD_OF_KEY.get(loc[0]) if isinstance(loc[0], str) else None
            if name is None or name in _WHOLE_ONLY or loc[0] not in data:
                return None
            container, value = data[loc[0]], getattr(first, name)
            key = loc[1] if len(loc) > 1 else None
            columns.setdefault(name, []).append(j)
            if (key is not None and _item_adapter(name) is not None and type(value) is type(container)
                    and _has(container, key) and _has(value, key)):  # fmt: skip
                items.setdefault(name, {}).setdefault(key, []).append(j)
            else:
                whole.add(name)
        return cls(first, [_Field(name, _key_of(name), np.array(cols), None if name in whole else
                                  tuple(_Item(key, np.array(c)) for key, c in items[name].items()))
                           for name, cols in columns.items()])  # fmt: skip

    def validate(self, data: dict[str, Any], row: np.ndarray) -> Scenario | None:
        """The scenario of `data`, whose numbers at the paths are `row`; None when it is invalid (the caller
        explains why by a whole validation)."""
        try:
            update = {f.name: f.validated(self.first, data, row) for f in self.fields}
        except ValidationError:
            return None
        scenario = self.first.model_copy(update=update)
        for name in _CACHED:  # a copy carries the first point's cached views (`transitions`): drop them
            scenario.__dict__.pop(name, None)
        if next(iter(scenario_problems(scenario, names=False)), None) is not None:
            return None
        return scenario


def _has(container: Any, key: Any) -> bool:
    if isinstance(container, list):
        return isinstance(key, int) and 0 <= key < len(container)
    return isinstance(container, dict) and isinstance(key, str) and key in container


def _key_of(name: str) -> str:
    return Scenario.model_fields[name].alias or name


__all__ = ["PartValidator"]
