"""summary.json: totals over the horizon with provenance, for one Result of any engine."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from leftshift.analysis.metrics import GROUP, compute, costs_by
from leftshift.result import Result
from leftshift.scenario.loading import scenario_hash


def version() -> str:
    try:
        return metadata.version("leftshift")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def spread(values: pd.Series | np.ndarray) -> dict[str, float]:
    """Mean, standard deviation and a t-based 95% confidence interval for the mean."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return {"mean": mean, "sd": 0.0, "ci95_low": mean, "ci95_high": mean}
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.975, len(v) - 1) * sd / np.sqrt(len(v)))
    return {"mean": mean, "sd": sd, "ci95_low": mean - half, "ci95_high": mean + half}


def _value(frame: pd.DataFrame, column: str) -> float | dict[str, float]:
    if GROUP in frame.columns:
        return spread(frame[column])
    return float(frame[column].sum())


def provenance(result: Result) -> dict[str, Any]:
    s = result.scenario
    return {
        "scenario": s.name,
        "scenario_hash": scenario_hash(s),
        "leftshift_version": version(),
        "engine": result.engine,
        "seed": s.seed,
        "start_year": s.start_year,
        "horizon_years": s.horizon_years,
        "time_step_weeks": s.time_step_weeks,
        "discount_rate": s.discount_rate,
        "price_base": s.price_base,
    }


def build(result: Result) -> dict[str, Any]:
    metrics = compute(result)
    out = provenance(result)
    if GROUP in metrics.columns:
        out["replications"] = int(metrics[GROUP].nunique())
    out["metrics"] = {
        name: {"unit": frame["unit"].iloc[0], **({"value": float(frame["value"].sum())} if GROUP not in frame
                                                 else spread(frame["value"]))}
        for name, frame in metrics.groupby("metric", sort=False)
    }  # fmt: skip
    out["costs"] = {}
    for column in ("service", "payer"):
        totals = costs_by(result, column)
        out["costs"][f"by_{column}"] = {
            key: {"gbp": _value(frame, "cost_gbp"), "gbp_discounted": _value(frame, "cost_gbp_discounted")}
            for key, frame in totals.groupby(column, sort=False)
        }
    out["interventions"] = _interventions(result)
    if "waits" in result.extra:  # discrete-event: per-resource queue statistics across replications
        from leftshift.engines.des.engine import resource_summary

        per_rep = resource_summary(result)
        out["resources"] = {
            str(name): {c: spread(frame[c]) for c in frame.columns if c not in (GROUP, "resource")}
            for name, frame in per_rep.groupby("resource", sort=False)
        }
    if "replications" in result.extra:
        out["warm_up_years"] = float(result.extra["replications"]["warm_up_years"].iloc[0])
    out["warnings"] = warnings(result)
    return out


def warnings(result: Result) -> list[str]:
    """Plausible-but-wrong inputs and results (leftshift.analysis.plausibility): the scenario's, then the run's."""
    from leftshift.analysis.plausibility import check_result, check_scenario

    return [*check_scenario(result.scenario), *check_result(result)]


def _interventions(result: Result) -> dict[str, Any]:
    progs = result.programmes
    out: dict[str, Any] = {}
    for name, frame in progs.groupby("programme", sort=False):
        per_rep = frame.groupby(GROUP) if GROUP in frame.columns else [(None, frame)]
        rows = [
            {
                "spend_gbp": float(f["spend_gbp"].sum()),
                "starts": float(f["starts"].sum()),
                "referrals_turned_away": float(f["turned_away"].sum()),
                "places_end": float(f["places"].iloc[-1]),
                "participants_end": float(f["participants"].iloc[-1]),
                "participants_mean": float(f["participants"].mean()),
            }
            for _, f in per_rep
        ]
        table = pd.DataFrame(rows)
        out[str(name)] = {c: (float(table[c].iloc[0]) if len(table) == 1 else spread(table[c])) for c in table}
    return out
