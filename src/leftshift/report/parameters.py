"""Every parameter and its source: each number in the resolved scenarios by its key path (the paths `--set`
takes), one column per scenario, with the source note written beside it in the scenario file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from leftshift.report.page import Page, h
from leftshift.scenario.model import Scenario


def _leaves(
    node: Any, bands: set[str], sources: dict[str, str], loc: tuple[Any, ...] = ()
) -> Iterator[tuple[str, Any]]:
    """(key path, value) of every number in a dumped scenario, in file order, as `--set` writes paths
    (`leftshift.scenario.keypaths`; `transitions[i]` is the file's item i, a split item included). A mapping by age
    band or by year (without notes of its own) stays one row: {band: number}."""
    from leftshift.scenario.keypaths import format_path

    path = format_path(loc)
    if isinstance(node, dict):
        numbers = node and all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values())
        grouped = numbers and (set(node) <= bands or all(str(k).isdigit() for k in node))
        if grouped and not any(format_path((*loc, str(k))) in sources for k in node):
            yield path, dict(node)
            return
        for key, value in node.items():
            if not loc and key == "sources":
                continue
            yield from _leaves(value, bands, sources, (*loc, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, bands, sources, (*loc, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path, node


def _source_for(path: str, sources: dict[str, str]) -> str:
    """The note on this path or on the nearest enclosing one (a note on a by-band value covers each band)."""
    from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path

    if path in sources:
        return sources[path]
    try:
        loc = parse_path(path)
    except KeyPathError:
        return ""
    for end in range(len(loc) - 1, 0, -1):
        probe = format_path(loc[:end])
        if probe in sources:
            return sources[probe]
    return ""


def _number(value: Any, path: str = "") -> str:
    """A parameter as written in the table: thousands separators, but not in years; by-band values one a line."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_number(v)}" for k, v in value.items())
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    if path == "start_year" or (isinstance(value, float) and not np.isfinite(value)):
        return str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:.6g}"


def parameter_table(scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Every numeric parameter of the resolved scenarios with its source note: parameter (key path), one
    value column per scenario (a number, or {band or year: number}), source. Source notes on paths without
    a number (e.g. text) are listed too."""
    dumps = [s.model_dump(mode="json", by_alias=True) for s in scenarios]
    values: dict[str, list[Any]] = {}
    for i, dump in enumerate(dumps):
        for path, value in _leaves(dump, set(scenarios[i].age_bands), scenarios[i].sources):
            values.setdefault(path, [None] * len(dumps))[i] = value
    for i, s in enumerate(scenarios):
        for path in s.sources:
            if path not in values and not any(p.startswith(path + ".") or p.startswith(path + "[") for p in values):
                values.setdefault(path, [None] * len(dumps))[i] = _lookup(dumps[i], path)
    rows = []
    for path, per_scenario in values.items():
        notes = list(dict.fromkeys(n for n in (_source_for(path, s.sources) for s in scenarios) if n))
        rows.append({"parameter": path, **{f"value_{i}": v for i, v in enumerate(per_scenario)},
                     "source": " | ".join(notes)})  # fmt: skip
    return pd.DataFrame(rows)


def _lookup(dump: dict[str, Any], path: str) -> Any:
    from leftshift.scenario.keypaths import parse_path

    node: Any = dump
    try:
        for part in parse_path(path):
            node = node[part]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return node


def _distributions(path: str, scenario: Scenario) -> str:
    """The distributions written for a row's value (`--samples` draws from them), one a line for a by-band row."""
    mine = [(p, d) for p, d in scenario.uncertainty.items() if p == path or p.startswith((path + ".", path + "["))]
    if len(mine) == 1 and mine[0][0] == path:
        return mine[0][1].describe()
    return "\n".join(f"{p.removeprefix(path).lstrip('.')}: {d.describe()}" for p, d in mine)


def provenance(scenarios: Sequence[Scenario]) -> str:
    """The parameter table: key path (and what it is, in words), value in each scenario, the distribution an
    uncertain value is drawn from, and the source note (codes of docs/evidence.md rows link to the appendix)."""
    from leftshift.plots.labels import parameter_label
    from leftshift.report.evidence import linked

    table = parameter_table(scenarios)
    uncertain = any(s.uncertainty for s in scenarios)
    head = "".join(f'<th class="num">{h(s.name)}</th>' for s in scenarios)
    rows = []
    for row in table.itertuples(index=False):
        record = row._asdict()
        path = record["parameter"]
        cells = [record[f"value_{i}"] for i in range(len(scenarios))]
        shown = [_number(v, path) for v in cells]
        changed = len(scenarios) > 1 and len({repr(v) for v in cells}) > 1
        words = parameter_label(path, scenarios[-1])
        label = f"<code>{h(path)}</code>" + (f" <small>{words}</small>" if words != h(path) else "")
        dists = list(dict.fromkeys(d for d in (_distributions(path, s) for s in scenarios) if d))
        spread = f'<td class="dist">{h(" | ".join(dists))}</td>' if uncertain else ""
        rows.append(f'<tr{" class=changed" if changed else ""}><td>{label}</td>'
                    + "".join(f'<td class="num">{h(v)}</td>' for v in shown)
                    + f"{spread}<td>{linked(record['source'])}</td></tr>")  # fmt: skip
    with_source = int((table["source"] != "").sum()) if len(table) else 0
    note = (f"<p class=note>{len(table):,} parameters; {with_source:,} carry a source note from the scenario file. "
            "Key paths are those <code>--set</code> takes. "
            + ("Rows that differ between scenarios are highlighted. " if len(scenarios) > 1 else "")
            + ("Uncertain values show the distribution <code>--samples</code> draws from (their central value is "
               "the one used). " if uncertain else "")
            + "Codes such as S22 link to the rows of docs/evidence.md, under Sources cited.</p>")  # fmt: skip
    dist_head = "<th>Uncertainty</th>" if uncertain else ""
    return (
        f'{note}<details open><summary>Show or hide the table</summary><div class="scroll"><table class="provenance">'
        f"<thead><tr><th>Parameter</th>{head}{dist_head}<th>Source</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></div></details>"
    )


def add_appendix(page: Page, scenarios: Sequence[Scenario], heading: str = "Every parameter and its source") -> None:
    """The parameter table and the evidence rows its notes cite, as the report's appendix (last when printed)."""
    from leftshift.report.evidence import appendix

    page.section("parameters", f"{heading} (appendix)", provenance(scenarios), appendix=True)
    cited = appendix(note for s in scenarios for note in s.sources.values())
    if cited:
        page.section("sources", "Sources cited (appendix)", cited, appendix=True)
