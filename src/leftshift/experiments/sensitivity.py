"""Which uncertain inputs matter for one metric: Sobol indices, Morris screening, and a tornado.

All three work on the distributions written in the scenario (`{dist: ...}`), in probability space:
SALib designs points in [0, 1]^d and each parameter's own inverse CDF turns them into values, so
triangular, lognormal and beta inputs are handled alike.

- sobol: first-order (S1) and total (ST) variance shares with bootstrap 95% intervals; needs
  N x (d + 2) runs (N a power of 2). Assumes independent inputs: `correlations:` are not used.
- morris: elementary effects (mu*, sigma) over the 5th-95th percentile of each input; N x (d + 1) runs.
- oat: the tornado only: each input at its 5th and 95th percentile with the others central.
Every method also returns the tornado (2d + 1 runs), the chart a director reads first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leftshift.analysis.measures import EXTRA_SPEND
from leftshift.analysis.metrics import METRICS
from leftshift.errors import LeftshiftError
from leftshift.experiments.design import Design
from leftshift.experiments.execute import Execution
from leftshift.experiments.runs import prepare, run_design, uncertain_parameters
from leftshift.rng import generator
from leftshift.scenario.model import Scenario

METHODS = ("sobol", "morris", "oat")
TORNADO_QUANTILES = (0.05, 0.95)
MORRIS_LEVELS = 4
ALIASES = {
    "net_savings": "net_savings_gbp_discounted",
    "net_savings_undiscounted": "net_savings_gbp",
    "avoided_cost": "avoided_downstream_cost_gbp_discounted",
    "spend": "intervention_spend_gbp_discounted",
    "total_cost": "total_cost_gbp_discounted",
    "payback": "payback_year",
}
"""Short names a user may type for --metric (and sweep --best)."""


@dataclass(frozen=True)
class SensitivityResult:
    """`indices`: one row per parameter (sobol: S1, S1_conf, ST, ST_conf; morris: mu_star, mu_star_conf,
    mu, sigma); `tornado`: parameter, distribution, value_low/high, metric_low/high/central, swing (largest
    first); `runs`: every run (parameters + metrics)."""

    metric: str
    method: str
    indices: pd.DataFrame
    tornado: pd.DataFrame
    runs: pd.DataFrame
    central: float


def metric_names(comparing: bool) -> list[str]:
    from leftshift.analysis.batch import COMPARISON_COLUMNS

    names = list(METRICS)
    if comparing:
        names += [EXTRA_SPEND.get(n, n) for n in COMPARISON_COLUMNS]
    return names


def resolve_metric(metric: str, comparing: bool) -> str:
    """The column for a --metric name (aliases allowed); a clear error, before any run, otherwise."""
    name = ALIASES.get(metric, metric)
    known = metric_names(comparing)
    if name in known:
        return name
    if name in metric_names(True):
        raise LeftshiftError(f"--metric {metric} compares with a baseline: add --baseline FILE")
    import difflib

    close = difflib.get_close_matches(name, known + list(ALIASES), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; choose one of: {', '.join(known)}"
    raise LeftshiftError(f"unknown metric '{metric}'{hint}")


def _salib_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def _tornado_design(names: list[str]) -> Design:
    d = len(names)
    rows = np.full((2 * d + 1, d), np.nan)  # row 0: every input central
    for j in range(d):
        rows[1 + 2 * j, j], rows[2 + 2 * j, j] = TORNADO_QUANTILES
    return Design(tuple(names), rows, unit=True)


def sensitivity(
    scenario: Scenario,
    metric: str,
    method: str = "sobol",
    *,
    baseline: Scenario | None = None,
    samples: int | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
) -> SensitivityResult:
    """Sensitivity of `metric` to every uncertain parameter. `samples` is SALib's N (base samples for
    sobol, trajectories for morris); the number of runs is larger (see the module notes)."""
    if method not in METHODS:
        raise LeftshiftError(f"unknown --method '{method}'; choose one of: {', '.join(METHODS)}")
    column = resolve_metric(metric, baseline is not None)
    names = uncertain_parameters(scenario, baseline)
    if not names:
        raise LeftshiftError(
            f"'{scenario.name}' has no uncertain parameters to test; write values as distributions, e.g. "
            "{dist: triangular, low: 0.85, mode: 0.95, high: 1.0} (docs/experiments.md)"
        )
    rng = generator(scenario.seed if seed is None else seed, 0, "sensitivity")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    tornado = _tornado_design(names)
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        n = 1 << max(0, int(np.ceil(np.log2(samples or 256))))  # Sobol' balance needs a power of 2
        u = sobol_sample.sample(problem, n, calc_second_order=False, seed=_salib_seed(rng))
    elif method == "morris":
        from SALib.sample import morris as morris_sample

        grid = morris_sample.sample(problem, samples or 20, num_levels=MORRIS_LEVELS, seed=_salib_seed(rng))
        u = TORNADO_QUANTILES[0] + (TORNADO_QUANTILES[1] - TORNADO_QUANTILES[0]) * grid
    else:
        u = np.zeros((0, len(names)))
    design = Design(tuple(names), np.vstack([tornado.values, u]), unit=True)
    job = prepare(scenario, baseline, design, "a draw of", series=False)
    runs, _ = run_design(job, design, baseline, execution or Execution())
    y = runs[column].to_numpy(dtype=float)
    if np.isnan(y).any():
        raise LeftshiftError(
            f"{column} is undefined in {int(np.isnan(y).sum())} of {len(y)} runs (e.g. no payback within the "
            "horizon); choose another --metric, such as net_savings"
        )
    n_t = len(tornado.values)
    table = _tornado_table(scenario, baseline, names, y[:n_t], runs.iloc[:n_t])
    y_method = y[n_t:]
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        si = sobol_analyze.analyze(problem, y_method, calc_second_order=False, num_resamples=200, conf_level=0.95,
                                   seed=_salib_seed(rng))  # fmt: skip
        indices = pd.DataFrame({"parameter": names, **{k: np.asarray(si[k], dtype=float)
                                                        for k in ("S1", "S1_conf", "ST", "ST_conf")}})  # fmt: skip
        indices = indices.sort_values("ST", ascending=False, ignore_index=True)
    elif method == "morris":
        from SALib.analyze import morris as morris_analyze

        mi = morris_analyze.analyze(problem, grid, y_method, num_resamples=200, conf_level=0.95,
                                    num_levels=MORRIS_LEVELS, seed=_salib_seed(rng))  # fmt: skip
        columns = {k: np.ma.filled(np.ma.asarray(mi[k], dtype=float), np.nan)
                   for k in ("mu_star", "mu_star_conf", "mu", "sigma")}  # fmt: skip
        indices = pd.DataFrame({"parameter": names, **columns})
        indices = indices.sort_values("mu_star", ascending=False, ignore_index=True)
    else:
        indices = pd.DataFrame({"parameter": table["parameter"], "swing": table["swing"]})
    return SensitivityResult(column, method, indices, table, runs, float(y[0]))


def _tornado_table(
    scenario: Scenario, baseline: Scenario | None, names: list[str], y: np.ndarray, runs: pd.DataFrame
) -> pd.DataFrame:
    dists = {**(baseline.uncertainty if baseline is not None else {}), **scenario.uncertainty}
    rows = []
    for j, name in enumerate(names):
        low, high = runs[name].iloc[1 + 2 * j], runs[name].iloc[2 + 2 * j]
        rows.append({
            "parameter": name, "distribution": dists[name].describe(), "value_central": dists[name].central(),
            "value_low": float(low), "value_high": float(high), "metric_low": float(y[1 + 2 * j]),
            "metric_high": float(y[2 + 2 * j]), "metric_central": float(y[0]),
            "swing": float(abs(y[2 + 2 * j] - y[1 + 2 * j])),
        })  # fmt: skip
    return pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)


__all__ = ["ALIASES", "METHODS", "SensitivityResult", "metric_names", "resolve_metric", "sensitivity"]
