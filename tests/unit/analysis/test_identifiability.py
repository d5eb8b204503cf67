"""What the data can identify, on Jacobians whose answer is known: independent columns, a column of zeros, two
columns that move together, fewer observations than parameters, and noise too large for the bounds."""

from __future__ import annotations

import numpy as np
import pytest

from leftshift.analysis.identifiability import IDENTIFIABILITY_COLUMNS, identifiability

NAMES = ["a", "b", "c"]


def check(jac, residuals=None, widths=None, names=NAMES):
    m, p = jac.shape
    return identifiability(jac, np.zeros(m) if residuals is None else residuals, names[:p],
                           np.ones(p) if widths is None else widths)  # fmt: skip


def test_independent_columns_are_identifiable_with_standard_errors_in_the_parameters_units():
    rng = np.random.default_rng(0)
    jac = rng.normal(size=(12, 2))
    residuals = 0.01 * rng.normal(size=12)
    table = check(jac, residuals, widths=np.array([1.0, 100.0]))
    assert list(table.columns) == IDENTIFIABILITY_COLUMNS
    assert table["identifiable"].all() and (table["note"] == "").all()
    cov = residuals @ residuals / 10 * np.linalg.inv(jac.T @ jac)
    np.testing.assert_allclose(table["standard_error"], np.sqrt(np.diag(cov)) * [1.0, 100.0], rtol=1e-9)
    assert (table["ci95_half_width"] > 1.96 * table["standard_error"]).all()  # a t quantile, 10 dof


def test_a_parameter_without_effect_is_named():
    jac = np.column_stack([np.linspace(1, 2, 5), np.zeros(5), np.linspace(2, 0, 5)])
    table = check(jac)
    assert table["identifiable"].tolist() == [True, False, True]
    assert table["note"][1] == "it has no effect on the observed figures within its bounds"
    assert np.isnan(table["standard_error"][1]) and table["sensitivity"][1] == 0


def test_two_parameters_that_move_together_cannot_be_told_apart():
    base = np.linspace(1, 2, 6)
    jac = np.column_stack([base, 2 * base, np.cos(np.arange(6.0))])  # a and b only matter through a + 2b
    table = check(jac)
    assert table["identifiable"].tolist() == [False, False, True]
    assert table["note"][0] == "the data cannot tell it apart from b"
    assert table["note"][1] == "the data cannot tell it apart from a"


def test_fewer_observations_than_parameters():
    table = check(np.array([[1.0, 0.5, 0.2]]))
    assert not table["identifiable"].any()
    with_one = check(np.array([[1.0], [0.3]]), names=["a"])
    assert with_one["identifiable"].all()


def test_as_many_observations_as_parameters_gives_no_standard_error():
    table = check(np.eye(2))
    assert table["identifiable"].all() and table["standard_error"].isna().all()
    assert (table["note"] == "no standard error: there are no more observations than parameters").all()


def test_an_interval_wider_than_the_bounds_is_not_identified():
    """Noise of 30% against a weak effect: the data barely narrow the parameter."""
    rng = np.random.default_rng(1)
    jac = np.column_stack([rng.normal(size=8), 0.05 * rng.normal(size=8)])
    table = check(jac, 0.3 * rng.normal(size=8))
    assert table["identifiable"].tolist() == [True, False]
    assert "wider than its bounds" in table["note"][1]


def test_strongly_correlated_estimates_are_noted():
    rng = np.random.default_rng(2)
    base = rng.normal(size=20)
    jac = np.column_stack([base, base + 0.05 * rng.normal(size=20)])
    table = check(jac, 1e-4 * rng.normal(size=20))
    assert table["identifiable"].all()
    assert table["note"].tolist() == ["its estimate is correlated with b (-1.00)",
                                      "its estimate is correlated with a (-1.00)"]  # fmt: skip


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e4])
def test_the_answer_does_not_depend_on_the_size_of_the_columns(scale):
    base = np.linspace(1, 2, 6)
    jac = scale * np.column_stack([base, 2 * base, np.cos(np.arange(6.0))])
    assert check(jac)["identifiable"].tolist() == [False, False, True]
