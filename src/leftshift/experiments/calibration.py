"""Calibration: fit scenario values to observed figures with the stock-flow engine (`leftshift calibrate`).

Each evaluation the optimiser asks for (one point per step, 2 x parameters points per Jacobian) is one
vectorised engine run of all its points (`simulate(record="yearly")` and `analysis.yearly.batch_yearly`); the
numbers of the fit are `analysis.fitting` and `analysis.identifiability`. Points are scenarios built as a
sweep's are (`experiments.design.Template`), so no point is a scenario a user could not have written, and
every parameter is tried at its low and high bound (the others at their start) before the fit starts.

The calibrated scenario is the original, resolved, with the fitted values in place, each with a source note
saying how it was fitted; a fitted value that was written as a distribution becomes a plain number (its
distribution, and any correlation with it, is dropped: the note says what it was).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from leftshift.analysis.fitting import FitParameter, distribution_bounds, fit, parse_fit
from leftshift.analysis.identifiability import identifiability
from leftshift.analysis.metrics import METRICS
from leftshift.analysis.observed import check_observed
from leftshift.analysis.yearly import YearlyBatch, batch_yearly
from leftshift.errors import LeftshiftError
from leftshift.experiments.design import Design, Template, set_path
from leftshift.scenario.keypaths import parse_path
from leftshift.scenario.model import Scenario
from leftshift.scenario.vary import child, settable

MAX_STEPS = 100
FIT_COLUMNS = ["year", "metric", "age_band", "observed", "fitted", "residual", "relative_residual", "weight",
               "start", "unit"]  # fmt: skip
PARAMETER_COLUMNS = ["parameter", "start", "low", "high", "bounds", "fitted", "identifiable", "standard_error",
                     "ci95_low", "ci95_high", "sensitivity", "note"]  # fmt: skip


@dataclass(frozen=True)
class Calibration:
    """A finished fit: the calibrated scenario, parameters.csv's and fit.csv's tables, and how it went."""

    original: Scenario
    scenario: Scenario
    parameters: pd.DataFrame
    fit: pd.DataFrame
    source: str  # the observed file, as named in notes
    runs: int
    converged: bool
    message: str

    def rms(self, column: str = "fitted") -> float:
        """Root mean square weighted relative miss of the model at the start or fitted values."""
        f = self.fit
        r = np.sqrt(f["weight"]) * (f[column] - f["observed"]) / f["observed"].abs()
        return float(np.sqrt(np.mean(r**2)))

    def unidentified(self) -> list[str]:
        return self.parameters.loc[~self.parameters["identifiable"], "parameter"].tolist()


# What to fit -----------------------------------------------------------------------------------------------


def _value_at(data: dict[str, Any], path: str) -> float | None:
    """The number at `path`; None where a band or year could be added; otherwise an error naming the path."""
    node: Any = data
    for part in parse_path(path):
        found, node = child(node, part)
        if not found:
            if settable(data, path):
                return None
            raise LeftshiftError(f"--fit {path}: the scenario has no value there (key paths are those --set takes)")
    if isinstance(node, dict):
        first = next(iter(node), "KEY")
        raise LeftshiftError(f"--fit {path}: this is a mapping of values, not one number; fit one of them, e.g. "
                             f"{path}.{first}")  # fmt: skip
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise LeftshiftError(f"--fit {path}: '{node}' is not a number")
    return float(node)


def fit_parameters(scenario: Scenario, fits: Sequence[str]) -> list[FitParameter]:
    """`--fit KEY.PATH[=LOW:HIGH]` options -> what to fit; bounds from LOW:HIGH, else from the value's distribution."""
    if not fits:
        raise LeftshiftError("nothing to fit: give --fit KEY.PATH=LOW:HIGH (repeatable)")
    parsed = [parse_fit(f) for f in fits]
    paths = [p for p, _ in parsed]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise LeftshiftError(f"--fit: a key path is given twice ({', '.join(twice)})")
    data = scenario.model_dump(by_alias=True)
    out = []
    for path, bounds in parsed:
        value = _value_at(data, path)
        if bounds is not None:
            low, high, where = bounds[0], bounds[1], "--fit"
        elif path in scenario.uncertainty:
            low, high, where = distribution_bounds(scenario.uncertainty[path])
            if not low < high:
                raise LeftshiftError(f"--fit {path}: its distribution has no width; give bounds: --fit {path}=LOW:HIGH")
        else:
            raise LeftshiftError(f"--fit {path}: give bounds, e.g. --fit '{path}=LOW:HIGH' (only a value written as "
                                 "a distribution, dist:, has bounds of its own)")  # fmt: skip
        start = (low + high) / 2 if value is None else float(np.clip(value, low, high))
        out.append(FitParameter(path, start, float(low), float(high), where))
    return out


