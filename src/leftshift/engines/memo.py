"""What a batch's members share, worked out once.

The points of an experiment are one scenario with a few numbers changed, and the parts they do not change
are the same objects in every point (`scenario.numbers_only`). Building a batch's arrays member by member,
`ByObject` keeps what was computed from each such object (keyed by identity, and holding the object so that
its id cannot be reused), so that a part shared by a thousand points is read once, not a thousand times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

V = TypeVar("V")


class ByObject:
    """Values computed from objects (or tuples of objects), by identity, for one batch. A computation must read
    nothing but its objects and what every member of the batch shares (its layout, bands, start year)."""

    def __init__(self) -> None:
        self._found: dict[Any, tuple[Any, Any]] = {}

    def get(self, what: str, objects: Any, compute: Callable[[], V]) -> V:
        """`compute()`'s value of `what` for `objects` (one object, or a tuple of them), computed at the first
        call only. The value is shared: callers copy it into their arrays and never change it."""
        key = (what, *map(id, objects)) if type(objects) is tuple else (what, id(objects))
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = (objects, compute())
        return found[1]


__all__ = ["ByObject"]
