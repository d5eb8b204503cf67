"""YAML files -> a validated Scenario: `extends`, `--set` overrides, source notes, and errors that
name the file, the key path and the line."""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from leftshift.distributions import DISTRIBUTION_NAMES, correlation_problems, is_distribution, parse_distribution
from leftshift.errors import Problem, ScenarioError
from leftshift.scenario import Scenario

Key = str | int
Loc = tuple[Key, ...]
LineMap = dict[Loc, tuple[str, int]]
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


# Paths ------------------------------------------------------------------------------------------


def format_path(loc: Iterable[Key]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_path(path: str) -> Loc:
    """'interventions[0].budget' -> ('interventions', 0, 'budget')."""
    parts: list[Key] = []
    pos = 0
    for match in _TOKEN.finditer(path):
        if path[pos : match.start()] not in ("", "."):
            raise ValueError(path)
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if not parts or pos != len(path):
        raise ValueError(path)
    return tuple(parts)


# Reading ----------------------------------------------------------------------------------------


def _line_map(node: yaml.Node, file: str, loc: Loc = (), out: LineMap | None = None) -> LineMap:
    out = {} if out is None else out
    out.setdefault(loc, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (key_node.value,)
            out[loc + key] = (file, key_node.start_mark.line + 1)
            _line_map(value_node, file, loc + key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, file, (*loc, i), out)
    return out


def _read_yaml(path: Path) -> tuple[dict[str, Any], LineMap]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read the file: {exc.strerror or exc}", file=file)]) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(f"not valid YAML: {what}", file=file, line=line)]) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem("a scenario must be a YAML mapping of keys to values", file=file)])
    return data, (_line_map(node, file) if node is not None else {})


def _is_value(*nodes: dict[str, Any]) -> bool:
    """Is any of these mappings a single (noted or uncertain) value rather than a mapping of keys?"""
    return any(is_distribution(n) or ("value" in n and set(n) <= {"value", "source"}) for n in nodes)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists included) in `over` replaces `base`.

    A value written as `{value: x, source: ...}` or `{dist: ...}` is one number, not a mapping: it replaces.
    """
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not _is_value(value, merged[key]):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _read_with_extends(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], LineMap]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError([Problem(f"'extends' forms a cycle: {cycle}", path="extends", file=str(chain[-1]))])
    data, lines = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    if not isinstance(parent, str):
        line = lines.get(("extends",), (str(path), None))[1]
        raise ScenarioError([Problem("'extends' must be a file name", "extends", str(path), line)])
    base_path = path.parent / parent
    if not base_path.exists():
        line = lines.get(("extends",), (str(path), None))[1]
        raise ScenarioError([Problem(f"extends a file that does not exist: {base_path}", "extends", str(path), line)])
    base, base_lines = _read_with_extends(base_path, (*chain, path))
    return _deep_merge(base, data), {**base_lines, **lines}


def _apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply one `key.path=value` (value read as YAML) in place."""
    key, sep, raw = assignment.partition("=")
    try:
        if not sep:
            raise ValueError(key)
        loc = parse_path(key.strip())
    except ValueError:
        raise ScenarioError(
            [Problem(f"--set expects key.path=value (e.g. capacity.residential.places=4000), got '{assignment}'")]
        ) from None
    value = yaml.safe_load(raw) if raw.strip() else ""
    target: Any = data
    for i, part in enumerate(loc[:-1]):
        nxt = loc[i + 1]
        if _is_sourced(target) and part not in ("value", "source"):
            target = target["value"]  # step through a {value, source} note to the value it annotates
        if isinstance(part, int):
            if not isinstance(target, list) or part >= len(target):
                raise ScenarioError([Problem(f"--set {key}: there is no item {part} here", format_path(loc[: i + 1]))])
            target = target[part]
        else:
            if not isinstance(target, dict):
                raise ScenarioError([Problem(f"--set {key}: not a mapping", format_path(loc[:i]))])
            target = target.setdefault(part, [] if isinstance(nxt, int) else {})
    last = loc[-1]
    if isinstance(last, int):
        if not isinstance(target, list) or last >= len(target):
            raise ScenarioError([Problem(f"--set {key}: there is no item {last} here", format_path(loc))])
    elif not isinstance(target, dict):
        raise ScenarioError([Problem(f"--set {key}: not a mapping", format_path(loc[:-1]))])
    if _is_sourced(target):
        target = target["value"]
    if isinstance(last, str) and _is_sourced(target.get(last)):
        target[last] = {"value": value, "source": f"set on the command line: --set {assignment.strip()}"}
    else:
        target[last] = value


def _is_sourced(node: Any) -> bool:
    """A `{value: x, source: "..."}` note around a number."""
    return isinstance(node, dict) and "value" in node and "source" in node and set(node) <= {"value", "source"}


def _extract_sources(node: Any, loc: Loc, sources: dict[str, str]) -> Any:
    """Replace every `{value: x, source: "..."}` by x, remembering the note by key path."""
    if isinstance(node, dict):
        if _is_sourced(node):
            sources[format_path(loc)] = str(node["source"])
            return _extract_sources(node["value"], loc, sources)
        return {k: _extract_sources(v, (*loc, str(k)), sources) for k, v in node.items()}
    if isinstance(node, list):
        return [_extract_sources(v, (*loc, i), sources) for i, v in enumerate(node)]
    return node


_NOT_PARAMETERS = {"uncertainty", "correlations", "sources"}
_DIST_HINT = "Distributions: docs/experiments.md lists each `dist` and its parameters."


def _extract_distributions(node: Any, loc: Loc, found: dict[str, Any], bad: list[tuple[Loc, str]],
                           sources: dict[str, str]) -> Any:  # fmt: skip
    """Replace every `{dist: ...}` by its central value, remembering the distribution by key path."""
    if is_distribution(node):
        spec = dict(node)
        if "source" in spec:
            sources[format_path(loc)] = str(spec.pop("source"))
        try:
            dist = parse_distribution(spec)
        except ValidationError as exc:
            for err in exc.errors():
                where = tuple(p for p in err["loc"][1:] if p in spec)
                if err["type"] == "union_tag_invalid":
                    message = f"unknown distribution '{spec['dist']}'; choose one of: {', '.join(DISTRIBUTION_NAMES)}"
                elif err["type"] in ("missing", "extra_forbidden"):
                    message = f"{'missing' if err['type'] == 'missing' else 'unknown'} key '{err['loc'][-1]}'"
                else:
                    message = err["msg"].removeprefix("Value error, ")
                    message = message[0].lower() + message[1:]
                bad.append(((*loc, *where), f"{spec.get('dist')} distribution: {message}"))
            return node
        found[format_path(loc)] = dist
        return dist.central()
    if isinstance(node, dict):
        return {k: _extract_distributions(v, (*loc, str(k)), found, bad, sources) for k, v in node.items()}
    if isinstance(node, list):
        return [_extract_distributions(v, (*loc, i), found, bad, sources) for i, v in enumerate(node)]
    return node


def _located(loc: Loc, message: str, lines: LineMap, file: str | None) -> Problem:
    """A Problem at `loc`, with the file and line of the nearest key that was written down."""
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    where = lines.get(probe)
    return Problem(message, format_path(loc), where[0] if where else file, where[1] if where else None)


# Validation errors ------------------------------------------------------------------------------

_TYPE_ONLY = {"dict_type", "model_type", "float_type", "float_parsing", "int_type", "int_parsing", "bool_type",
              "bool_parsing", "string_type", "list_type", "model_attributes_type", "literal_error"}  # fmt: skip


def _clean_loc(loc: Sequence[Any], data: Any) -> Loc:
    """Keep the parts of a pydantic location that index the input (drop union-member tags)."""
    out: list[Key] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and (part in node or str(part) in node):
            key = part if part in node else str(part)
            out.append(str(key))
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not any(c in part for c in "[]()"):
            out.append(part)  # a missing or unknown key
            node = None
    return tuple(out)


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model whose fields are the keys at `loc` (for 'did you mean' suggestions)."""

    def models_in(tp: Any) -> list[Any]:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType, typing.Annotated):
            return [m for arg in typing.get_args(tp) for m in models_in(arg)]
        return [tp]

    current: list[Any] = [Scenario]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            for member in models_in(tp):
                origin = typing.get_origin(member)
                if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(part, str):
                    for name, info in member.model_fields.items():
                        if part in (name, info.alias):
                            nxt.append(info.annotation)
                elif origin is list and isinstance(part, int):
                    nxt.append(typing.get_args(member)[0])
                elif origin is dict:
                    nxt.append(typing.get_args(member)[1])
        current = nxt
    for tp in current:
        for member in models_in(tp):
            if isinstance(member, type) and issubclass(member, BaseModel):
                return member
    return None


def _problems_from(exc: ValidationError, data: dict[str, Any], lines: LineMap, file: str | None) -> list[Problem]:
    by_path: dict[Loc, list[dict[str, Any]]] = {}
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> Problem:
        probe = loc
        while probe and probe not in lines:
            probe = probe[:-1]
        where = lines.get(probe)
        return Problem(message, format_path(loc), where[0] if where else file, where[1] if where else None)

    for err in exc.errors():
        if err["type"] == "scenario_reference":
            for path, message in err["ctx"]["problems"]:
                problems.append(problem(parse_path(path), message))
            continue
        by_path.setdefault(_clean_loc(err["loc"], data), []).append(err)
    for loc, errs in by_path.items():
        if errs[0]["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            known = [info.alias or name for name, info in model.model_fields.items()] if model else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            allowed = f"; allowed keys: {', '.join(known)}" if known else ""
            hint = f"; did you mean '{close[0]}'?" if close else allowed
            problems.append(problem(loc, f"unknown key '{loc[-1]}'{hint}"))
            continue
        specific = [e for e in errs if e["type"] not in _TYPE_ONLY] or errs
        if specific is errs and len(errs) > 1:
            message = f"expected {' or '.join(sorted({_expected(e) for e in errs}))}; got {errs[0]['input']!r}"
        else:
            first = specific[0]
            message = first["msg"][0].lower() + first["msg"][1:]
            if first["type"] != "missing":
                message += f" (got {first['input']!r})"
        problems.append(problem(loc, message))
    return problems


def _expected(err: dict[str, Any]) -> str:
    return {
        "dict_type": "a mapping (e.g. by age band)",
        "model_type": "a mapping",
        "float_type": "a number",
        "float_parsing": "a number",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "bool_type": "true or false",
        "list_type": "a list",
        "string_type": "text",
        "literal_error": err["msg"].removeprefix("Input should be ").lower(),
    }.get(err["type"], err["msg"])


# Public API -------------------------------------------------------------------------------------


def scenario_from_dict(data: dict[str, Any], file: str | None = None, lines: LineMap | None = None) -> Scenario:
    """Validate a plain mapping (as read from YAML) into a Scenario, or raise ScenarioError."""
    sources: dict[str, str] = {}
    clean = _extract_sources(data, (), sources)
    clean.pop("sweep", None)  # read from the raw mapping by `leftshift sweep` (leftshift.experiment_design)
    found: dict[str, Any] = {}
    bad: list[tuple[Loc, str]] = []
    clean = {k: v if k in _NOT_PARAMETERS else _extract_distributions(v, (k,), found, bad, sources)
             for k, v in clean.items()}  # fmt: skip
    if bad:
        raise ScenarioError([_located(loc, message, lines or {}, file) for loc, message in bad], hint=_DIST_HINT)
    if found:
        clean["uncertainty"] = {**found, **(clean.get("uncertainty") or {})}
    if sources:
        clean["sources"] = {**sources, **(clean.get("sources") or {})}
    try:
        scenario = Scenario.model_validate(clean)
    except ValidationError as exc:
        raise ScenarioError(
            _problems_from(exc, clean, lines or {}, file),
            hint="Fix the keys above (docs/scenarios.md lists every key), then run `leftshift validate FILE`.",
        ) from None
    correlated = correlation_problems(list(scenario.uncertainty), list(scenario.correlations))
    if correlated:
        problems = [_located(("correlations", i, *([f] if f else [])), m, lines or {}, file) for i, f, m in correlated]
        raise ScenarioError(problems, hint=_DIST_HINT)
    return scenario


def load_raw(path: str | Path, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], LineMap]:
    """The merged mapping of a file (after `extends` and `--set`), and where each key was written."""
    data, lines = _read_with_extends(Path(path))
    for assignment in overrides:
        _apply_override(data, assignment)
    return data, lines


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, merge and validate a scenario file; `overrides` are `key.path=value` strings."""
    data, lines = load_raw(path, overrides)
    return scenario_from_dict(data, str(path), lines)


def resolved_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML; loading it gives an identical Scenario."""
    data = scenario.model_dump(mode="python", by_alias=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def scenario_hash(scenario: Scenario) -> str:
    """A short, stable fingerprint of everything that affects the results."""
    canonical = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
