"""Why a scenario saves what it does: the services add up to the avoided cost (and its cash-releasing and
capacity-freed parts), the programmes' leave-one-out shares and their interactions add up to the totals, and
people kept alive longer are counted with their cost."""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift.analysis.breakdown import (
    INTERACTIONS,
    NET_COST,
    NET_SAVING,
    Breakdown,
    breakdown,
    comparison_rows,
    figure,
    from_table,
    service_group,
    shown_figures,
    survival,
    table,
)
from leftshift.analysis.economics import compare
from leftshift.analysis.measures import SERVICE_GROUPS, measure
from leftshift.api import run
from leftshift.experiments.attribution import runs_without_each

FALLS = {"name": "Falls classes", "sector": "prevention", "budget": 80_000, "payer": "nhs",
         "cost_per_participant_year": 400, "eligible": {"states": ["community"], "age_bands": ["65+"]},
         "referrals": {"community": 0.05}, "effects": {"community->acute": 0.8}}  # fmt: skip
FIXED = {"fixed_share": {"residential": 0.5, "acute": 0.4}}


def _costs(**extra: object) -> dict:
    return copy.deepcopy(small_scenario_dict()["costs"]) | extra


@pytest.fixture(scope="module")
def baseline():
    return run(small_scenario(name="Base", interventions=[], costs=_costs(**FIXED)))


@pytest.fixture(scope="module")
def two_programmes(baseline):
    """Both programmes, and places closed: avoided cost is partly cash, partly capacity freed."""
    programme = small_scenario_dict()["interventions"][0]
    capacity = small_scenario_dict()["capacity"] | {"residential": {"places": 360, "when_full": "wait"}}
    scenario = run(small_scenario(interventions=[programme, FALLS], costs=_costs(**FIXED), capacity=capacity))
    return scenario, compare(baseline, scenario)


def test_every_cost_line_but_programme_spend_has_a_service_group():
    s = small_scenario()
    assert service_group("acute", s) == "hospital_beds"
    assert service_group("waiting:acute->residential", s) == "delayed_discharges"
    assert service_group("community->acute", s) == "emergency_admissions"
    assert service_group("acute->residential", s) == "care_homes"
    assert service_group("waiting:community->home_care", s) == "waiting_at_home"
    assert service_group("overflow:residential", s) == "care_homes"
    assert service_group("home_care", s) == "home_care"
    assert service_group("intervention:Neighbourhood network", s) is None


def test_services_add_up_to_the_avoided_cost_and_its_split(baseline, two_programmes):
    scenario, comparison = two_programmes
    b = breakdown(comparison, baseline, scenario)
    head = comparison.headline.iloc[0]
    services = b.services
    assert services["avoided_gbp_discounted"].sum() == pytest.approx(head["avoided_downstream_cost_gbp_discounted"])
    assert services["capacity_freed_gbp_discounted"].sum() == pytest.approx(head["capacity_freed_gbp_discounted"])
    assert services["cash_releasing_savings_gbp_discounted"].sum() == pytest.approx(
        head["cash_releasing_savings_gbp_discounted"]
    )
    assert abs(head["capacity_freed_gbp_discounted"]) > 1_000  # the test is about a real split
    assert list(services["group"]) == [g for g in SERVICE_GROUPS if g in set(services["group"])]


def test_programmes_leave_one_out_and_their_interactions_add_up(baseline, two_programmes):
    scenario, comparison = two_programmes
    runs = []

    def counted(s):
        runs.append(s.name)
        return run(s)

    without = runs_without_each(scenario.scenario, baseline, counted)
    assert len(runs) == 2  # neither scenario without one programme is the baseline (places closed too)
    b = breakdown(comparison, baseline, scenario, without)
    assert b.attributed
    rows = b.programmes.set_index("programme")
    head = comparison.headline.iloc[0]
    assert rows["avoided_gbp_discounted"].sum() == pytest.approx(head["avoided_downstream_cost_gbp_discounted"])
    assert rows["extra_spend_gbp_discounted"].sum() == pytest.approx(head["intervention_spend_gbp_discounted"])
    assert list(rows.index) == ["Neighbourhood network", "Falls classes", INTERACTIONS]
    falls = rows.loc["Falls classes"]
    expected = _downstream(without["Falls classes"]) - _downstream(scenario)
    assert falls["avoided_gbp_discounted"] == pytest.approx(expected)
    assert falls["net_savings_gbp_discounted"] == pytest.approx(
        falls["avoided_gbp_discounted"] - falls["extra_spend_gbp_discounted"]
    )


def _downstream(result) -> float:
    costs = result.costs
    return float(costs.loc[~costs["service"].str.startswith("intervention:"), "cost_gbp_discounted"].sum())


