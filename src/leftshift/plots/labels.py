"""Scenario key paths in words, for charts and tables a director reads: `interventions[0].effects.community->acute`
is "Neighbourhood networks: effect on moves from home to hospital", never `interventions[0]`.

The key path stays the name in files and on the command line (`--set`, `--vary`); this is only how it is shown.
"""

from __future__ import annotations

from leftshift.plots.style import esc, place, state_label
from leftshift.scenario.keypaths import KeyPathError, Loc, parse_path
from leftshift.scenario.model import Scenario

_PROGRAMME_FIELDS = {
    "budget": "budget (GBP a year)", "cost_per_participant_year": "cost per participant-year",
    "programme_years": "years in the programme", "effect_years_after": "years the effect lasts after",
    "ramp_up": "build-up", "build_years": "years to build up", "initial_places": "places at the start",
    "start": "budget in the first year", "growth": "growth of the budget a year",
}  # fmt: skip
_CAPACITY_FIELDS = {"waiting_acute_risk_multiplier": "risk of a hospital admission while waiting (multiplier)"}
_PAYERS = {"nhs": "the NHS", "council": "the council", "self_funder": "self-funders", "other": "other payers"}
_PER_WEEK = {"acute": "a hospital bed", "residential": "a care home place", "home_care": "home care"}


def _move(key: str) -> str:
    source, _, target = key.partition("->")
    return f"from {place(source)} to {place(target)}" if target else esc(key)


def _words(loc: Loc) -> str:
    return " ".join(esc(str(k)).replace("_", " ") for k in loc)


def _programme(scenario: Scenario, index: int, rest: Loc) -> str:
    name = scenario.interventions[index].name if index < len(scenario.interventions) else f"programme {index + 1}"
    if not rest:
        return esc(name)
    head, tail = str(rest[0]), rest[1:]
    if head == "effects" and tail:
        what = f"effect on moves {_move(str(tail[0]))}" + (f", aged {esc(tail[1])}" if len(tail) > 1 else "")
    elif head == "referrals" and tail:
        what = f"referrals from {place(str(tail[0]))}" + (f", aged {esc(tail[1])}" if len(tail) > 1 else "")
    elif head == "budget" and tail and str(tail[0]).isdigit():
        what = f"budget from {tail[0]}"
    else:
        last = str(rest[-1])
        what = _PROGRAMME_FIELDS[last] if last in _PROGRAMME_FIELDS else _words(rest)
    return f"{esc(name)}: {what}"


def _transition(scenario: Scenario, index: int, rest: Loc) -> str:
    items = scenario.transition_items
    if index >= len(items):
        return f"transition {index + 1}: {_words(rest)}"
    item = items[index]
    split = getattr(item, "split", None)
    move = _move(item.key) if split is None else f"from {place(item.from_state)} (split)"  # type: ignore[union-attr]
    what = "rate of moving" if rest[:1] == ("rate",) else _words(rest[:1])
    band = f", aged {esc(rest[1])}" if len(rest) > 1 else ""
    return f"{what.capitalize()} {move}{band}"


def parameter_label(path: str, scenario: Scenario | None = None) -> str:
    """A key path in words (escaped for a chart), or the path as it is when it is not one of the usual kinds."""
    try:
        loc = parse_path(path)
    except KeyPathError:
        return esc(path)
    head = str(loc[0]) if loc else ""
    if scenario is not None and head == "interventions" and len(loc) > 1 and isinstance(loc[1], int):
        return _programme(scenario, loc[1], loc[2:])
    if scenario is not None and head == "transitions" and len(loc) > 1 and isinstance(loc[1], int):
        return _transition(scenario, loc[1], loc[2:])
    if head == "costs" and len(loc) >= 3 and loc[1] in ("per_person_week", "per_transition"):
        payer = f" to {_PAYERS.get(str(loc[3]), esc(loc[3]))}" if len(loc) > 3 else ""
        if loc[1] == "per_person_week":
            state = str(loc[2])
            return f"Weekly cost of {_PER_WEEK.get(state) or state_label(state).lower()}{payer}"
        return f"Cost of a move {_move(str(loc[2]))}{payer}"
    if head == "capacity" and len(loc) >= 3:
        field = str(loc[-1])
        return f"{state_label(str(loc[1]))}: {_CAPACITY_FIELDS.get(field) or _words(loc[2:])}"
    return esc(path)


def parameter_labels(paths: list[str], scenario: Scenario | None = None) -> dict[str, str]:
    """`parameter_label` of each path; two paths that would read the same keep their key path in brackets."""
    labels = {p: parameter_label(p, scenario) for p in paths}
    seen: dict[str, int] = {}
    for text in labels.values():
        seen[text] = seen.get(text, 0) + 1
    return {p: text if seen[text] == 1 else f"{text} ({esc(p)})" for p, text in labels.items()}


__all__ = ["parameter_label", "parameter_labels"]
