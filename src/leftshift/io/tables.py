"""A tidy table on disk for people who open it in Excel: CSV without float noise, or Parquet past Excel's rows.

An Excel sheet holds 1,048,576 rows (the header's included) and silently drops the rest, so a table longer than
that is written as `<stem>.parquet` (pandas, R, Power BI and DuckDB read it) and the writer returns a note for
the terminal. Float noise (9.09e-13 left over from subtracting two large numbers, -0.0) is written as 0;
the Result in memory is not touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

CSV_FLOAT = "%.12g"  # 12 significant digits: exact enough for any count or cost, a third smaller files
EXCEL_ROWS = 1_048_576
"""Rows of an Excel sheet, the header row included (read when a table is written, so tests may lower it)."""
CSV_ROWS = 65_536
"""Rows of a table formatted at a time when it is written as CSV (a long table's text is never all in memory)."""
NOISE = 1e-9
"""Numbers nearer 0 than this are written as 0: no count, cost or rate leftshift reports is meaningful so small."""


def clean_floats(frame: pd.DataFrame, atol: float = NOISE) -> pd.DataFrame:
    """The table with every float within `atol` of 0 (and -0.0) as 0.0: a copy; NaN stays NaN."""
    floats = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    if not floats:
        return frame
    out = frame.copy()
    for column in floats:
        values = out[column].to_numpy(dtype=float, copy=True)
        values[np.abs(values) < atol] = 0.0
        out[column] = values
    return out


def too_long(rows: int, row_limit: int | None = None) -> bool:
    """Whether a table of `rows` rows (and a header) is more than an Excel sheet holds."""
    return rows + 1 > (EXCEL_ROWS if row_limit is None else row_limit)


def parquet_note(stem: str, rows: int) -> str:
    return (f"{stem}: {rows:,} rows, more than an Excel sheet holds ({EXCEL_ROWS - 1:,} below its header), "
            f"so it is written as {stem}.parquet (pandas, R, Power BI and DuckDB read it)")  # fmt: skip


def write_tidy(directory: Path, stem: str, frame: pd.DataFrame, row_limit: int | None = None) -> str | None:
    """`stem`.csv (12 significant digits, no float noise), or `stem`.parquet (every digit) when it is too long
    for Excel: then a note saying so is returned."""
    if too_long(len(frame), row_limit):
        frame.to_parquet(Path(directory) / f"{stem}.parquet", index=False)
        return parquet_note(stem, len(frame))
    write_csv(Path(directory) / f"{stem}.csv", frame)
    return None


def write_csv(target: Path | TextIO, frame: pd.DataFrame, header: bool = True) -> None:
    """A table as CSV with `CSV_FLOAT` and no float noise (`clean_floats`): what
    `clean_floats(frame).to_csv(target, index=False, header=header, float_format=CSV_FLOAT)` writes, byte for
    byte, in less time and memory: `CSV_ROWS` rows at a time, their floats formatted here as pandas formats them
    (`CSV_FLOAT % x`, NaN empty), with one `%` a number instead of pandas' checks around it."""
    if isinstance(target, Path):
        with target.open("w", encoding="utf-8", newline="") as file:
            write_csv(file, frame, header)
        return
    floats = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    for start in range(0, max(len(frame), 1), CSV_ROWS):
        rows = frame.iloc[start : start + CSV_ROWS]
        text = {}
        for column in floats:
            values = rows[column].to_numpy(dtype=float, copy=True)
            values[np.abs(values) < NOISE] = 0.0
            strings = np.array(list(map(CSV_FLOAT.__mod__, values.tolist())), dtype=object)
            strings[np.isnan(values)] = ""
            text[column] = strings
        rows.assign(**text).to_csv(target, index=False, header=header and start == 0)


class TableAppender:
    """One table written a piece at a time (one replication's rows after another), none kept in memory: each
    piece goes to a hidden Parquet file (every digit) and, as CSV, to a hidden CSV file, as it comes; `close()`
    names the CSV `stem`.csv (byte for byte what `write_tidy` writes for the whole table), or, when the table is
    too long for Excel, the Parquet file `stem`.parquet, and returns a note. (The CSV is written as the pieces
    come, while a run's replications are still being simulated, not all at the end.)"""

    def __init__(self, directory: Path, stem: str, row_limit: int | None = None) -> None:
        self.directory, self.stem, self.row_limit = Path(directory), stem, row_limit
        self.pending = self.directory / f".{stem}.pieces.parquet"
        self.pending_csv = self.directory / f".{stem}.pieces.csv"
        self.rows, self.columns = 0, None
        self._writer = None
        self._schema = None
        self._csv: TextIO | None = None

    def __call__(self, piece: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.columns = list(piece.columns) if self.columns is None else self.columns
        if piece.empty:  # (an empty piece's text columns have no type to give the file)
            return
        table = pa.Table.from_pandas(piece, schema=self._schema, preserve_index=False)
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.pending, self._schema)
            self._csv = self.pending_csv.open("w", encoding="utf-8", newline="")
        self._writer.write_table(table)
        if not too_long(self.rows + len(piece), self.row_limit):  # (past Excel's rows the CSV is not needed)
            write_csv(self._csv, piece, header=self.rows == 0)
        self.rows += len(piece)

    def close(self) -> str | None:
        """Write the file (nothing if no piece came); a note if it is Parquet."""
        if self._writer is None:
            if self.columns is not None:
                pd.DataFrame(columns=self.columns).to_csv(self.directory / f"{self.stem}.csv", index=False)
            return None
        self._writer.close()
        self._csv.close()
        if too_long(self.rows, self.row_limit):
            os.replace(self.pending, self.directory / f"{self.stem}.parquet")
            self.pending_csv.unlink()
            return parquet_note(self.stem, self.rows)
        os.replace(self.pending_csv, self.directory / f"{self.stem}.csv")
        self.pending.unlink()
        return None


__all__ = [
    "CSV_FLOAT",
    "EXCEL_ROWS",
    "TableAppender",
    "clean_floats",
    "parquet_note",
    "too_long",
    "write_csv",
    "write_tidy",
]
