"""Risk-share agreements (`risk_share:` in a scenario): who ends up with the avoided cost.

An agreement `{from: nhs, to: council, share: 0.5}` passes half of the NHS's avoided downstream cost to the
council, year by year: in a year the scenario saves the NHS £1m the council gains £0.5m and the NHS keeps £0.5m;
in a year it costs the NHS more, the council bears half of that too (a share of the risk, not only of the gain).
The capacity freed moves with it, so each payer's cash-releasing savings stay its avoided cost minus its capacity
freed. Totals never change; only the split between payers does. Every agreement is applied to the avoided cost
before any sharing, so their order in the list does not matter.

As a matrix: avoided after sharing = avoided before @ M, with M[f, t] the share of payer f's avoided cost that
lands with payer t (each row sums to 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from leftshift.result import REPLICATION
from leftshift.scenario.model import PAYERS, RiskShare, Scenario

SHARED_COLUMNS = ("avoided_gbp", "avoided_gbp_discounted")
"""The columns of the yearly payer rows of a comparison that an agreement moves between payers."""


def sharing_matrix(agreements: Sequence[RiskShare]) -> np.ndarray:
    """(payer, payer) M: avoided cost after sharing = before @ M (payers in the order of `PAYERS`)."""
    m = np.eye(len(PAYERS))
    for a in agreements:
        f, t = PAYERS.index(a.from_payer), PAYERS.index(a.to)
        m[f, f] -= a.share
        m[f, t] += a.share
    return m


def batch_sharing(scenarios: Sequence[Scenario]) -> np.ndarray | None:
    """(payer, payer, N) the sharing matrix of every member of a batch; None when no member shares."""
    if not any(s.risk_share for s in scenarios):
        return None
    return np.stack([sharing_matrix(s.risk_share) for s in scenarios], axis=-1)


def share_batch(by_payer: np.ndarray, sharing: np.ndarray | None) -> np.ndarray:
    """(..., payer, N) amounts by payer for each member, after each member's agreements."""
    if sharing is None:
        return by_payer
    return np.einsum("...fn,ftn->...tn", by_payer, sharing)


def share_yearly(yearly: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """A comparison's rows by replication, year and payer with the avoided cost shared (unchanged without any
    agreement; with one, a row for every payer)."""
    if not scenario.risk_share:
        return yearly
    m = sharing_matrix(scenario.risk_share)
    keys = [REPLICATION, "year", "payer"]
    full = pd.MultiIndex.from_product(
        [sorted(yearly[REPLICATION].unique()), sorted(yearly["year"].unique()), list(PAYERS)], names=keys
    )
    frame = yearly.astype({"payer": object}).set_index(keys).reindex(full, fill_value=0.0)
    for column in SHARED_COLUMNS:
        frame[column] = (frame[column].to_numpy(dtype=float).reshape(-1, len(PAYERS)) @ m).ravel()
    return frame.reset_index()


def share_totals(by_payer: dict[str, np.ndarray], scenario: Scenario) -> dict[str, np.ndarray]:
    """Amounts by payer (one value per replication) after the scenario's agreements."""
    if not scenario.risk_share:
        return by_payer
    stacked = np.stack([np.asarray(by_payer[p], dtype=float) for p in PAYERS], axis=-1) @ sharing_matrix(
        scenario.risk_share
    )
    return {p: stacked[..., i] for i, p in enumerate(PAYERS)}


def share_for_both(net: dict[str, float], avoided: dict[str, float], a: str = "nhs", b: str = "council") -> dict:
    """The risk shares under which both payers `a` and `b` gain (net savings >= 0), from their net savings and
    avoided downstream cost without any agreement: the share passes from the payer whose avoided cost is the larger
    to the other. Returns {from, to, low, high, equal} (low..high: the shares that leave both at or above zero,
    clipped to 0..1; equal: the share that gives them the same net savings), with low and high NaN when no share
    makes both gain (their net savings together are below zero, or the payer passing on avoids no cost)."""
    giver, taker = (a, b) if avoided[a] >= avoided[b] else (b, a)
    pool = avoided[giver]
    out = {"from": giver, "to": taker, "low": np.nan, "high": np.nan, "equal": np.nan}
    if pool <= 0 or net[giver] + net[taker] < 0:
        return out
    low, high = max(0.0, -net[taker] / pool), min(1.0, net[giver] / pool)
    if low <= high:
        out.update(low=low, high=high)
    out["equal"] = float(np.clip((net[giver] - net[taker]) / (2 * pool), 0.0, 1.0))
    return out


__all__ = ["SHARED_COLUMNS", "batch_sharing", "share_batch", "share_for_both", "share_totals", "share_yearly",
           "sharing_matrix"]  # fmt: skip
