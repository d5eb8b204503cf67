"""Replications taken as they finish: the `waits` rows handed over one replication at a time are the
table a run keeps whole, and the summary made from them as they came is the same."""

from __future__ import annotations

import pandas as pd
import pytest

from builders import small_scenario
from leftshift.analysis import summary
from leftshift.analysis.resources import WaitOutcomes, resource_summary
from leftshift.engines.des.engine import run_des


@pytest.mark.parametrize("warm_up", [0.0, 1.0])
def test_waits_handed_over_replication_by_replication_are_the_whole_table(warm_up):
    s = small_scenario(horizon_years=2)
    whole = run_des(s, replications=3, jobs=1, warm_up_years=warm_up)
    pieces: list[pd.DataFrame] = []
    streamed = run_des(s, replications=3, jobs=1, warm_up_years=warm_up, waits_sink=pieces.append)
    assert "waits" not in streamed.extra
    assert [p["replication"].unique().tolist() for p in pieces] == [[0], [1], [2]]
    assert pd.concat(pieces, ignore_index=True).equals(whole.extra["waits"])
    for stem, table in whole.tables().items():
        if stem != "waits":
            assert table.equals(streamed.tables()[stem]), stem
    outcomes = WaitOutcomes()
    for piece in pieces:
        outcomes.add(piece)
    assert resource_summary(streamed, outcomes).equals(resource_summary(whole))
    facts, again = summary.build(whole), summary.build(streamed, outcomes)
    assert facts["resources"] == again["resources"] and facts["metrics"] == again["metrics"]
