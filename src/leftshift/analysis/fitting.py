"""Fitting scenario values to observed figures by weighted least squares (`leftshift calibrate`).

The numbers only: what is fitted (`FitParameter`: a key path, its start value and bounds), the residuals and
the optimiser; `analysis.identifiability` says what the data can tell apart. Running the model is the caller's:
`evaluate` takes points (one row of parameter values each) and returns the model's value of every observed
figure at each point, so that all the points of a finite-difference Jacobian run as one vectorised batch
(`leftshift.experiments.calibration`).

Residuals are relative: r_i = sqrt(w_i) (model_i - observed_i) / observed_i, so a 5% miss counts the same for
admissions in the tens of thousands as for deaths in the hundreds, and a row with weight w_i (observed.csv's
`weight`, 1 by default) counts as w_i rows. scipy.optimize.least_squares (trust region reflective, within the
bounds) minimises the sum of r_i^2 over the parameters rescaled to their bounds (0 at LOW, 1 at HIGH), so
that a budget in millions and a rate in hundredths take steps of the same size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from leftshift.errors import LeftshiftError
from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path, split_assignment

STEP = 1e-4
"""Finite-difference step of the Jacobian, as a share of each parameter's range (central differences)."""
TAIL = 0.005
"""Bounds from an unbounded (or [0, 1]) distribution: its 0.5th and 99.5th percentiles."""
RANGED = ("triangular", "pert", "uniform")
"""Distributions whose bounds are their own low and high."""
TOLERANCE = 1e-10
"""least_squares' ftol, xtol and gtol: stop when a step changes the sum of squares or the values this little."""


@dataclass(frozen=True)
class FitParameter:
    """One value to fit: its key path, the scenario's value (where the search starts), and its bounds."""

    path: str
    start: float
    low: float
    high: float
    bounds: str  # where the bounds come from, e.g. "--fit" or "the range of triangular(low=1, mode=2, high=3)"


