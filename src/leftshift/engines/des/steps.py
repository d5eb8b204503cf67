"""What changes in a replication at each step boundary: programme places, places of capacity-limited states
(schedules and bought places) and rates with trends — kept apart from the event handling in `sim.py`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy


class StepChanges:
    """Mixed into the replication (`sim._Replication`), whose state these methods change."""

    plan: Any
    env: simpy.Environment

    def _set_places(self, step: int) -> None:
        """Places follow funded places by a first-order delay (`programme_places`, shared with the
        stock-flow engine); a whole number of them is open at a time."""
        p = self.plan
        for j in range(len(self.places_now)):
            now = float(p.programme_places[step, j])
            self.places_now[j], self.funded[j] = now, float(p.funded_places[step, j])
            target = math.floor(now + 0.5)
            self._resize(self.res[p.n_cap + j], target - self.built[j])
            self.built[j] = target

    def _set_capacity(self, step: int) -> None:
        """Places of capacity-limited states follow their schedule (`capacity_places`). A cut evicts
        nobody: people above the new places are counted over capacity (as entrants are) and nobody is
        admitted until they have gone; new places go first to them, then to the queue's head."""
        p, t = self.plan, self.env.now
        for i in range(p.n_cap):
            res, target = self.res[i], int(p.capacity_places[step, i])
            change = target - res.capacity
            if change < 0:
                res._capacity = target
                while len(res.users) > target:
                    res.release(self.pool[i].pop())
                    self.excess[i] += 1
                    self.over_acc[i] += t
            elif change > 0:
                take = min(self.excess[i], change)
                res._capacity = len(res.users)  # full while the people above the places take theirs first
                held = [res.request() for _ in range(take)]
                for req in reversed(held):
                    res.put_queue.remove(req)
                    res.put_queue.insert(0, req)
                res._capacity = target
                for _ in range(change):
                    res._trigger_put(None)
                self.pool[i].extend(held)
                self.excess[i] -= take
                self.over_acc[i] -= t * take

    def _set_rates(self, step: int) -> None:
        """Rates with trends held at their mid-step value for the step (as in the stock-flow engine): each
        channel's rate and split change, and its clock runs at the new speed (exact for piecewise-constant
        hazards: no drawn time is discarded)."""
        p = self.plan
        rate = p.params.rate[:, 0] * np.exp(p.params.trend[:, 0] * ((step + 0.5) * p.grid.step_years))
        for ch in self.trended_channels:
            rates = rate[list(p.ch_edges[ch])]
            cum = np.cumsum(rates) / rates.sum()
            cum[-1] = 1.0
            self.ch_rate[ch], self.ch_cum[ch] = float(rates.sum()), tuple(cum.tolist())
            n = self.cnt[p.ch_stock[ch]]
            if n:
                self._schedule(ch, n)

    @staticmethod
    def _resize(places: simpy.Container, change: int) -> None:
        if change > 0:
            while change > 0 and places.get_queue:  # undo cuts not yet taken effect
                places.get_queue[-1].cancel()
                change -= 1
            if change > 0:
                places.put(change)
        for _ in range(-change):  # a cut takes free places now, and others as participants leave
            places.get(1)
