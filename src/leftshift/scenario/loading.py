"""YAML files -> a validated Scenario: `extends`, intervention library items (`use:`, leftshift.scenario.library),
`--set` overrides, source notes, and errors that name the file, the key path and the line.

Files are read by `leftshift.scenario.yaml_reader` (bounded, UTF-8, no duplicate keys, YAML 1.2 numbers); key
paths are `leftshift.scenario.keypaths` (`capacity["care.home"].places` quotes a key with a dot).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from leftshift.errors import Problem, ScenarioError
from leftshift.scenario.distributions import (
    DISTRIBUTION_NAMES,
    correlation_problems,
    is_distribution,
    parse_distribution,
)
from leftshift.scenario.keypaths import KeyPathError, Loc, format_path, parse_path, split_assignment
from leftshift.scenario.library import expand_uses, lift_correlations
from leftshift.scenario.model import Scenario
from leftshift.scenario.validation_errors import located as _located
from leftshift.scenario.validation_errors import problems_from
from leftshift.scenario.yaml_reader import LineMap, parse, parse_value, read_text

MAX_EXTENDS = 16
"""How many files an `extends` chain may have (a longer one is almost surely a mistake)."""


# Reading ----------------------------------------------------------------------------------------


def _read_yaml(path: Path, what: str = "the file") -> tuple[dict[str, Any], LineMap]:
    file = str(path)
    data, lines = parse(read_text(path, what), file)
    if not isinstance(data, dict):
        raise ScenarioError([Problem("a scenario must be a YAML mapping of keys to values", file=file)])
    return data, lines


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
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError([Problem(f"'extends' goes more than {MAX_EXTENDS} files deep", "extends", str(chain[-1]))])
    data, lines = _read_yaml(path, "the file" if not chain else "the file it extends")
    lines = expand_uses(data, lines, path)  # `use:` items, relative to the file that wrote them
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    line = lines.get(("extends",), (str(path), None))[1]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Problem("'extends' must be a file name", "extends", str(path), line)])
    base_path = path.parent / parent
    if not base_path.exists():
        raise ScenarioError([Problem(f"extends a file that does not exist: {base_path}", "extends", str(path), line)])
    base, base_lines = _read_with_extends(base_path, (*chain, path))
    return _deep_merge(base, data), {**base_lines, **lines}


def _apply_override(data: dict[str, Any], assignment: str, file: str | None = None) -> None:
    """Apply one `key.path=value` (value read as YAML) in place; problems name `file`."""
    parts = split_assignment(assignment)
    try:
        if parts is None:
            raise KeyPathError(assignment)
        key, raw = parts[0].strip(), parts[1]
        loc = parse_path(key)
    except KeyPathError:
        raise ScenarioError([Problem(f"--set expects key.path=value (e.g. capacity.residential.places=4000), "
                                     f"got '{assignment}'", file=file)]) from None  # fmt: skip
    value = parse_value(raw, f"--set {key}") if raw.strip() else ""

    def fail(message: str, at: Loc) -> ScenarioError:
        return ScenarioError([Problem(f"--set {key}: {message}", format_path(at), file)])

    target: Any = data
    for i, part in enumerate(loc[:-1]):
        nxt = loc[i + 1]
        if _is_sourced(target) and part not in ("value", "source"):
            target = target["value"]  # step through a {value, source} note to the value it annotates
        if isinstance(part, int):
            if not isinstance(target, list) or part >= len(target):
                raise fail(f"there is no item {part} here", loc[: i + 1])
            target = target[part]
        else:
            if not isinstance(target, dict):
                raise fail("not a mapping", loc[:i])
            target = target.setdefault(_existing_key(target, part), [] if isinstance(nxt, int) else {})
    last = loc[-1]
    if isinstance(last, int):
        if not isinstance(target, list) or last >= len(target):
            raise fail(f"there is no item {last} here", loc)
    elif not isinstance(target, dict):
        raise fail("not a mapping", loc[:-1])
    if _is_sourced(target):
        target = target["value"]
    if isinstance(last, str):
        last = _existing_key(target, last)  # type: ignore[assignment]
    if isinstance(last, str) and _is_sourced(target.get(last)):
        target[last] = {"value": value, "source": f"set on the command line: --set {assignment.strip()}"}
    else:
        target[last] = value


def _existing_key(mapping: Any, key: str) -> Any:
    """The key of `mapping` written as `key` (a budget year is the number 2030 in the file, '2030' in a path)."""
    if isinstance(mapping, dict) and key not in mapping:
        for existing in mapping:
            if str(existing) == key:
                return existing
        if mapping and key.isdigit() and all(isinstance(k, int) for k in mapping):
            return int(key)  # a new year in a mapping by year
    return key


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


_NOT_PARAMETERS = {"uncertainty", "correlations", "sources", "sweep"}
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


# Public API -------------------------------------------------------------------------------------


def scenario_from_dict(data: dict[str, Any], file: str | None = None, lines: LineMap | None = None) -> Scenario:
    """Validate a plain mapping (as read from YAML) into a Scenario, or raise ScenarioError."""
    lines = lines or {}
    sources: dict[str, str] = {}
    clean = _extract_sources(data, (), sources)
    block = clean.pop("sweep", None)  # read by `leftshift sweep`; checked here like every other key
    found: dict[str, Any] = {}
    bad: list[tuple[Loc, str]] = []
    clean = {k: v if k in _NOT_PARAMETERS else _extract_distributions(v, (k,), found, bad, sources)
             for k, v in clean.items()}  # fmt: skip
    if bad:
        raise ScenarioError([_located(loc, message, lines, file) for loc, message in bad], hint=_DIST_HINT)
    if found:
        clean["uncertainty"] = {**found, **(clean.get("uncertainty") or {})}
    if sources:
        clean["sources"] = {**sources, **(clean.get("sources") or {})}
    try:
        scenario = Scenario.model_validate(clean)
    except ValidationError as exc:
        raise ScenarioError(
            problems_from(exc, clean, lines, file),
            hint="Fix the keys above (docs/scenarios.md lists every key), then run `leftshift validate FILE`.",
        ) from None
    correlated = correlation_problems(list(scenario.uncertainty), list(scenario.correlations))
    if correlated:
        problems = [_located(("correlations", i, *([f] if f else [])), m, lines, file) for i, f, m in correlated]
        raise ScenarioError(problems, hint=_DIST_HINT)
    if block is not None:
        from leftshift.scenario.sweep_block import sweep_problems

        swept = sweep_problems(block, clean)
        if swept:
            raise ScenarioError([_located(loc, m, lines, file) for loc, m in swept],
                                hint="docs/experiments.md describes the sweep: block.")  # fmt: skip
    return scenario


def load_raw(path: str | Path, overrides: Sequence[str] = ()) -> tuple[dict[str, Any], LineMap]:
    """The merged mapping of a file (after `extends` and `--set`), and where each key was written."""
    data, lines = _read_with_extends(Path(path))
    for assignment in overrides:
        _apply_override(data, assignment, str(path))
    lift_correlations(data, lines)
    _drop_fixed_correlations(data, lines, overrides)
    return data, lines


def _drop_fixed_correlations(data: dict[str, Any], lines: LineMap, overrides: Sequence[str]) -> None:
    """`--set key=number` fixes an uncertain value, so its rank correlations with others go too (a
    correlation needs two distributions); a `--set` giving a new `dist:` keeps them."""
    fixed = set()
    for assignment in overrides:
        parts = split_assignment(assignment)
        if parts is not None and not is_distribution(parse_value(parts[1], "--set") if parts[1].strip() else ""):
            try:
                fixed.add(format_path(parse_path(parts[0].strip())))
            except KeyPathError:
                continue
    pairs = data.get("correlations")
    if not (fixed and isinstance(pairs, list)):
        return
    kept = [i for i, pair in enumerate(pairs) if not (isinstance(pair, dict) and (
        _normal(pair.get("a")) in fixed or _normal(pair.get("b")) in fixed))]  # fmt: skip
    moved = {loc: where for loc, where in lines.items() if loc[:1] == ("correlations",) and len(loc) > 1}
    for loc in moved:
        del lines[loc]
    for new_index, old_index in enumerate(kept):
        for loc, where in moved.items():
            if loc[1] == old_index:
                lines[("correlations", new_index, *loc[2:])] = where
    data["correlations"] = [pairs[i] for i in kept]


def _normal(key: Any) -> str | None:
    try:
        return format_path(parse_path(key)) if isinstance(key, str) else None
    except KeyPathError:
        return None


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


__all__ = ["LineMap", "Loc", "format_path", "load_raw", "load_scenario", "parse_path", "resolved_yaml",
           "scenario_from_dict", "scenario_hash"]  # fmt: skip
