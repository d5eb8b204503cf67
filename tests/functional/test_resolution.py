"""Monthly and yearly outputs are the weekly ones summed: the same totals in far fewer rows."""

from __future__ import annotations

import pytest

from builders import small_scenario
from leftshift.analysis.metrics import compute
from leftshift.api import run
from leftshift.errors import LeftshiftError


@pytest.mark.parametrize("resolution", ["month", "year"])
def test_coarser_resolution_keeps_every_total(resolution):
    scenario = small_scenario()
    weekly, coarse = run(scenario), run(scenario, resolution=resolution)
    a = compute(weekly).set_index("metric")["value"]
    b = compute(coarse).set_index("metric")["value"]
    assert b.to_numpy() == pytest.approx(a.to_numpy(), rel=1e-9, abs=1e-6)
    assert len(coarse.flows) < len(weekly.flows) / 4
    periods = coarse.timeseries["time"].nunique() - 1
    assert periods == (36 if resolution == "month" else 3)
    last = weekly.timeseries[weekly.timeseries["time"] == weekly.timeseries["time"].max()]
    end = coarse.timeseries[coarse.timeseries["time"] == coarse.timeseries["time"].max()]
    assert end["people"].sum() == pytest.approx(last["people"].sum(), rel=1e-12)


def test_the_discrete_event_engine_reports_every_step():
    with pytest.raises(LeftshiftError, match="every step"):
        run(small_scenario(), engine="des", resolution="month")
