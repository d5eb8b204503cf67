"""Arrivals by band in the discrete-event engine: entrants whose growth differs by band, and net migration.

Entrants whose growth is the same in every band are one Poisson stream (`sim._next_entrant`), as they
always were. When `entrants_growth_per_year` differs by band, each band's entrants are their own Poisson
stream at rate E_b (1 + g_b)^t (stream `entrants|<band>`); net migration is a Poisson stream per band at a
constant rate |M_b| (stream `migration|<band>`): a migrant in joins the entry state like an entrant, a
migrant out leaves the band's entry stock (outside any programme), or no one leaves when it is empty (the
stock-flow engine caps the outflow by the stock in the same way). Both count in the entrants flow, which
is therefore net of people moving out, as in the stock-flow engine.
"""

from __future__ import annotations

import math
from typing import Any

from simpy.events import Timeout

from leftshift.rng import Buffered, ReplicationStreams


class BandStream:
    """Poisson arrivals (or, with `out`, departures) in one band at rate `rate` x exp(log_growth x t)."""

    def __init__(self, sim: Any, band: int, rate: float, log_growth: float, stream: Buffered, out: bool) -> None:
        self.sim, self.band, self.rate, self.log_growth = sim, band, rate, log_growth
        self.stream, self.out = stream, out

    def next(self) -> None:
        """Schedule the next event by inverting the integrated rate (exact)."""
        t, e, g = self.sim.env.now, self.stream.exponential(), self.log_growth
        if g == 0:
            when = t + e / self.rate
        else:
            x = math.exp(g * t) + e * g / self.rate
            if x <= 0:
                return  # a shrinking stream that has run dry
            when = math.log(x) / g
        ev = Timeout(self.sim.env, when - t)
        ev.callbacks.append(self._fire)

    def _fire(self, ev: Timeout) -> None:
        sim, b, t = self.sim, self.band, self.sim.env.now
        if not self.out:
            sim._arrive(b, t)
        else:
            d = sim.plan.entry_stocks[b]
            if sim.cnt[d] > 0:
                sim._removed(d, t)
                sim.entered[b] -= 1
        self.next()


def band_streams(sim: Any) -> list[BandStream]:
    """The streams a replication needs beyond the single entrants stream (none for older scenarios)."""
    p = sim.plan
    streams = ReplicationStreams(p.scenario.seed, sim.replication)
    bands, out = p.layout.bands, []
    growth, entrants, migration = p.params.entrants_growth[:, 0], p.params.entrants[:, 0], p.params.migration[:, 0]
    if by_band(p):
        for b, band in enumerate(bands):
            if entrants[b] > 0:
                stream = Buffered(streams(f"entrants|{band}"))
                out.append(BandStream(sim, b, float(entrants[b]), math.log1p(float(growth[b])), stream, out=False))
    for b, band in enumerate(bands):
        if migration[b] != 0:
            stream = Buffered(streams(f"migration|{band}"))
            out.append(BandStream(sim, b, abs(float(migration[b])), 0.0, stream, out=migration[b] < 0))
    return out


def by_band(plan: Any) -> bool:
    """Whether entrants' growth differs between the bands that have entrants (each then has its own stream)."""
    growth, entrants = plan.params.entrants_growth[:, 0], plan.params.entrants[:, 0]
    return len(set(growth[entrants > 0].tolist())) > 1


def entry_growth(plan: Any) -> float:
    """The growth of the single entrants stream: that of the bands with entrants (all equal unless `by_band`)."""
    growth, entrants = plan.params.entrants_growth[:, 0], plan.params.entrants[:, 0]
    with_entrants = growth[entrants > 0]
    return float(with_entrants[0]) if len(with_entrants) else 0.0
