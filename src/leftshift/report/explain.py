"""The parts of a comparison report that explain the answer in words and small tables: the verdict sentence
with a link to the uncertainty report, what an admission avoided costs and what extra survivors cost, and what
happened to people while they waited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd

from leftshift.analysis.breakdown import Breakdown, figure, shown_figures
from leftshift.analysis.economics import Comparison
from leftshift.analysis.measures import format_number, measure
from leftshift.analysis.verdict import verdict
from leftshift.analysis.waiting import turned_away, waiting_outcomes
from leftshift.report.page import h
from leftshift.result import Result


@dataclass(frozen=True)
class Uncertainty:
    """What `--samples` left beside a comparison for one scenario: each draw's discounted net savings and the
    path of its report, relative to the comparison report."""

    net_savings: np.ndarray
    report: PurePath | None = None
    cumulative: pd.DataFrame | None = None
    """year, p5, p95 of the whole system's cumulative net savings across the draws (percentiles_by_year.csv)."""


def verdict_block(comparison: Comparison, uncertainty: Uncertainty | None = None) -> str:
    """The verdict sentence (`analysis.verdict`), and where to read how sure it is."""
    draws = uncertainty.net_savings if uncertainty is not None else None
    sentence = verdict(comparison, draws) + "."
    if uncertainty is not None and uncertainty.report is not None:
        link = (f'<a class="more" href="{h(uncertainty.report.as_posix())}">How sure can we be? The uncertainty '
                f"report: {len(uncertainty.net_savings):,} draws of the uncertain inputs</a>")  # fmt: skip
    else:
        link = ('<span class="more">This is one run with every uncertain input at its central value. To see how '
                "sure it is, run the comparison again with <code>--samples 1000</code>.</span>")  # fmt: skip
    return f'<p class="verdict" data-verdict="{h(comparison.scenario)}">{h(sentence)}</p><p class="note">{link}</p>'


def _money(value: float) -> str:
    return format_number(value, "GBP")


