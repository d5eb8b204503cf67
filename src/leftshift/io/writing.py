"""Writing files: result tables (CSV), experiment tables (parquet and CSV), JSON, the resolved scenario and
report pages. Output folders themselves (claimed, locked, written all at once) are `leftshift.io.outputs`;
saved batches of long experiments are `leftshift.io.parts`.
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

from leftshift.result import REPLICATION, Result
from leftshift.scenario.loading import resolved_yaml

if TYPE_CHECKING:
    from leftshift.experiments.calibration import Calibration

CSV_FLOAT = "%.12g"  # 12 significant digits: exact enough for any count or cost, a third smaller files
YEARLY = "yearly.csv"
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


class TableAppender:
    """One CSV written a piece at a time (say, one replication's rows after another), the header once: the
    file is byte for byte what `write_result` writes for the whole table, and no piece is kept in memory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.pieces = 0

    def __call__(self, piece: pd.DataFrame) -> None:
        with self.path.open("a" if self.pieces else "w", encoding="utf-8", newline="") as file:
            piece.to_csv(file, index=False, header=not self.pieces, float_format=CSV_FLOAT)
        self.pieces += 1


def write_result(directory: Path, result: Result, summary: dict[str, Any], written: tuple[str, ...] = ()) -> None:
    """Every table as CSV (but those already `written`, e.g. by a TableAppender), yearly.csv, summary.json and
    the resolved scenario, into an existing directory."""
    for stem, table in result.tables().items():
        if stem not in written:
            table.to_csv(directory / f"{stem}.csv", index=False, float_format=CSV_FLOAT)
    write_yearly(directory, result)
    write_json(directory / "summary.json", summary)
    (directory / "scenario.resolved.yaml").write_text(resolved_yaml(result.scenario), encoding="utf-8")


def write_yearly(directory: Path, result: Result) -> None:
    """yearly.csv (`leftshift.analysis.yearly`): without `replication` for a stock-flow run, as its other tables."""
    from leftshift.analysis.yearly import yearly

    table = yearly(result)
    if not result.replicated:
        table = table.drop(columns=REPLICATION)
    table.to_csv(directory / YEARLY, index=False, float_format=CSV_FLOAT)


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
    """One CSV (for Excel); `float_format=None` writes every digit (experiment tables)."""
    table.to_csv(path, index=False, float_format=float_format)


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
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
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
