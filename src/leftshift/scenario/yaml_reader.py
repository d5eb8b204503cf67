"""Reading YAML safely: bounded in size, depth and alias expansion, strict about duplicate keys and
encodings, and with YAML 1.2 numbers (no octal `0500` = 320, no sexagesimal `1:30` = 90).

A scenario is a hand-written file that may come from anywhere, so a file must never be able to hang
or exhaust the process ("billion laughs", `extends: /dev/zero`), and a number must never silently
mean something other than what it looks like. Every refusal is a ScenarioError naming the file and,
where possible, the line.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any, ClassVar

import yaml

from leftshift.errors import Problem, ScenarioError
from leftshift.scenario.keypaths import Loc
from leftshift.scenario.values import SuspectNumber

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
LineMap = dict[Loc, tuple[str, int]]
_SUSPECT_TAG = "tag:leftshift,2024:suspect-number"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars, counted nodes and bounded depth."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            if self.nodes > MAX_NODES:
                raise _Refused(f"more than {MAX_NODES:,} values", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


try:
    from yaml._yaml import CParser as _LibyamlEvents
except ImportError:  # PyYAML built without libyaml
    _LibyamlEvents = None

if _LibyamlEvents is not None:

    class _FastLoader(_Loader, _LibyamlEvents):
        """The same loader with libyaml scanning and parsing the text into events (7x faster on a shipped
        scenario). Composing stays in Python, with its limits on depth and size, and so do resolving
        (YAML 1.2 numbers) and constructing. libyaml's own composer is never used: it recurses in C with
        no depth limit."""

        def __init__(self, stream: str) -> None:
            _LibyamlEvents.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.depth = 0
            self.nodes = 0

        check_event = _LibyamlEvents.check_event
        peek_event = _LibyamlEvents.peek_event
        get_event = _LibyamlEvents.get_event
        dispose = _LibyamlEvents.dispose


class _Refused(Exception):
    """A limit was hit while composing (carries the mark for the line)."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


def _resolver(tag: str, pattern: str, first: str) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_DIGITS = "-+0123456789"
_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_resolver(_SUSPECT_TAG, r"^[-+]?0[0-9_]+$ | ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$", _DIGITS)
_resolver("tag:yaml.org,2002:int", r"^[-+]?[0-9](?:_?[0-9])*$ | ^0o[0-7]+$ | ^0x[0-9a-fA-F]+$", _DIGITS)
_resolver(
    "tag:yaml.org,2002:float",
    r"""^[-+]?(?:\.[0-9](?:_?[0-9])* | [0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?)(?:[eE][-+]?[0-9]+)?$
       | ^[-+]?\.(?:inf|Inf|INF)$ | ^\.(?:nan|NaN|NAN)$""",
    _DIGITS + ".",
)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).replace("_", "").lower()
    if text.lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor(_SUSPECT_TAG, lambda loader, node: SuspectNumber(loader.construct_scalar(node)))


# Bytes -> text ---------------------------------------------------------------------------------------


