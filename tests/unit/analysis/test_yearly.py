"""yearly.csv's table: years add up to summary.json's totals, bands add up to `all`, the batch path gives the same
numbers as the tidy path, and no figure depends on how often the tables report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario, small_scenario_dict
from leftshift.analysis.metrics import DEFINITIONS, compute
from leftshift.analysis.yearly import ALL_BANDS, YEARLY_COLUMNS, batch_yearly, by_band, series_keys, yearly
from leftshift.api import run
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.io.writing import YEARLY, write_yearly
from leftshift.scenario.loading import scenario_from_dict


@pytest.fixture(scope="module")
def result():
    return run(small_scenario())


@pytest.fixture(scope="module")
def table(result):
    return yearly(result)


def test_one_row_per_metric_band_and_year(result, table):
    assert list(table.columns) == ["replication", *YEARLY_COLUMNS]
    years = sorted(result.timeseries["year"].unique())
    keys = series_keys(result.scenario)
    assert len(table) == len(keys) * len(years)
    assert list(dict.fromkeys(zip(table["metric"], table["age_band"], strict=True))) == keys
    assert not table.duplicated(["metric", "age_band", "year"]).any()
    banded = set(table.loc[table["age_band"] != ALL_BANDS, "metric"])
    assert banded == {m for m, d in DEFINITIONS.items() if d.table in ("timeseries", "flows")}
    assert "total_cost_gbp" not in banded and "emergency_admissions" in banded and by_band("deaths")
    assert (table.loc[table["metric"] == "total_cost_gbp", "unit"] == "GBP").all()


def test_years_add_up_to_the_run_totals(result, table):
    totals = compute(result).set_index("metric")["value"]
    whole = table[table["age_band"] == ALL_BANDS]
    for metric, value in totals.items():
        rows = whole[whole["metric"] == metric].sort_values("year")["value"]
        got = rows.iloc[-1] if metric == "population_end" else rows.sum()  # a stock at the end, not a flow
        assert got == pytest.approx(value, rel=1e-9, abs=1e-6), metric


def test_bands_add_up_to_all(table):
    banded = table[table["age_band"] != ALL_BANDS].groupby(["metric", "year"])["value"].sum()
    whole = table[table["age_band"] == ALL_BANDS].set_index(["metric", "year"])["value"].loc[banded.index]
    np.testing.assert_allclose(banded.to_numpy(), whole.to_numpy(), rtol=1e-9, atol=1e-6)


def test_reporting_less_often_changes_nothing(result, table):
    coarse = yearly(run(small_scenario(), resolution="year"))
    np.testing.assert_allclose(coarse["value"], table["value"], rtol=1e-9, atol=1e-6)


def test_the_batch_path_gives_the_tidy_numbers():
    """Two members with different rates and capacity, each checked against its own tidy tables."""
    changed = small_scenario_dict()
    changed["capacity"]["residential"]["places"] = 300
    changed["transitions"][0]["rate"]["65+"] = 0.3
    members = [small_scenario(), scenario_from_dict(changed)]
    traj = simulate(members, record="yearly")
    batch = batch_yearly(traj)
    assert batch.keys == series_keys(members[0]) and batch.values.shape[1:] == (len(batch.keys), 2)
    for i, scenario in enumerate(members):
        tidy = yearly(to_result(simulate(scenario))).set_index(["metric", "age_band", "year"])["value"]
        for k, (metric, band) in enumerate(batch.keys):
            for y, year in enumerate(batch.years):
                assert batch.values[y, k, i] == pytest.approx(tidy[(metric, band, year)], rel=1e-9, abs=1e-6)


def test_the_batch_path_needs_a_yearly_record():
    with pytest.raises(ValueError, match="year by year"):
        batch_yearly(simulate(small_scenario(), record="monthly"))


def test_the_file_has_no_replication_column_for_a_stockflow_run(tmp_path, result):
    write_yearly(tmp_path, result)
    saved = pd.read_csv(tmp_path / YEARLY, keep_default_na=False)
    assert list(saved.columns) == YEARLY_COLUMNS


def test_a_replicated_run_keeps_one_table_per_replication(tmp_path, result):
    """Two replications (here: the same run twice, labelled as a discrete-event result) keep their rows apart."""
    tables = ("timeseries", "flows", "costs", "queues", "programmes")
    twice = {name: pd.concat([getattr(result, name), getattr(result, name).assign(replication=1)], ignore_index=True)
             for name in tables}  # fmt: skip
    des = dataclasses.replace(result, engine="des", **twice)
    write_yearly(tmp_path, des)
    saved = pd.read_csv(tmp_path / YEARLY, keep_default_na=False)
    assert list(saved.columns) == ["replication", *YEARLY_COLUMNS]
    first, second = (saved[saved["replication"] == r].reset_index(drop=True) for r in (0, 1))
    pd.testing.assert_frame_equal(first.drop(columns="replication"), second.drop(columns="replication"))
