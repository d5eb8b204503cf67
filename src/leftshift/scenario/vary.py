"""What a sweep varies: `path=start:stop:count` or `path=v1,v2,...`, from the command line (--vary) or a
scenario's `sweep:` block, and whether a key path names a value the scenario has (or could gain).

Part of the scenario format, so the loader checks a `sweep:` block with the same rules `leftshift sweep` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from leftshift.errors import LeftshiftError
from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path, split_assignment

_RANGE = re.compile(r"^\s*([^:]+):([^:]+)(?::([^:]*))?\s*$")


@dataclass(frozen=True)
class Dimension:
    """One varied parameter: a range `start:stop:count` (count may be left out when sampling) or a list."""

    path: str
    start: float
    stop: float
    count: int | None = None
    listed: tuple[float, ...] | None = None

    def grid_values(self) -> np.ndarray:
        if self.listed is not None:
            return np.array(self.listed, dtype=float)
        if self.count is None:
            raise LeftshiftError(f"--vary {self.path}: a full grid needs a count (start:stop:count), or use --sample")
        return np.linspace(self.start, self.stop, self.count)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Values for uniforms in [0, 1): evenly over a range, or an equally likely choice from a list."""
        if self.listed is not None:
            index = np.minimum((u * len(self.listed)).astype(int), len(self.listed) - 1)
            return np.array(self.listed, dtype=float)[index]
        return self.start + (self.stop - self.start) * u


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LeftshiftError(f"--vary {what}: '{text.strip()}' is not a number") from None
    if not np.isfinite(value):
        raise LeftshiftError(f"--vary {what}: '{text.strip()}' is not a finite number")
    return value


def parse_vary(assignment: str) -> Dimension:
    """`path=start:stop:count` or `path=v1,v2,...` -> Dimension (a clear error for anything else)."""
    parts = split_assignment(assignment)
    key, spec = (parts[0].strip(), parts[1]) if parts else ("", "")
    if not key or not spec.strip():
        raise LeftshiftError(
            f"--vary expects key.path=start:stop:count or key.path=v1,v2,... "
            f"(e.g. interventions[0].budget=0:10e6:21), got '{assignment}'"
        )
    try:
        parse_path(key)
    except KeyPathError:
        raise LeftshiftError(
            f"--vary: '{key}' is not a key path (e.g. capacity.residential.places, or "
            'capacity["care.home"].places for a key with a dot)'
        ) from None
    return dimension(key, spec)


def dimension(path: str, spec: Any) -> Dimension:
    """A Dimension from a command-line string or a `sweep:` block value (string, list or mapping)."""
    if isinstance(spec, dict):
        unknown = set(spec) - {"start", "stop", "count"}
        if unknown or not {"start", "stop"} <= set(spec):
            raise LeftshiftError(f"sweep.vary.{path}: give start, stop and count (got {', '.join(map(str, spec))})")
        count = spec.get("count")
        spec = f"{spec['start']}:{spec['stop']}:{'' if count is None else count}"
    if isinstance(spec, list):
        spec = ",".join(map(str, spec))
    text = str(spec)
    match = _RANGE.match(text)
    if match:
        start, stop = _number(match.group(1), path), _number(match.group(2), path)
        count_text = (match.group(3) or "").strip()
        count = None
        if count_text:
            try:
                count = int(float(count_text))
            except ValueError:
                raise LeftshiftError(f"--vary {path}: the count '{count_text}' is not a whole number") from None
            if count < 1 or count != float(count_text):
                raise LeftshiftError(f"--vary {path}: the count must be a whole number, at least 1 (got {count_text})")
        return Dimension(path, start, stop, count)
    values = tuple(_number(v, path) for v in text.split(",") if v.strip())
    if not values:
        raise LeftshiftError(f"--vary {path}: no values given")
    return Dimension(path, min(values), max(values), listed=values)


def child(node: Any, part: str | int) -> tuple[bool, Any]:
    """(found, value) of one step of a key path; mapping keys match as text (budget years are ints)."""
    if isinstance(part, int):
        if isinstance(node, list) and 0 <= part < len(node):
            return True, node[part]
        return False, None
    if isinstance(node, dict):
        for key in node:
            if str(key) == part:
                return True, node[key]
    return False, None


def resolves(data: dict[str, Any], path: str) -> bool:
    """Does `path` name a value that is already there (not one that setting it would create)?"""
    node: Any = data
    for part in parse_path(path):
        found, node = child(node, part)
        if not found:
            return False
    return True


def settable(data: dict[str, Any], path: str) -> bool:
    """Could `path` be set by adding a key to a mapping of numbers (a band of a rate, a year of a budget)?"""
    loc = parse_path(path)
    if len(loc) < 2 or isinstance(loc[-1], int) or not resolves(data, format_path(loc[:-1])):
        return False
    node: Any = data
    for part in loc[:-1]:
        node = child(node, part)[1]
    return (
        isinstance(node, dict)
        and bool(node)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values())
    )
