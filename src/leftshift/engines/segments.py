"""Segments (a second risk dimension beside age, e.g. socially isolated / connected) as slots of the band axis.

Both engines keep people in stocks (compartment, band, programme layer). With segments, the band axis holds
one *slot* per (age band, segment), band-major (slot = band x segments + segment), named
`65-74|segment:isolated`. Whatever is per band (rates, ageing, entrants, eligibility, queues) is then per
slot, and capacity counts every slot of a state, so neither the compiled kernel nor the discrete-event
engine needs to know segments exist; the tables split a slot back into `age_band` and `segment`. A scenario
without segments has one slot per band, named as the band, and every number below is the band's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from leftshift.scenario.model import Scenario, split_key

SEGMENT_MARK = "|segment:"


def slot_names(s: Scenario) -> tuple[str, ...]:
    """The band axis: the age bands, or each age band once per segment."""
    if not s.segments:
        return tuple(s.age_bands)
    return tuple(f"{band}{SEGMENT_MARK}{seg}" for band in s.age_bands for seg in s.segments)


def band_of_slot(slot: str) -> str:
    """The age band a slot reports as: `65-74|segment:isolated` is `65-74`; a plain band is itself."""
    return slot.split(SEGMENT_MARK)[0]


def segment_of_slot(slot: str) -> str:
    """The segment of a slot ('' for a plain band)."""
    return slot.split(SEGMENT_MARK)[1] if SEGMENT_MARK in slot else ""


@dataclass(frozen=True)
class Slots:
    """Where each slot sits: its age band and segment (indices), for a scenario's band axis."""

    band: np.ndarray  # (slots,) index of the age band
    segment: np.ndarray  # (slots,) index of the segment (0 without segments)
    n_segments: int

    def of(self, band: int, segment: int) -> int:
        return band * self.n_segments + segment


def slots_of(s: Scenario) -> Slots:
    n_seg, n_bands = max(1, len(s.segments)), len(s.age_bands)
    return Slots(np.repeat(np.arange(n_bands), n_seg), np.tile(np.arange(n_seg), n_bands), n_seg)


def by_slot(s: Scenario, by_band: np.ndarray) -> np.ndarray:
    """A value by band (a rate, a growth) in every slot of its band: (bands, ...) -> (slots, ...)."""
    return by_band[slots_of(s).band] if s.segments else by_band


def per_slot(s: Scenario, by_band: np.ndarray, entry: bool = False) -> np.ndarray:
    """People (or people a year) by band split over the segments by their initial shares, or with `entry` by
    their entrants' shares: (bands,) -> (slots,). Without segments, the values themselves."""
    if not s.segments:
        return by_band
    slots = slots_of(s)
    shares = np.array([s.band_array(seg.share(entry)) for seg in s.segments.values()])  # (segments, bands)
    return by_band[slots.band] * shares[slots.segment, slots.band]


def hazard_multipliers(s: Scenario) -> np.ndarray:
    """(scenario transitions, slots): what each transition's rate is multiplied by in each slot's segment."""
    slots = slots_of(s)
    mult = np.ones((len(s.transitions), len(slots.band)))
    for g, seg in enumerate(s.segments.values()):
        for ri, t in enumerate(s.transitions):
            mult[ri, slots.segment == g] = seg.hazard_multipliers.get(t.key, 1.0)
    return mult


def move_pairs(s: Scenario) -> list[tuple[int, int]]:
    """(from, to) segment indices of every move between segments that any key names, in a fixed order."""
    names = list(s.segments)
    keys = [*s.segment_moves, *(key for iv in s.interventions for key in iv.moves_segments)]
    pairs = (split_key(key) for key in keys)
    return sorted({(names.index(a), names.index(b)) for a, b in pairs})  # type: ignore[misc]


def move_edges(
    s: Scenario, index: Callable[[int, int, int], int], living: list[int], n_layers: int
) -> list[tuple[int, int]]:
    """(source stock, target stock) of every move between segments: in every living compartment and layer,
    each slot to the same band's slot of each segment it may move to. `index` is `Layout.index`."""
    slots, pairs = slots_of(s), move_pairs(s)
    out = []
    for c in living:
        for i, (b, g) in enumerate(zip(slots.band.tolist(), slots.segment.tolist(), strict=True)):
            for g_to in (to for frm, to in pairs if frm == g):
                out += [(index(c, i, k), index(c, slots.of(b, g_to), k)) for k in range(n_layers)]
    return out


def move_rates(s: Scenario, src_slot: np.ndarray, dst_slot: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """Per-person rate of moves between segments from `src_slot` to `dst_slot` in programme `layer`: the
    scenario's `segment_moves` (by band), plus `moves_segments` of the programme its people take part in."""
    slots, names = slots_of(s), list(s.segments)
    rate = np.zeros(len(src_slot))
    for key, by_band in s.segment_moves.items():
        a, b = (names.index(n) for n in split_key(key))  # type: ignore[union-attr]
        here = (slots.segment[src_slot] == a) & (slots.segment[dst_slot] == b)
        rate[here] += s.band_array(by_band)[slots.band[src_slot[here]]]
    for p, iv in enumerate(s.interventions):
        for key, extra in iv.moves_segments.items():
            a, b = (names.index(n) for n in split_key(key))  # type: ignore[union-attr]
            rate[(slots.segment[src_slot] == a) & (slots.segment[dst_slot] == b) & (layer == 1 + 2 * p)] += extra
    return rate


def eligible_slots(s: Scenario, age_bands: list[str] | None, segments: list[str] | None) -> list[int]:
    """The slots an intervention takes referrals from: its eligible age bands (absent: all) x segments (absent: all)."""
    slots, names = slots_of(s), list(s.segments)
    return [i for i, (b, g) in enumerate(zip(slots.band.tolist(), slots.segment.tolist(), strict=True))
            if (age_bands is None or s.age_bands[b] in age_bands)
            and (segments is None or names[g] in segments)]  # fmt: skip
