"""Plotly figures from leftshift's tidy tables, for reports and notebooks. Building a figure writes nothing.

Every builder takes a Result, a list of Results (baseline first), a Comparison, or a documented tidy
DataFrame, and returns a `plotly.graph_objects.Figure`::

    from leftshift import plots
    plots.costs_by_payer(result).show()
    result.plot.sankey()                       # the same builders, bound to one Result

Names are imported on first use (as in `leftshift/__init__.py`), so `import leftshift.result` does not
import plotly.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "people_by_state": "leftshift.plots.activity",
    "demand_over_time": "leftshift.plots.activity",
    "sankey": "leftshift.plots.activity",
    "sankey_difference": "leftshift.plots.activity",
    "intervention_reach": "leftshift.plots.activity",
    "queues": "leftshift.plots.activity",
    "wait_distribution": "leftshift.plots.activity",
    "costs_by_payer": "leftshift.plots.money",
    "costs_by_service": "leftshift.plots.money",
    "cumulative_net_savings": "leftshift.plots.money",
    "fan_chart": "leftshift.plots.experiments",
    "ecdf": "leftshift.plots.experiments",
    "payback_distribution": "leftshift.plots.experiments",
    "waterfall": "leftshift.plots.change",
    "programme_shares": "leftshift.plots.change",
    "avoided_by_year": "leftshift.plots.change",
    "demand_change": "leftshift.plots.change",
    "parameter_labels": "leftshift.plots.labels",
    "distribution": "leftshift.plots.experiments",
    "tornado": "leftshift.plots.experiments",
    "sobol_indices": "leftshift.plots.experiments",
    "sweep": "leftshift.plots.experiments",
    "has_data": "leftshift.plots.style",
    "observed_vs_fitted": "leftshift.plots.calibration",
}
__all__ = [
    "avoided_by_year", "costs_by_payer", "costs_by_service", "cumulative_net_savings", "demand_change",
    "demand_over_time", "distribution", "ecdf", "fan_chart", "has_data", "intervention_reach", "observed_vs_fitted",
    "parameter_labels", "payback_distribution", "people_by_state", "programme_shares", "queues", "sankey",
    "sankey_difference", "sobol_indices", "sweep", "tornado", "wait_distribution", "waterfall",
]  # fmt: skip

if TYPE_CHECKING:  # for editors and type checkers; at run time names load lazily
    from leftshift.plots.activity import (
        demand_over_time,
        intervention_reach,
        people_by_state,
        queues,
        sankey,
        sankey_difference,
        wait_distribution,
    )  # fmt: skip
    from leftshift.plots.calibration import observed_vs_fitted
    from leftshift.plots.change import avoided_by_year, demand_change, programme_shares, waterfall
    from leftshift.plots.experiments import (
        distribution,
        ecdf,
        fan_chart,
        payback_distribution,
        sobol_indices,
        sweep,
        tornado,
    )
    from leftshift.plots.labels import parameter_labels
    from leftshift.plots.money import costs_by_payer, costs_by_service, cumulative_net_savings
    from leftshift.plots.style import has_data


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'leftshift.plots' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
