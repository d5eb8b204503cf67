"""The optimiser on objectives whose best split is known: smooth diminishing returns (the optimum equalises the
marginal returns), returns that stop where a programme runs out of people (a kink), and never worse than a grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftshift.experiments.search import TOLERANCE, Box, Memo, grid, maximise, polish

A, C = np.array([3.0, 2.0]), np.array([1.0, 0.5])


def logs(x: np.ndarray) -> np.ndarray:
    """a_i log(1 + x_i / c_i): each extra pound buys less."""
    return (A * np.log1p(np.atleast_2d(x) / C)).sum(axis=1)


def test_smooth_returns_spend_all_equalises_marginal_returns():
    # a1 / (c1 + x1) = a2 / (c2 + x2) with x1 + x2 = 4: 3 (0.5 + x2) = 2 (1 + x1) -> x1 = 2.3, x2 = 1.7
    found = maximise(logs, Box(np.zeros(2), np.full(2, 4.0), 4.0, spend_all=True))
    assert found.x == pytest.approx([2.3, 1.7], abs=0.01 * 4)
    assert found.x.sum() == pytest.approx(4.0)


def test_money_that_loses_money_is_not_spent():
    # each pound also costs 1.5: spend while a_i / (c_i + x_i) > 1.5 -> x1 = 1, x2 = 5/6 (well inside the budget)
    found = maximise(lambda x: logs(x) - 1.5 * np.atleast_2d(x).sum(axis=1), Box(np.zeros(2), np.full(2, 4.0), 4.0))
    assert found.x == pytest.approx([1.0, 5 / 6], abs=0.01 * 4)
    forced = maximise(lambda x: logs(x) - 1.5 * np.atleast_2d(x).sum(axis=1),
                      Box(np.zeros(2), np.full(2, 4.0), 4.0, spend_all=True))  # fmt: skip
    assert forced.x.sum() == pytest.approx(4.0)


def saturating(x: np.ndarray) -> np.ndarray:
    """Linear returns until each programme runs out of people (at 1.3, 5 and 2)."""
    x = np.atleast_2d(x)
    return 2 * np.minimum(x[:, 0], 1.3) + np.minimum(x[:, 1], 5) + 0.5 * np.minimum(x[:, 2], 2)


def test_kinks_fill_the_best_programme_to_where_it_runs_out():
    found = maximise(saturating, Box(np.zeros(3), np.full(3, 3.0), 3.0, spend_all=True))
    assert found.x == pytest.approx([1.3, 1.7, 0.0], abs=0.01 * 3)


def test_bounds_are_respected():
    low, high = np.array([0.5, 0.0, 0.2]), np.array([1.0, 3.0, 3.0])
    found = maximise(saturating, Box(low, high, 3.0))
    assert np.all(found.x >= low - 1e-9) and np.all(found.x <= high + 1e-9)
    assert found.x == pytest.approx([1.0, 1.8, 0.2], abs=0.01 * 3)


def test_grid_points_are_feasible_and_include_the_corners():
    box = Box(np.zeros(3), np.array([1.0, 2.0, 2.0]), 2.0)
    points = grid(box)
    assert box.feasible(points).all()
    assert any(np.allclose(p, [1.0, 0, 0]) for p in points) and any(np.allclose(p, [0, 2.0, 0]) for p in points)
    spent = grid(Box(np.zeros(3), np.full(3, 2.0), 2.0, spend_all=True))
    assert np.allclose(spent.sum(axis=1), 2.0)


def test_polish_finds_the_kink_from_far_away():
    box = Box(np.zeros(3), np.full(3, 3.0), 3.0, spend_all=True)
    memo = Memo(saturating, box)
    polish(memo, box, np.array([0.0, 0.0, 3.0]))
    assert memo.best_x == pytest.approx([1.3, 1.7, 0.0], abs=0.01 * 3)


def test_repair_lands_inside():
    box = Box(np.zeros(3), np.full(3, 2.0), 3.0, spend_all=True)
    assert box.feasible(box.repair(np.array([5.0, 5.0, -1.0]))).all()
    assert box.feasible(box.repair(np.zeros(3))).all()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.1, 5), min_size=3, max_size=3), st.lists(st.floats(0.1, 3), min_size=3, max_size=3),
       st.floats(0.5, 6), st.booleans())  # fmt: skip
def test_never_worse_than_the_best_grid_point(slopes, stops, total, spend_all):
    """On random kinked objectives, the answer is as good as every point of a finer grid than its own, to within the
    search's resolution: its polish stops at moves of TOLERANCE x the total between two budgets, which change f by at
    most twice that times f's steepest linear slope (a grid point on a kink can be that much better)."""
    a, s = np.array(slopes), np.array(stops)

    def f(x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        return (a * np.minimum(x, s)).sum(axis=1) - 0.8 * x.sum(axis=1) + 0.1 * np.sqrt(x[:, 0] * x[:, 1] + 1e-12)

    box = Box(np.zeros(3), np.full(3, total), total, spend_all)
    found = maximise(f, box)
    axes = np.linspace(0, total, 21)
    mesh = np.array(np.meshgrid(axes, axes, axes)).reshape(3, -1).T
    mesh = mesh[box.feasible(mesh)] if not spend_all else np.array([box.repair(p) for p in mesh])
    assert box.feasible(found.x).all()
    resolution = 2 * TOLERANCE * total * (a.max() + 0.8)
    assert found.value >= f(mesh).max() - resolution
