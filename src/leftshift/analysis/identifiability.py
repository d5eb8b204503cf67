"""Which fitted parameters the observed data can pin down, from the Jacobian of the residuals at the optimum.

Three checks, in this order (docs/calibration.md explains them for a reader):

1. No effect: moving the parameter across its whole range changes the fitted figures by less than
   `EFFECT_TOL` (root mean square of the relative change, to first order). The data say nothing about it.
2. No separate effect: with the Jacobian's columns scaled to length 1, a direction of the parameters whose
   singular value is below `SINGULAR_TOL` times the largest changes nothing the data can see (two rates that
   only matter through their sum; more parameters than observations). A parameter with more than `NULL_SHARE`
   of its length in such directions cannot be told apart from the others in them, which are named.
3. Too loose (only when there are more observations than parameters left by checks 1 and 2): the approximate
   95% interval, from the usual Gauss-Newton covariance s^2 (J'J)^-1 of those parameters, with s^2 the
   residual sum of squares over its degrees of freedom and a t quantile, is wider than the parameter's
   bounds: the data barely narrow it.

The standard errors assume that the observations' relative errors are independent with one common spread
(after the weights) and that the model is close to linear over the interval: they are a guide, not a promise.
Estimates correlated beyond `CORRELATED` are named in the note even when each is identifiable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

EFFECT_TOL = 1e-6
SINGULAR_TOL = 1e-5
NULL_SHARE = 0.1
CORRELATED = 0.95
IDENTIFIABILITY_COLUMNS = ["identifiable", "standard_error", "ci95_half_width", "sensitivity", "note"]


def _unseen(unit_jacobian: np.ndarray) -> np.ndarray:
    """(k, q) basis of the parameter directions the data cannot see (singular values ~0, or missing when k > m)."""
    k = unit_jacobian.shape[1]
    _, singular, vt = np.linalg.svd(unit_jacobian, full_matrices=True)
    full = np.zeros(k)
    full[: len(singular)] = singular
    return vt[full <= SINGULAR_TOL * max(full[0], np.finfo(float).tiny)].T


def _structure(jac: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Checks 1 and 2: (identifiable so far, notes) per parameter."""
    m, p = jac.shape
    length = np.linalg.norm(jac, axis=0)
    effect = length / np.sqrt(max(m, 1)) >= EFFECT_TOL
    ok, notes = effect.copy(), [[] for _ in range(p)]
    for j in np.flatnonzero(~effect):
        notes[j].append("it has no effect on the observed figures within its bounds")
    keep = np.flatnonzero(effect)
    if not len(keep):
        return ok, notes
    unseen = _unseen(jac[:, keep] / length[keep])
    share = np.linalg.norm(unseen, axis=1)
    for a, j in enumerate(keep):
        if share[a] <= NULL_SHARE:
            continue
        ok[j] = False
        linked = [names[keep[b]] for b in range(len(keep))
                  if b != a and share[b] > NULL_SHARE and abs(unseen[a] @ unseen[b]) > NULL_SHARE**2]  # fmt: skip
        notes[j].append(f"the data cannot tell it apart from {', '.join(linked)}" if linked
                        else "the data cannot pin it down (too few observations for the parameters)")  # fmt: skip
    return ok, notes


def identifiability(jac: np.ndarray, residuals: np.ndarray, names: Sequence[str], widths: np.ndarray) -> pd.DataFrame:
    """Per parameter: identifiable, standard_error and ci95_half_width (in the parameter's units; NaN when not
    available), sensitivity (RMS relative change of the fitted figures across its bounds) and a note.

    `jac`: (m, p) d residual / d share of the parameter's range [low, high]; `widths`: high - low."""
    from scipy import stats

    m, p = jac.shape
    ok, notes = _structure(jac, names)
    se = np.full(p, np.nan)
    half = np.full(p, np.nan)
    fitted = np.flatnonzero(ok)
    dof = m - len(fitted)  # a parameter with no effect of its own takes no degree of freedom
    if dof > 0 and len(fitted):
        j = jac[:, fitted]
        cov = float(residuals @ residuals) / dof * np.linalg.pinv(j.T @ j)
        se_z = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        half_z = stats.t.ppf(0.975, dof) * se_z
        se[fitted], half[fitted] = se_z * widths[fitted], half_z * widths[fitted]
        for a, k in enumerate(fitted):
            if 2 * half_z[a] > 1:
                ok[k] = False
                notes[k].append("the data barely narrow it: its approximate 95% interval is wider than its bounds")
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = cov[a] / (se_z[a] * se_z)
            close = [f"{names[fitted[b]]} ({corr[b]:+.2f})" for b in range(len(fitted))
                     if b != a and abs(corr[b]) > CORRELATED]  # fmt: skip
            if close:
                notes[k].append(f"its estimate is correlated with {', '.join(close)}")
    elif len(fitted):
        for k in fitted:
            notes[k].append("no standard error: there are no more observations than parameters")
    sensitivity = np.linalg.norm(jac, axis=0) / np.sqrt(max(m, 1))
    return pd.DataFrame({"identifiable": ok, "standard_error": se, "ci95_half_width": half,
                         "sensitivity": sensitivity, "note": ["; ".join(n) for n in notes]})  # fmt: skip


__all__ = ["CORRELATED", "EFFECT_TOL", "IDENTIFIABILITY_COLUMNS", "NULL_SHARE", "SINGULAR_TOL", "identifiability"]
