"""Payback year: the first year from which cumulative discounted net savings stay at or above zero.

A year in which they touch zero and then fall back is not a payback; `payback_reversed` says it
happened. economics.compare (tidy tables) and batch.compare (sweeps, uncertainty) must agree.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from builders import small_scenario
from leftshift.analysis import batch
from leftshift.analysis.batch import BatchSummary
from leftshift.analysis.economics import compare, payback, payback_years
from leftshift.analysis.metrics import METRICS
from leftshift.api import run
from leftshift.cli import terminal
from leftshift.scenario.model import PAYERS

START = 2026
SPEND = 10.0

# cumulative net savings by year -> (payback year index or None, reversed)
PATHS = {
    "never": ([-5, -4, -3, -2, -1], None, 0.0),
    "pays back and stays": ([-5, -2, 1, 3, 6], 2, 0.0),
    "crosses then falls back": ([-5, 2, -1, -3, -2], None, 1.0),
    "positive at once then falls back": ([5, -5, -3, -1, -2], None, 1.0),
    "crosses twice, ends positive": ([-5, 3, -1, 4, 6], 3, 1.0),
    "touches zero then falls back": ([-5, 0, -1, -2, -3], None, 1.0),
    "always positive": ([1, 2, 3, 4, 5], 0, 0.0),
    "ends exactly at zero": ([-5, -3, -1, -0.5, 0], 4, 0.0),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_payback_function(name):
    path, index, reversed_ = PATHS[name]
    years = np.arange(START, START + len(path))
    year, flag = payback(years, np.array(path, dtype=float))
    assert np.isnan(year) if index is None else year == years[index], (name, year)
    assert flag == reversed_, name


def test_batch_payback_agrees_with_economics_for_every_path():
    """The vectorised rule, for all paths at once as a batch, equals the one-at-a-time rule."""
    paths = np.array([p for p, _, _ in PATHS.values()], dtype=float).T  # (P, N)
    years = np.arange(START, START + paths.shape[0])
    years_b, flags_b = payback_years(years, paths)
    for i, name in enumerate(PATHS):
        year, flag = payback(years, paths[:, i])
        assert (np.isnan(year) and np.isnan(years_b[i])) or year == years_b[i], name
        assert flag == flags_b[i], name


def test_random_paths_agree():
    rng = np.random.default_rng(3)
    paths = np.cumsum(rng.normal(0.2, 1.0, size=(12, 400)), axis=0)
    years = np.arange(START, START + 12)
    years_b, flags_b = payback_years(years, paths)
    for i in range(paths.shape[1]):
        year, flag = payback(years, paths[:, i])
        assert (np.isnan(year) and np.isnan(years_b[i])) or year == years_b[i]
        assert flag == flags_b[i]
        if not np.isnan(year):  # stays at or above zero from the payback year on
            assert (paths[int(year) - START :, i] >= 0).all()


@pytest.fixture(scope="module")
def small_run():
    return run(small_scenario(horizon_years=5, interventions=[]))


def _with_costs(result, rows: list[tuple[int, str, float]]):
    """The run with its cost table replaced by (year, service, cost) rows (paid by the NHS, no discounting)."""
    costs = pd.DataFrame(
        [{"replication": 0, "time": y - START + 1.0, "year": y, "service": svc, "payer": "nhs", "cost_gbp": c,
          "cost_gbp_discounted": c} for y, svc, c in rows]
    )  # fmt: skip
    return dataclasses.replace(result, costs=costs)


def _pair(small_run, path: list[float]):
    """A baseline costing 100 a year in hospital and a scenario spending 10 a year on a programme, whose
    cumulative net savings follow `path`."""
    net = np.diff([0.0, *path])
    years = range(START, START + len(path))
    base = _with_costs(small_run, [(y, "acute", 100.0) for y in years])
    scen = _with_costs(
        small_run,
        [(y, "acute", 100.0 - (n + SPEND)) for y, n in zip(years, net, strict=True)]
        + [(y, "intervention:p", SPEND) for y in years],
    )
    return base, scen


@pytest.mark.parametrize("name", list(PATHS))
def test_economics_compare_reports_payback_and_reversal(small_run, name):
    path, index, reversed_ = PATHS[name]
    base, scen = _pair(small_run, path)
    head = compare(base, scen).headline.iloc[0]
    expected = np.nan if index is None else START + index
    assert (np.isnan(head["payback_year"]) and np.isnan(expected)) or head["payback_year"] == expected, name
    assert head["payback_reversed"] == reversed_, name
    figures = [c for c in compare(base, scen).headline.columns if c != "replication"]
    assert figures == list(batch.COMPARISON_COLUMNS)


def _summary(annual: np.ndarray, years: np.ndarray) -> BatchSummary:
    n = annual.shape[-1]
    metrics = {name: np.zeros(n) for name in METRICS}
    return BatchSummary(metrics, years, annual, annual, {})


def test_batch_compare_reports_payback_and_reversal():
    """batch.compare on a batch whose members follow every path (NHS, kind 0 = care, 1 = spend)."""
    paths = np.array([p for p, _, _ in PATHS.values()], dtype=float).T
    n_years, n = paths.shape
    years = np.arange(START, START + n_years)
    net = np.diff(np.vstack([np.zeros(n), paths]), axis=0)
    base = np.zeros((n_years, len(PAYERS), 2, 1))
    base[:, PAYERS.index("nhs"), 0, 0] = 100.0
    scen = np.zeros((n_years, len(PAYERS), 2, n))
    scen[:, PAYERS.index("nhs"), 0, :] = 100.0 - (net + SPEND)
    scen[:, PAYERS.index("nhs"), 1, :] = SPEND
    out = batch.compare(_summary(base, years), _summary(scen, years))
    for i, (name, (_, index, reversed_)) in enumerate(PATHS.items()):
        expected = np.nan if index is None else START + index
        assert (np.isnan(out["payback_year"][i]) and np.isnan(expected)) or out["payback_year"][i] == expected, name
        assert out["payback_reversed"][i] == reversed_, name


def test_terminal_says_when_savings_fell_back(small_run, capsys):
    base, scen = _pair(small_run, PATHS["crosses then falls back"][0])
    comparison = compare(base, scen)
    assert terminal.payback_text(comparison) == "no payback (was positive in 2027 but fell back)"
    base, scen = _pair(small_run, PATHS["crosses twice, ends positive"][0])
    assert terminal.payback_text(compare(base, scen)) == "2029 (first positive in 2027, then fell back)"
    base, scen = _pair(small_run, PATHS["pays back and stays"][0])
    assert terminal.payback_text(compare(base, scen)) == "2028"


def test_no_extra_spend_has_no_payback(small_run):
    head = compare(small_run, small_run).headline.iloc[0]
    assert np.isnan(head["payback_year"]) and np.isnan(head["payback_reversed"])
    assert terminal.payback_text(compare(small_run, small_run)) == "n/a (no extra spend)"


def test_print_comparison_shows_the_fall_back(small_run, tmp_path, monkeypatch):
    base, scen = _pair(small_run, PATHS["crosses then falls back"][0])
    console = Console(width=200, record=True)
    monkeypatch.setattr(terminal, "Console", lambda: console)
    terminal.print_comparison([compare(base, scen)], tmp_path)
    assert "was positive in 2027 but fell back" in console.export_text()


def test_print_samples_counts_draws_that_fell_back(monkeypatch):
    from types import SimpleNamespace

    from leftshift.cli import experiment_terminal

    samples = pd.DataFrame({"payback_year": [2030.0, np.nan, np.nan], "payback_reversed": [0.0, 1.0, 0.0]})
    metrics = pd.DataFrame([{"metric": "payback_year", "p5": 2030.0, "p50": 2030.0, "p95": 2030.0,
                             "share_undefined": 2 / 3}])  # fmt: skip
    draws = SimpleNamespace(samples=samples, metrics=metrics, parameters=("x",), scenario="s", baseline="b",
                            probabilities={})  # fmt: skip
    console = Console(width=200, record=True)
    monkeypatch.setattr("rich.console.Console", lambda: console)
    experiment_terminal.print_samples([draws])
    assert "In 1 of 3 draws cumulative net savings were positive" in console.export_text()


# comparison.csv's rows, and their intervals over replications ---------------------------------------------------


@pytest.fixture(scope="module")
def des_comparison():
    base = run(small_scenario(name="Small town - baseline", interventions=[], horizon_years=1), engine="des",
               replications=3, jobs=1)  # fmt: skip
    return compare(base, run(small_scenario(horizon_years=1), engine="des", replications=3, jobs=1))


def test_a_replicated_comparison_carries_a_95_interval_for_every_figure(des_comparison):
    from leftshift.analysis.economics import comparison_rows
    from leftshift.analysis.summary import spread

    rows = comparison_rows(des_comparison).set_index("metric")
    assert list(rows.columns[-2:]) == ["ci95_low", "ci95_high"]
    head = des_comparison.headline
    for figure in ("net_savings_gbp_discounted", "emergency_admissions_avoided", "roi"):
        expected = spread(head[figure])
        assert rows.loc[figure, "value"] == pytest.approx(expected["mean"])
        assert (rows.loc[figure, "ci95_low"], rows.loc[figure, "ci95_high"]) == pytest.approx(
            (expected["ci95_low"], expected["ci95_high"]))  # fmt: skip
        assert rows.loc[figure, "ci95_low"] < rows.loc[figure, "value"] < rows.loc[figure, "ci95_high"]
    differences = des_comparison.metrics.query("metric == 'acute_bed_days'")["difference"]
    assert rows.loc["acute_bed_days", "ci95_low"] == pytest.approx(spread(differences)["ci95_low"])
    assert rows.loc["payback_year", ["ci95_low", "ci95_high"]].isna().all()  # a median: no t-interval


def test_a_stock_flow_comparison_has_no_interval_columns(small_run):
    from leftshift.analysis.economics import comparison_rows

    columns = list(comparison_rows(compare(small_run, small_run)).columns)
    assert columns == ["scenario", "baseline", "metric", "value", "baseline_value", "difference", "unit"]


def test_the_terminal_shows_intervals_for_replications(des_comparison, tmp_path, monkeypatch):
    from leftshift.analysis.economics import headline_intervals
    from leftshift.analysis.measures import format_number

    console = Console(width=250, record=True)
    monkeypatch.setattr(terminal, "Console", lambda: console)
    terminal.print_comparison([des_comparison], tmp_path)
    text = console.export_text()
    low, high = headline_intervals(des_comparison).loc["net_savings_gbp_discounted"]
    assert f"({format_number(low, 'GBP')} to {format_number(high, 'GBP')})" in text
    assert "mean and 95% CI of 3 replications" in text
