"""summary.json: totals over the horizon with provenance, for one Result of any engine.

A stock-flow run is one deterministic answer, so each figure is a `value`; a discrete-event run's
replications are a sample, so each figure is its mean, standard deviation and 95% confidence interval.
Everything is computed per replication the same way for both; only that last step differs."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from leftshift.analysis.metrics import REPLICATION, compute, costs_by
from leftshift.analysis.resources import WaitOutcomes, resource_summary
from leftshift.result import Result
from leftshift.scenario.loading import scenario_hash


def version() -> str:
    """The installed leftshift's version, written into every output so a result can be traced to its code."""
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


def _value(result: Result, values: pd.Series) -> float | dict[str, float]:
    """A figure per replication as summary.json gives it: the run's value, or the replications' spread."""
    return spread(values) if result.replicated else float(values.sum())


def _figure(result: Result, values: pd.Series) -> dict[str, float]:
    """A metric per replication as summary.json gives it: {"value": ...}, or the replications' spread."""
    return spread(values) if result.replicated else {"value": float(values.sum())}


def provenance(result: Result) -> dict[str, Any]:
    """What is needed to reproduce a result: the scenario (by name and hash), the code, engine and seed."""
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


def build(result: Result, wait_outcomes: WaitOutcomes | None = None) -> dict[str, Any]:
    """summary.json's content: provenance, every metric, costs by service and payer, programmes, warnings.
    `wait_outcomes`: a run's waits reduced as they came, when the Result does not hold them."""
    metrics = compute(result)
    out = provenance(result)
    if result.replicated:
        out["replications"] = len(result.replications)
    out["metrics"] = {
        name: {"unit": frame["unit"].iloc[0], **_figure(result, frame["value"])}
        for name, frame in metrics.groupby("metric", sort=False)
    }
    out["costs"] = {}
    for column in ("service", "payer"):
        totals = costs_by(result, column)
        out["costs"][f"by_{column}"] = {
            key: {
                "gbp": _value(result, frame["cost_gbp"]),
                "gbp_discounted": _value(result, frame["cost_gbp_discounted"]),
            }
            for key, frame in totals.groupby(column, sort=False)
        }
    out["interventions"] = _interventions(result)
    if "waits" in result.extra or wait_outcomes is not None:  # only an engine of individuals records waits
        per_rep = resource_summary(result, wait_outcomes)
        out["resources"] = {
            str(name): {c: spread(frame[c]) for c in frame.columns if c not in (REPLICATION, "resource")}
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
        per_rep = frame.groupby(REPLICATION)
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
