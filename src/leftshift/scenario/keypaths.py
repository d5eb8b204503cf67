"""Key paths: how a place in a scenario file is named, in errors, `--set`, `--vary`, sources and reports.

Syntax: mapping keys are separated by dots and list items are `[index]`, counting from 0:
`interventions[0].budget`, `transitions[3].rate.85+`, `effects.community->acute`.
A key that contains `.`, `[`, `]`, `"`, `=`, a backslash, or leading or trailing spaces (or is empty) is
written in brackets as a double-quoted JSON string: `capacity["care.home"].places`,
`initial["a \\"b\\""].65+`. `format_path` quotes exactly when needed, so
`parse_path(format_path(loc)) == loc` for any keys, and `format_path(parse_path(p)) == p` for any
path `format_path` writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache

Key = str | int
Loc = tuple[Key, ...]

_BARE = re.compile(r'[^.\[\]"=\\]+')
_TOKEN = re.compile(r'\.?([^.\[\]"=\\]+)|\[(\d+)\]|\.?\["((?:[^"\\]|\\.)*)"\]')


class KeyPathError(ValueError):
    """A text that is not a key path."""


def _needs_quotes(key: str) -> bool:
    return not key or key != key.strip() or _BARE.fullmatch(key) is None


def format_key(key: str) -> str:
    """One mapping key as written in a path (quoted only when it must be)."""
    return f"[{json.dumps(key, ensure_ascii=False)}]" if _needs_quotes(key) else key


def format_path(loc: Iterable[Key]) -> str:
    """('capacity', 'care.home', 'places') -> 'capacity["care.home"].places'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        key = format_key(str(part))
        out += key if not out or key.startswith("[") else f".{key}"
    return out


@lru_cache(maxsize=4096)
def parse_path(path: str) -> Loc:
    """'interventions[0].budget' -> ('interventions', 0, 'budget'); raises KeyPathError for anything else.
    Cached (a tuple, so callers cannot change it): experiments parse the same few paths at every point."""
    parts: list[Key] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        dotted = match is not None and path[pos] == "."
        if match is None or (dotted and not parts) or (not dotted and parts and match.group(1) is not None):
            raise KeyPathError(f"'{path}' is not a key path (at character {pos + 1})")
        bare, index, quoted = match.groups()
        if bare is not None:
            parts.append(bare)
        elif index is not None:
            parts.append(int(index))
        else:
            try:
                parts.append(json.loads(f'"{quoted}"'))
            except json.JSONDecodeError:
                raise KeyPathError(f"'{path}': bad escape in the quoted key \"{quoted}\"") from None
        pos = match.end()
    if not parts:
        raise KeyPathError("an empty key path")
    return tuple(parts)


def split_assignment(text: str) -> tuple[str, str] | None:
    """'path=value' -> (path, value), splitting at the first '=' outside a quoted key; None without one."""
    quoted = escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "=" and not quoted:
            return text[:i], text[i + 1 :]
    return None


__all__ = ["Key", "KeyPathError", "Loc", "format_key", "format_path", "parse_path", "split_assignment"]
