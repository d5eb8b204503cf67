"""The verdict sentence: whether it pays back, by how much, for whom, how sure (replications, draws)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift.analysis.economics import compare
from leftshift.analysis.measures import format_number
from leftshift.analysis.verdict import draws_clause, verdict
from leftshift.api import run


@pytest.fixture(scope="module")
def baseline():
    return run(small_scenario(name="Base", interventions=[]))


def test_a_scenario_that_does_not_pay_back_says_so_and_who_pays(baseline):
    costly = small_scenario_dict()["interventions"][0] | {"budget": 5e6, "effects": {"community->acute": 0.99}}
    c = compare(baseline, run(small_scenario(interventions=[costly])))
    sentence = verdict(c, 3)
    head = c.headline.iloc[0]
    assert sentence.startswith(f"Does not pay back within 3 years: net savings of "
                               f"{format_number(head['net_savings_gbp_discounted'], 'GBP')};")  # fmt: skip
    assert f"the council pays {format_number(-head['net_savings_gbp_discounted_council'], 'GBP')}" in sentence
    assert 0 < head["net_savings_gbp_discounted_nhs"] < 0.01 * -head["net_savings_gbp_discounted_council"]
    assert "NHS" not in sentence  # under 1% of the largest payer's: left out of the sentence
    assert sentence.endswith(".") and "£-" not in sentence


def test_payers_are_named_largest_first_with_saves_or_pays(baseline):
    c = compare(baseline, run(small_scenario()))
    head = c.headline.copy()
    head["net_savings_gbp_discounted_nhs"], head["net_savings_gbp_discounted_council"] = 24.0e6, -43.4e6
    head["net_savings_gbp_discounted_self_funder"] = 2e6
    sentence = verdict(dataclasses.replace(c, headline=head), 20)
    assert "; the council pays £43.4m, the NHS saves £24.0m, self-funders save £2.0m" in sentence


def test_a_scenario_that_pays_back_gives_the_year(baseline):
    strong = small_scenario_dict()["interventions"][0] | {"effects": {"community->acute": 0.5}}
    c = compare(baseline, run(small_scenario(interventions=[strong])))
    year = c.headline["payback_year"].iloc[0]
    assert not np.isnan(year)
    assert verdict(c, 3).startswith(f"Pays back in {year:.0f}: net savings of ")


def test_no_extra_spend(baseline):
    c = compare(baseline, baseline)
    assert verdict(c, 3).startswith("No extra spend on programmes: net savings of £0 over 3 years")


def test_replications_give_a_confidence_interval_and_draws_a_range_and_a_chance(baseline):
    c = compare(baseline, run(small_scenario()))
    head = pd.concat([c.headline] * 5, ignore_index=True)
    head["net_savings_gbp_discounted"] = [-3e6, -2e6, -1e6, 0.5e6, 1e6]
    head["replication"] = range(5)
    replicated = dataclasses.replace(c, headline=head, replicated=True)
    assert "(95% CI " in verdict(replicated, 3) and "over 5 replications)" in verdict(replicated, 3)
    draws = np.linspace(-1e6, 3e6, 101)
    clause = draws_clause(draws)
    assert clause.startswith("across 101 draws of the uncertain inputs, 90% fall between -£800,000 and £2.8m")
    assert clause.endswith(f"and {np.mean(draws > 0):.0%} show net savings")
    assert verdict(c, 3, draws).endswith(clause + ".")
    assert draws_clause([np.nan]) == ""
