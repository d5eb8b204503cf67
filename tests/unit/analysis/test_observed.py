"""observed.csv's checks: every problem named by file, line and column, all at once; good rows come back as numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from leftshift.analysis.observed import OBSERVED_COLUMNS, check_observed
from leftshift.errors import LeftshiftError

YEARS, BANDS = [2026, 2027, 2028], ["18-64", "65+"]


def frame(rows: list[list[str]], columns: tuple[str, ...] = ("year", "metric", "age_band", "value")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=str)


def problems(raw: pd.DataFrame) -> list[str]:
    with pytest.raises(LeftshiftError) as caught:
        check_observed(raw, "obs.csv", YEARS, BANDS)
    return [str(p) for p in caught.value.problems]


def test_good_rows_come_back_as_numbers_with_an_empty_band_meaning_all():
    raw = frame([["2026", "emergency_admissions", "", "6000"], ["2027", "deaths", "65+", "1.5e3"],
                 ["2028", "total_cost_gbp", "all", "9e7"]])  # fmt: skip
    table = check_observed(raw, "obs.csv", YEARS, BANDS)
    assert list(table.columns) == OBSERVED_COLUMNS
    assert table["age_band"].tolist() == ["all", "65+", "all"]
    assert table["value"].tolist() == [6000.0, 1500.0, 9e7]
    assert table["weight"].tolist() == [1.0, 1.0, 1.0] and table["line"].tolist() == [2, 3, 4]
    assert table["year"].dtype == "int64"


def test_weights_and_units_are_read_and_checked():
    columns = ("year", "metric", "value", "weight", "unit")
    table = check_observed(frame([["2026", "deaths", "100", "2", "people"]], columns), "obs.csv", YEARS, BANDS)
    assert table["weight"].tolist() == [2.0]
    found = problems(frame([["2026", "deaths", "100", "0", "days"]], columns))
    assert "obs.csv, line 2 at weight: '0' is not a number above 0" in found
    assert "obs.csv, line 2 at unit: deaths is measured in people, not 'days'" in found


def test_every_bad_cell_is_named_by_line_and_column():
    found = problems(frame([
        ["2026", "emergency_admission", "", "10"],  # a typo in the metric
        ["2040", "deaths", "", "10"],  # not simulated
        ["twenty", "deaths", "65+", "10"],
        ["2026", "deaths", "90+", "10"],  # no such band
        ["2026", "total_cost_gbp", "65+", "10"],  # costs have no bands
        ["2027", "deaths", "", "0"],  # relative residuals need a value above 0
        ["2027", "deaths", "", "many"],
    ]))  # fmt: skip
    typo = "unknown metric 'emergency_admission'; did you mean emergency_admissions?"
    assert found[0] == f"obs.csv, line 2 at metric: {typo}"
    assert "obs.csv, line 3 at year: 2040 is not simulated (the scenario runs 2026 to 2028)" in found
    assert "obs.csv, line 4 at year: 'twenty' is not a year" in found
    assert any(p.startswith("obs.csv, line 5 at age_band: unknown age band '90+'") for p in found)
    assert "obs.csv, line 6 at age_band: total_cost_gbp is not reported by age band; leave age_band empty" in found
    assert any(p.startswith("obs.csv, line 7 at value: '0' is not a number above 0") for p in found)
    assert any(p.startswith("obs.csv, line 8 at value: 'many'") for p in found)


def test_the_same_figure_twice_is_refused():
    found = problems(frame([["2026", "deaths", "all", "10"], ["2026.0", "deaths", "", "11"]]))
    assert found == ["obs.csv, line 3 at year: the same year, metric and age band as line 2"]


@pytest.mark.parametrize(("columns", "message"), [
    (("year", "metric", "age_band"), "missing column(s) value"),
    (("year", "metric", "value", "ageband"), "unknown column(s) ageband"),
])  # fmt: skip
def test_columns_must_be_known(columns, message):
    found = problems(frame([["2026"] * len(columns)], columns))
    assert found == [f"obs.csv, line 1: {message}"]


def test_a_file_without_rows_is_refused():
    assert problems(frame([])) == ["obs.csv: no observations (the file has a header but no rows)"]
