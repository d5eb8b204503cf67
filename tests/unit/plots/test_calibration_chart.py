"""The calibration chart and report: one panel per observed series with the observations, the model before and
after fitting; plain-English titles; scenario text escaped; what the data cannot identify stated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario
from leftshift import plots
from leftshift.analysis.yearly import yearly
from leftshift.api import calibrate, run
from leftshift.plots.calibration import panel_title
from leftshift.report.calibration import calibration_report

NASTY = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def calibration():
    table = yearly(run(small_scenario()))
    rows = table[table["metric"].isin(["emergency_admissions", "deaths"]) & table["age_band"].isin(["all", "65+"])]
    observed = rows[["year", "metric", "age_band", "value"]].assign(value=rows["value"] * 1.05)
    return calibrate(small_scenario(), observed, ["transitions[0].rate.65+=0.1:0.5",
                                                  "costs.per_person_week.acute.nhs=1000:5000"])  # fmt: skip


def test_one_panel_per_series_with_three_traces(calibration):
    fig = plots.observed_vs_fitted(calibration.fit)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["Emergency admissions, all ages", "Emergency admissions, aged 65+", "Deaths, all ages",
                      "Deaths, aged 65+"]  # fmt: skip
    assert len(fig.data) == 12 and [t.name for t in fig.data[:3]] == ["Observed", "Model before fitting",
                                                                       "Model after fitting"]  # fmt: skip
    assert sum(bool(t.showlegend) for t in fig.data) == 3
    observed = calibration.fit[(calibration.fit["metric"] == "deaths") & (calibration.fit["age_band"] == "65+")]
    np.testing.assert_allclose(fig.data[9].y, observed.sort_values("year")["observed"])
    assert fig.layout.yaxis.title.text == "People"


def test_titles_are_plain_english_and_escaped():
    assert panel_title("delayed_discharge_bed_days", "85+") == "Delayed-discharge bed days, aged 85+"
    assert "<script>" not in panel_title("deaths", NASTY)


def test_no_observations_is_an_empty_chart_that_says_so():
    empty = pd.DataFrame(columns=["year", "metric", "age_band", "observed", "start", "fitted"])
    fig = plots.observed_vs_fitted(empty)
    assert not plots.has_data(fig) and fig.layout.annotations[0].text == "No observations to show."


def test_the_report_states_the_fit_and_what_cannot_be_identified(calibration):
    original = calibration.original.model_copy(update={"name": NASTY})
    page = calibration_report(dataclasses.replace(calibration, original=original))
    assert NASTY not in page and "&lt;script&gt;" in page
    assert "What the data cannot identify" in page and "costs.per_person_week.acute.nhs" in page
    assert "Typical miss before fitting" in page and 'data-chart="fit"' in page
    assert "Every parameter, before and after calibration" in page
