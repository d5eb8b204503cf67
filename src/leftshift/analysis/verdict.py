"""The comparison in one sentence, as a director would say it: whether and when it pays back, the net savings
over the horizon, and which payers save and which pay.

"Pays back in 2034: net savings £12.3m over 20 years (discounted); the NHS saves £24.0m, the council pays £11.7m"

One function, so that the workbook, the report, the terminal and anything else that states the verdict state
the same one. Figures are the comparison's headline over replications (the mean, the median payback year:
`economics.over_replications`), discounted, written by `measures.format_number`. Given the draws of the
uncertain inputs (`--samples`), the sentence goes on to say how sure it is: "...; across 1,000 draws of the
uncertain inputs, 90% fall between -£34.4m and £16.4m, and 26% show net savings".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from leftshift.analysis.economics import Comparison, headline_intervals, over_replications
from leftshift.analysis.measures import format_number
from leftshift.scenario.model import PAYERS

WHO = {"nhs": ("the NHS", "saves", "pays"), "council": ("the council", "saves", "pays"),
       "self_funder": ("self-funders", "save", "pay"), "other": ("other payers", "save", "pay")}  # fmt: skip
"""How each payer reads in the sentence: name, and its verb when it saves and when it pays."""
SHOWN_SHARE = 0.005
"""A payer whose net saving or cost is under this share of the largest payer's is left out (rounding, not news)."""


def _years(comparison: Comparison) -> int:
    """Calendar years the comparison covers."""
    return int(comparison.cumulative_net_savings["year"].nunique())


def payers_clause(headline: dict[str, float]) -> str:
    """'the NHS saves £24.0m, the council pays £11.7m' (in the order of PAYERS; negligible ones left out)."""
    amounts = {p: headline.get(f"net_savings_gbp_discounted_{p}", math.nan) for p in PAYERS}
    amounts = {p: v for p, v in amounts.items() if math.isfinite(v)}
    largest = max((abs(v) for v in amounts.values()), default=0.0)
    parts = []
    for payer, value in amounts.items():
        if largest <= 0 or abs(value) < SHOWN_SHARE * largest or abs(value) < 0.5:
            continue
        name, saves, pays = WHO[payer]
        parts.append(f"{name} {saves if value > 0 else pays} {format_number(abs(value), 'GBP')}")
    return ", ".join(parts)


def _net(comparison: Comparison, value: float) -> str:
    """'net savings £12.3m' or 'a net cost of £19.4m', with its 95% interval when there are replications."""
    if value >= 0:
        words = f"net savings {format_number(value, 'GBP')}"
    else:
        words = f"a net cost of {format_number(-value, 'GBP')}"
    if comparison.replicated:
        low, high = headline_intervals(comparison).loc["net_savings_gbp_discounted"]
        if math.isfinite(low) and math.isfinite(high):
            words += f" (95% CI {format_number(low, 'GBP')} to {format_number(high, 'GBP')})"
    return words


def draws_clause(draws: Sequence[float] | np.ndarray) -> str:
    """'across 1,000 draws of the uncertain inputs, 90% fall between a and b, and 23% show net savings' ('' when
    no draw has a finite value)."""
    values = np.asarray(draws, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return ""
    low, high = np.percentile(values, [5, 95])
    return (f"across {len(values):,} draws of the uncertain inputs, 90% fall between {format_number(low, 'GBP')} "
            f"and {format_number(high, 'GBP')}, and {np.mean(values > 0):.0%} show net savings")  # fmt: skip


def verdict(comparison: Comparison, draws: Sequence[float] | np.ndarray | None = None) -> str:
    """The comparison in one sentence (see the module's docstring); `draws`: the discounted net savings of each
    draw of the uncertain inputs (the `net_savings_gbp_discounted` column of `--samples`' samples), if any."""
    sentence = _sentence(comparison)
    clause = draws_clause(draws) if draws is not None else ""
    return f"{sentence}; {clause}" if clause else sentence


def _sentence(comparison: Comparison) -> str:
    _, figures = over_replications(comparison)
    headline = {str(k): float(v) for k, v in figures.items()}
    years = _years(comparison)
    net, payback = headline["net_savings_gbp_discounted"], headline["payback_year"]
    median = f" (median of {len(comparison.headline)} replications)" if comparison.replicated else ""
    over = f" over {years} years"
    if headline["intervention_spend_gbp_discounted"] <= 0:
        opening = "No extra spend on programmes"
    elif math.isfinite(payback):
        opening = f"Pays back in {payback:.0f}{median}"
    else:
        fell_back = " (savings were ahead for a while, then fell back)" if headline["payback_reversed"] > 0 else ""
        opening, over = f"Does not pay back within {years} years{fell_back}", ""
    sentence = f"{opening}: {_net(comparison, net)}{over} (discounted)"
    payers = payers_clause(headline)
    return f"{sentence}; {payers}" if payers else sentence


__all__ = ["draws_clause", "payers_clause", "verdict"]
