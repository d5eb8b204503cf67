"""What happened to people in queues: admitted to the place they waited for, died while waiting, or left the
queue another way (e.g. admitted to hospital from a wait at home), and referrals turned away for lack of a place.

Counted from a Result's flows and queues tables (every engine fills them), per queue, as the mean over
replications. Deaths while waiting are a harm of a queue that totals of admissions and bed days hide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leftshift.result import Result
from leftshift.scenario.model import DEAD

COLUMNS = ["queue", "joined", "admitted", "died_waiting", "left_waiting"]
"""One row per queue `waiting:<from>-><to>`: people who joined it, were admitted from it, died in it, and left it
any other way (a move out of the queue that is neither an admission nor a death), over the horizon."""


def waiting_outcomes(result: Result) -> pd.DataFrame:
    """`COLUMNS` for each queue of the run (none: an empty frame), mean over replications."""
    flows = result.flows
    into, out = _is_queue(flows["target"]), _is_queue(flows["source"])
    flows = flows.loc[into | out, ["source", "target", "kind", "people"]]  # the rows into or out of a queue
    moved = (flows["source"] != flows["target"]).to_numpy(dtype=bool)
    into, out = into[into | out] & moved, out[into | out] & moved
    kind, died = flows["kind"], (flows["target"] == DEAD).to_numpy(dtype=bool)
    admit = (kind == "queue_admit").to_numpy(dtype=bool)
    reps = max(len(result.replications), 1)

    def total(rows: np.ndarray, by: str) -> pd.Series:
        sums = flows.loc[rows].groupby(by)["people"].sum()
        return sums.set_axis(sums.index.astype(object)).rename_axis("queue")

    joined = total(into & (kind != "deconditioning").to_numpy(dtype=bool), "target")
    table = pd.concat({"joined": joined, "admitted": total(out & admit, "source"),
                       "died_waiting": total(out & died, "source"),
                       "left_waiting": total(out & ~admit & ~died, "source")}, axis=1).fillna(0.0) / reps  # fmt: skip
    return table.rename_axis("queue").reset_index().reindex(columns=COLUMNS)


def _is_queue(names: pd.Series) -> np.ndarray:
    """Which rows name a queue, tested once per distinct name (a long run's flows table has millions of rows)."""
    codes, uniques = pd.factorize(names)
    return np.array([str(u).startswith("waiting:") for u in uniques], dtype=bool)[codes]


def turned_away(result: Result) -> pd.Series:
    """Referrals turned away for lack of a place (services whose `when_full` turns people away), per resource,
    mean over replications."""
    queues = result.queues.astype({"resource": object})
    return queues.groupby("resource")["turned_away"].sum() / max(len(result.replications), 1)


__all__ = ["COLUMNS", "turned_away", "waiting_outcomes"]
