"""Charts of the change against the baseline: the waterfall steps from avoided cost by service to net savings,
programme shares, avoided cost year by year, demand change with a band across replications; the S-curve,
payback distribution and parameter labels; money written one way (-£20m, never £−20m)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift import plots
from leftshift.analysis.breakdown import breakdown
from leftshift.analysis.economics import compare
from leftshift.api import run
from leftshift.experiments.attribution import runs_without_each
from leftshift.plots.style import money_ticks, scale_for
from leftshift.result import REPLICATION

FALLS = {"name": "Falls classes", "sector": "prevention", "budget": 80_000, "payer": "nhs",
         "cost_per_participant_year": 400, "eligible": {"states": ["community"], "age_bands": ["65+"]},
         "referrals": {"community": 0.05}, "effects": {"community->acute": 0.8}}  # fmt: skip


@pytest.fixture(scope="module")
def pair():
    base = run(small_scenario(name="Base", interventions=[]))
    scen = run(small_scenario(interventions=[small_scenario_dict()["interventions"][0], FALLS]))
    c = compare(base, scen)
    return base, scen, breakdown(c, base, scen, runs_without_each(scen.scenario, base, run))


def _no_plotly_minus(ticks) -> bool:
    return not any("−" in t or "£-" in t for t in ticks)


def test_money_ticks_write_negative_money_one_way():
    scale = scale_for([-43.4e6, 24e6], "GBP")
    ticks = money_ticks([-43.4, 24.0], scale)
    assert "-£20m" in ticks["ticktext"] and "£0" in ticks["ticktext"] and "£20m" in ticks["ticktext"]
    assert _no_plotly_minus(ticks["ticktext"])
    assert ticks["tickvals"][0] <= -43.4 and ticks["tickvals"][-1] >= 24.0


def test_the_waterfall_steps_from_services_to_net_savings(pair):
    _, _, b = pair
    fig = plots.waterfall(b)
    ends = {}
    for trace in fig.data:
        for label, base, x in zip(trace.y, trace.base, trace.x, strict=True):
            ends[label] = base + x
    scale = 1e3 if abs(b.figures["net_savings_gbp_discounted"]) < 1e6 else 1e6
    assert ends["Net savings"] * scale == pytest.approx(b.figures["net_savings_gbp_discounted"], rel=1e-9)
    assert ends["Avoided cost of care and hospital"] * scale == pytest.approx(
        b.figures["avoided_downstream_cost_gbp_discounted"], rel=1e-9
    )
    assert "Spend: Falls classes" in ends and "Spend: Neighbourhood network" in ends
    assert {t.name for t in fig.data} >= {"Saves: costs less than the baseline", "Total"}
    assert _no_plotly_minus(fig.layout.xaxis.ticktext)
    assert "replications" not in fig.layout.title.subtitle.text  # one stock-flow run: nothing to average
    assert "mean over replications" in plots.waterfall(b, replicated=True).layout.title.subtitle.text


def test_programme_shares_show_each_programme_and_what_is_left(pair):
    _, _, b = pair
    fig = plots.programme_shares(b)
    assert list(fig.data[0].y)[:2] == ["Neighbourhood network", "Falls classes"]
    assert {t.name for t in fig.data} == {"Avoided cost it brings", "Extra spend on it", "Net savings"}
    unattributed = dataclasses.replace(b, programmes=b.programmes.assign(avoided_gbp_discounted=np.nan))
    assert not plots.has_data(plots.programme_shares(unattributed))


def test_avoided_cost_by_year_adds_up_to_the_net_savings(pair):
    base, scen, b = pair
    fig = plots.avoided_by_year(base, scen)
    net = next(t for t in fig.data if t.name == "Net savings of the year")
    bars = sum(np.asarray(t.y, dtype=float) for t in fig.data if t.type == "bar")
    assert np.allclose(bars, np.asarray(net.y, dtype=float))
    scale = 1e3 if abs(b.figures["net_savings_gbp_discounted"]) < 1e6 else 1e6
    assert float(np.sum(net.y)) * scale == pytest.approx(b.figures["net_savings_gbp_discounted"], rel=1e-9)


def _replicated(result, factor: float):
    """The result as if a stochastic engine had run it twice (the second replication scaled)."""
    tables = {}
    for name in ("timeseries", "flows", "costs", "queues", "programmes"):
        frame = getattr(result, name)
        other = frame.assign(**{REPLICATION: 1})
        for column in ("people", "person_years", "cost_gbp", "cost_gbp_discounted"):
            if column in other:
                other[column] = other[column] * factor
        tables[name] = pd.concat([frame, other], ignore_index=True)
    return dataclasses.replace(result, engine="des", **tables)


def test_demand_change_is_a_difference_with_a_band_across_replications(pair):
    base, scen, _ = pair
    fig = plots.demand_change([base, scen])
    line = next(t for t in fig.data if t.name == "Small town")
    assert line.y[-1] < 0  # fewer emergency admissions than the baseline
    assert not any("90% of replications" in (t.name or "") for t in fig.data)
    banded = plots.demand_change([_replicated(base, 1.0), _replicated(scen, 1.02)])
    assert any((t.name or "").endswith("90% of replications") for t in banded.data)


def test_s_curve_and_payback_distribution():
    samples = pd.DataFrame({"net_savings_gbp_discounted": np.linspace(-2e6, 2e6, 201), "roi": np.linspace(-1, 1, 201),
                            "payback_year": [2030.0] * 50 + [2031.0] * 50 + [np.nan] * 101,
                            "extra_intervention_spend_gbp_discounted": 1e6})  # fmt: skip
    curve = plots.ecdf(samples)
    assert curve.data[0].y[-1] == pytest.approx(100)
    assert any(t.name == "Break-even: £0" for t in curve.data)
    assert "50% of samples at or below £0" in curve.layout.title.subtitle.text
    assert _no_plotly_minus(curve.layout.xaxis.ticktext)
    roi = plots.ecdf(samples, "roi")
    assert any((t.name or "").startswith("Break-even: ROI 0") for t in roi.data)
    payback = plots.payback_distribution(samples)
    never = next(t for t in payback.data if t.name.startswith("Never"))
    assert list(never.x) == ["Never"] and never.y[0] == pytest.approx(100 * 101 / 201)
    assert "50% of 201 samples pay back" in payback.layout.title.subtitle.text


def test_tornado_shows_the_values_set_the_central_estimate_and_break_even():
    frame = pd.DataFrame({"parameter": ["interventions[0].budget"], "low": [-2e6], "high": [1e6],
                          "low_value": [1e5], "high_value": [3e5]})  # fmt: skip
    labels = plots.parameter_labels(["interventions[0].budget"], small_scenario())
    fig = plots.tornado(frame, -0.5e6, "net_savings_gbp_discounted", labels)
    assert list(fig.data[0].y) == ["Neighbourhood network: budget (GBP a year)"]
    assert list(fig.data[0].text) == ["at 100,000"] and list(fig.data[1].text) == ["at 300,000"]
    names = {t.name for t in fig.data}
    assert "Break-even (£0)" in names and "Central estimate: -£500,000" in names


def test_parameters_are_named_in_words():
    s = small_scenario()
    paths = ["interventions[0].effects.community->acute", "transitions[0].rate.65+", "costs.per_person_week.acute.nhs",
             "capacity.residential.places", "seed"]  # fmt: skip
    labels = plots.parameter_labels(paths, s)
    assert labels["interventions[0].effects.community->acute"] == (
        "Neighbourhood network: effect on moves from home to hospital"
    )
    assert labels["transitions[0].rate.65+"] == "Rate of moving from home to hospital, aged 65+"
    assert labels["costs.per_person_week.acute.nhs"] == "Weekly cost of a hospital bed to the NHS"
    assert labels["capacity.residential.places"] == "Care home: places"
    assert labels["seed"] == "seed"
    assert not any("interventions[" in v for v in labels.values())
