"""`Result.plot`: the figure builders bound to one Result, e.g. `result.plot.sankey()`.

This module imports nothing heavy: plotly is imported when a figure is first built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from leftshift.result import Result


class ResultPlots:
    """Figures of one Result. Every method returns a new `plotly.graph_objects.Figure` and writes nothing."""

    def __init__(self, result: Result) -> None:
        self._result = result

    def __repr__(self) -> str:
        return f"<figures of {self._result.scenario.name!r}: {', '.join(_METHODS)}>"

    def people_by_state(self, **options: Any) -> go.Figure:
        from leftshift.plots.activity import people_by_state

        return people_by_state(self._result, **options)

    def demand_over_time(self) -> go.Figure:
        from leftshift.plots.activity import demand_over_time

        return demand_over_time(self._result)

    def costs_by_payer(self, discounted: bool = False) -> go.Figure:
        from leftshift.plots.money import costs_by_payer

        return costs_by_payer(self._result, discounted)

    def costs_by_service(self, discounted: bool = False) -> go.Figure:
        from leftshift.plots.money import costs_by_service

        return costs_by_service(self._result, discounted)

    def sankey(self) -> go.Figure:
        from leftshift.plots.activity import sankey

        return sankey(self._result)

    def intervention_reach(self, **options: Any) -> go.Figure:
        from leftshift.plots.activity import intervention_reach

        return intervention_reach(self._result, **options)

    def queues(self, **options: Any) -> go.Figure:
        from leftshift.plots.activity import queues

        return queues(self._result, **options)

    def wait_distribution(self, **options: Any) -> go.Figure:
        from leftshift.plots.activity import wait_distribution

        return wait_distribution(self._result, **options)


_METHODS = [name for name in vars(ResultPlots) if not name.startswith("_")]