def test_one_programme_added_to_the_baseline_needs_no_extra_run():
    base = run(small_scenario(name="Base", interventions=[]))
    scenario = run(small_scenario())

    def refuse(s):
        raise AssertionError(f"ran {s.name}")

    without = runs_without_each(scenario.scenario, base, refuse)
    assert without["Neighbourhood network"] is base
    c = compare(base, scenario)
    b = breakdown(c, base, scenario, without)
    rows = b.programmes.set_index("programme")
    assert rows.loc["Neighbourhood network", "avoided_gbp_discounted"] == pytest.approx(
        c.headline["avoided_downstream_cost_gbp_discounted"].iloc[0]
    )
    assert abs(rows.loc[INTERACTIONS, "avoided_gbp_discounted"]) < 1e-6


def test_without_the_runs_programmes_are_not_attributed(baseline, two_programmes):
    scenario, comparison = two_programmes
    b = breakdown(comparison, baseline, scenario)
    assert not b.attributed
    assert b.programmes["avoided_gbp_discounted"].isna().all()
    assert b.programmes["extra_spend_gbp_discounted"].notna().all()


def test_people_kept_alive_longer_are_counted_with_their_cost():
    base = run(small_scenario(interventions=[]))
    same = survival(base, base)
    assert same == (0.0, 0.0)
    data = small_scenario_dict(interventions=[])
    data["transitions"][2]["rate"] = {"18-64": 0.003, "65+": 0.02}  # fewer deaths at home
    longer = run(small_scenario(**{k: v for k, v in data.items() if k == "transitions"}, interventions=[]))
    years, cost = survival(base, longer)
    alive = longer.timeseries[longer.timeseries["state"] != "dead"]["person_years"].sum()
    alive_base = base.timeseries[base.timeseries["state"] != "dead"]["person_years"].sum()
    assert years == pytest.approx(alive - alive_base)
    assert years > 10 and cost > 0
    per_year = cost / years  # care of the extra years costs less than an average year of a care home place
    assert 0 < per_year < 700 * 52.18


def test_per_admission_figures(baseline, two_programmes):
    scenario, comparison = two_programmes
    f = breakdown(comparison, baseline, scenario).figures
    head = comparison.headline.iloc[0]
    assert head["emergency_admissions_avoided"] > 0
    assert f["spend_per_emergency_admission_avoided_gbp_discounted"] == pytest.approx(
        head["intervention_spend_gbp_discounted"] / head["emergency_admissions_avoided"]
    )
    assert f["net_cost_per_emergency_admission_avoided_gbp_discounted"] == pytest.approx(
        -head["net_savings_gbp_discounted"] / head["emergency_admissions_avoided"]
    )
    assert f[NET_SAVING] == -f[NET_COST]


def test_a_reader_is_shown_a_net_saving_or_a_net_cost_never_a_negative_cost():
    def made(net_saving: float | None) -> Breakdown:
        figures = {NET_COST: -5.0} if net_saving is None else {NET_COST: -net_saving, NET_SAVING: net_saving}
        return Breakdown("s", "b", pd.DataFrame(), pd.DataFrame(), figures)

    saves, costs = made(11_758.0), made(-2_000.0)
    assert NET_SAVING in shown_figures([saves]) and NET_COST not in shown_figures([saves])
    assert NET_COST in shown_figures([costs]) and NET_SAVING not in shown_figures([costs])
    both = shown_figures([saves, costs])
    assert both.index(NET_SAVING) + 1 == both.index(NET_COST)
    assert both[0] == "spend_per_emergency_admission_avoided_gbp_discounted"
    assert figure(made(None), NET_SAVING) == 5.0  # a breakdown.csv written before the net saving was added


def test_breakdown_csv_reads_back_and_comparison_rows_are_registered_measures(baseline, two_programmes):
    scenario, comparison = two_programmes
    b = breakdown(comparison, baseline, scenario, runs_without_each(scenario.scenario, baseline, run))
    buffer = io.StringIO()
    table(b).to_csv(buffer, index=False)
    buffer.seek(0)
    [back] = from_table(pd.read_csv(buffer))
    pd.testing.assert_frame_equal(back.services, b.services)
    pd.testing.assert_frame_equal(back.programmes, b.programmes)
    assert back.figures == pytest.approx(b.figures)
    rows = comparison_rows(b)
    assert len(rows) == len(SERVICE_GROUPS) + 5
    for row in rows.itertuples():
        assert measure(row.metric).unit == row.unit
        assert not math.isnan(row.value) or "per_emergency" in row.metric
    assert np.isclose(rows["value"][: len(SERVICE_GROUPS)].sum(), b.figures["avoided_downstream_cost_gbp_discounted"])
