"""Rebuilding the report of a `sweep` or `sensitivity` folder from its saved files, without running anything
(`leftshift report DIR`; a run or compare folder is rebuilt by `leftshift.report.writers.rebuild_report`).

The sensitivity page is built here from the tables as saved (the command calls `sensitivity_page` too), so the
page a command writes and the page rebuilt from its folder are built the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from leftshift.analysis.measures import MEASURES
from leftshift.errors import LeftshiftError
from leftshift.io.reading import read_experiment
from leftshift.report.writers import write_sensitivity_report, write_sweep_report

TORNADO_COLUMNS = {"metric_low": "low", "metric_high": "high", "value_low": "low_value", "value_high": "high_value"}
"""tornado.csv's columns as `plots.tornado` names them."""


def sensitivity_page(
    directory: str | Path, metric: str, method: str, indices: pd.DataFrame, tornado: pd.DataFrame, central: float,
    scenario: Any = None, runs: int | None = None,
) -> Path:  # fmt: skip
    """report.html of a sensitivity analysis from its tables (sensitivity.csv's indices, tornado.csv); `runs`,
    the number of runs, gives the Sobol base sample N (runs = N x (d + 2) + the tornado's 2d + 1) for the
    warning when it is too small."""
    sobol = indices if method == "sobol" else None
    d = len(tornado)
    sample = (int(runs) - (2 * d + 1)) // (d + 2) if sobol is not None and runs else None
    return write_sensitivity_report(directory, metric, tornado.rename(columns=TORNADO_COLUMNS), central, sobol,
                                    scenario, sample)  # fmt: skip


def _sweep(directory: Path, settings: dict[str, Any], tables: dict[str, pd.DataFrame], scenario: Any) -> Path:
    table = tables["sweep"]
    default = "net_savings_gbp_discounted" if settings.get("baseline") else "total_cost_gbp_discounted"
    metric = settings.get("metric") or default  # (folders from before experiment.json named it)
    best = settings.get("best") or ("max" if metric in MEASURES and MEASURES[metric].higher_is_better else "min")
    return write_sweep_report(directory, table, metric, list(settings.get("vary") or []) or None, best, scenario)


def _sensitivity(directory: Path, settings: dict[str, Any], tables: dict[str, pd.DataFrame], scenario: Any) -> Path:
    return sensitivity_page(directory, settings["metric"], settings["method"], tables["sensitivity"],
                            tables["tornado"], float(settings["metric_central"]), scenario,
                            settings.get("runs"))  # fmt: skip


def rebuild_experiment(directory: str | Path) -> Path:
    """Rebuild report.html of a `sweep` or `sensitivity` folder (`experiment.json` says which)."""
    directory = Path(directory)
    settings, tables, scenario = read_experiment(directory)
    command = settings.get("command")
    needed = {"sweep": ["sweep"], "sensitivity": ["sensitivity", "tornado"]}.get(str(command))
    if needed is None:
        raise LeftshiftError(f"{directory} holds the results of `leftshift {command}`, whose report cannot be "
                             "rebuilt from its files; run the command again with --force")  # fmt: skip
    missing = [f"{stem}.csv" for stem in needed if stem not in tables]
    if missing:
        raise LeftshiftError(f"{directory} has no {', '.join(missing)}; was it written by `leftshift {command}`?")
    rebuild = _sweep if command == "sweep" else _sensitivity
    return rebuild(directory, settings, tables, scenario)


__all__ = ["TORNADO_COLUMNS", "rebuild_experiment", "sensitivity_page"]
