"""Writing files: result tables (CSV, or Parquet past Excel's rows: `leftshift.io.tables`), experiment tables
(parquet and CSV), JSON, the resolved scenario, report pages and workbooks. Output folders themselves (claimed,
locked, written all at once) are `leftshift.io.outputs`; saved batches of long experiments are `leftshift.io.parts`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leftshift.io.tables import CSV_FLOAT, clean_floats, write_csv, write_tidy
from leftshift.result import REPLICATION, Result
from leftshift.scenario.loading import resolved_yaml

if TYPE_CHECKING:
    from leftshift.experiments.calibration import Calibration
    from leftshift.scenario.model import Scenario

YEARLY = "yearly.csv"
RESOLVED = "scenario.resolved.yaml"
CALIBRATED = "calibrated.yaml"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _clean(value: Any) -> Any:
    """NaN is not JSON: write null."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, default=_json_default) + "\n", encoding="utf-8")


def write_result(
    directory: Path, result: Result, summary: dict[str, Any], written: tuple[str, ...] = (), resolution: str = "step",
    yearly: pd.DataFrame | None = None,
) -> list[str]:  # fmt: skip
    """Every table (but those already `written`, e.g. by a TableAppender) reported by `resolution` (step, month or
    year: `leftshift.analysis.periods`) with a `date` column, yearly.csv, summary.json and the resolved scenario,
    into an existing directory. yearly.csv comes from the Result as given (`yearly`: its `analysis.yearly` table,
    when the caller has it already). Returns a note for each table written as Parquet because it is longer than
    an Excel sheet."""
    from leftshift.analysis.periods import at_resolution, with_dates

    notes = []
    for stem, table in at_resolution(result, resolution).tables().items():
        if stem not in written:
            note = write_tidy(directory, stem, with_dates(table, resolution, result.scenario))
            notes += [note] if note else []
    write_yearly(directory, result, yearly)
    write_json(directory / "summary.json", summary)
    write_resolved(directory, result.scenario)
    return notes


def write_resolved(directory: Path, scenario: Scenario) -> None:
    """scenario.resolved.yaml: the scenario as run (with its source notes), which loads back as it is."""
    (directory / RESOLVED).write_text(resolved_yaml(scenario), encoding="utf-8")


def write_yearly(directory: Path, result: Result, table: pd.DataFrame | None = None) -> None:
    """yearly.csv (`leftshift.analysis.yearly`, unless given): without `replication` for a stock-flow run, as its
    other tables."""
    from leftshift.analysis.yearly import yearly

    table = yearly(result) if table is None else table
    if not result.replicated:
        table = table.drop(columns=REPLICATION)
    write_table(directory / YEARLY, table)


def write_calibration(directory: Path, calibration: Calibration, provenance: dict[str, Any]) -> None:
    """calibrated.yaml (the original scenario, resolved, with the fitted values and a source note on each: leftshift
    loads it as it is), parameters.csv (every digit), fit.csv and experiment.json."""
    source = " ".join(calibration.source.split())
    head = (f"# {calibration.scenario.name}: '{calibration.original.name}' with {len(calibration.parameters)} "
            f"value(s) fitted by leftshift calibrate to {source}.\n# The note on each fitted value (under sources:) "
            "says how it was fitted; parameters.csv and fit.csv beside this file show the fit.\n")  # fmt: skip
    (directory / CALIBRATED).write_text(head + resolved_yaml(calibration.scenario), encoding="utf-8")
    write_table(directory / "parameters.csv", calibration.parameters, float_format=None)
    write_table(directory / "fit.csv", calibration.fit)
    write_json(directory / "experiment.json", provenance)


def write_table(path: Path, table: pd.DataFrame, float_format: str | None = CSV_FLOAT) -> None:
    """One CSV (for Excel: 12 significant digits, no float noise); `float_format=None` writes every digit as it
    is (experiment tables)."""
    if float_format == CSV_FLOAT:
        write_csv(path, table)
    else:
        (table if float_format is None else clean_floats(table)).to_csv(path, index=False, float_format=float_format)


def write_frame(directory: Path, stem: str, frame: pd.DataFrame, csv: bool = True) -> None:
    """An experiment table: `stem`.parquet, and `stem`.csv with every digit unless `csv=False`."""
    frame.to_parquet(directory / f"{stem}.parquet", index=False)
    if csv:
        write_table(directory / f"{stem}.csv", frame, float_format=None)


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """A parquet file that appears whole or not at all (written to a temporary name, then renamed)."""
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> Path:
    """A text file (a report page) that a reader never sees half written; no partial file is left on failure."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """A file (a report page, a workbook) that a reader never sees half written; no partial file is left."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def new_folder(path: Path, exist_ok: bool = False) -> Path:
    """A folder inside an output being written (e.g. one per compared scenario)."""
    path.mkdir(exist_ok=exist_ok)
    return path


def remove_folder(path: Path) -> None:
    """Remove a working folder (saved parts of a finished run); nothing happens if it is gone."""
    shutil.rmtree(path, ignore_errors=True)


def written_by_leftshift(page: Path) -> bool:
    """A report page whose head names leftshift as its generator (from a leftshift without manifests)."""
    try:
        with page.open(encoding="utf-8", errors="replace") as file:
            return '<meta name="generator" content="leftshift' in file.read(4096)
    except OSError:
        return False


def files_below(root: Path, name: str) -> list[Path]:
    """Files called `name` in the subfolders of `root` (not `root` itself), relative to it, sorted."""
    root = Path(root)
    return sorted(p.relative_to(root) for p in root.glob("*/**/" + name))
