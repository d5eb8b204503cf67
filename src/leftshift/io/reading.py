"""Saved results back into memory: a run directory -> Result, a compare directory -> Results in order.

This is what lets `leftshift report RESULTS_DIR` rebuild a report without re-running the model. The
reader is the inverse of `leftshift.io.writing.write_result`: the same tables and dtypes (numbers to the 12
significant digits the CSVs hold; a table too long for Excel is read from its Parquet file), and the resolved
scenario (with its source notes) loaded back. A stock-flow run's files have no `replication` column
(`Result.tables`), so it is put back as 0: every Result in memory has one, whichever engine made it and whether
it was read or run. The `date` column of the files is left out: it is made from `time` when written. Tables
written by month or year (`--resolution`) come back by month or year.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from leftshift.errors import LeftshiftError
from leftshift.result import (
    COSTS_COLUMNS,
    FLOWS_COLUMNS,
    PROGRAMMES_COLUMNS,
    QUEUES_COLUMNS,
    REPLICATION,
    TIMESERIES_COLUMNS,
    Result,
)

TABLES = {
    "timeseries": TIMESERIES_COLUMNS,
    "flows": FLOWS_COLUMNS,
    "costs": COSTS_COLUMNS,
    "queues": QUEUES_COLUMNS,
    "programmes": PROGRAMMES_COLUMNS,
}
TEXT_COLUMNS = {"state", "age_band", "segment", "target_segment", "programme", "kind", "source", "target", "service",
                "payer", "resource", "from_state", "outcome", "metric", "unit", "scenario", "baseline",
                "date"}  # fmt: skip
"""Columns read as text whatever they hold (an age band '85+' or a programme called 'NA' stays as written)."""
WHOLE_COLUMNS = {"year", REPLICATION}
RESOLVED = "scenario.resolved.yaml"
SUMMARY = "summary.json"
EXPERIMENT = "experiment.json"
COMPARISON = "comparison.csv"
YEARLY = "yearly.csv"
DATE = "date"


def read_table(path: Path, known: bool = True) -> pd.DataFrame:
    """One CSV written by leftshift, with text columns as text and (for `known` tables) numbers as floats."""
    header = pd.read_csv(path, nrows=0).columns
    text = {c: "str" for c in header if c in TEXT_COLUMNS}
    frame = pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""])
    for column in frame.columns:
        if column in text:
            continue
        if column in WHOLE_COLUMNS and frame[column].notna().all():
            frame[column] = frame[column].astype("int64")
        elif known or frame.empty:
            frame[column] = frame[column].astype("float64")
    return frame


def _table_path(directory: Path, stem: str) -> Path | None:
    """`stem`.csv, or `stem`.parquet (a table longer than an Excel sheet), or None."""
    for suffix in (".csv", ".parquet"):
        if (directory / f"{stem}{suffix}").is_file():
            return directory / f"{stem}{suffix}"
    return None


def _read_any(path: Path, known: bool = True) -> pd.DataFrame:
    """A table from its CSV or Parquet file, without the `date` column written beside `time`."""
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else read_table(path, known)
    return frame.drop(columns=DATE) if DATE in frame.columns and "time" in frame.columns else frame


def _with_replication(frame: pd.DataFrame) -> pd.DataFrame:
    """A one-run table as every Result holds it: `replication` 0 first."""
    return frame.assign(**{REPLICATION: 0})[[REPLICATION, *frame.columns]].astype({REPLICATION: "int64"})


def read_summary(directory: Path) -> dict[str, Any]:
    """summary.json of a run directory: the engine and provenance a Result's tables do not hold."""
    return json.loads((Path(directory) / SUMMARY).read_text(encoding="utf-8"))


def read_result(directory: str | Path) -> Result:
    """The Result saved in a run directory (or one scenario's subdirectory of a compare directory)."""
    from leftshift.scenario.loading import load_scenario

    directory = Path(directory)
    paths = {stem: _table_path(directory, stem) for stem in TABLES}
    for name in (RESOLVED, *(f"{stem}.csv" for stem, path in paths.items() if path is None)):
        if not (directory / name).is_file():
            raise LeftshiftError(f"{directory} has no {name}; is it a directory written by `leftshift run`?")
    scenario = load_scenario(directory / RESOLVED)
    tables = {stem: _read_any(path) for stem, path in paths.items() if path is not None}
    for stem, columns in TABLES.items():
        missing = [c for c in columns if c not in tables[stem].columns]
        if missing:
            raise LeftshiftError(f"{directory / stem}.csv lacks the columns {', '.join(missing)}")
    replicated = REPLICATION in tables["timeseries"].columns
    if not replicated:
        tables = {stem: _with_replication(frame) for stem, frame in tables.items()}
    unnamed = "des" if replicated else "stockflow"  # an engine's files without summary.json
    engine = read_summary(directory).get("engine", unnamed) if (directory / SUMMARY).is_file() else unnamed
    extra = {
        path.stem: _read_any(path, known=False)
        for path in sorted([*directory.glob("*.csv"), *directory.glob("*.parquet")])
        if path.stem not in TABLES and path.name not in (COMPARISON, YEARLY)  # yearly.csv: made from the tables
    }
    return Result(scenario=scenario, engine=engine, extra=extra, **tables)


def read_observed(path: str | Path) -> pd.DataFrame:
    """observed.csv for `leftshift calibrate`, every cell as text (`leftshift.analysis.observed` checks it and
    names each bad cell by its line)."""
    path = Path(path)
    if not path.is_file():
        raise LeftshiftError(f"{path}: no such file (--observed takes a CSV file: year, metric, age_band, value)")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise LeftshiftError(f"{path}: cannot be read as a CSV file ({why})") from None


def read_comparison(directory: str | Path) -> tuple[list[Result], list[dict[str, Any]], pd.DataFrame]:
    """A compare directory: Results and summaries in order (baseline first), and comparison.csv."""
    directory = Path(directory)
    table = read_table(directory / COMPARISON, known=False)
    if table.empty:
        raise LeftshiftError(f"{directory / COMPARISON} is empty")
    names = [str(table["baseline"].iloc[0]), *dict.fromkeys(table["scenario"].astype(str))]
    found: dict[str, Path] = {}
    for sub in sorted(p for p in directory.iterdir() if (p / SUMMARY).is_file()):
        found.setdefault(str(read_summary(sub).get("scenario")), sub)
    missing = [n for n in names if n not in found]
    if missing:
        raise LeftshiftError(f"{directory} has no results for {', '.join(repr(n) for n in missing)}; "
                             "was it written by `leftshift compare`?")  # fmt: skip
    results = [read_result(found[n]) for n in names]
    return results, [read_summary(found[n]) for n in names], table


def read_experiment(directory: str | Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame], Any]:
    """A `sweep` or `sensitivity` folder: experiment.json, its tables by stem (every digit: Parquet where it was
    written, else the CSV) and the scenario it ran (None for a folder from before leftshift saved it there)."""
    from leftshift.scenario.loading import load_scenario

    directory = Path(directory)
    settings = json.loads((directory / EXPERIMENT).read_text(encoding="utf-8"))
    stems = {path.stem for path in [*directory.glob("*.parquet"), *directory.glob("*.csv")]}
    tables = {}
    for stem in sorted(stems):
        parquet = directory / f"{stem}.parquet"
        tables[stem] = pd.read_parquet(parquet) if parquet.is_file() else read_table(directory / f"{stem}.csv", False)
    scenario = load_scenario(directory / RESOLVED) if (directory / RESOLVED).is_file() else None
    return settings, tables, scenario
