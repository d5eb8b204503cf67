"""One colour per state, payer, programme and scenario, the same in every chart, from a colour-blind-safe palette.

The palette is Okabe & Ito's (2008), designed to stay distinguishable with the common forms of colour
blindness. Names without a fixed colour get one from a stable hash, so a state a user adds (e.g.
`reablement`) keeps its colour from chart to chart and from run to run. This module imports nothing heavy.
"""

from __future__ import annotations

import hashlib

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"
OKABE_ITO = (ORANGE, SKY_BLUE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, BLACK)

STATES = {
    "community": GREEN,
    "prevention": YELLOW,
    "home_care": SKY_BLUE,
    "residential": BLUE,
    "acute": VERMILLION,
    "dead": GREY,
    "entrants": BLACK,
}
PAYERS = {"nhs": BLUE, "council": GREEN, "self_funder": ORANGE, "other": PURPLE, "all": BLACK}
SCENARIOS = (GREY, BLUE, ORANGE, GREEN, PURPLE, VERMILLION, SKY_BLUE, BLACK)
"""By position: the baseline is grey, the first scenario blue, then the rest."""
PROGRAMMES = (PURPLE, BLACK, "#882255", "#44AA99", "#DDCC77", "#117733", "#332288", "#AA4499")
"""Purple, black, then Paul Tol's muted palette (also colour-blind safe), so programmes never take a state's colour."""

FEWER = BLUE
"""Differences against the baseline: fewer (blue) and more (orange), never red and green."""
MORE = ORANGE


def _hashed(name: str, colours: tuple[str, ...]) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return colours[digest[0] % len(colours)]


WAITING_IN_HOSPITAL = ORANGE
WAITING_AT_HOME = YELLOW


def state(name: str, emergency: str = "acute") -> str:
    """Colour of a state; queues `waiting:a->b` are orange in hospital (delayed discharge), yellow elsewhere."""
    if name.startswith("waiting:"):
        origin = name.removeprefix("waiting:").split("->")[0]
        return WAITING_IN_HOSPITAL if origin == emergency else WAITING_AT_HOME
    if name.startswith("overflow:"):
        name = name.removeprefix("overflow:")
    return STATES.get(name) or _hashed(name, OKABE_ITO)


def payer(name: str) -> str:
    return PAYERS.get(name) or _hashed(name, OKABE_ITO)


def scenario(position: int) -> str:
    """Colour of the scenario at `position` in a comparison (0 = the baseline)."""
    return SCENARIOS[position % len(SCENARIOS)]


def programme(position: int) -> str:
    return PROGRAMMES[position % len(PROGRAMMES)]


def with_alpha(colour: str, alpha: float) -> str:
    """'#RRGGBB' -> 'rgba(r,g,b,alpha)' for fills and Sankey links."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"
