"""batch_metrics must give the same numbers as metrics.compute and economics.compare (the tidy-table path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leftshift.analysis import batch as batch_metrics
from leftshift.analysis.economics import compare
from leftshift.analysis.metrics import compute
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import load_scenario

SCENARIOS = Path(__file__).parents[3] / "scenarios"
SHORT = ["horizon_years=6"]


@pytest.fixture(scope="module")
def members():
    """Three left-shift members that differ in budget and capacity (one with queues, one over budget)."""
    sets = [[], ["interventions[0].budget=6e6", "capacity.residential.places=3000"], ["capacity.home_care.places=2500",
            "interventions[1].budget=2e6"]]  # fmt: skip
    scenarios = [load_scenario(SCENARIOS / "leeds-left-shift.yaml", [*SHORT, *s]) for s in sets]
    shared = [[o for o in s if o.startswith("capacity")] for s in sets]  # the baseline has no interventions
    baselines = [load_scenario(SCENARIOS / "leeds-baseline.yaml", [*SHORT, *s]) for s in shared]
    return simulate(scenarios, record="yearly"), [simulate(b, record="yearly") for b in baselines]


def _close(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) and np.isnan(b))
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def test_metrics_equal_metrics_compute(members):
    batch, _ = members
    summary = batch_metrics.summarise(batch)
    for i in range(batch.stocks.shape[-1]):
        tidy = compute(to_result(batch, i)).set_index("metric")["value"]
        assert list(summary.metrics) == list(tidy.index)
        for name, value in tidy.items():
            assert _close(summary.metrics[name][i], value), (i, name, summary.metrics[name][i], value)


def test_comparison_equals_economics_compare(members):
    batch, baselines = members
    summary = batch_metrics.summarise(batch)
    for i, base in enumerate(baselines):
        fast = batch_metrics.compare(batch_metrics.summarise(base), summary)
        headline = compare(to_result(base), to_result(batch, i)).headline.iloc[0]
        assert list(fast) == [c for c in headline.index if c != "replication"]
        for name in fast:
            value = headline[name]
            assert _close(fast[name][i], float(value)), (i, name, fast[name][i], value)
