"""The verdict: one plain sentence a director reads first, e.g. "Does not pay back within 20 years: net savings
of -£19.4m; the council pays £43.4m, the NHS saves £24.0m."

Written once here, from a Comparison (and any draws of the uncertain inputs), so the report, the terminal and
the workbook say the same thing in the same words. Money is written by `measures.format_number`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from leftshift.analysis.economics import Comparison
from leftshift.analysis.measures import format_number
from leftshift.scenario.model import PAYERS

WHO = {"nhs": ("the NHS", False), "council": ("the council", False), "self_funder": ("self-funders", True),
       "other": ("other payers", True)}  # fmt: skip
"""How a payer is named in a sentence, and whether the name is plural ('self-funders save')."""
SMALL = 0.01
"""A payer whose net savings are under this share of the largest payer's is left out of the sentence."""


def _money(value: float) -> str:
    return format_number(float(value), "GBP")


def _payers(comparison: Comparison) -> str:
    """'the NHS saves £24.0m, the council pays £43.4m': payers by size, the negligible left out."""
    head = comparison.headline
    values = {p: float(head[f"net_savings_gbp_discounted_{p}"].mean()) for p in PAYERS
              if f"net_savings_gbp_discounted_{p}" in head}  # fmt: skip
    largest = max((abs(v) for v in values.values()), default=0.0)
    parts = []
    for payer, value in sorted(values.items(), key=lambda item: -abs(item[1])):
        if largest == 0 or abs(value) < SMALL * largest or abs(value) < 0.5:
            continue
        name, plural = WHO.get(payer, (payer, False))
        verb = ("save" if plural else "saves") if value > 0 else ("pay" if plural else "pays")
        parts.append(f"{name} {verb} {_money(abs(value))}")
    return ", ".join(parts)


def _interval(values: np.ndarray) -> str:
    """' (95% CI a to b over n replications)' for a stochastic engine's replications; '' for one run."""
    from leftshift.analysis.summary import spread

    clean = values[np.isfinite(values)]
    if len(clean) < 2:
        return ""
    s = spread(clean)
    return f" (95% CI {_money(s['ci95_low'])} to {_money(s['ci95_high'])} over {len(clean)} replications)"


def _lead(comparison: Comparison, horizon_years: float) -> str:
    """'Pays back in 2031: net savings of £4.2m over 20 years' / 'Does not pay back within 20 years: net
    savings of -£19.4m'."""
    head = comparison.headline
    net = head["net_savings_gbp_discounted"].to_numpy(dtype=float)
    money = _money(float(np.mean(net))) + _interval(net)
    if float(head["intervention_spend_gbp_discounted"].mean()) <= 0:
        return f"No extra spend on programmes: net savings of {money} over {horizon_years:g} years"
    payback = head["payback_year"].to_numpy(dtype=float)
    never = float(np.mean(np.isnan(payback)))
    if never == 1.0:
        return f"Does not pay back within {horizon_years:g} years: net savings of {money}"
    median = float(np.nanmedian(payback)) if never < 0.5 else float("nan")
    if np.isnan(median):
        return (
            f"Does not pay back within {horizon_years:g} years in {never:.0%} of replications: net savings of {money}"
        )
    note = f" (median; {never:.0%} of replications never)" if never else ""
    return f"Pays back in {median:.0f}{note}: net savings of {money} over {horizon_years:g} years"


def draws_clause(draws: Sequence[float] | np.ndarray) -> str:
    """'across 1,000 draws of the uncertain inputs, 90% fall between a and b; 23% show net savings'."""
    values = np.asarray(draws, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return ""
    low, high = np.percentile(values, [5, 95])
    chance = float(np.mean(values > 0))
    return (f"across {len(values):,} draws of the uncertain inputs, 90% fall between {_money(low)} and "
            f"{_money(high)}, and {chance:.0%} show net savings")  # fmt: skip


def verdict(comparison: Comparison, horizon_years: float, draws: Sequence[float] | np.ndarray | None = None) -> str:
    """Whether it pays back, by how much (discounted net savings), for whom; the replications' 95% CI when
    there are replications; and, with `draws` (net savings of each draw, e.g. the `net_savings_gbp_discounted`
    column of `--samples`' samples), their 5-95% range and the chance of net savings."""
    sentence = _lead(comparison, horizon_years)
    payers = _payers(comparison)
    if payers:
        sentence += f"; {payers}"
    if draws is not None:
        clause = draws_clause(draws)
        if clause:
            sentence += f"; {clause}"
    return sentence + "."


__all__ = ["draws_clause", "verdict"]
