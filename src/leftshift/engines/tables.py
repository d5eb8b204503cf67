"""Turn one member of a stock-flow Trajectory into the tidy tables of a Result.

Both engines build their long tables with `grid_frame`, so every table has the same shape: a `replication`
column first (0 for the stock-flow engine's one deterministic run), then the columns of `leftshift.result`.
Consumers never need to ask whether the column is there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from leftshift.engines.model import KIND_NAMES, ORIGIN_MARK, TRANSITION, Layout, state_of, turned_away
from leftshift.engines.stockflow.engine import Trajectory
from leftshift.result import (
    COSTS_COLUMNS,
    FLOWS_COLUMNS,
    PROGRAMMES_COLUMNS,
    QUEUES_COLUMNS,
    REPLICATION,
    TIMESERIES_COLUMNS,
    Result,
)  # fmt: skip
from leftshift.scenario.model import PAYERS


def _times(traj: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """End time and calendar year of each reporting period."""
    return traj.grid.period_end, traj.grid.period_years(traj.scenarios[0].start_year)


def grid_frame(
    times: np.ndarray,
    years: np.ndarray,
    keys: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    columns: list[str],
    drop_zero: bool = True,
    replications: np.ndarray | None = None,
    origins: tuple[Layout, Iterable[str]] | None = None,
    keep: np.ndarray | None = None,
) -> pd.DataFrame:
    """A long table, `replication` first, from (replication x time x series) value grids, or from (time x
    series) grids of one run when `replications` is None (it is then replication 0). Series that are zero
    at every time (and in every replication) are dropped, since they only make files larger (`keep`: the
    series to keep instead). `origins`: (layout, key columns naming a compartment): origin compartments merged
    into their state (`merge_origins`)."""
    grids = {k: v if replications is not None else v[None] for k, v in values.items()}
    first = next(iter(grids.values()))
    if keep is None:
        keep = np.abs(first).max(axis=(0, 1)) > 0 if drop_zero else np.ones(first.shape[2], dtype=bool)
    keys = {name: col[keep] for name, col in keys.items()}
    grids = {name: grid[:, :, keep] for name, grid in grids.items()}
    if origins is not None and origins[0].origins:
        keys, grids = merge_origins(keys, grids, origins[1])
    n_r, n_t, n_s = first.shape[0], len(times), next(iter(grids.values())).shape[2]
    numbers = np.zeros(1, dtype=np.int64) if replications is None else np.asarray(replications)
    data = {REPLICATION: np.repeat(numbers, n_t * n_s)}
    data["time"] = np.tile(np.repeat(times, n_s), n_r)
    data["year"] = np.tile(np.repeat(years, n_s), n_r)
    data.update({name: _tiled(col, n_r * n_t) for name, col in keys.items()})
    data.update({name: grid.ravel() for name, grid in grids.items()})
    # (built in the table's column order, without pandas' copies: a long discrete-event run's tables are large)
    return pd.DataFrame({name: data[name] for name in (REPLICATION, *columns)}, copy=False)


def _tiled(col: np.ndarray, times: int) -> Any:
    """`np.tile(col, times)` as the column pandas would make of it; strings go straight into pandas' string
    column (what it makes of an object array of them), without a long object array on the way."""
    if col.dtype != object or not len(col) or not all(isinstance(v, str) for v in col):
        return np.tile(col, times)
    return pd.array(col, dtype="str").take(np.tile(np.arange(len(col)), times))


def obj(values: Iterable[Any]) -> np.ndarray:
    """Strings as a numpy object array (pandas keeps them as str columns)."""
    return np.array(list(values), dtype=object)


def with_segments(columns: list[str], layout: Layout, extra: tuple[str, ...] = ("segment",)) -> list[str]:
    """A table's columns, with `extra` after `age_band` when the scenario has segments (else as they are)."""
    if not layout.segments:
        return columns
    at = columns.index("age_band") + 1
    return [*columns[:at], *extra, *columns[at:]]


