"""Every file in scenarios/ validates and runs, and the Leeds left shift does what it should."""

from __future__ import annotations

import numpy as np
import pytest

from builders import SCENARIOS
from leftshift.api import run
from leftshift.economics import compare
from leftshift.loading import load_scenario
from leftshift.metrics import compute

FILES = sorted(SCENARIOS.glob("*.yaml"))


def test_there_are_shipped_scenarios():
    names = {p.stem for p in FILES}
    assert {"leeds-baseline", "leeds-left-shift", "generic-authority-baseline"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_scenario_validates_and_runs(path):
    scenario = load_scenario(path)
    result = run(scenario)
    metrics = compute(result).set_index("metric")["value"]
    assert np.isfinite(metrics).all()
    assert metrics["emergency_admissions"] > 0 and metrics["population_end"] > 0


def test_the_left_shift_avoids_admissions_and_costs_money_up_front():
    base = run(load_scenario(SCENARIOS / "leeds-baseline.yaml"))
    shift = run(load_scenario(SCENARIOS / "leeds-left-shift.yaml"))
    c = compare(base, shift)
    head = c.headline.iloc[0]
    assert head["emergency_admissions_avoided"] > 0
    assert head["intervention_spend_gbp"] > 0
    assert head["avoided_downstream_cost_gbp"] > 0
    by_payer = sum(head[f"net_savings_gbp_discounted_{p}"] for p in ("nhs", "council", "self_funder", "other"))
    assert by_payer == pytest.approx(head["net_savings_gbp_discounted"], rel=1e-9)
