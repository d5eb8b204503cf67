"""Segments compiled into the layout and parameters: slots of the band axis, rates, shares, eligibility."""

from __future__ import annotations

import numpy as np
import pytest

from builders import segmented_scenario_dict, small_scenario_dict
from leftshift.engines.model import AGEING, REFERRAL, SEGMENT, TRANSITION, build_layout, structure_key
from leftshift.engines.parameters import build_parameters
from leftshift.engines.segments import band_of_slot, segment_of_slot
from leftshift.scenario.loading import resolved_yaml, scenario_from_dict

SLOTS = ("18-64|segment:isolated", "18-64|segment:connected", "65+|segment:isolated", "65+|segment:connected")


def compiled(data):
    s = scenario_from_dict(data)
    lay = build_layout(s)
    return s, lay, build_parameters([s], lay)


def edges(lay, kind, src_state=None, dst_state=None):
    """Edge indices of a kind, optionally from and to given compartments."""
    src_c, dst_c = lay.unravel(lay.src)[0], lay.unravel(lay.dst)[0]
    mask = lay.kind == kind
    if src_state is not None:
        mask &= src_c == lay.compartments.index(src_state)
    if dst_state is not None:
        mask &= dst_c == lay.compartments.index(dst_state)
    return np.flatnonzero(mask)


def test_the_band_axis_holds_one_slot_per_band_and_segment() -> None:
    _, lay, _ = compiled(segmented_scenario_dict())
    assert lay.bands == SLOTS
    assert lay.segments == ("isolated", "connected")
    assert lay.age_bands == ("18-64", "18-64", "65+", "65+")
    assert lay.slot_segments == ("isolated", "connected", "isolated", "connected")
    assert band_of_slot(SLOTS[2]) == "65+" and segment_of_slot(SLOTS[2]) == "isolated"


def test_without_segments_the_band_axis_is_the_age_bands() -> None:
    _, lay, _ = compiled(small_scenario_dict())
    assert lay.bands == lay.age_bands == ("18-64", "65+")
    assert lay.segments == () and lay.slot_segments == ("", "")
    assert not (lay.kind == SEGMENT).any()


def test_initial_people_are_split_by_each_bands_shares() -> None:
    _, lay, params = compiled(segmented_scenario_dict())
    init = params.initial[:, 0]
    community = lay.compartments.index("community")
    by_slot = [init[lay.index(community, b, 0)] for b in range(4)]
    assert by_slot == pytest.approx([5_000, 45_000, 3_000, 7_000])
    total = sum(init[lay.index(c, b, 0)] for c in range(len(lay.compartments)) for b in range(4))
    assert total == pytest.approx(sum(sum(v.values()) for v in small_scenario_dict()["initial"].values()))


def test_hazard_multipliers_apply_in_their_segment_only() -> None:
    _, lay, params = compiled(segmented_scenario_dict())
    rate = params.rate[:, 0]
    src_b, src_k = lay.unravel(lay.src)[1:]
    acute = edges(lay, TRANSITION, "community", "acute")
    none = acute[src_k[acute] == 0]
    by_slot = dict(zip(src_b[none].tolist(), rate[none].tolist(), strict=True))
    assert by_slot == pytest.approx({0: 0.07 * 1.4, 1: 0.07, 2: 0.25 * 1.4, 3: 0.25})
    dead = edges(lay, TRANSITION, "community", "dead")
    dead = dead[(src_k[dead] == 0) & (src_b[dead] >= 2)]
    assert rate[dead].tolist() == [0.04, 0.04]  # no multiplier on this transition


def test_ageing_keeps_the_segment() -> None:
    _, lay, _ = compiled(segmented_scenario_dict())
    e = edges(lay, AGEING)
    src_b, dst_b = lay.unravel(lay.src[e])[1], lay.unravel(lay.dst[e])[1]
    assert {(lay.bands[a], lay.bands[b]) for a, b in zip(src_b, dst_b, strict=True)} == {
        (SLOTS[0], SLOTS[2]), (SLOTS[1], SLOTS[3])}  # fmt: skip


def test_segment_moves_have_their_rate_plus_the_programmes_for_participants() -> None:
    _, lay, params = compiled(segmented_scenario_dict())
    rate = params.rate[:, 0]
    e = edges(lay, SEGMENT, "community", "community")
    _, src_b, src_k = lay.unravel(lay.src[e])
    dst_b = lay.unravel(lay.dst[e])[1]
    got = {(lay.bands[a], lay.bands[b], lay.layers[k]): r
           for a, b, k, r in zip(src_b, dst_b, src_k, rate[e], strict=True)}  # fmt: skip
    programme = "Neighbourhood network"
    assert got[(SLOTS[2], SLOTS[3], "none")] == pytest.approx(0.1)
    assert got[(SLOTS[2], SLOTS[3], programme)] == pytest.approx(0.6)  # 0.1 + 0.5 while taking part
    assert got[(SLOTS[2], SLOTS[3], f"after:{programme}")] == pytest.approx(0.1)
    assert got[(SLOTS[3], SLOTS[2], "none")] == pytest.approx(0.05)
    assert got[(SLOTS[1], SLOTS[0], "none")] == 0.0  # by band: 18-64 left out
    queue = edges(lay, SEGMENT, "waiting:community->home_care", "waiting:community->home_care")
    assert len(queue) > 0  # people waiting keep moving between segments


def test_referrals_come_from_eligible_segments_only() -> None:
    _, lay, _ = compiled(segmented_scenario_dict())
    e = edges(lay, REFERRAL)
    assert {lay.bands[b] for b in lay.unravel(lay.src[e])[1]} == {SLOTS[2]}  # isolated and 65+


def test_entrants_join_by_entry_share_else_initial_share() -> None:
    data = segmented_scenario_dict()
    data["demography"]["net_migration_per_year"] = {"65+": 100}
    _, _, params = compiled(data)
    assert params.entrants[:, 0].tolist() == pytest.approx([80, 720, 0, 0])
    assert params.migration[:, 0].tolist() == pytest.approx([0, 0, 30, 70])
    data["segments"]["isolated"]["entry_share"] = 0.5
    data["segments"]["connected"]["entry_share"] = 0.5
    _, _, params = compiled(data)
    assert params.entrants[:, 0].tolist() == pytest.approx([400, 400, 0, 0])


def test_segments_are_part_of_the_structure_of_a_batch() -> None:
    plain, segmented = scenario_from_dict(small_scenario_dict()), scenario_from_dict(segmented_scenario_dict())
    assert structure_key(plain) != structure_key(segmented)
    data = segmented_scenario_dict()
    data["segment_moves"]["isolated->connected"] = 0.3  # numbers only: the same batch
    assert structure_key(scenario_from_dict(data)) == structure_key(segmented)


def test_without_segments_the_resolved_yaml_does_not_mention_them() -> None:
    text = resolved_yaml(scenario_from_dict(small_scenario_dict()))
    assert "segment" not in text
    again = resolved_yaml(scenario_from_dict(segmented_scenario_dict()))
    assert "segments:" in again and "segment_moves:" in again and "moves_segments:" in again
