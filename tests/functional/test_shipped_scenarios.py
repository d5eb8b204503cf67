"""Every file in scenarios/ validates and runs, and the Leeds left shift does what it should."""

from __future__ import annotations

import numpy as np
import pytest

from builders import SCENARIOS
from leftshift.analysis.economics import compare
from leftshift.analysis.metrics import compute
from leftshift.api import run
from leftshift.experiments.runs import uncertainty
from leftshift.scenario.loading import load_scenario

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


def test_the_left_shift_gives_ranges_for_its_effects_costs_and_referrals_with_sources():
    """`--samples` and `leftshift sensitivity` need distributions; each must cite where its range comes from."""
    scenario = load_scenario(SCENARIOS / "leeds-left-shift.yaml")
    uncertain = scenario.uncertainty
    for i, programme in enumerate(scenario.interventions):
        wanted = [f"interventions[{i}].cost_per_participant_year"]
        wanted += [f"interventions[{i}].effects.{move}" for move in programme.effects]
        wanted += [f"interventions[{i}].referrals.{state}" for state in programme.referrals]
        for path in wanted:
            assert path in uncertain, f"{path} has no distribution"
    for path, dist in uncertain.items():
        assert scenario.sources.get(path, "").strip(), f"{path} has a distribution but no source"
        if ".effects." in path:  # relative risks stay positive and near 1 across the whole range
            low, high = dist.ppf(np.array([1e-4, 1 - 1e-4]))
            assert 0 < low < high <= 1.2, (path, low, high)


def test_the_distributions_keep_the_central_values():
    """Ordinary runs use each distribution's central value: the shipped figures, not the ranges' means."""
    scenario = load_scenario(SCENARIOS / "leeds-left-shift.yaml")
    nn, falls = scenario.interventions
    assert nn.cost_per_participant_year == 150 and falls.cost_per_participant_year == 652
    assert nn.effects == {
        "community->acute": 0.95,
        "community->home_care": 0.90,
        "community->residential": 0.90,
        "home_care->residential": 0.95,
    }
    assert falls.effects == {"community->acute": 0.97}
    assert nn.referrals == {"community": 0.15, "home_care": 0.5} and falls.referrals == {"community": 0.02}


BASELINES = [SCENARIOS / "leeds-baseline.yaml", SCENARIOS / "generic-authority-baseline.yaml"]
BANDS = ("18-64", "65-74", "75-84", "85+")


@pytest.mark.parametrize("path", BASELINES, ids=lambda p: p.stem)
def test_the_baselines_give_ranges_for_admissions_stays_and_unit_costs_with_sources(path):
    """Key rates and unit costs are uncertain out of the box, each centred on the value the file always had."""
    scenario = load_scenario(path)
    moves = [(t.from_state, getattr(t, "to", None), t.origin) for t in scenario.transition_items]
    admissions, home = moves.index(("community", "acute", None)), moves.index(("acute", "community", None))
    wanted = [f"transitions[{admissions}].rate.{b}" for b in BANDS] + [f"transitions[{home}].rate.{b}" for b in BANDS]
    weekly = ("acute.nhs", "home_care.council", "residential.council", "residential.self_funder")
    wanted += [f"costs.per_person_week.{cost}" for cost in weekly] + ["costs.per_transition.community->acute.nhs"]
    for key in wanted:
        assert key in scenario.uncertainty, f"{path.name}: {key} has no distribution"
    for key, dist in scenario.uncertainty.items():
        assert scenario.sources.get(key, "").strip(), f"{key} has a distribution but no source"
        low, high = dist.ppf(np.array([1e-4, 1 - 1e-4]))
        assert 0 <= low < dist.central() < high and high / low < 5, (key, low, high)
    central = {"18-64": 0.075, "65-74": 0.1423, "75-84": 0.2549, "85+": 0.4351}  # 7.1's band rates less residents'
    assert scenario.transition_items[admissions].rate == central
    assert scenario.costs.per_person_week["acute"]["nhs"] == 2800


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_shipped_scenario_runs_with_samples(path):
    scenario = load_scenario(path, ["horizon_years=2"])
    baseline = load_scenario(SCENARIOS / "leeds-baseline.yaml", ["horizon_years=2"]) if scenario.interventions else None
    draws = uncertainty(scenario, 6, baseline=baseline)
    assert len(draws.samples) == 6
    spread = draws.metrics.set_index("metric")
    assert spread.loc["emergency_admissions", "p5"] < spread.loc["emergency_admissions", "p95"]
    if baseline is not None:
        assert 0 <= draws.probabilities["p_net_savings_positive"] <= 1
