"""The figures at the top of a report: headline cards (run totals, savings against the baseline) and the key
assumptions behind them. `format_value` is how every figure in a report (and its tests) is written."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from leftshift.analysis.economics import Comparison
from leftshift.analysis.measures import PAYER_LABELS, comparison_measure
from leftshift.analysis.measures import label as measure_label
from leftshift.report.page import h
from leftshift.scenario.model import PAYERS

RUN_HEADLINE = [(name, measure_label(name)) for name in (
    "total_cost_gbp_discounted", "intervention_spend_gbp_discounted", "emergency_admissions",
    "care_home_admissions", "delayed_discharge_bed_days", "person_years_at_home",
)]  # fmt: skip
COMPARISON_HEADLINE = [(name, comparison_measure(name).label, comparison_measure(name).unit) for name in (
    "net_savings_gbp_discounted", "roi", "payback_year", "emergency_admissions_avoided",
    "care_home_admissions_avoided", "delayed_discharge_bed_days_avoided", "person_years_at_home_gained",
)]  # fmt: skip
PAYER_HEADLINE = [(payer, PAYER_LABELS[payer]) for payer in PAYERS]
"""The headline cards: labels and units from the one registry of measures (analysis.measures)."""


def format_value(value: float | None, unit: str) -> str:
    """How the report (and its tests) write a number: as the terminal does, years as years."""
    from leftshift.analysis.measures import format_number as number

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none" if unit == "year" else "-"
    if unit == "year":
        return f"{value:.0f}"
    if unit == "percent":
        return f"{value:.0f}%"
    return number(float(value), unit)


def card(metric: str, label: str, value: float | None, unit: str, detail: str = "", tone: str = "") -> str:
    raw = "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))
    return (f'<div class="card {tone}" data-metric="{h(metric)}"><div class="label">{h(label)}</div>'
            f'<div class="value" data-value="{raw}">{h(format_value(value, unit))}</div>'
            f'<div class="detail">{h(detail)}</div></div>')  # fmt: skip


def _interval(values: pd.Series, unit: str) -> str:
    """'95% CI a to b' for the mean over replications; '' for one run."""
    from leftshift.analysis.summary import spread

    clean = values.dropna().astype(float)
    if len(clean) < 2:
        return ""
    s = spread(clean)
    return f"mean; 95% CI {format_value(s['ci95_low'], unit)} to {format_value(s['ci95_high'], unit)}"


def run_headline(summary: dict[str, Any]) -> str:
    cards = []
    for metric, label in RUN_HEADLINE:
        entry = summary.get("metrics", {}).get(metric)
        if entry is None:
            continue
        unit = entry["unit"]
        value = entry.get("value", entry.get("mean"))
        detail = ""
        if "mean" in entry:
            detail = (f"mean; 95% CI {format_value(entry['ci95_low'], unit)} to "
                      f"{format_value(entry['ci95_high'], unit)}")  # fmt: skip
        cards.append(card(metric, label, value, unit, detail))
    return f'<div class="cards">{"".join(cards)}</div>'


def headline_value(comparison: Comparison, column: str) -> float:
    """The value the report shows: the mean over replications (as comparison.csv), the median payback year."""
    values = comparison.headline[column].astype(float)
    if column == "payback_year":
        return float(values.median()) if values.notna().any() else math.nan
    return float(values.mean())


def comparison_headline(comparison: Comparison, horizon: float) -> str:
    head = comparison.headline
    spend = headline_value(comparison, "intervention_spend_gbp_discounted")
    avoided = headline_value(comparison, "avoided_downstream_cost_gbp_discounted")
    cards = []
    for column, label, unit in COMPARISON_HEADLINE:
        value = headline_value(comparison, column)
        detail, tone = _interval(head[column], unit), ""
        if column == "net_savings_gbp_discounted":
            detail = (f"avoided cost {format_value(avoided, 'GBP')} - extra spend {format_value(spend, 'GBP')}"
                      + (f"; {detail}" if detail else ""))  # fmt: skip
            tone = "good" if value > 0 else "bad" if value < 0 else ""
        elif column == "roi":
            detail = detail or "net savings per £1 of extra spend"
        elif column == "payback_year":
            if spend <= 0:
                cards.append(card(column, label, None, unit, "no extra spend on programmes"))
                continue
            if math.isnan(value):
                cards.append(card(column, label, None, unit, f"does not pay back within {horizon:g} years", "bad"))
                continue
            share = head[column].isna().mean()
            detail = "first year cumulative net savings reach zero" if not share else f"median; {share:.0%} never"
        cards.append(card(column, label, value, unit, detail, tone))
    payers = "".join(
        f'<span data-metric="net_savings_gbp_discounted_{p}">{h(name)}: '
        f"<b>{h(format_value(headline_value(comparison, f'net_savings_gbp_discounted_{p}'), 'GBP'))}</b></span>"
        for p, name in PAYER_HEADLINE
        if f"net_savings_gbp_discounted_{p}" in head.columns
    )
    shared = _before_sharing(comparison)
    return (f'<div class="cards">{"".join(cards)}</div>'
            f'<p class="payers">Net savings by who pays (discounted): {payers}</p>{shared}')  # fmt: skip


def _before_sharing(comparison: Comparison) -> str:
    """The payer split without the scenario's risk-share agreements, when it has any (economics.BEFORE_SHARING)."""
    from leftshift.analysis.economics import BEFORE_SHARING

    columns = [(p, name, f"net_savings_gbp_discounted_{p}{BEFORE_SHARING}") for p, name in PAYER_HEADLINE]
    shown = [(p, name, c) for p, name, c in columns if c in comparison.headline.columns]
    if not shown:
        return ""
    payers = "".join(f'<span data-metric="{h(c)}">{h(name)}: <b>{h(format_value(headline_value(comparison, c), "GBP"))}'
                     "</b></span>" for _, name, c in shown)  # fmt: skip
    return f'<p class="payers">Before the risk share (the totals are the same): {payers}</p>'


def assumptions(summaries: Sequence[dict[str, Any]]) -> str:
    """Horizon, discount rate, price base, seed, engine and version, one column per scenario."""

    def rate(s: dict[str, Any]) -> str:
        return f"{s['discount_rate']:.1%} a year" if s.get("discount_rate") is not None else "-"

    rows = [
        ("Horizon", lambda s: f"{s['horizon_years']:g} years from {s['start_year']}"),
        ("Discount rate", rate),
        ("Price base", lambda s: s.get("price_base") or "not stated"),
        ("Time step", lambda s: f"{s['time_step_weeks']:g} week(s)"),
        ("Engine", lambda s: s.get("engine", "")),
        ("Replications", lambda s: str(s.get("replications", 1))),
        ("Seed", lambda s: str(s.get("seed", ""))),
        ("leftshift version", lambda s: s.get("leftshift_version", "")),
        ("Scenario fingerprint", lambda s: s.get("scenario_hash", "")),
    ]
    if any("warm_up_years" in s for s in summaries):
        rows.insert(5, ("Warm-up left out", lambda s: f"{s.get('warm_up_years', 0):g} years"))
    head = "".join(f"<th>{h(s.get('scenario', ''))}</th>" for s in summaries)
    body = "".join(
        f"<tr><th>{h(label)}</th>" + "".join(f'<td data-assumption="{h(label)}">{h(get(s))}</td>' for s in summaries)
        + "</tr>"
        for label, get in rows
    )  # fmt: skip
    return f'<div class="scroll"><table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table></div>'
