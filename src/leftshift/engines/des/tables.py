"""Replications' records -> the tidy tables of one Result (the same shapes as the stock-flow engine's).

The conventions (names, row at time 0, calendar years, costs at mid-step) are those of
`leftshift.engines.tables`, with a `replication` column first. A series is kept when it is non-zero
in any replication, so every replication has the same rows and averages over replications can be
taken row by row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from leftshift.engines import RESOLUTIONS
from leftshift.engines.des.plan import OUTCOMES, Plan
from leftshift.engines.des.record import RepOutput
from leftshift.engines.model import TimeGrid, turned_away
from leftshift.engines.pricing import price_steps
from leftshift.engines.tables import (
    band_keys,
    flow_columns,
    flow_keys,
    flow_values,
    grid_frame,
    obj,
    with_segments,
)  # fmt: skip
from leftshift.result import (
    COSTS_COLUMNS,
    PROGRAMMES_COLUMNS,
    QUEUES_COLUMNS,
    TIMESERIES_COLUMNS,
    Result,
)  # fmt: skip
from leftshift.scenario.model import PAYERS

REP = "replication"
WAITS_COLUMNS = [REP, "resource", "from_state", "age_band", "time", "wait_days", "outcome"]
DAYS_PER_YEAR = 365.25
EPS = 1e-9  # times within this of the end of the warm-up are at its end


def step_costs(plan: Plan, out: RepOutput) -> tuple[np.ndarray, np.ndarray]:
    """Costs per step, service and payer (undiscounted, discounted), priced by `pricing.price_steps`
    from the replication's person-years by state, moves (admissions from a queue as its transition)
    and time over capacity. The only difference from the stock-flow engine: time over capacity is the
    exact integral here, not end-of-step x step."""
    lay = plan.layout
    n_comp, n_trans, n_cap = len(lay.compartments), len(lay.transitions), lay.n_capacity
    onehot = np.zeros((plan.n_stocks, n_comp))
    onehot[np.arange(plan.n_stocks), plan.compartment_of] = 1.0
    by_comp = out.person_years @ onehot
    costed = np.flatnonzero(lay.transition_of >= 0)
    to_trans = np.zeros((len(lay.src), n_trans))
    to_trans[costed, lay.transition_of[costed]] = 1.0
    moves = out.flows @ to_trans
    for j, ti in enumerate(plan.prices.queue_transition.tolist()):
        moves[:, ti] += out.queue_admits[:, j]
    return price_steps(plan.prices, plan.grid, by_comp, moves, out.over_capacity_person_years[:, :n_cap])


def build_result(plan: Plan, outs: Sequence[RepOutput], warm_up_years: float = 0.0, flows_by: str = "step") -> Result:
    """One Result for all replications (sorted by replication number), statistics after the warm-up; its flows
    by `flows_by` (step, month or year: `_flows`), every other table by step."""
    s, lay, grid = plan.scenario, plan.layout, plan.grid
    reps = np.array([o.replication for o in outs])
    ends = grid.period_end
    years = grid.period_years(s.start_year)
    comp, layers = obj(lay.compartments), obj(lay.layers)
    c, b, k = lay.unravel(np.arange(lay.n_stocks))

    def stack(name: str) -> np.ndarray:
        return np.stack([getattr(o, name) for o in outs]).astype(float)

    people = stack("stocks")
    py = np.concatenate([np.zeros((len(outs), 1, lay.n_stocks)), stack("person_years")], axis=1)
    timeseries = grid_frame(np.concatenate([[0.0], ends]), np.concatenate([[s.start_year], years]),
        {"state": comp[c], **band_keys(lay, b), "programme": layers[k]},
        {"people": people, "person_years": py}, with_segments(TIMESERIES_COLUMNS, lay), replications=reps,
        origins=(lay, ["state"]),
    )  # fmt: skip
    flows = _flows(plan, outs, reps, warm_up_years, flows_by)

    priced = [step_costs(plan, o) for o in outs]
    services = plan.prices.services
    n_pay = len(PAYERS)
    costs = grid_frame(ends, years,
        {"service": np.repeat(obj(services), n_pay), "payer": np.tile(obj(PAYERS), len(services))},
        {"cost_gbp": np.stack([p[0].reshape(grid.n_steps, -1) for p in priced]),
         "cost_gbp_discounted": np.stack([p[1].reshape(grid.n_steps, -1) for p in priced])},
        COSTS_COLUMNS, replications=reps, origins=(lay, []),
    )  # fmt: skip

    n_cap = lay.n_capacity
    turned = turned_away(lay, stack("blocked"))
    occupied, places = stack("occupied"), stack("places")
    cap, prog = slice(0, n_cap), slice(n_cap, None)
    queues = grid_frame(ends, years, {"resource": obj(r.name for r in lay.resources[cap])},
        {"occupied": occupied[:, :, cap], "capacity": places[:, :, cap], "waiting": stack("waiting")[:, :, cap],
         "turned_away": turned[:, :, cap], "over_capacity": stack("over_capacity")[:, :, cap]},
        QUEUES_COLUMNS, drop_zero=False, replications=reps,
    )  # fmt: skip
    budgets = slice(len(services) - len(lay.programmes), None)  # the last rows of the costs
    spend = np.stack([p[0][:, budgets].sum(axis=2) for p in priced])
    referrals = stack("referrals")
    programmes = grid_frame(ends, years, {"programme": obj(lay.programmes)},
        {"funded_places": stack("funded_places"), "places": places[:, :, prog], "participants": occupied[:, :, prog],
         "referrals": referrals, "starts": referrals - turned[:, :, prog], "turned_away": turned[:, :, prog],
         "spend_gbp": spend},
        PROGRAMMES_COLUMNS, drop_zero=False, replications=reps,
    )  # fmt: skip
    runs = pd.DataFrame({
        REP: reps, "seed": s.seed, "warm_up_years": warm_up_years, "horizon_years": s.horizon_years,
        "events": [o.events for o in outs],
        "simpy_events": [o.simpy_events for o in outs],
    })  # fmt: skip
    tables = {"timeseries": timeseries, "flows": flows, "costs": costs, "queues": queues, "programmes": programmes}
    if warm_up_years > 0:
        tables = _after_warm_up(tables, warm_up_years)
    extra = {"replications": runs}
    if all(o.waits is not None for o in outs):  # (a run with a `waits_sink` handed them over as they came)
        waits = pd.concat([waits_frame(plan, o) for o in outs], ignore_index=True)
        extra = {"waits": after_warm_up(waits, warm_up_years), **extra}
    return Result(scenario=s, engine="des", **tables, extra=extra)


def _flows(plan: Plan, outs: Sequence[RepOutput], reps: np.ndarray, warm_up: float, by: str) -> pd.DataFrame:
    """Moves along every edge, queue joins and admissions, and entrants (the same series as stock-flow), by step,
    or summed by month or year (`by`): counts of people are whole numbers, whose sums are exact in any order, so
    these are to the last bit the sums `analysis.periods.coarsen_table` makes of the table by step (the steps of
    the warm-up left out first; a series kept if it moved anyone in any step), without that long table."""
    lay, s, grid = plan.layout, plan.scenario, plan.grid
    values = flow_values(lay, *(np.stack([getattr(o, name) for o in outs])
                                for name in ("flows", "blocked", "queue_admits", "entrants")))  # fmt: skip
    keep = np.abs(values).max(axis=(0, 1)) > 0
    ends, years = grid.period_end, grid.period_years(s.start_year)
    if by != "step":
        steps = np.flatnonzero(ends > warm_up + EPS) if warm_up > 0 else np.arange(grid.n_steps)
        periods = TimeGrid.for_scenario(s, RESOLUTIONS[by])
        period, year = periods.period_of_step[steps], years[steps]
        starts = np.flatnonzero(np.diff(period, prepend=-1) | np.diff(year, prepend=-1))  # rows: (period, year)
        values = np.add.reduceat(values[:, steps], starts, axis=1)
        ends, years = periods.period_end[period[starts]], year[starts]
    keys = flow_keys(lay, s.demography.entry_state)
    return grid_frame(ends, years, keys, {"people": values}, flow_columns(lay), replications=reps,
                      origins=(lay, []), keep=keep)  # fmt: skip


def waits_frame(plan: Plan, out: RepOutput) -> pd.DataFrame:
    """One replication's rows of the `waits` table (every attempt, the warm-up's too)."""
    lay, w = plan.layout, out.waits
    return pd.DataFrame({
        REP: np.full(len(w["time"]), out.replication),
        "resource": obj(r.name for r in lay.resources)[w["resource"]],
        "from_state": obj(lay.state_names)[w["origin"]],
        **band_keys(lay, np.asarray(w["band"], dtype=np.int64)),
        "time": w["time"],
        "wait_days": w["wait_years"] * DAYS_PER_YEAR,
        "outcome": obj(OUTCOMES)[w["outcome"]],
    })[with_segments(WAITS_COLUMNS, lay)]  # fmt: skip


def after_warm_up(waits: pd.DataFrame, warm_up: float) -> pd.DataFrame:
    """The attempts made after the warm-up (all of them without one)."""
    if warm_up <= 0:
        return waits
    return waits[waits["time"] >= warm_up - EPS].reset_index(drop=True)


def _after_warm_up(tables: dict[str, pd.DataFrame], warm_up: float) -> dict[str, pd.DataFrame]:
    """Drop what happened before the warm-up ends. The timeseries keeps the stocks at the end of the
    warm-up as its first row, with person-years 0 (as the row at time 0 of a full run)."""
    out = {}
    for name, frame in tables.items():
        if name == "timeseries":
            frame = frame[frame["time"] >= warm_up - EPS].reset_index(drop=True)
            frame.loc[frame["time"] <= warm_up + EPS, "person_years"] = 0.0
        else:
            frame = frame[frame["time"] > warm_up + EPS].reset_index(drop=True)
        out[name] = frame
    return out
