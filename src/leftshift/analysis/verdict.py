"""The comparison in one sentence, as a director would say it: whether and when it pays back, the net savings
over the horizon, and which payers save and which pay.

"Pays back in 2034: net savings £12.3m over 20 years (discounted); the NHS saves £24.0m, the council pays £11.7m"

One function, so that the workbook, the report and anything else that states the verdict state the same one.
Figures are the comparison's headline over replications (the mean, the median payback year:
`economics.over_replications`), discounted, written by `measures.format_number`.
"""

from __future__ import annotations

import math

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


def _payers(headline: dict[str, float]) -> str:
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


def verdict(comparison: Comparison) -> str:
    """The comparison in one sentence (see the module's docstring)."""
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
    payers = _payers(headline)
    return f"{sentence}; {payers}" if payers else sentence


__all__ = ["verdict"]
