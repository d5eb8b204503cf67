"""The verdict: one sentence saying whether and when the programmes pay back, the net savings, and who saves and
who pays, from the comparison's headline as comparison.csv gives it; and, given draws of the uncertain inputs,
how sure it is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from builders import small_scenario
from leftshift.analysis.economics import COMPARISON_COLUMNS, Comparison, compare
from leftshift.analysis.measures import format_number
from leftshift.analysis.verdict import draws_clause, verdict
from leftshift.api import run
from leftshift.result import REPLICATION


def _comparison(net, payback=np.nan, spend=5e6, payers=None, reversed_=0.0, reps=1) -> Comparison:
    """A comparison with the given headline (lists give one value per replication), over 2026-2045."""
    figures = {c: 0.0 for c in COMPARISON_COLUMNS}
    payers = payers or {"nhs": 24.0e6, "council": -11.7e6, "self_funder": -156.0, "other": 0.0}
    figures.update({"net_savings_gbp_discounted": net, "payback_year": payback, "payback_reversed": reversed_,
                    "intervention_spend_gbp_discounted": spend,
                    **{f"net_savings_gbp_discounted_{p}": v for p, v in payers.items()}})  # fmt: skip
    headline = pd.DataFrame({REPLICATION: np.arange(reps), **{k: np.broadcast_to(v, reps) for k, v in figures.items()}})
    cumulative = pd.DataFrame({REPLICATION: 0, "year": np.arange(2026, 2046), "payer": "all",
                               "net_savings_gbp_discounted": 0.0})  # fmt: skip
    metrics = pd.DataFrame(columns=[REPLICATION, "metric", "value", "baseline_value", "difference", "unit"])
    return Comparison("Left shift", "Baseline", metrics, headline, cumulative, replicated=reps > 1)


def test_the_sentence_for_a_programme_that_pays_back():
    assert verdict(_comparison(12.3e6, payback=2034.0)) == (
        "Pays back in 2034: net savings £12.3m over 20 years (discounted); the NHS saves £24.0m, the council pays "
        "£11.7m"
    )  # self-funders' -£156 is rounding beside £24m: left out


def test_the_sentence_for_a_programme_that_does_not():
    assert verdict(_comparison(-19.4e6)) == (
        "Does not pay back within 20 years: a net cost of £19.4m (discounted); the NHS saves £24.0m, the council "
        "pays £11.7m"
    )
    assert "were ahead for a while, then fell back" in verdict(_comparison(-1e6, reversed_=1.0))


def test_no_extra_spend_and_no_payers_to_name():
    sentence = verdict(_comparison(0.0, spend=0.0, payers={"nhs": 0.0, "council": 0.0}))
    assert sentence == "No extra spend on programmes: net savings £0 over 20 years (discounted)"


def test_replications_give_the_median_payback_and_an_interval():
    sentence = verdict(_comparison([10e6, 12e6, 14e6], payback=[2033.0, 2034.0, 2040.0], reps=3))
    assert sentence.startswith("Pays back in 2034 (median of 3 replications): net savings £12.0m (95% CI £7.0m to "
                               "£17.0m) over 20 years")  # fmt: skip


def test_a_real_comparison_states_its_headline():
    base, shift = run(small_scenario(name="Small town - baseline", interventions=[])), run(small_scenario())
    comparison = compare(base, shift)
    net = float(comparison.headline["net_savings_gbp_discounted"].iloc[0])
    sentence = verdict(comparison)
    assert format_number(abs(net), "GBP") in sentence
    assert sentence.startswith("Pays back in ") or sentence.startswith("Does not pay back within 3 years")


def test_draws_say_how_sure_it_is():
    draws = np.linspace(-1e6, 3e6, 101)
    clause = draws_clause(draws)
    assert clause == (f"across 101 draws of the uncertain inputs, 90% fall between -£800,000 and £2.8m, and "
                      f"{np.mean(draws > 0):.0%} show net savings")  # fmt: skip
    comparison = _comparison(-19.4e6)
    assert verdict(comparison, draws) == f"{verdict(comparison)}; {clause}"
    assert verdict(comparison, [np.nan]) == verdict(comparison)  # no finite draw: nothing to add
