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
    queued = _is_queue(flows["source"]) | _is_queue(flows["target"])  # the rows into or out of a queue
    flows = flows.loc[queued, ["source", "target", "kind", "people"]]
    source, target, kind = (flows[c].to_numpy(dtype=object) for c in ("source", "target", "kind"))
    reps = max(len(result.replications), 1)
    moved = source != target
    into, out = moved & _is_queue(flows["target"]), moved & _is_queue(flows["source"])
    people = flows["people"]

    def total(rows: np.ndarray, by: np.ndarray) -> pd.Series:
        return people[rows].groupby(by[rows]).sum()

    joined = total(into & (kind != "deconditioning"), target).rename_axis("queue")
    admitted = total(out & (kind == "queue_admit"), source)
    died = total(out & (target == DEAD), source)
    left = total(out & (kind != "queue_admit") & (target != DEAD), source)
    table = pd.concat({"joined": joined, "admitted": admitted.rename_axis("queue"),
                       "died_waiting": died.rename_axis("queue"), "left_waiting": left.rename_axis("queue")},
                      axis=1).fillna(0.0) / reps  # fmt: skip
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
