"""One tidy result shape that every engine returns and every consumer reads.

Engines fill the tables; only `leftshift.io.writing` writes them to disk, and `leftshift.analysis.metrics`
turns them into headline numbers. Every table is long ("tidy"): dimension columns, then values.

Every table carries a `replication` column first, whichever engine filled it: the discrete-event engine
numbers its replications from 0; the stock-flow engine's one deterministic run is replication 0. So
every consumer computes per replication and none asks which engine ran. Files keep their old shape:
`Result.tables()` leaves the constant column out of a stock-flow run's files and
`leftshift.io.reading` puts it back.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from leftshift.scenario.model import Scenario

REPLICATION = "replication"
"""The first column of every table: which replication a row belongs to (0 for a stock-flow run)."""

TIMESERIES_COLUMNS = ["time", "year", "state", "age_band", "programme", "people", "person_years"]
"""`people` at the end of the step ending at `time` (years from start; a row at 0 holds the initial
stocks); `person_years` spent in the stock during that step (0 at time 0). Queues are stocks named
`waiting:<from>-><to>`. `programme` is `none`, an intervention's name (taking part), or
`after:<name>` (left the programme, effect fading). A scenario with `segments` has a `segment` column after
`age_band` (`with_segments` in `engines/tables.py`); others have exactly these columns."""

FLOWS_COLUMNS = ["time", "year", "kind", "source", "target", "age_band", "programme", "people"]
"""People moved during the step ending at `time`. `kind`: transition, ageing, entry, referral,
completion, fade, queue_join, queue_admit, entry; with `remember_origin`, `return` (back from a state that
remembers origins to the origin, whose place was held: not an admission); with
`delayed_discharge.deconditioning`, `deconditioning` (from one hospital queue to another); with `segments`,
`segment_move`. Source and target are stock names; `programme` is the moving people's programme before the
move (for a referral, the programme they join). A scenario with `segments` has `segment` (before the move) and
`target_segment` (after) after `age_band`."""

COSTS_COLUMNS = ["time", "year", "service", "payer", "cost_gbp", "cost_gbp_discounted"]
"""Cost incurred during the step ending at `time`, by service (a state, a transition `a->b`, a
queue, `overflow:<state>`, or `intervention:<name>`) and payer."""

QUEUES_COLUMNS = ["time", "year", "resource", "occupied", "capacity", "waiting", "turned_away", "over_capacity"]
"""Capacity-limited states at the end of each step: people in the state, places, people waiting,
people turned away during the step (`lost`), people above capacity (`overflow`)."""

PROGRAMMES_COLUMNS = [
    "time", "year", "programme", "funded_places", "places", "participants",
    "referrals", "starts", "turned_away", "spend_gbp",
]  # fmt: skip
"""Interventions at the end of each step: places funded by the budget, places built so far, people
taking part; referrals, starts and referrals turned away during the step, and spend during the step."""


@dataclass(frozen=True)
class Result:
    """What one run of an engine produced, with the provenance needed to reproduce it."""

    scenario: Scenario
    engine: str
    timeseries: pd.DataFrame
    flows: pd.DataFrame
    costs: pd.DataFrame
    queues: pd.DataFrame
    programmes: pd.DataFrame
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Engine-specific tables (the discrete-event engine's `waits`), written as `<key>.csv`."""

    @property
    def plot(self) -> Any:
        """The figures of this result, e.g. `result.plot.sankey()` (plotly is imported on first use).

        The plots layer sits above results, so it is looked up by name when asked for, never imported here.
        """
        return importlib.import_module("leftshift.plots.accessor").ResultPlots(self)

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def replicated(self) -> bool:
        """Whether the tables hold replications of a stochastic engine, whose statistics are reported as a
        mean with a spread, rather than the one deterministic run of the stock-flow engine."""
        return self.engine != "stockflow"

    @property
    def replications(self) -> pd.Index:
        """The replication numbers in the tables, in order ([0] for a stock-flow run)."""
        return pd.Index(sorted(self.timeseries[REPLICATION].unique()), name=REPLICATION)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by its file stem, in the order they are written, as files hold it: a stock-flow run's
        files have no `replication` column (it is always 0, and files written before it existed must keep
        reading the same), so it is left out here and `leftshift.io.reading` adds it back."""
        tables = {
            "timeseries": self.timeseries,
            "flows": self.flows,
            "costs": self.costs,
            "queues": self.queues,
            "programmes": self.programmes,
        }
        if not self.replicated:
            tables = {stem: frame.drop(columns=REPLICATION) for stem, frame in tables.items()}
        return {**tables, **self.extra}
