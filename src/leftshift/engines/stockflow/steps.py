"""How many internal RK4 steps each step of the stock-flow engine takes: the step rule (docs/design.md).

Over a step of length h, RK4 leaves a stock that only empties (at rate k) at R(z) = 1 - z + z^2/2 -
z^3/6 + z^4/24 of itself instead of exp(-z), z = k h: |R(z) - exp(-z)| of its people end the step in
the wrong place. That share is the tolerance, for the fastest flow of each parameter set:

* in every step, at most 5% (z <= 1.49). A fast stock fed by slow ones (a hospital stay) sits at its
  quasi-steady level, which RK4 reproduces exactly whatever z; only its distance from that level
  carries this error, and a start or a change of places is what puts it there;
* so in a transient, the first steps of a run and the steps from a change of more than 1% in a
  service's places, at most 0.2% (z <= 0.75).

A step that needs more is split into equal internal steps, for the flows only: capacity shares,
costs, places and what is recorded stay on the user's steps (`kernel._rk4_substeps`). A flow that
would need more than MAX_SUBSTEPS internal steps is refused: a stay of hours in a weekly model is
almost always a typing error.
"""

from __future__ import annotations

import numpy as np

from leftshift.engines.model import Layout, TimeGrid
from leftshift.engines.parameters import Parameters
from leftshift.errors import LeftshiftError, Problem
from leftshift.scenario.model import WEEKS_PER_YEAR

MAX_RATE_X_STEP = 1.49  # |R(z) - exp(-z)| = 0.049 at z = 1.49 (0.050 at 1.495)
TRANSIENT_RATE_X_STEP = 0.75  # |R(z) - exp(-z)| = 0.0018 at z = 0.75
TRANSIENT_STEPS = 2  # steps from a start or a change of places (a fast stock's distance shrinks e^-z a step)
PLACES_CHANGE = 0.01  # a change in a service's places, as a share of them, that starts a transient
MAX_SUBSTEPS = 64


def fastest_rates(params: Parameters, layout: Layout, horizon: float) -> np.ndarray:
    """(M, N) total rate out of each stock at its highest over the horizon: with trends, at the start or
    the end (they change monotonically)."""
    if not params.trend.any():
        return params.out_rate
    out_rate = np.zeros_like(params.out_rate)
    np.add.at(out_rate, layout.src, params.rate * np.exp(np.maximum(params.trend, 0.0) * horizon))
    return out_rate


def _ordinary(out_rate: np.ndarray, layout: Layout, grid: TimeGrid) -> np.ndarray:
    """(N,) internal steps in an ordinary step of each member: the fewest that keep its fastest flow's
    rate x internal step within MAX_RATE_X_STEP. Refuses a member that would need more than
    MAX_SUBSTEPS, and says what to do."""
    fastest = out_rate.max(axis=0) if len(out_rate) else np.zeros(out_rate.shape[-1])
    needed = _internal(fastest * grid.step_years, MAX_RATE_X_STEP)
    if needed.max() > MAX_SUBSTEPS:
        member = int(needed.argmax())
        rate = float(fastest[member])
        c, _, _ = layout.unravel(np.array([int(out_rate[:, member].argmax())]))
        limit_weeks = MAX_RATE_X_STEP * MAX_SUBSTEPS / rate * WEEKS_PER_YEAR
        raise LeftshiftError([Problem(
            f"people leave '{layout.compartments[c[0]]}' at {rate:,.0f} a year (an average stay of "
            f"{24 * 365.25 / rate:.2g} hours), too fast to follow in steps of {grid.step_years * WEEKS_PER_YEAR:.3g} "
            f"weeks even split {MAX_SUBSTEPS} ways; check the rates out of it (a percentage written as a whole "
            f"number?), or use time_step_weeks of at most {limit_weeks:.3g}",
            path="time_step_weeks",
        )])  # fmt: skip
    return needed


def plan(params: Parameters, layout: Layout, grid: TimeGrid, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps, N) internal steps in each step of each member, and (N,) in an ordinary step: enough for
    MAX_RATE_X_STEP, and in a transient (the first TRANSIENT_STEPS steps, and as many from a step whose
    places, `capacity` (steps, R, N), differ from the step before's by more than PLACES_CHANGE) for
    TRANSIENT_RATE_X_STEP. A member's plan depends on its own numbers only, so it runs the same alone
    or in any batch."""
    out_rate = fastest_rates(params, layout, grid.n_steps * grid.step_years)
    ordinary = _ordinary(out_rate, layout, grid)
    fastest = out_rate.max(axis=0) if len(out_rate) else np.zeros(len(ordinary))
    fine = np.maximum(ordinary, _internal(fastest * grid.step_years, TRANSIENT_RATE_X_STEP))
    starts = np.zeros((grid.n_steps, len(ordinary)), dtype=bool)
    starts[0] = True
    if capacity.shape[1]:
        before, after = capacity[:-1], capacity[1:]
        changed = np.abs(after - before) > PLACES_CHANGE * np.maximum(np.maximum(before, after), 1.0)
        starts[1:] |= changed.any(axis=1)
    transient = starts.copy()
    for lag in range(1, TRANSIENT_STEPS):
        transient[lag:] |= starts[:-lag]
    return np.where(transient, fine, ordinary).astype(np.int64), ordinary


def _internal(rate_x_step: np.ndarray, limit: float) -> np.ndarray:
    """The fewest equal internal steps that bring each rate x step within `limit`."""
    return np.maximum(1, np.ceil(rate_x_step / limit)).astype(np.int64)