def _bound(text: str, key: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise LeftshiftError(f"--fit {key}: '{text.strip()}' is not a finite number")
    return value


def parse_fit(text: str) -> tuple[str, tuple[float, float] | None]:
    """`KEY.PATH` or `KEY.PATH=LOW:HIGH` -> (the key path as leftshift writes it, (low, high) or None)."""
    parts = split_assignment(text)
    key, spec = (parts[0].strip(), parts[1]) if parts else (text.strip(), None)
    try:
        path = format_path(parse_path(key))
    except KeyPathError:
        raise LeftshiftError(f"--fit: '{key}' is not a key path (e.g. transitions[0].rate.85+, or "
                             'capacity["care.home"].places for a key with a dot)') from None  # fmt: skip
    if spec is None:
        return path, None
    ends = spec.split(":")
    if len(ends) != 2:
        raise LeftshiftError(f"--fit expects KEY.PATH or KEY.PATH=LOW:HIGH (e.g. transitions[0].rate.85+=0.3:0.8), "
                             f"got '{text}'")  # fmt: skip
    low, high = _bound(ends[0], key), _bound(ends[1], key)
    if not low < high:
        raise LeftshiftError(f"--fit {key}: LOW must be below HIGH (got {low:g}:{high:g})")
    return path, (low, high)


def distribution_bounds(dist: Any) -> tuple[float, float, str]:
    """(low, high, where from) for a value written as a distribution: the low and high of a triangular, PERT or
    uniform; the 0.5th and 99.5th percentiles of the others (normal, lognormal, beta, gamma)."""
    if dist.dist in RANGED:
        return float(dist.low), float(dist.high), f"the range of {dist.describe()}"
    low, high = (float(v) for v in dist.ppf(np.array([TAIL, 1 - TAIL])))
    return low, high, f"the 0.5th to 99.5th percentiles of {dist.describe()}"


def relative_residuals(model: np.ndarray, observed: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """sqrt(weight) x (model - observed) / observed, for one point (m,) or many (n, m)."""
    return np.sqrt(weight) * (model - observed) / np.abs(observed)


@dataclass(frozen=True)
class Fit:
    """Where the optimiser ended: fitted values, the model before and after, and the Jacobian at the end."""

    values: np.ndarray  # (p,) fitted values
    start_model: np.ndarray  # (m,) the model at the start values
    model: np.ndarray  # (m,) the model at the fitted values
    residuals: np.ndarray  # (m,) relative residuals at the fitted values
    jacobian: np.ndarray  # (m, p) of the residuals, per parameter range (d r / d share of [low, high])
    runs: int  # model runs (points simulated), Jacobians included
    converged: bool
    message: str


class _Model:
    """The caller's `evaluate` on points scaled to [0, 1], counting runs and remembering the last point."""

    def __init__(self, evaluate: Callable[[np.ndarray], np.ndarray], low: np.ndarray, high: np.ndarray) -> None:
        self.evaluate, self.low, self.width = evaluate, low, high - low
        self.runs = 0
        self.last: tuple[bytes, np.ndarray] | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray:
        key = np.ascontiguousarray(z).tobytes()
        if self.last is not None and self.last[0] == key:
            return self.last[1]
        values = np.asarray(self.evaluate(self.low + self.width * z), dtype=float)
        self.runs += len(z)
        self.last = (key, values)
        return values


def jacobian(model: Callable[[np.ndarray], np.ndarray], z: np.ndarray, observed: np.ndarray,
             weight: np.ndarray) -> np.ndarray:  # fmt: skip
    """(m, p) central differences of the residuals at `z` (in [0, 1]^p), one-sided at a bound: 2p points, one batch."""
    p = len(z)
    up, down = np.minimum(z + STEP, 1.0), np.maximum(z - STEP, 0.0)
    points = np.repeat(z[None, :], 2 * p, axis=0)
    points[np.arange(p), np.arange(p)] = up
    points[p + np.arange(p), np.arange(p)] = down
    r = relative_residuals(model(points), observed, weight)
    return ((r[:p] - r[p:]) / (up - down)[:, None]).T


def fit(
    evaluate: Callable[[np.ndarray], np.ndarray],
    parameters: Sequence[FitParameter],
    observed: np.ndarray,
    weight: np.ndarray,
    max_steps: int = 100,
    progress: Callable[[int], None] | None = None,
) -> Fit:
    """Minimise the weighted sum of squared relative residuals within the bounds, from the start values.

    `evaluate(points)`: (n, p) parameter values -> (n, m) the model's value of each observed figure.
    `max_steps`: optimiser steps (each runs the model once; each new Jacobian 2p times more)."""
    from scipy.optimize import least_squares

    low = np.array([p.low for p in parameters], dtype=float)
    high = np.array([p.high for p in parameters], dtype=float)
    start = np.array([p.start for p in parameters], dtype=float)
    model = _Model(evaluate, low, high)
    observed, weight = np.asarray(observed, dtype=float), np.asarray(weight, dtype=float)
    z0 = np.clip((start - low) / (high - low), 0.0, 1.0)
    start_model = model(z0[None, :])[0]

    def residuals(z: np.ndarray) -> np.ndarray:
        if progress is not None:
            progress(1)
        return relative_residuals(model(z[None, :])[0], observed, weight)

    def jac(z: np.ndarray) -> np.ndarray:
        return jacobian(model, z, observed, weight)

    done = least_squares(residuals, z0, jac=jac, bounds=(0.0, 1.0), method="trf", ftol=TOLERANCE, xtol=TOLERANCE,
                         gtol=TOLERANCE, max_nfev=max_steps)  # fmt: skip
    z = np.clip(done.x, 0.0, 1.0)
    fitted = model(z[None, :])[0]
    return Fit(low + (high - low) * z, start_model, fitted, relative_residuals(fitted, observed, weight),
               jacobian(model, z, observed, weight), model.runs, bool(done.status > 0), str(done.message))  # fmt: skip


__all__ = ["STEP", "TAIL", "Fit", "FitParameter", "distribution_bounds", "fit", "jacobian", "parse_fit",
           "relative_residuals"]  # fmt: skip