def band_keys(layout: Layout, slot: np.ndarray) -> dict[str, np.ndarray]:
    """`age_band` (and, with segments, `segment`) of each index `slot` of the band axis."""
    keys = {"age_band": obj(layout.age_bands)[slot]}
    if layout.segments:
        keys["segment"] = obj(layout.slot_segments)[slot]
    return keys


def merge_origins(
    keys: dict[str, np.ndarray], grids: dict[str, np.ndarray], names: Iterable[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Report origin compartments (`acute|from:residential`) under their state (`acute`): the key columns
    `names` read as states, and series that then share every key summed (in the order of their first
    series), as a table's rows would be summed by pandas (`groupby(sort=False).sum()`, which does it here, on
    the series of every replication and time at once: the same sums to the last bit, without a long table)."""
    names = set(names)
    keys = {n: obj(state_of(v) for v in col) if n in names else col for n, col in keys.items()}
    groups: dict[tuple, int] = {}
    label = np.array([groups.setdefault(key, len(groups)) for key in zip(*keys.values(), strict=True)], dtype=np.intp)
    if len(groups) == len(label):
        return keys, grids
    firsts = np.unique(label, return_index=True)[1]  # (groups are numbered in the order of their first series)
    merged = {}
    for name, grid in grids.items():
        n_r, n_t, n_s = grid.shape
        wide = pd.DataFrame(grid.reshape(n_r * n_t, n_s).T)  # a row per series
        merged[name] = wide.groupby(label, sort=False).sum().to_numpy().T.reshape(n_r, n_t, len(groups))
    return {n: col[firsts] for n, col in keys.items()}, merged


def to_result(traj: Trajectory, member: int = 0) -> Result:
    """One member of a batch as a Result, with the same table shapes as the discrete-event engine's."""
    layout, scenario = traj.layout, traj.scenarios[member]
    ends, years = _times(traj)
    n_per = len(ends)
    c, b, k = layout.unravel(np.arange(layout.n_stocks))

    timeseries = grid_frame(
        np.concatenate([[0.0], ends]),
        np.concatenate([[scenario.start_year], years]),
        {"state": obj(layout.compartments)[c], **band_keys(layout, b), "programme": obj(layout.layers)[k]},
        {"people": traj.stocks[:, :, member],
         "person_years": np.vstack([np.zeros((1, layout.n_stocks)), traj.person_years[:, :, member]])},
        with_segments(TIMESERIES_COLUMNS, layout), origins=(layout, ["state"]),
    )  # fmt: skip
    flows = _flows(traj, member, ends, years)

    n_pay = len(PAYERS)
    costs = grid_frame(
        ends, years,
        {"service": np.repeat(obj(traj.services), n_pay), "payer": np.tile(obj(PAYERS), len(traj.services))},
        {"cost_gbp": traj.costs[..., member].reshape(n_per, -1),
         "cost_gbp_discounted": traj.costs_discounted[..., member].reshape(n_per, -1)},
        COSTS_COLUMNS, origins=(layout, []),
    )  # fmt: skip

    n_cap = layout.n_capacity
    turned = turned_away(layout, traj.blocked[:, :, member])  # refused and not waiting
    cap = slice(0, n_cap)
    queues = grid_frame(
        ends, years, {"resource": obj([r.name for r in layout.resources[cap]])},
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
    programmes = grid_frame(
        ends, years, {"programme": obj(layout.programmes)},
        {"funded_places": traj.funded_places[:, :, member], "places": traj.places[:, prog, member],
         "participants": traj.occupied[:, prog, member], "referrals": referrals,
         "starts": referrals - turned[:, prog], "turned_away": turned[:, prog], "spend_gbp": spend},
        PROGRAMMES_COLUMNS, drop_zero=False,
    )  # fmt: skip
    return Result(scenario, "stockflow", timeseries, flows, costs, queues, programmes)


def _flows(traj: Trajectory, member: int, ends: np.ndarray, years: np.ndarray) -> pd.DataFrame:
    """Moves along every edge, plus queue joins and admissions and new entrants, as one long table."""
    layout = traj.layout
    values = flow_values(layout, traj.flows[:, :, member], traj.blocked[:, :, member],
                         traj.queue_admits[:, :, member], traj.entrants[:, :, member])  # fmt: skip
    keys = flow_keys(layout, traj.scenarios[member].demography.entry_state)
    return grid_frame(ends, years, keys, {"people": values}, flow_columns(layout), origins=(layout, []))


def _queue_joins(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(admission edge, queue stock) of every refused admission that waits, in `blocked` order (mask)."""
    adm = np.concatenate([r.admissions for r in layout.resources] or [np.zeros(0, np.int64)])
    join = np.concatenate([r.join_queue for r in layout.resources] or [np.zeros(0, np.int64)])
    return adm, join


def flow_keys(layout: Layout, entry_state: str) -> dict[str, np.ndarray]:
    """Kind, source, target, band (and, with segments, segment and target segment) and programme of each flow
    series, in the order of `flow_values`: every edge, queue joins, queue admissions, new entrants. Shared by
    both engines' tables."""
    comp, layers = obj(layout.state_names), obj(layout.layers)
    sc, sb, sk = layout.unravel(layout.src)
    dc, db = layout.unravel(layout.dst)[:2]
    kinds = [obj(KIND_NAMES)[layout.kind]]
    if layout.origins:  # going back to the held place one came from is a return, not an admission
        held = {i for i, c in enumerate(layout.compartments) if ORIGIN_MARK in c}
        names = layout.compartments
        back = [layout.kind[e] == TRANSITION and int(sc[e]) in held
                and names[sc[e]].split(ORIGIN_MARK)[1] == names[dc[e]] for e in range(len(sc))]  # fmt: skip
        kinds[0] = np.where(back, "return", kinds[0]).astype(object)
    keys = [(comp[sc], comp[dc], sb, db, layers[layout.edge_programme()])]
    adm, join = _queue_joins(layout)
    e = adm[join >= 0]
    kinds.append(np.full(len(e), "queue_join", dtype=object))
    keys.append((comp[sc[e]], comp[layout.unravel(join[join >= 0])[0]], sb[e], sb[e], layers[sk[e]]))
    queue_stocks = np.concatenate([r.queue_stocks for r in layout.resources] or [np.zeros(0, np.int64)])
    targets = np.concatenate([r.queue_targets for r in layout.resources] or [np.zeros(0, np.int64)])
    qc, qb, qk = layout.unravel(queue_stocks)
    kinds.append(np.full(len(qc), "queue_admit", dtype=object))
    keys.append((comp[qc], comp[layout.unravel(targets)[0]], qb, qb, layers[qk]))
    nb = len(layout.bands)
    kinds.append(np.full(nb, "entry", dtype=object))
    keys.append((np.full(nb, "entrants", dtype=object), np.full(nb, entry_state, dtype=object), np.arange(nb),
                 np.arange(nb), np.full(nb, "none", dtype=object)))  # fmt: skip
    source, target, slot, target_slot, programme = (np.concatenate([k[i] for k in keys]) for i in range(5))
    out = {"kind": np.concatenate(kinds), "source": source, "target": target, **band_keys(layout, slot)}
    if layout.segments:
        out["target_segment"] = obj(layout.slot_segments)[target_slot]
    return {**out, "programme": programme}


def flow_columns(layout: Layout) -> list[str]:
    """The flows table's columns: with segments, the movers' `segment` before and `target_segment` after."""
    return with_segments(FLOWS_COLUMNS, layout, ("segment", "target_segment"))


def flow_values(
    layout: Layout, flows: np.ndarray, blocked: np.ndarray, queue_admits: np.ndarray, entrants: np.ndarray
) -> np.ndarray:
    """People moved in each flow series of `flow_keys`, series on the last axis (any leading axes)."""
    _, join = _queue_joins(layout)
    return np.concatenate([flows, blocked[..., join >= 0], queue_admits, entrants], axis=-1).astype(float)
