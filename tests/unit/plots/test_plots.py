"""Figure builders, the report and the results reader: traces, axis titles with units, sums that match the
tables, escaping of scenario text, and a lossless round trip from CSV back to a Result."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift import plots
from leftshift.analysis import summary
from leftshift.analysis.economics import compare
from leftshift.api import run
from leftshift.io.reading import read_comparison, read_result
from leftshift.io.writing import write_result
from leftshift.plots.accessor import ResultPlots
from leftshift.report.writers import (
    format_value,
    parameter_table,
    rebuild_report,
    write_comparison_report,
    write_run_report,
    write_samples_report,
    write_sensitivity_report,
    write_sweep_report,
)
from leftshift.result import Result

NASTY = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def baseline() -> Result:
    return run(small_scenario(name="Small town - baseline", interventions=[]))


@pytest.fixture(scope="module")
def scenario() -> Result:
    return run(small_scenario())


@pytest.fixture(scope="module")
def both(baseline: Result, scenario: Result) -> list[Result]:
    return [baseline, scenario]


def _y_titles(fig: go.Figure) -> list[str]:
    """Titles of the y axes in order (yaxis, yaxis2, ...), leaving out untitled ones."""
    keys = sorted((k for k in fig.layout if k.startswith("yaxis")), key=lambda k: int(k[5:] or 1))
    return [fig.layout[k].title.text for k in keys if fig.layout[k].title.text]


def _text(fig: go.Figure) -> str:
    return fig.to_json()


# People and activity -----------------------------------------------------------------------------------


def test_people_by_state_has_a_menu_per_scenario_and_age_band_and_hides_people_living_independently(both):
    fig = plots.people_by_state(both)
    buttons = fig.layout.updatemenus[0].buttons
    assert len(buttons) == 2 * (1 + 2)  # two scenarios x (all ages + two bands)
    assert [b.label for b in buttons][:2] == ["Small town - baseline: all ages", "Small town - baseline: aged 18-64"]
    first = [t for t in fig.data if t.visible is not False]
    stacked = [t for t in first if t.stackgroup]
    assert stacked and all(t.stackgroup == "0:None" for t in stacked)
    community = [t for t in first if t.name == "Living independently"]
    assert len(community) == 1 and community[0].visible == "legendonly"
    # people taking part are drawn apart from the services they are in: a dotted line, not a stacked area
    taking_part = [t for t in fig.data if t.name.startswith("Taking part in Neighbourhood network")]
    assert taking_part and all(not t.stackgroup and t.line.dash == "dot" for t in taking_part)
    assert _y_titles(fig) == ["People"]
    for button in buttons:
        shown = [v for v in button.args[0]["visible"] if v]
        assert shown, button.label


def test_people_by_state_sums_to_the_living_population(scenario):
    fig = plots.people_by_state(scenario, per_year=1)
    first = [t for t in fig.data if t.visible is not False and t.stackgroup]
    total_end = sum(float(np.asarray(t.y)[-1]) for t in first)
    ts = scenario.timeseries
    alive = ts[(ts["time"] == ts["time"].max()) & (ts["state"] != "dead")]["people"].sum()
    assert total_end == pytest.approx(alive, rel=1e-9)


def test_demand_over_time_has_five_panels_with_units_and_one_legend_entry_per_scenario(both):
    fig = plots.demand_over_time(both)
    assert len(fig.data) == 5 * 2
    assert sum(bool(t.showlegend) for t in fig.data) == 2
    titles = _y_titles(fig)
    assert "People a year" in titles and "Bed days a year" in titles and "People" in titles
    assert fig.layout.xaxis.tickformat == "d"  # years never as 2,026
    colours = {t.name: t.line.color for t in fig.data}
    assert colours["Small town - baseline"] != colours["Small town"]


def test_demand_over_time_matches_the_metrics_over_the_horizon(scenario):
    from leftshift.analysis.metrics import compute
    from leftshift.plots.frames import annual_demand, year_lengths

    demand = annual_demand(scenario)
    admissions = demand[demand["measure"] == "emergency_admissions"].set_index("year")["value"]
    lengths = year_lengths(scenario.timeseries)
    total = float((admissions * lengths.reindex(admissions.index)).sum())
    metrics = compute(scenario).set_index("metric")["value"]
    assert total == pytest.approx(metrics["emergency_admissions"], rel=1e-9)


def test_sankey_shows_every_move_and_a_view_without_hospital_round_trips(scenario):
    fig = plots.sankey(scenario)
    assert len(fig.data) == 2 and fig.data[1].visible is False
    moves = scenario.flows[scenario.flows["kind"].isin(["transition", "queue_join", "queue_admit", "entry"])]
    moves = moves[moves["source"] != moves["target"]]
    assert float(np.sum(fig.data[0].link.value)) == pytest.approx(moves["people"].sum(), rel=1e-9)
    labels = [label.split(" (")[0] for label in fig.data[0].node.label]  # 'In hospital (1,234)': with its moves
    assert "In hospital" in labels and "Living independently" in labels and "Died" in labels
    assert all(label.endswith(")") for label in fig.data[0].node.label)
    assert len(fig.layout.updatemenus[0].buttons) == 2


def test_sankey_difference_is_signed_and_empty_when_nothing_changes(baseline, scenario):
    fig = plots.sankey_difference(baseline, scenario)
    signed = np.asarray(fig.data[0].link.customdata)[:, 0]
    assert np.allclose(np.abs(signed), fig.data[0].link.value)
    assert (signed < 0).any()  # the programme prevents admissions
    same = plots.sankey_difference(baseline, baseline)
    assert not plots.has_data(same)
    assert "exactly as the baseline" in same.layout.annotations[0].text


def test_intervention_reach_shows_places_people_turned_away_and_spend(scenario, baseline):
    fig = plots.intervention_reach(scenario)
    assert len(fig.data) == 5  # funded, running, taking part; turned away; spend
    assert {t.type for t in fig.data} == {"scatter", "bar"}
    assert _y_titles(fig) == ["People", "People a year", "GBP thousand a year"]
    spend = next(t for t in fig.data if t.name.endswith("spend"))
    assert float(np.sum(spend.y)) * 1e3 == pytest.approx(scenario.programmes["spend_gbp"].sum(), rel=1e-9)
    assert not plots.has_data(plots.intervention_reach(baseline))


def test_queues_has_a_row_per_capacity_limited_service(both):
    fig = plots.queues(both)
    titles = [a.text for a in fig.layout.annotations]
    assert "Care home: people and places" in titles and "Home care: people waiting" in titles
    assert sum(bool(t.showlegend) for t in fig.data) == 4  # each scenario: people, places
    assert set(_y_titles(fig)) == {"People"}


def test_queues_shows_a_band_across_replications(scenario):
    reps = pd.concat([scenario.queues.assign(replication=r, waiting=scenario.queues["waiting"] * (1 + r / 10))
                      for r in range(5)], ignore_index=True)  # fmt: skip
    fig = plots.queues(dataclasses.replace(scenario, queues=reps))
    assert any(t.fill == "tonexty" for t in fig.data)


def test_wait_distribution_states_median_and_95th_percentile(scenario):
    waits = pd.DataFrame({"replication": 0, "resource": "residential", "from_state": "acute", "age_band": "65+",
                          "time": 1.0, "wait_days": np.arange(101, dtype=float), "outcome": "admitted"})  # fmt: skip
    fig = plots.wait_distribution(dataclasses.replace(scenario, extra={"waits": waits}))
    assert len(fig.data) == 1
    assert "median 50 days, 95th percentile 95 days" in fig.data[0].name
    assert fig.layout.xaxis.title.text == "Wait (days)"
    assert not plots.has_data(plots.wait_distribution(scenario))


# Money ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [plots.costs_by_payer, plots.costs_by_service])
def test_cost_bars_add_up_to_the_total_cost(builder, scenario):
    fig = builder(scenario)
    total = sum(float(np.sum(t.y)) for t in fig.data) * 1e6
    assert total == pytest.approx(scenario.costs["cost_gbp"].sum(), rel=1e-9)
    assert _y_titles(fig) == ["Cost a year (GBP million)"]
    assert fig.layout.yaxis.tickprefix == "£"
    assert fig.layout.barmode == "relative"


def test_costs_by_service_use_plain_english_names(scenario):
    names = {t.name for t in plots.costs_by_service(scenario).data}
    assert {"In hospital", "Care home", "Programme: Neighbourhood network"} <= names
    assert "Moves from home to hospital (one-off costs)" in names


def test_costs_by_payer_menu_picks_a_scenario(both):
    fig = plots.costs_by_payer(both)
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["Small town - baseline", "Small town"]
    assert {t.name for t in fig.data} >= {"NHS", "Council", "Self-funders"}


def test_cumulative_net_savings_marks_payback_and_ends_at_the_headline(baseline, scenario):
    c = compare(baseline, scenario)
    fig = plots.cumulative_net_savings(c)
    whole = next(t for t in fig.data if t.name == "Whole system (all payers)")
    assert float(whole.y[-1]) * 1e3 == pytest.approx(c.headline["net_savings_gbp_discounted"].iloc[0], rel=1e-9)
    star = next(t for t in fig.data if t.name.startswith("Pays back in"))
    assert list(star.x) == [int(c.headline["payback_year"].iloc[0])]
    assert {t.name for t in fig.data} >= {"NHS", "Council"}
    assert _y_titles(fig) == ["Net savings so far (GBP thousand)"]
    ticks = list(fig.layout.yaxis.ticktext)
    assert "£0" in ticks and not any("−" in tick or "£-" in tick for tick in ticks)  # -£20k, never £−20k


def test_cumulative_net_savings_says_when_it_never_pays_back(baseline):
    costly = small_scenario_dict()["interventions"][0] | {"budget": 5e6, "effects": {}}
    c = compare(baseline, run(small_scenario(interventions=[costly])))
    fig = plots.cumulative_net_savings(c)
    assert "does not pay back" in fig.layout.title.text
    assert not any(t.name.startswith("Pays back") for t in fig.data)


# Experiments ------------------------------------------------------------------------------------------


def _quantiles(scenarios: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for s in scenarios or [None]:
        for year in range(2026, 2036):
            for metric, base in (("emergency_admissions", 1000.0), ("total_cost_gbp_discounted", 5e7)):
                q = base * (1 + (year - 2026) / 20)
                rows.append({"year": year, "metric": metric, "q05": q * 0.8, "q25": q * 0.9, "q50": q, "q75": q * 1.1,
                             "q95": q * 1.2, **({"scenario": s} if s else {})})  # fmt: skip
    return pd.DataFrame(rows)


def test_fan_chart_draws_two_bands_and_a_median_per_metric():
    fig = plots.fan_chart(_quantiles())
    assert len(fig.data) == 2 * 5
    assert _y_titles(fig) == ["People", "GBP million"]
    assert [a.text for a in fig.layout.annotations] == ["Emergency admissions", "Total cost (discounted)"]
    by_scenario = plots.fan_chart(_quantiles(["Base", "Shift"]), "emergency_admissions")
    assert len(by_scenario.data) == 2 * 5
    medians = [t for t in by_scenario.data if t.name and t.name.endswith("median")]
    assert medians[0].line.color != medians[1].line.color


def test_fan_chart_rejects_a_frame_without_quantiles():
    with pytest.raises(ValueError, match="q05"):
        plots.fan_chart(pd.DataFrame({"year": [2026], "metric": ["x"]}))


def test_distribution_states_the_probability_above_the_threshold():
    savings = np.concatenate([np.full(25, -1e6), np.linspace(1e5, 3e6, 75)])
    samples = pd.DataFrame({"net_savings_gbp_discounted": savings, "roi": savings / 1e6})
    fig = plots.distribution(samples)
    assert "P(net savings (discounted) > £0) = 75%" in fig.layout.title.subtitle.text
    roi = plots.distribution(samples, "roi")  # break-even is ROI 0 (net savings / spend), not 1
    assert "> 0.00) = " in roi.layout.title.subtitle.text
    assert any(t.name and t.name.startswith("Break-even: ROI 0") for t in roi.data)
    share = np.mean(samples["roi"] > 0)
    assert roi.layout.title.subtitle.text.endswith(f"= {share:.0%}")
    assert roi.layout.xaxis.title.text == "Return on investment (ratio)"
    share = sum(float(np.sum(t.y)) for t in fig.data if t.type == "bar")
    assert share == pytest.approx(100)


def test_tornado_puts_the_biggest_swing_on_top():
    frame = pd.DataFrame({"parameter": ["a", "b", "c"], "low": [90.0, 50.0, 99.0], "high": [110.0, 160.0, 101.0],
                          "low_value": [1, 2, 3], "high_value": [2, 3, 4]})  # fmt: skip
    fig = plots.tornado(frame, base=100.0, metric="net_savings_gbp_discounted")
    assert list(fig.data[0].y) == ["c", "a", "b"]  # plotly draws the last category on top
    assert fig.data[0].base == 100.0 and list(fig.data[1].x) == [1.0, 10.0, 60.0]
    assert fig.layout.xaxis.title.text == "Net savings (discounted) (GBP)"


def test_sobol_indices_show_first_order_and_total_with_intervals():
    frame = pd.DataFrame({"parameter": ["x", "y"], "S1": [0.6, 0.2], "ST": [0.7, 0.3], "S1_conf": [0.05, 0.05],
                          "ST_conf": [0.04, 0.04]})  # fmt: skip
    fig = plots.sobol_indices(frame)
    assert len(fig.data) == 2 and fig.data[0].error_x.array is not None
    assert fig.layout.xaxis.title.text == "Share of variance (0 to 1)"


def test_sweep_is_a_line_for_one_parameter_and_a_heatmap_for_two_with_the_best_point_marked():
    budgets = np.linspace(0, 10e6, 11)
    one = pd.DataFrame({"interventions[0].budget": budgets, "net_savings_gbp_discounted": -((budgets - 4e6) ** 2)})
    fig = plots.sweep(one, "net_savings_gbp_discounted")
    star = next(t for t in fig.data if t.marker.symbol == "star")
    assert list(star.x) == [4e6]
    assert fig.layout.xaxis.title.text == "interventions[0].budget (GBP a year)"
    places = [3000.0, 3600.0, 4200.0]
    two = pd.DataFrame([{"interventions[0].budget": b, "capacity.residential.places": p, "roi": b / 1e6 - p / 1e3}
                        for b in budgets for p in places])  # fmt: skip
    heat = plots.sweep(two, "roi")
    assert heat.data[0].type == "heatmap" and np.asarray(heat.data[0].z).shape == (3, 11)
    assert list(heat.data[1].x) == [10e6] and list(heat.data[1].y) == [3000.0]
    assert "Highest" in heat.layout.title.subtitle.text


# Escaping -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nasty() -> list[Result]:
    programme = small_scenario_dict()["interventions"][0] | {"name": '<img src=x onerror="alert(2)">'}
    base = run(small_scenario(name=f"Base {NASTY}", interventions=[], description=f"About {NASTY}"))
    return [base, run(small_scenario(name=NASTY, interventions=[programme]))]


def test_figures_escape_scenario_text(nasty):
    figures = [plots.people_by_state(nasty), plots.demand_over_time(nasty), plots.costs_by_service(nasty),
               plots.sankey(nasty[1]), plots.intervention_reach(nasty[1]),
               plots.cumulative_net_savings(compare(*nasty))]  # fmt: skip
    for fig in figures:
        for trace in fig.data:
            assert "<script" not in str(trace.name) and "<img" not in str(trace.name)
        text = json.dumps(fig.to_plotly_json(), default=str)
        assert "<script" not in text and "<img" not in text
    names = {t.name for t in figures[2].data}
    assert 'Programme: &lt;img src=x onerror="alert(2)"&gt;' in names


def test_report_escapes_scenario_text_and_has_only_its_own_scripts(tmp_path, nasty):
    comparisons = [compare(*nasty)]
    path = write_comparison_report(tmp_path, nasty, comparisons, [summary.build(r) for r in nasty])
    page = path.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    charts = page.count('<section class="chart"')
    assert page.count("<script") == charts + 2  # a JSON spec per chart, plotly.js once, the drawing code
    assert page.count('<script type="application/json"') == charts


# Reports and reading back -------------------------------------------------------------------------------


def test_results_read_back_from_csv_equal_the_originals(tmp_path, scenario):
    write_result(tmp_path, scenario, summary.build(scenario))
    back = read_result(tmp_path)
    assert back.scenario == scenario.scenario and back.engine == scenario.engine
    for stem, table in scenario.tables().items():
        pd.testing.assert_frame_equal(
            back.tables()[stem], table, check_dtype=not table.empty, obj=stem, check_exact=False, rtol=1e-11
        )  # the CSVs hold 12 significant digits


def test_rebuilding_a_comparison_report_reads_the_results_in_order(tmp_path, both):
    from leftshift.analysis.economics import comparison_rows

    comparisons = [compare(*both)]
    for r, sub in zip(both, ("base", "shift"), strict=True):
        (tmp_path / sub).mkdir()
        write_result(tmp_path / sub, r, summary.build(r))
    comparison_rows(comparisons[0]).to_csv(tmp_path / "comparison.csv", index=False)
    results, summaries, _ = read_comparison(tmp_path)
    assert [r.scenario.name for r in results] == ["Small town - baseline", "Small town"]
    assert summaries[1]["scenario"] == "Small town"
    path = rebuild_report(tmp_path)
    assert 'data-metric="net_savings_gbp_discounted"' in path.read_text(encoding="utf-8")


def test_run_report_is_self_contained_and_small(tmp_path, scenario):
    path = write_run_report(tmp_path, scenario, summary.build(scenario))
    page = path.read_text(encoding="utf-8")
    assert path.name == "report.html" and path.stat().st_size < 10e6
    assert "<script src" not in page and "<link" not in page and 'src="http' not in page  # nothing to fetch
    assert len(re.findall(r"<script>", page)) == 2
    for key in ("people", "demand", "cost-service", "cost-payer", "sankey", "reach-small-town", "queues"):
        assert f'data-chart="{key}"' in page, key
    assert not list(tmp_path.glob(".*partial"))


def test_experiment_reports_build_from_tidy_frames(tmp_path, scenario):
    sweep = pd.DataFrame({"interventions[0].budget": [0.0, 1e6, 2e6], "net_savings_gbp_discounted": [0.0, 5e5, 2e5]})
    for sub in "abc":
        (tmp_path / sub).mkdir()
    page = write_sweep_report(tmp_path / "a", sweep, "net_savings_gbp_discounted", scenario=scenario.scenario)
    text = page.read_text(encoding="utf-8")
    assert 'data-chart="sweep"' in text and 'data-metric="interventions[0].budget"' in text
    tornado = pd.DataFrame({"parameter": ["a", "b"], "low": [1.0, 2.0], "high": [3.0, 5.0]})
    sobol = pd.DataFrame({"parameter": ["a", "b"], "S1": [0.3, 0.5], "ST": [0.4, 0.6]})
    text = write_sensitivity_report(tmp_path / "b", "roi", tornado, 2.0, sobol).read_text(encoding="utf-8")
    assert 'data-chart="tornado"' in text and 'data-chart="sobol"' in text
    samples = pd.DataFrame({"net_savings_gbp_discounted": np.linspace(-1, 3, 40) * 1e6, "roi": np.linspace(-1, 3, 40)})
    text = write_samples_report(tmp_path / "c", samples, _quantiles()).read_text(encoding="utf-8")
    assert 'data-metric="p_roi"' in text and 'data-chart="fan"' in text


def test_parameter_table_lists_every_number_with_its_source():
    data = small_scenario_dict()
    data["discount_rate"] = {"value": 0.035, "source": "Green Book"}
    data["transitions"][0]["rate"] = {"value": {"18-64": 0.07, "65+": 0.25}, "source": "evidence A2"}
    from leftshift.scenario.loading import scenario_from_dict

    table = parameter_table([scenario_from_dict(data)]).set_index("parameter")
    assert table.loc["discount_rate", "source"] == "Green Book"
    assert table.loc["transitions[0].rate", "value_0"] == {"18-64": 0.07, "65+": 0.25}
    assert table.loc["transitions[0].rate", "source"] == "evidence A2"
    assert table.loc["capacity.residential.places", "value_0"] == 380
    assert table.loc["interventions[0].cost_per_participant_year", "source"] == ""
    assert "sources" not in " ".join(table.index)


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (1234567.0, "GBP", "£1.2m"), (-32_700_000.0, "GBP", "-£32.7m"), (47973.2, "GBP", "£47,973"),
    (7124.5, "people", "7,124"), (-0.4595, "ratio", "-0.46"), (2031.0, "year", "2031"), (float("nan"), "year", "none"),
    (None, "GBP", "-"), (73.4, "percent", "73%"),
])  # fmt: skip
def test_format_value(value, unit, shown):
    assert format_value(value, unit) == shown


# The plot accessor ----------------------------------------------------------------------------------------


def test_result_plot_accessor_builds_figures(scenario):
    assert isinstance(scenario.plot, ResultPlots)
    assert isinstance(scenario.plot.sankey(), go.Figure)
    assert isinstance(scenario.plot.costs_by_payer(discounted=True), go.Figure)
    assert "sankey" in repr(scenario.plot)


def test_importing_results_does_not_import_plotly():
    code = "import sys, leftshift.result, leftshift.plots; print('plotly' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def _replicated(result: Result, n: int = 3) -> Result:
    """The same run n times with a `replication` column, as the discrete-event engine writes its tables."""
    tables = {
        stem: pd.concat([t.assign(replication=r) for r in range(n)], ignore_index=True).pipe(
            lambda f: f[["replication", *[c for c in f.columns if c != "replication"]]]
        )
        for stem, t in result.tables().items()
    }
    return dataclasses.replace(result, engine="des", **tables)


def test_reports_accept_results_with_replications(tmp_path, both):
    reps = [_replicated(r) for r in both]
    (tmp_path / "run").mkdir()
    facts = summary.build(reps[1])
    page = write_run_report(tmp_path / "run", reps[1], facts).read_text(encoding="utf-8")
    assert "95% CI" in page
    single = summary.build(both[1])["metrics"]["emergency_admissions"]["value"]
    assert f'data-value="{single!r}"' in page or format_value(single, "people") in page
    comparison = compare(*reps)
    assert "replication" in comparison.headline.columns
    (tmp_path / "cmp").mkdir()
    text = write_comparison_report(tmp_path / "cmp", reps, [comparison], [summary.build(r) for r in reps])
    assert 'data-chart="savings-small-town"' in text.read_text(encoding="utf-8")
    fig = plots.cumulative_net_savings(comparison)
    assert "mean over replications" in fig.layout.title.subtitle.text
    assert plots.has_data(plots.people_by_state(reps)) and plots.has_data(plots.demand_over_time(reps))
