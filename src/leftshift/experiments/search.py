"""The optimiser behind `leftshift optimise`: the best split of a budget over a batched objective.

The problem: maximise f(x) over budgets x (GBP a year, one per programme) with low <= x <= high and
sum(x) <= total (or = total: `spend_all`). f is the model, so every evaluation is an engine run; `evaluate` takes
a whole batch of points (one row each) and returns f at each, in one vectorised engine call. The search:

1. a coarse grid over the feasible set, plus every corner that spends all it can on one programme, in one call;
2. scipy.optimize.minimize (SLSQP, with the budget as a linear constraint and the bounds) from the best few grid
   points and any `starts` given (the frontier's previous optimum), with each gradient a batch of forward
   differences (one call per gradient, computed with the point itself);
3. a compass polish of the best point: moves of a step between every pair of programmes (and, unless all must be
   spent, up or down on each one) in one call per round, halving the step until it is below `tolerance` x total.
   Returns flatten where a programme runs out of people to serve, and SLSQP's gradients mislead at such kinks;
   the polish does not need them.

The answer is the best feasible point evaluated by any stage, so it is never worse than the best grid point.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Evaluate = Callable[[np.ndarray], np.ndarray]
"""(m, n) points -> (m,) objective values, higher is better."""

GRID_POINTS = 1500
STARTS = 3
SLSQP_STEPS = 60
GRADIENT_STEP = 1e-3  # forward differences: 0.1% of the total budget
TOLERANCE = 1e-3  # the polish stops when its step is below 0.1% of the total budget
FIRST_STEP = 0.05  # the polish starts with moves of 5% of the total budget
POLISH_ROUNDS = 200


@dataclass(frozen=True)
class Box:
    """The feasible set: each budget within its bounds, their sum at most (or, `spend_all`, exactly) `total`."""

    low: np.ndarray
    high: np.ndarray
    total: float
    spend_all: bool = False

    @property
    def n(self) -> int:
        return len(self.low)

    def slack(self, x: np.ndarray) -> np.ndarray:
        """total - sum(x) for each row (a point spends at most the total: slack >= 0)."""
        return self.total - np.atleast_2d(x).sum(axis=1)

    def feasible(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        room = 1e-9 * max(self.total, 1.0)
        inside = np.all((x >= self.low - room) & (x <= self.high + room), axis=1)
        slack = self.slack(x)
        return inside & (slack >= -room) & ((np.abs(slack) <= room) if self.spend_all else True)

    def repair(self, x: np.ndarray) -> np.ndarray:
        """The nearest-ish feasible point: clipped to the bounds, trimmed (from the largest) to the total, and with
        `spend_all` topped up (in order) to spend all of it."""
        x = np.clip(np.asarray(x, dtype=float), self.low, self.high)
        over = -self.slack(x)[0]
        if over > 0:  # take the excess from each budget in proportion to what it has above its minimum
            room = x - self.low
            x = x - over * room / room.sum()
        if self.spend_all:
            for i in range(self.n):
                x[i] += min(self.high[i] - x[i], max(0.0, self.slack(x)[0]))
        return np.clip(x, self.low, self.high)


@dataclass
class Memo:
    """Every evaluated point and its value, the best feasible one so far, and how much work was done."""

    evaluate: Evaluate
    box: Box
    progress: Callable[[int], None] | None = None
    values: dict[bytes, float] = field(default_factory=dict)
    best_x: np.ndarray | None = None
    best: float = -np.inf
    points: int = 0
    calls: int = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        keys = [row.tobytes() for row in x]
        first: dict[bytes, int] = {}
        for i, k in enumerate(keys):
            if k not in self.values:
                first.setdefault(k, i)
        todo = list(first.values())  # each new point once
        if todo:
            got = np.asarray(self.evaluate(x[todo]), dtype=float)
            self.points += len(todo)
            self.calls += 1
            for i, value in zip(todo, got, strict=True):
                self.values[keys[i]] = float(value) if np.isfinite(value) else -np.inf
            ok = self.box.feasible(x[todo])
            if ok.any():
                j = int(np.argmax(np.where(ok, got, -np.inf)))
                if got[j] > self.best:
                    self.best, self.best_x = float(got[j]), x[todo][j].copy()
            if self.progress is not None:
                self.progress(1)
        return np.array([self.values[k] for k in keys])


@dataclass(frozen=True)
class Search:
    """The best split found, its value, and how the search went."""

    x: np.ndarray
    value: float
    points: int  # model points evaluated
    calls: int  # batched engine calls
    message: str


def grid(box: Box, max_points: int = GRID_POINTS) -> np.ndarray:
    """A coarse grid of feasible points (with `spend_all`, repaired onto the budget), and the corners that put all
    that can be spent into one programme: at least 3 levels a budget, fewer points when there are many."""
    n = box.n
    levels = max(3, min(11, int(max_points ** (1 / n)))) if n else 1
    if levels**n <= 20 * max_points:
        axes = [np.linspace(lo, hi, levels) for lo, hi in zip(box.low, box.high, strict=True)]
        points = np.array(list(itertools.product(*axes))) if n else np.zeros((1, 0))
    else:
        rng = np.random.default_rng(0)
        points = box.low + rng.random((20 * max_points, n)) * (box.high - box.low)
    keep = points[box.slack(points) >= -1e-9 * max(box.total, 1.0)]
    corners = []
    for i in range(n):
        corner = box.low.copy()
        corner[i] = min(box.high[i], box.low[i] + max(0.0, box.total - box.low.sum()))
        corners.append(corner)
    points = np.vstack([keep, box.low[None, :], *corners]) if n else np.zeros((1, 0))
    if box.spend_all:
        points = np.array([box.repair(p) for p in points])
    if len(points) > max_points:  # keep the corners; thin the rest evenly
        step = int(np.ceil((len(points) - n - 1) / max_points))
        points = np.vstack([points[: len(points) - n - 1 : step], points[len(points) - n - 1 :]])
    return np.unique(points, axis=0)


def _slsqp(memo: Memo, box: Box, start: np.ndarray, scale: float, steps: int) -> str:
    """SLSQP from `start`, in units of the total budget; each call of the objective also evaluates the forward
    differences of the gradient in the same batch (SLSQP asks for the gradient where it accepts a step)."""
    from scipy.optimize import LinearConstraint, minimize

    unit = max(box.total, 1.0)
    h = GRADIENT_STEP

    def batch(z: np.ndarray) -> np.ndarray:
        x = np.clip(z * unit, box.low, box.high)  # SLSQP may step a hair outside the bounds
        steps_ = np.where(x + h * unit > box.high, -h, h)  # backwards at an upper bound
        points = np.vstack([x, x + np.diag(steps_ * unit)])
        values = memo(points)
        return np.concatenate([[values[0]], (values[1:] - values[0]) / steps_])

    def fun(z: np.ndarray) -> float:
        return -batch(z)[0] / scale

    def jac(z: np.ndarray) -> np.ndarray:
        return -batch(z)[1:] / scale

    ones = np.ones((1, box.n))
    lower = box.total / unit if box.spend_all else -np.inf
    constraint = LinearConstraint(ones, lower, box.total / unit)
    bounds = list(zip(box.low / unit, box.high / unit, strict=True))
    found = minimize(fun, start / unit, jac=jac, method="SLSQP", bounds=bounds, constraints=[constraint],
                     options={"maxiter": steps, "ftol": 1e-6})  # fmt: skip
    memo(box.repair(found.x * unit))  # SLSQP may end a hair outside: its repaired point counts
    return str(found.message)


def _moves(box: Box, x: np.ndarray, step: float) -> np.ndarray:
    """Feasible neighbours of x: `step` moved from one programme to another, and (unless all must be spent) one
    programme up (from the unspent budget) or down; each move as large as the bounds and the budget allow."""
    out = []
    slack = box.total - x.sum()
    for i, j in itertools.permutations(range(box.n), 2):
        amount = min(step, x[i] - box.low[i], box.high[j] - x[j])
        if amount > 0:
            y = x.copy()
            y[i] -= amount
            y[j] += amount
            out.append(y)
    if not box.spend_all:
        for i in range(box.n):
            for amount in (min(step, box.high[i] - x[i], slack), -min(step, x[i] - box.low[i])):
                if amount != 0:
                    y = x.copy()
                    y[i] += amount
                    out.append(y)
    return np.array(out).reshape(-1, box.n)


def polish(memo: Memo, box: Box, x: np.ndarray, first: float = FIRST_STEP, tolerance: float = TOLERANCE,
           max_rounds: int = POLISH_ROUNDS) -> int:  # fmt: skip
    """Compass search from x: take the best improving move; halve the step when none improves, and stop when it is
    below `tolerance` (or after `max_rounds` batches). Returns the rounds run."""
    unit = max(box.total, 1.0)
    step, value = first * unit, float(memo(x)[0])
    for rounds in range(max_rounds):
        if step < tolerance * unit:
            return rounds
        moves = _moves(box, x, step)
        if not len(moves):
            return rounds
        values = memo(moves)
        j = int(np.argmax(values))
        if values[j] > value + 1e-12 * max(abs(value), 1.0):
            x, value = moves[j], float(values[j])
        else:
            step /= 2
    return max_rounds


def _distinct_best(points: np.ndarray, values: np.ndarray, k: int, apart: float) -> list[np.ndarray]:
    """The k best points at least `apart` from each other (max-norm)."""
    chosen: list[np.ndarray] = []
    for i in np.argsort(-values, kind="stable"):
        if not np.isfinite(values[i]):
            break
        if all(np.max(np.abs(points[i] - c)) >= apart for c in chosen):
            chosen.append(points[i])
        if len(chosen) == k:
            break
    return chosen


def maximise(
    evaluate: Evaluate,
    box: Box,
    *,
    starts: np.ndarray | None = None,
    n_starts: int = STARTS,
    use_grid: bool = True,
    first_step: float = FIRST_STEP,
    tolerance: float = TOLERANCE,
    slsqp_steps: int = SLSQP_STEPS,
    polish_rounds: int = POLISH_ROUNDS,
    progress: Callable[[int], None] | None = None,
) -> Search:
    """The best point of `box` for `evaluate` (see the module's docstring): SLSQP from the best `n_starts` points,
    at least 5% of the budget apart, of the grid (unless not `use_grid`) and the `starts`, then the polish from
    `first_step` to `tolerance` (both as shares of the total budget), in `polish_rounds` at most."""
    memo = Memo(evaluate, box, progress)
    given = [box.repair(s) for s in (np.atleast_2d(starts) if starts is not None else [])]
    points = np.vstack([grid(box) if use_grid or not given else np.zeros((0, box.n)), *given])
    values = memo(points)
    spread = float(np.ptp(values[np.isfinite(values)])) if np.isfinite(values).any() else 0.0
    candidates = _distinct_best(points, values, n_starts, 0.05 * max(box.total, 1.0))
    scale = max(spread, (1e-6 if use_grid else 1e-3) * max(abs(memo.best), 1.0), 1e-12)  # SLSQP's units of f
    messages = [_slsqp(memo, box, c, scale, slsqp_steps) for c in candidates]
    assert memo.best_x is not None  # a grid, or a repaired start, is always feasible
    rounds = polish(memo, box, memo.best_x.copy(), first_step, tolerance, polish_rounds)
    message = f"SLSQP from {len(candidates)} start(s): {'; '.join(sorted(set(messages)))}; polish: {rounds} rounds"
    return Search(memo.best_x.copy(), memo.best, memo.points, memo.calls, message)


__all__ = ["TOLERANCE", "Box", "Evaluate", "Memo", "Search", "grid", "maximise", "polish"]
