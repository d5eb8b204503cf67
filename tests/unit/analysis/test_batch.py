"""batch_metrics must give the same numbers as metrics.compute and economics.compare (the tidy-table path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leftshift.analysis import batch as batch_metrics
from leftshift.analysis.economics import RELEASED, compare
from leftshift.analysis.metrics import compute
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.scenario.loading import load_scenario

SCENARIOS = Path(__file__).parents[3] / "scenarios"
SHORT = ["horizon_years=6"]


@pytest.fixture(scope="module")
def members():
    """Four left-shift members that differ in budget and capacity (one with queues, one over budget; two with
    fixed shares of weekly costs, one closing care home places the baseline keeps)."""
    fixed = ["costs.fixed_share.residential=0.6", "costs.fixed_share.acute=0.3"]
    sets = [[], ["interventions[0].budget=6e6", "capacity.residential.places=3000", *fixed],
            ["capacity.home_care.places=2500", "interventions[1].budget=2e6"],
            [*fixed, "costs.fixed_share.home_care=0.2"]]  # fmt: skip
    scenario_only = [[], [], [], ["capacity.residential.places={2026: 3600, 2028: 3300}"]]
    scenarios = [load_scenario(SCENARIOS / "leeds-left-shift.yaml", [*SHORT, *s, *o])
                 for s, o in zip(sets, scenario_only, strict=True)]  # fmt: skip
    shared = [[o for o in s if o.startswith(("capacity", "costs"))] for s in sets]  # the baseline has no interventions
    baselines = [load_scenario(SCENARIOS / "leeds-baseline.yaml", [*SHORT, *s]) for s in shared]
    return simulate(scenarios, record="yearly"), [simulate(b, record="yearly") for b in baselines]


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) and np.isnan(b))
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), scale)


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
            # the split is a difference of totals added up in another order: close to the size of those totals
            scale = abs(headline["capacity_freed_gbp_discounted"]) + 1 if name.startswith(RELEASED) else 1.0
            assert _close(fast[name][i], float(value), scale), (i, name, fast[name][i], value)


def test_the_avoided_cost_splits_into_cash_releasing_and_capacity_freed(members):
    batch, baselines = members
    summary = batch_metrics.summarise(batch)
    for i, base in enumerate(baselines):
        fast = batch_metrics.compare(batch_metrics.summarise(base), summary)
        total = fast["cash_releasing_savings_gbp_discounted"] + fast["capacity_freed_gbp_discounted"]
        assert _close(total[i], fast["avoided_downstream_cost_gbp_discounted"][i])
        if i in (0, 2):  # no fixed shares: every pound avoided is cash
            assert fast["capacity_freed_gbp_discounted"][i] == 0
        else:
            assert fast["capacity_freed_gbp_discounted"][i] != 0
