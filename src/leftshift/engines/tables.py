"""Turn one member of a stock-flow Trajectory into the tidy tables of a Result."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leftshift.engines.layout import KIND_NAMES
from leftshift.engines.stockflow import Trajectory
from leftshift.result import (
    COSTS_COLUMNS,
    FLOWS_COLUMNS,
    PROGRAMMES_COLUMNS,
    QUEUES_COLUMNS,
    TIMESERIES_COLUMNS,
    Result,
)  # fmt: skip
from leftshift.scenario import PAYERS


def _times(traj: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """End time and calendar year of each reporting period."""
    grid, start = traj.grid, traj.scenarios[0].start_year
    first_step = np.array([np.flatnonzero(grid.period_of_step == p)[0] for p in range(len(grid.period_end))])
    years = start + np.floor((first_step + 0.5) * grid.step_years).astype(int)
    return grid.period_end, years


def _grid_frame(
    times: np.ndarray,
    years: np.ndarray,
    keys: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    columns: list[str],
    drop_zero: bool = True,
) -> pd.DataFrame:
    """A long table from (time x series) value grids, without series that are zero throughout."""
    first = next(iter(values.values()))
    keep = np.abs(first).max(axis=0) > 0 if drop_zero else np.ones(first.shape[1], dtype=bool)
    n_t, n_s = len(times), int(keep.sum())
    data = {"time": np.repeat(times, n_s), "year": np.repeat(years, n_s)}
    data.update({name: np.tile(col[keep], n_t) for name, col in keys.items()})
    data.update({name: grid[:, keep].ravel() for name, grid in values.items()})
    return pd.DataFrame(data)[columns]


def _obj(values) -> np.ndarray:
    return np.array(values, dtype=object)


def to_result(traj: Trajectory, member: int = 0) -> Result:
    layout, scenario = traj.layout, traj.scenarios[member]
    ends, years = _times(traj)
    n_per = len(ends)
    c, b, k = layout.unravel(np.arange(layout.n_stocks))

    timeseries = _grid_frame(
        np.concatenate([[0.0], ends]),
        np.concatenate([[scenario.start_year], years]),
        {"state": _obj(layout.compartments)[c], "age_band": _obj(layout.bands)[b], "programme": _obj(layout.layers)[k]},
        {"people": traj.stocks[:, :, member],
         "person_years": np.vstack([np.zeros((1, layout.n_stocks)), traj.person_years[:, :, member]])},
        TIMESERIES_COLUMNS,
    )  # fmt: skip
    flows = _flows(traj, member, ends, years)

    n_pay = len(PAYERS)
    costs = _grid_frame(
        ends, years,
        {"service": np.repeat(_obj(traj.services), n_pay), "payer": np.tile(_obj(PAYERS), len(traj.services))},
        {"cost_gbp": traj.costs[..., member].reshape(n_per, -1),
         "cost_gbp_discounted": traj.costs_discounted[..., member].reshape(n_per, -1)},
        COSTS_COLUMNS,
    )  # fmt: skip

    n_cap = layout.n_capacity
    turned = np.zeros((n_per, len(layout.resources)))  # refused and not waiting: turned away
    start = 0
    for i, r in enumerate(layout.resources):
        blocked = traj.blocked[:, start : start + len(r.admissions), member]
        turned[:, i] = blocked[:, r.join_queue < 0].sum(axis=1)
        start += len(r.admissions)
    cap = slice(0, n_cap)
    queues = _grid_frame(
        ends, years, {"resource": _obj([r.name for r in layout.resources[cap]])},
        {"occupied": traj.occupied[:, cap, member], "capacity": traj.places[:, cap, member],
         "waiting": traj.waiting[:, cap, member], "turned_away": turned[:, cap],
         "over_capacity": traj.over_capacity[:, cap, member]},
        QUEUES_COLUMNS, drop_zero=False,
    )  # fmt: skip

    prog = slice(n_cap, None)
    spend = np.stack(
        [traj.costs[:, traj.services.index(f"intervention:{p}"), :, member].sum(axis=1) for p in layout.programmes]
        or [np.zeros(n_per)], axis=1,
    )[:, : len(layout.programmes)]  # fmt: skip
    referrals = traj.referrals[:, :, member]
    programmes = _grid_frame(
        ends, years, {"programme": _obj(layout.programmes)},
        {"funded_places": traj.funded_places[:, :, member], "places": traj.places[:, prog, member],
         "participants": traj.occupied[:, prog, member], "referrals": referrals,
         "starts": referrals - turned[:, prog], "turned_away": turned[:, prog], "spend_gbp": spend},
        PROGRAMMES_COLUMNS, drop_zero=False,
    )  # fmt: skip
    return Result(scenario, "stockflow", timeseries, flows, costs, queues, programmes)


def _flows(traj: Trajectory, member: int, ends: np.ndarray, years: np.ndarray) -> pd.DataFrame:
    """Moves along every edge, plus queue joins and admissions and new entrants, as one long table."""
    layout = traj.layout
    comp, bands, layers = _obj(layout.compartments), _obj(layout.bands), _obj(layout.layers)
    sc, sb, sk = layout.unravel(layout.src)
    dc = layout.unravel(layout.dst)[0]
    kinds = [_obj(KIND_NAMES)[layout.kind]]
    keys = [(comp[sc], comp[dc], bands[sb], layers[layout.edge_programme()])]
    values = [traj.flows[:, :, member]]

    adm = np.concatenate([r.admissions for r in layout.resources] or [np.zeros(0, np.int64)])
    join = np.concatenate([r.join_queue for r in layout.resources] or [np.zeros(0, np.int64)])
    waits = join >= 0
    if waits.any():
        e = adm[waits]
        kinds.append(np.full(len(e), "queue_join", dtype=object))
        keys.append((comp[sc[e]], comp[layout.unravel(join[waits])[0]], bands[sb[e]], layers[sk[e]]))
        values.append(traj.blocked[:, waits, member])
    queue_stocks = np.concatenate([r.queue_stocks for r in layout.resources] or [np.zeros(0, np.int64)])
    if len(queue_stocks):
        targets = np.concatenate([r.queue_targets for r in layout.resources])
        qc, qb, qk = layout.unravel(queue_stocks)
        kinds.append(np.full(len(qc), "queue_admit", dtype=object))
        keys.append((comp[qc], comp[layout.unravel(targets)[0]], bands[qb], layers[qk]))
        values.append(traj.queue_admits[:, :, member])
    nb = len(bands)
    kinds.append(np.full(nb, "entry", dtype=object))
    keys.append((np.full(nb, "entrants", dtype=object), np.full(nb, traj.scenarios[member].demography.entry_state,
                 dtype=object), bands, np.full(nb, "none", dtype=object)))  # fmt: skip
    values.append(traj.entrants[:, :, member])

    columns = ("source", "target", "age_band", "programme")
    return _grid_frame(
        ends, years,
        {"kind": np.concatenate(kinds), **{c: np.concatenate([k[i] for k in keys]) for i, c in enumerate(columns)}},
        {"people": np.hstack(values)},
        FLOWS_COLUMNS,
    )  # fmt: skip
