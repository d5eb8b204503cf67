"""Tidy tables on disk: no float noise in the CSVs, Parquet past Excel's rows (a small limit stands in for
1,048,576), and a table written a piece at a time equal to the whole table written at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario
from leftshift.analysis import summary
from leftshift.api import run
from leftshift.io import tables
from leftshift.io.reading import read_result
from leftshift.io.tables import TableAppender, clean_floats, write_tidy
from leftshift.io.writing import write_result


def _frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({"replication": np.arange(n) // 3, "resource": ["home_care", "residential"] * (n // 2),
                         "wait_days": np.linspace(0.0, 10.0, n) + 1 / 3})  # fmt: skip


def test_noise_and_negative_zero_are_written_as_zero_and_the_table_in_memory_is_untouched(tmp_path):
    frame = pd.DataFrame({"name": ["a", "b", "c", "d", "e"],
                          "value": [9.09494701773e-13, -0.0, -4.5e-10, float("nan"), 1234.5],
                          "small": [2.4e-7, 1e-9, 0.0, 1.0, -3.0]})  # fmt: skip
    assert write_tidy(tmp_path, "t", frame) is None
    text = (tmp_path / "t.csv").read_text()
    assert text.splitlines() == ["name,value,small", "a,0,2.4e-07", "b,0,1e-09", "c,0,0", "d,,1", "e,1234.5,-3"]
    assert "e-1" not in text and "-0," not in text
    assert frame["value"].iloc[0] == 9.09494701773e-13 and np.signbit(frame["value"].iloc[1])
    assert clean_floats(frame[["name"]]) is not None


def test_a_table_longer_than_a_sheet_is_written_as_parquet_with_a_note(tmp_path):
    frame = _frame(6)
    note = write_tidy(tmp_path, "waits", frame, row_limit=6)  # five rows and the header fit; six do not
    assert note is not None and "waits.parquet" in note and "6 rows" in note
    assert not (tmp_path / "waits.csv").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "waits.parquet"), frame)
    assert write_tidy(tmp_path, "short", frame, row_limit=7) is None and (tmp_path / "short.csv").is_file()


@pytest.mark.parametrize("sizes", [[3, 0, 3], [0, 4, 2], [6]])
def test_pieces_make_the_same_csv_as_the_whole_table(tmp_path, sizes):
    whole = _frame(6)
    write_tidy(tmp_path, "whole", whole)
    appender, start = TableAppender(tmp_path, "waits"), 0
    for size in sizes:
        appender(whole.iloc[start : start + size])
        start += size
    assert appender.close() is None
    assert (tmp_path / "waits.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert not list(tmp_path.glob(".*"))  # the pieces' file is gone


def test_pieces_past_the_limit_become_parquet(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_ROWS", 5)
    appender = TableAppender(tmp_path, "waits")
    for piece in (_frame(6).iloc[:3], _frame(6).iloc[3:]):
        appender(piece)
    assert "6 rows" in appender.close()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "waits.parquet"), _frame(6))
    assert not (tmp_path / "waits.csv").exists()


def test_only_empty_pieces_give_a_header(tmp_path):
    appender = TableAppender(tmp_path, "waits")
    appender(_frame(6).iloc[:0])
    assert appender.close() is None
    assert (tmp_path / "waits.csv").read_text() == "replication,resource,wait_days\n"
    nothing = TableAppender(tmp_path, "never")
    assert nothing.close() is None and not (tmp_path / "never.csv").exists()


def test_a_run_with_a_table_too_long_for_excel_reads_back_the_same(tmp_path, monkeypatch):
    result = run(small_scenario())
    monkeypatch.setattr(tables, "EXCEL_ROWS", len(result.timeseries))  # flows and the timeseries: too long
    notes = write_result(tmp_path, result, summary.build(result))
    assert sorted(n.split(":")[0] for n in notes) == ["flows", "timeseries"]
    assert (tmp_path / "flows.parquet").is_file() and not (tmp_path / "flows.csv").exists()
    assert "date" in pd.read_parquet(tmp_path / "flows.parquet").columns
    back = read_result(tmp_path)
    for stem, table in result.tables().items():
        pd.testing.assert_frame_equal(back.tables()[stem], table, check_dtype=False, check_exact=False, rtol=1e-11,
                                      obj=stem)  # fmt: skip


def test_write_csv_writes_what_pandas_writes_byte_for_byte(tmp_path, monkeypatch):
    """`write_csv` formats floats itself, a few rows at a time: the file is pandas' `to_csv` of the cleaned
    table to the byte (noise, -0.0, NaN, infinities, every magnitude, text that needs quoting, integers)."""
    monkeypatch.setattr(tables, "CSV_ROWS", 4)
    rng = np.random.default_rng(3)
    n = 11
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-12, 15, n)
    values[[1, 2, 3, 4, 5]] = [-0.0, float("nan"), float("inf"), -4e-10, 1 / 3]
    frame = pd.DataFrame({"replication": np.arange(n), "name": [f'a,"b" {i}' for i in range(n)],
                          "value": values, "other": pd.array(values[::-1], dtype="float32").astype(float)})  # fmt: skip
    expected = clean_floats(frame).to_csv(index=False, float_format=tables.CSV_FLOAT)
    tables.write_csv(tmp_path / "t.csv", frame)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == expected
    assert '"a,""b"" 0"' in expected and ",inf," in expected and '\n2,"a' in expected
    tables.write_csv(tmp_path / "empty.csv", frame.iloc[:0])
    assert (tmp_path / "empty.csv").read_text() == "replication,name,value,other\n"