def prepare(scenario: Scenario, parameters: Sequence[FitParameter]) -> Template:
    """The template points are built from, with every parameter tried at both bounds first."""
    names = tuple(p.path for p in parameters)
    template = Template.of(scenario, Design(names, np.zeros((1, len(names)))), origin="--fit")
    rows = np.array([[p.low for p in parameters], [p.start for p in parameters], [p.high for p in parameters]])
    template.check(Design(names, rows))
    return template


# Running points ---------------------------------------------------------------------------------------------


def run_points(template: Template, values: np.ndarray) -> YearlyBatch:
    """Every yearly series of every point (one row of parameter values each), in one engine run."""
    from leftshift.engines.finite import NonFiniteError
    from leftshift.engines.stockflow.engine import simulate

    try:
        return batch_yearly(simulate(template.scenarios(values), record="yearly"))
    except NonFiniteError as exc:
        point = values[exc.members[0] if exc.members else 0]
        setting = ", ".join(f"{p}={v:g}" for p, v in zip(template.paths, point, strict=True))
        raise LeftshiftError(f"--fit: the model gave infinite or undefined results at {setting}; narrow the bounds",
                             hint=exc.render()) from None  # fmt: skip


def positions(batch: YearlyBatch, observed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(year index, series index) of each observed row in a YearlyBatch."""
    year_at = {int(y): i for i, y in enumerate(batch.years)}
    key_at = {key: k for k, key in enumerate(batch.keys)}
    years = np.array([year_at[int(y)] for y in observed["year"]], dtype=np.int64)
    keys = np.array([key_at[(m, b)] for m, b in zip(observed["metric"], observed["age_band"], strict=True)])
    return years, keys.astype(np.int64)


def calibrate(
    scenario: Scenario,
    observed: pd.DataFrame,
    fits: Sequence[str],
    *,
    source: str = "observed.csv",
    max_steps: int = MAX_STEPS,
    progress: Callable[[int], None] | None = None,
) -> Calibration:
    """Fit the `--fit` values of `scenario` to `observed` (as read from observed.csv: `analysis.observed`)."""
    parameters = fit_parameters(scenario, fits)
    template = prepare(scenario, parameters)
    start = np.array([[p.start for p in parameters]])
    first = run_points(template, start)
    table = check_observed(observed, source, [int(y) for y in first.years], list(scenario.age_bands))
    at_year, at_key = positions(first, table)

    def evaluate(values: np.ndarray) -> np.ndarray:
        return run_points(template, values).values[at_year, at_key, :].T

    found = fit(evaluate, parameters, table["value"].to_numpy(), table["weight"].to_numpy(), max_steps, progress)
    widths = np.array([p.high - p.low for p in parameters])
    checks = identifiability(found.jacobian, found.residuals, [p.path for p in parameters], widths)
    params = _parameter_table(parameters, found.values, checks)
    fitted = _fit_table(table, found.start_model, found.model)
    calibrated = calibrated_scenario(scenario, params, source, len(table))
    return Calibration(scenario, calibrated, params, fitted, source, found.runs + 1, found.converged, found.message)


# Tables and the calibrated scenario -------------------------------------------------------------------------


def _parameter_table(parameters: Sequence[FitParameter], values: np.ndarray, checks: pd.DataFrame) -> pd.DataFrame:
    rows = pd.DataFrame({"parameter": [p.path for p in parameters], "start": [p.start for p in parameters],
                         "low": [p.low for p in parameters], "high": [p.high for p in parameters],
                         "bounds": [p.bounds for p in parameters], "fitted": values})  # fmt: skip
    rows = pd.concat([rows, checks], axis=1)
    rows["ci95_low"] = rows["fitted"] - rows.pop("ci95_half_width")
    rows["ci95_high"] = rows["fitted"] + (rows["fitted"] - rows["ci95_low"])
    span = rows["high"] - rows["low"]
    edge = np.where(rows["fitted"] <= rows["low"] + 1e-6 * span, "low",
                    np.where(rows["fitted"] >= rows["high"] - 1e-6 * span, "high", ""))  # fmt: skip
    for i in np.flatnonzero(edge != ""):
        way = "lower" if edge[i] == "low" else "higher"
        note = f"at its {edge[i]} bound: the data would take it {way}; widen the bounds if that is plausible"
        rows.loc[i, "note"] = "; ".join(n for n in (rows.loc[i, "note"], note) if n)
    return rows[PARAMETER_COLUMNS]


def _fit_table(table: pd.DataFrame, start: np.ndarray, fitted: np.ndarray) -> pd.DataFrame:
    observed = table["value"].to_numpy(dtype=float)
    return pd.DataFrame({"year": table["year"].to_numpy(), "metric": table["metric"].to_numpy(),
                         "age_band": table["age_band"].to_numpy(), "observed": observed, "fitted": fitted,
                         "residual": fitted - observed, "relative_residual": (fitted - observed) / np.abs(observed),
                         "weight": table["weight"].to_numpy(), "start": start,
                         "unit": [METRICS[m].unit for m in table["metric"]]})[FIT_COLUMNS]  # fmt: skip


def _note(row: Any, scenario: Scenario, source: str, n_observed: int) -> str:
    """How one value was fitted, for the calibrated scenario's `sources`."""
    note = (
        f"fitted by leftshift calibrate to {n_observed} observed figures in {source} (weighted least squares on "
        f"relative differences), within {row.low:g} to {row.high:g} (from {row.bounds}); started at {row.start:g}"
    )
    if np.isfinite(row.ci95_low):
        note += f"; approximate 95% interval {row.ci95_low:.6g} to {row.ci95_high:.6g}"
    if not row.identifiable:
        note += f"; the data cannot identify it ({row.note})"
    if row.parameter in scenario.uncertainty:
        note += f"; was uncertain: {scenario.uncertainty[row.parameter].describe()}"
    if row.parameter in scenario.sources:
        note += f"; source before: {scenario.sources[row.parameter]}"
    return note


def calibrated_scenario(scenario: Scenario, parameters: pd.DataFrame, source: str, n_observed: int) -> Scenario:
    """The original with the fitted values, a source note on each, and a name of its own."""
    data = copy.deepcopy(scenario.model_dump(by_alias=True))
    fitted = set(parameters["parameter"])
    for row in parameters.itertuples(index=False):
        set_path(data, row.parameter, float(row.fitted))
    data["name"] = f"{scenario.name} (calibrated)"
    data["uncertainty"] = {k: v for k, v in data["uncertainty"].items() if k not in fitted}
    data["correlations"] = [c for c in data["correlations"] if c["a"] not in fitted and c["b"] not in fitted]
    notes = {row.parameter: _note(row, scenario, source, n_observed) for row in parameters.itertuples(index=False)}
    data["sources"] = {**data["sources"], **notes}
    return Scenario.model_validate(data)


__all__ = ["FIT_COLUMNS", "MAX_STEPS", "PARAMETER_COLUMNS", "Calibration", "calibrate", "calibrated_scenario",
           "fit_parameters", "positions", "prepare", "run_points"]  # fmt: skip