def read_text(path: Path, what: str = "the file") -> str:
    """A file's text: a regular file of at most MAX_BYTES of UTF-8 (with or without a BOM)."""
    file = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read {what}: {exc.strerror or exc}", file=file)]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError([Problem(f"{what} is a directory, not a scenario file", file=file)])
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError([Problem(f"{what} is not a regular file (a device, pipe or socket?)", file=file)])
    if info.st_size > MAX_BYTES:
        raise ScenarioError([Problem(f"{what} is {info.st_size / 2**20:.1f} MB; a scenario may be at most "
                                     f"{MAX_BYTES // 2**20} MB", file=file)])  # fmt: skip
    try:
        with open(path, "rb", buffering=0) as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read {what}: {exc.strerror or exc}", file=file)]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(f"{what} is over {MAX_BYTES // 2**20} MB", file=file)])
    return decode(raw, file)


def decode(raw: bytes, file: str | None) -> str:
    """UTF-8 text (a BOM is dropped); a message naming the byte and line otherwise."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([Problem("the file is UTF-16; save it as UTF-8", file=file, line=1)])
    if b"\0" in raw:
        at = raw.index(b"\0")
        raise ScenarioError([Problem(f"a binary file, not YAML text (a NUL byte at offset {at})", file=file,
                                     line=raw.count(b"\n", 0, at) + 1)])  # fmt: skip
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = (f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be read; "
                   "save the file as UTF-8")  # fmt: skip
        raise ScenarioError([Problem(message, file=file, line=line)]) from None


# Text -> data ----------------------------------------------------------------------------------------


def parse(text: str, file: str | None) -> tuple[Any, LineMap]:
    """Compose the text once, check its limits and keys, construct the data, and map key paths to lines."""
    loader: _Loader | None = None
    try:
        loader = (_Loader if _LibyamlEvents is None else _FastLoader)(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _check_graph(node, file)
        data = loader.construct_document(node)
    except _Refused as exc:
        line = exc.mark.line + 1 if exc.mark is not None else None
        raise ScenarioError([Problem(f"refused: {exc.message}", file=file, line=line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or str(exc)
        message = (
            f"refused: nested more than {MAX_DEPTH} levels deep"
            if "maximum nesting depth" in what
            else f"not valid YAML: {what}"
        )  # libyaml stops at its own limit (1,000) before the composer's
        raise ScenarioError([Problem(message, file=file, line=mark.line + 1 if mark else None)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ScenarioError([Problem(f"not valid YAML: a character YAML does not allow (#x{exc.character:04x})",
                                     file=file, line=line)]) from None  # fmt: skip
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    except RecursionError:
        raise ScenarioError([Problem(f"refused: nested more than {MAX_DEPTH} levels deep", file=file)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, line_map(node, file or "<scenario>")


def parse_value(text: str, what: str) -> Any:
    """One value written on the command line (`--set key=VALUE`), read as YAML with the same rules."""
    return parse(text, what)[0]


def _check_graph(root: yaml.Node, file: str | None) -> None:
    """Refuse recursive aliases, expansions beyond MAX_NODES or MAX_DEPTH, and duplicate keys.

    Aliases share nodes, so sizes are counted per distinct node (memoised, without expanding) and
    iteratively (no recursion limit to hit).
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    problems: list[Problem] = []
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise _Refused(f"aliases expand to more than {MAX_NODES:,} values", node.start_mark)
            if height[key] > MAX_DEPTH:
                raise _Refused(f"aliases nest the data more than {MAX_DEPTH} levels deep", node.start_mark)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise _Refused("a recursive alias (a value that contains itself)", node.start_mark)
        open_nodes.add(key)
        if isinstance(node, yaml.MappingNode):
            problems += _duplicates(node, file)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    if problems:
        raise ScenarioError(problems, hint="YAML forbids a key twice in one mapping; keep one of them.")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _duplicates(node: yaml.MappingNode, file: str | None) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        line = key_node.start_mark.line + 1
        if key_node.value in seen:
            first = seen[key_node.value]
            message = (f"the key '{key_node.value}' is written twice in one mapping (lines {first} and {line}); "
                       "the second would silently replace the first")  # fmt: skip
            out.append(Problem(message, file=file, line=line))
        seen.setdefault(key_node.value, line)
    return out


def line_map(node: yaml.Node, file: str, loc: Loc = (), out: LineMap | None = None) -> LineMap:
    """Where each key path was written (file, line); aliases map to where their anchor was written."""
    out = {} if out is None else out
    out.setdefault(loc, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (str(key_node.value),)
            out[loc + key] = (file, key_node.start_mark.line + 1)
            line_map(value_node, file, loc + key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            line_map(item, file, (*loc, i), out)
    return out


def is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "LineMap", "SuspectNumber", "decode", "line_map", "parse",
           "parse_value", "read_text"]  # fmt: skip
