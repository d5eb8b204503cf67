"""Tables by month or year after the run: the same rows the stock-flow engine records by month or year, the same
totals for the discrete-event engine, and each row's calendar date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builders import segmented_scenario_dict, small_scenario
from leftshift.analysis.metrics import compute
from leftshift.analysis.periods import DATE, at_resolution, period_dates, step_years, with_dates
from leftshift.api import run
from leftshift.result import REPLICATION
from leftshift.scenario.loading import scenario_from_dict

TABLES = ("timeseries", "flows", "costs", "queues", "programmes")


def _assert_same_tables(mine, theirs):
    for name in TABLES:
        a, b = getattr(mine, name), getattr(theirs, name)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), (name, len(a), len(b))
        for column in a.columns:
            if pd.api.types.is_numeric_dtype(b[column]):
                np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float), rtol=1e-9,
                                           atol=1e-9, err_msg=f"{name}.{column}")  # fmt: skip
            else:
                assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), f"{name}.{column}"


@pytest.mark.parametrize("resolution", ["month", "year"])
@pytest.mark.parametrize("scenario", [small_scenario(), scenario_from_dict(segmented_scenario_dict())],
                         ids=["small", "segmented"])  # fmt: skip
def test_a_step_run_coarsened_equals_the_engine_recording_by_period(scenario, resolution):
    _assert_same_tables(at_resolution(run(scenario), resolution), run(scenario, resolution=resolution))


def test_a_three_weekly_step_is_coarsened_as_the_engine_does():
    scenario = small_scenario(time_step_weeks=3)  # 17 steps a year: one or two a month
    _assert_same_tables(at_resolution(run(scenario), "month"), run(scenario, resolution="month"))


def test_step_is_the_result_itself():
    result = run(small_scenario())
    assert at_resolution(result, "step") is result


def test_discrete_event_tables_by_month_keep_every_total_and_the_start_after_a_warm_up():
    full = run(small_scenario(horizon_years=2), engine="des", replications=2, jobs=1, warm_up_years=0.5)
    monthly = at_resolution(full, "month")
    a, b = compute(full), compute(monthly)
    np.testing.assert_allclose(b["value"].to_numpy(float), a["value"].to_numpy(float), rtol=1e-9, atol=1e-6)
    for rep in (0, 1):
        first = full.timeseries[full.timeseries[REPLICATION] == rep]
        kept = monthly.timeseries[monthly.timeseries[REPLICATION] == rep]
        start = first[first["time"] == first["time"].min()]
        pd.testing.assert_frame_equal(kept.iloc[: len(start)].reset_index(drop=True), start.reset_index(drop=True))
        assert kept["time"].nunique() == 1 + 18  # the stocks at the end of the warm-up, then 18 months
    assert len(monthly.flows) < len(full.flows) / 3
    assert monthly.extra.keys() == full.extra.keys()


def test_dates_are_the_last_day_of_each_period():
    step = 1 / 52
    ends = np.array([0.0, 4 * step, 9 * step, 1.0, 1 + 4 * step])  # (steps whose middle is in January: 4)
    assert list(period_dates(ends, "month", 2026, step)) == [
        "2026-01-01", "2026-01-31", "2026-02-28", "2026-12-31", "2027-01-31"]  # fmt: skip
    assert list(period_dates(np.array([0.0, 1.0, 2.0]), "year", 2026, step)) == [
        "2026-01-01", "2026-12-31", "2027-12-31"]  # fmt: skip
    assert list(period_dates(np.array([step, 1.0, 4.0]), "step", 2027, step)) == [
        "2027-01-07", "2027-12-31", "2030-12-31"]  # fmt: skip


def test_a_date_column_is_added_last_and_nothing_else_changes():
    scenario = small_scenario()
    costs = at_resolution(run(scenario), "month").costs
    dated = with_dates(costs, "month", scenario)
    assert list(dated.columns) == [*costs.columns, DATE]
    pd.testing.assert_frame_equal(dated.drop(columns=DATE), costs)
    assert dated[DATE].str[:4].astype(int).tolist() == dated["year"].tolist()  # a month lies in its year
    assert dated[DATE].nunique() == 36 and step_years(scenario) == pytest.approx(1 / 52)
