"""Reading files back: observed.csv as text (checked later, cell by cell), and a run's folder without yearly.csv
among its tables (it is made from them)."""

from __future__ import annotations

import pytest

from builders import small_scenario
from leftshift.analysis import summary
from leftshift.api import run
from leftshift.errors import LeftshiftError
from leftshift.io.reading import read_observed, read_result
from leftshift.io.writing import write_result


def test_observed_cells_are_read_as_written(tmp_path):
    path = tmp_path / "obs.csv"
    path.write_bytes("\ufeffyear,metric,age_band,value\n2026,deaths,,1e3\n2027,deaths,NA,12\n".encode())
    table = read_observed(path)
    assert list(table.columns) == ["year", "metric", "age_band", "value"]  # a spreadsheet's byte-order mark is dropped
    assert table.to_numpy().tolist() == [["2026", "deaths", "", "1e3"], ["2027", "deaths", "NA", "12"]]


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    (b"", "cannot be read as a CSV file"),
    (b"\xff\xfe\x00bad", "cannot be read as a CSV file"),
])  # fmt: skip
def test_unreadable_observed_files(tmp_path, content, message):
    path = tmp_path / "obs.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LeftshiftError, match=message):
        read_observed(path)


def test_yearly_csv_is_not_read_back_as_a_table_of_the_result(tmp_path):
    result = run(small_scenario())
    write_result(tmp_path, result, summary.build(result))
    assert (tmp_path / "yearly.csv").is_file()
    assert "yearly" not in read_result(tmp_path).extra