def figures_table(breakdowns: Sequence[Breakdown]) -> str:
    """What an emergency admission avoided costs, and what people kept alive longer cost, one column each."""
    names = ["emergency_admissions_avoided", *shown_figures(breakdowns)]
    head = "".join(f'<th class="num">{h(b.scenario)}</th>' for b in breakdowns)
    rows = []
    for name in names:
        m = measure(name)
        shown = [format_number(figure(b, name), m.unit) for b in breakdowns]
        cells = "".join(f'<td class="num" data-figure="{h(name)}">{h(v)}</td>' for v in shown)
        rows.append(f"<tr><th>{h(m.label)}</th>{cells}</tr>")
    notes = []
    for b in breakdowns:
        years = b.figures.get("extra_person_years_alive", 0.0)
        cost = b.figures.get("extra_survival_cost_gbp_discounted")
        if years and cost is not None and abs(years) >= 0.5:
            notes.append(f"{h(b.scenario)}: people kept alive longer live {format_number(years, 'person-years')} more "
                         f"person-years, and their care costs about {h(_money(cost))} (discounted). That cost is "
                         "already in the avoided cost above (it lowers it): without it the avoided cost would be "
                         f"about {h(_money(b.figures['avoided_downstream_cost_gbp_discounted'] + cost))}.")  # fmt: skip
    note = "".join(f'<p class="note">{n}</p>' for n in notes)
    return (f'<div class="scroll"><table class="figures"><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{note}")  # fmt: skip


def waiting_table(results: Sequence[Result]) -> str:
    """People who died while waiting, and who left a queue another way, per queue; one column each run."""
    from leftshift.plots.style import state_label

    tables = [waiting_outcomes(r).set_index("queue") for r in results]
    queues = list(dict.fromkeys(q for t in tables for q in t.index))
    away = [turned_away(r) for r in results]
    named = dict.fromkeys(x for a in away for x in a.index)
    resources = [res for res in named if any(a.get(res, 0) >= 0.5 for a in away)]
    if not queues and not resources:
        return ""
    emergency = results[0].scenario.emergency_state
    head = "".join(f'<th class="num">{h(r.scenario.name)}</th>' for r in results)
    rows = []
    for queue in queues:
        for column, what in (("died_waiting", "died while waiting"), ("left_waiting", "left the queue another way")):
            values = [float(t[column].get(queue, 0.0)) if queue in t.index else 0.0 for t in tables]
            if max(values) < 0.5:
                continue
            cells = "".join(f'<td class="num">{v:,.0f}</td>' for v in values)
            rows.append(f"<tr><th>{h(state_label(queue, emergency))}: {what}</th>{cells}</tr>")
    for res in resources:
        cells = "".join(f'<td class="num">{float(a.get(res, 0.0)):,.0f}</td>' for a in away)
        rows.append(f"<tr><th>{h(state_label(res, emergency))}: turned away (no place)</th>{cells}</tr>")
    if not rows:
        return '<p class="note">Nobody died or left a queue while waiting.</p>'
    return (f'<div class="scroll"><table class="waiting"><thead><tr><th>People over the horizon</th>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>")  # fmt: skip


def moves_table(
    result: Result, baseline: Result | None = None, flow_totals: Callable[[Result], pd.DataFrame] | None = None
) -> str:
    """The moves of a Sankey diagram as a table, largest first: every move over the horizon, or with a `baseline`
    the baseline's, the scenario's and the change (moves that did not change left out). On a phone the small
    nodes' labels give way to their neighbours'; here every number can be read. `flow_totals`: how to add up
    moves (`plots.frames.flow_totals`, or `flow_totals_once()` to share them with the charts)."""
    from leftshift.plots import frames
    from leftshift.plots.style import state_label

    flow_totals = flow_totals or frames.flow_totals

    emergency = result.scenario.emergency_state
    moves = flow_totals(result).set_index(["source", "target"])["people"].rename("scenario")
    if baseline is None:
        frame = moves[moves >= 0.5].to_frame().assign(size=lambda f: f["scenario"])
        columns = [("scenario", "Moves over the horizon", ",.0f")]
    else:
        base = flow_totals(baseline).set_index(["source", "target"])["people"].rename("baseline")
        frame = pd.concat([base, moves], axis=1).fillna(0.0)
        frame["change"] = frame["scenario"] - frame["baseline"]
        frame = frame[frame["change"].abs() >= 0.5].assign(size=lambda f: f["change"].abs())
        columns = [("baseline", "Baseline", ",.0f"), ("scenario", "Scenario", ",.0f"), ("change", "Change", "+,.0f")]
    head = "".join(f'<th class="num">{h(name)}</th>' for _, name, _ in columns)
    rows = []
    for (source, target), row in frame.sort_values("size", ascending=False).iterrows():
        cells = "".join(f'<td class="num">{format(float(row[c]), f)}</td>' for c, _, f in columns)
        rows.append(f"<tr><td>{h(state_label(str(source), emergency))}</td>"
                    f"<td>{h(state_label(str(target), emergency))}</td>{cells}</tr>")  # fmt: skip
    return (f'<div class="scroll"><table class="moves"><thead><tr><th>From</th><th>To</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")  # fmt: skip


def read_uncertainty(
    samples: pd.DataFrame, report: PurePath | None, by_year: pd.DataFrame | None = None
) -> Uncertainty | None:
    """An Uncertainty from a `--samples` table and its yearly percentiles (None without net savings: a run
    without a baseline)."""
    if "net_savings_gbp_discounted" not in samples.columns:
        return None
    cumulative = None
    if by_year is not None and {"series", "year", "p5", "p95"} <= set(by_year.columns):
        mine = by_year[by_year["series"] == "cumulative_net_savings_gbp_discounted"]
        cumulative = mine[["year", "p5", "p95"]].reset_index(drop=True) if len(mine) else None
    return Uncertainty(samples["net_savings_gbp_discounted"].to_numpy(dtype=float), report, cumulative)


__all__ = ["Uncertainty", "figures_table", "moves_table", "read_uncertainty", "verdict_block", "waiting_table"]
