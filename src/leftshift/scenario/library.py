"""The intervention library: `use: falls-prevention` in an intervention item.

A programme is described once, with its evidence: cost and effects as distributions, eligibility, referral
channels, ramp-up and a source note for every number. A scenario brings one in by name and changes what differs
locally (its budget above all), so that the evidence travels with the programme instead of being copied by hand:

    interventions:
      - {use: falls-prevention, budget: 500000, payer: council}

The library ships inside the package (`leftshift/library/interventions/<name>.yaml`; `scenarios/interventions` in
the repository is a link to it), so a pip-installed leftshift has it. A `use:` that ends in `.yaml` or `.yml`, or
names a folder, reads that file relative to the file it is written in instead (a user's own library).

Items are expanded as each file is read, before `extends` merges files and before `--set`: key paths, `--set`,
`--vary`, errors (with the library file's own lines) and the resolved scenario all see the expanded item, and its
distributions and source notes land under `interventions[i]` like any written in the scenario. Correlations
between a programme's own values are written in its file with paths relative to the item (`effects.a->b`) and are
lifted to the scenario's `correlations` with the item's index once the file is fully merged (`lift_correlations`).
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

from leftshift.errors import Problem, ScenarioError
from leftshift.scenario.distributions import is_distribution
from leftshift.scenario.keypaths import KeyPathError, Loc, format_path, parse_path
from leftshift.scenario.yaml_reader import LineMap, parse, read_text

LIBRARY = Path(__file__).resolve().parents[1] / "library" / "interventions"
"""The shipped programmes, one YAML file each; the file's stem is the name `use:` takes."""
_DOCS = "docs/scenarios.md, 'The intervention library'"


def library_names() -> list[str]:
    """The names `use:` accepts for the shipped programmes, sorted."""
    return sorted(p.stem for p in LIBRARY.glob("*.yaml"))


def expand_uses(data: dict[str, Any], lines: LineMap, path: Path) -> LineMap:
    """Replace every `{use: ..., overrides}` item of `data['interventions']` in place by the library item with the
    overrides merged in; returns the line map with the library file's lines under each expanded item."""
    items = data.get("interventions")
    if not isinstance(items, list):
        return lines
    for i, item in enumerate(items):
        if isinstance(item, dict) and "use" in item:
            items[i], lines = _expand(item, ("interventions", i), lines, path)
    return lines


def _expand(item: dict[str, Any], loc: Loc, lines: LineMap, path: Path) -> tuple[dict[str, Any], LineMap]:
    overrides = dict(item)
    ref = overrides.pop("use")
    file, line = lines.get((*loc, "use"), (str(path), None))
    found = _find(ref, path, format_path((*loc, "use")), file, line)
    text = read_text(found, f"the library file of '{ref}'")
    base, base_lines = parse(text, str(found))
    if not isinstance(base, dict) or "use" in base:
        what = "uses another itself" if isinstance(base, dict) else "is not a YAML mapping of keys to values"
        raise ScenarioError([Problem(f"the library file {found} {what}; a library item is one programme, written "
                                     "out in full", format_path((*loc, "use")), file, line)])  # fmt: skip
    merged = merge_over(base, overrides)
    library_lines = {(*loc, *key): where for key, where in base_lines.items()}
    return merged, {**library_lines, **lines}  # keys written in the scenario keep the scenario's lines


def _find(ref: Any, path: Path, where: str, file: str, line: int | None) -> Path:
    """The file a `use:` names: a shipped programme by name, or a .yaml file relative to the scenario file."""
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError([Problem("'use' takes the name of a programme in the intervention library (e.g. "
                                     "falls-prevention) or a .yaml file", where, file, line)])  # fmt: skip
    ref = ref.strip()
    if ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref:
        candidate = path.parent / ref
        if not candidate.is_file():
            stem = Path(ref).stem
            shipped = f"; the library's programme is `use: {stem}`" if stem in library_names() else ""
            raise ScenarioError([Problem(f"'use: {ref}' names a file that does not exist: {candidate}{shipped}",
                                         where, file, line)])  # fmt: skip
        return candidate
    names = library_names()
    if ref in names:
        return LIBRARY / f"{ref}.yaml"
    close = difflib.get_close_matches(ref, names, n=1)
    guess = f"did you mean '{close[0]}'? " if close else ""
    raise ScenarioError([Problem(
        f"there is no programme '{ref}' in the intervention library; {guess}The library has: {', '.join(names)}. "
        f"For a programme of your own, give its file instead (a path ending in .yaml, relative to this file); "
        f"see {_DOCS}.", where, file, line)])  # fmt: skip


def _single_value(node: Any) -> bool:
    """A `{dist: ...}` or `{value: x, source: ...}` mapping is one value: an override replaces it whole."""
    return is_distribution(node) or (isinstance(node, dict) and "value" in node and set(node) <= {"value", "source"})


def merge_over(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`: mappings merge key by key, anything else replaces, and a key set to null is dropped
    (back to its default, e.g. an effect the scenario has no transition for)."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif _mappings(value, merged.get(key)):
            merged[key] = merge_over(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _mappings(*nodes: Any) -> bool:
    """Are these all mappings of keys (which merge), rather than values (which replace)?"""
    return all(isinstance(n, dict) and not _single_value(n) for n in nodes)


_MISSING = object()


def _value_at(item: Any, loc: Loc) -> Any:
    """The value at `loc` inside an item (stepping through source notes), or _MISSING."""
    node = _unwrap(item)
    for part in loc:
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not found:
            return _MISSING
        node = _unwrap(node[part])
    return node


def _unwrap(node: Any) -> Any:
    """The value a `{value: x, source: ...}` note annotates (anything else as it is)."""
    return node["value"] if _single_value(node) and not is_distribution(node) else node


def _still_uncertain(item: dict[str, Any], pair: Any) -> bool:
    """Keep a correlation unless one of its values exists but is no longer a distribution (an override made it a
    number); a path that does not exist is kept, so the correlation checks report it."""
    if not isinstance(pair, dict):
        return True
    for field in ("a", "b"):
        try:
            value = _value_at(item, parse_path(str(pair.get(field, ""))))
        except KeyPathError:
            return True
        if value is not _MISSING and not is_distribution(value):
            return False
    return True


def lift_correlations(data: dict[str, Any], lines: LineMap) -> None:
    """Move each intervention item's own `correlations` (paths relative to the item) to the scenario's, with the
    item's index in front (`effects.a->b` -> `interventions[0].effects.a->b`); in place, after `--set`."""
    items = data.get("interventions")
    if not isinstance(items, list):
        return
    written = data.get("correlations") or []
    if not isinstance(written, list):
        return  # the scenario's own list is malformed: validation reports it
    lifted: list[Any] = []
    for i, item in enumerate(items):
        if not (isinstance(item, dict) and "correlations" in item):
            continue
        pairs = item.pop("correlations")
        for j, pair in enumerate(pairs if isinstance(pairs, list) else [pairs]):
            if not _still_uncertain(item, pair):
                continue
            if isinstance(pair, dict):
                pair = {**pair, **{f: f"{format_path(('interventions', i))}.{pair[f]}" for f in ("a", "b")
                                   if isinstance(pair.get(f), str)}}  # fmt: skip
            where = lines.get(("interventions", i, "correlations", j))
            if where is not None:
                lines[("correlations", len(written) + len(lifted))] = where
            lifted.append(pair)
    if lifted:
        data["correlations"] = [*written, *lifted]


__all__ = ["LIBRARY", "expand_uses", "library_names", "lift_correlations", "merge_over"]
