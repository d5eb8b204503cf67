"""Saved results back into memory: a run directory -> Result, a compare directory -> Results in order.

This is what lets `leftshift report RESULTS_DIR` rebuild a report without re-running the model. The
reader is the inverse of `leftshift.io.writing.write_result`: the same tables and dtypes (numbers to the 12
significant digits the CSVs hold), and the resolved scenario (with its source notes) loaded back. A stock-flow
run's files have no `replication` column (`Result.tables`), so it is put back as 0: every Result in memory
has one, whichever engine made it and whether it was read or run.
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
                "payer", "resource", "from_state", "outcome", "metric", "unit", "scenario", "baseline"}  # fmt: skip
"""Columns read as text whatever they hold (an age band '85+' or a programme called 'NA' stays as written)."""
WHOLE_COLUMNS = {"year", REPLICATION}
RESOLVED = "scenario.resolved.yaml"
SUMMARY = "summary.json"
COMPARISON = "comparison.csv"
YEARLY = "yearly.csv"


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
    for name in (RESOLVED, *(f"{stem}.csv" for stem in TABLES)):
        if not (directory / name).is_file():
            raise LeftshiftError(f"{directory} has no {name}; is it a directory written by `leftshift run`?")
    scenario = load_scenario(directory / RESOLVED)
    tables = {stem: read_table(directory / f"{stem}.csv") for stem in TABLES}
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
        path.stem: read_table(path, known=False)
        for path in sorted(directory.glob("*.csv"))
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
