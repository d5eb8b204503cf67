"""The `sweep:` block of a scenario file, checked by `validate` and `run` like every other key.

sweep:
  vary:
    interventions[0].budget: 0:10e6:21          # start:stop:count
    capacity.residential.places: [3000, 3600]   # a list of values
    interventions[0].effects.community->acute: {start: 0.85, stop: 1.0, count: 4}
  sample: lhs        # optional: lhs | sobol | random (then `points` is needed)
  points: 200
  baseline: leeds-baseline.yaml   # optional, relative to this file
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leftshift.errors import LeftshiftError
from leftshift.scenario.keypaths import KeyPathError, Loc, parse_path
from leftshift.scenario.values import Real, Whole


class RangeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Real
    stop: Real
    count: Annotated[Whole, Field(ge=1, le=1_000_000)] | None = None


Spec = Annotated[str, Field(min_length=1)] | Annotated[list[Real], Field(min_length=1)] | RangeSpec


class SweepBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vary: Annotated[dict[str, Spec], Field(min_length=1)]
    sample: Literal["lhs", "sobol", "random"] | None = None
    points: Annotated[Whole, Field(ge=1, le=10_000_000)] | None = None
    baseline: Annotated[str, Field(min_length=1)] | None = None


def read_block(block: Any) -> tuple[SweepBlock | None, list[tuple[Loc, str]]]:
    """The block as a model, or the problems with it as (key path, message)."""
    try:
        return SweepBlock.model_validate(block), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ("sweep", *(p for p in err["loc"] if not _is_tag(p)))
            message = err["msg"][0].lower() + err["msg"][1:]
            if err["type"] == "extra_forbidden":
                allowed = ", ".join(SweepBlock.model_fields if len(loc) == 2 else RangeSpec.model_fields)
                message = f"unknown key '{loc[-1]}'; allowed keys: {allowed}"
            problems.append((loc, message))
        return None, list(dict.fromkeys(problems))


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part[:1].isupper() or part in ("str", "list"))


def sweep_problems(block: Any, data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Problems with a `sweep:` block: its structure, its ranges, and key paths the scenario lacks."""
    from leftshift.scenario.vary import dimension, resolves, settable

    model, problems = read_block(block)
    if model is None:
        return problems
    if model.sample is not None and model.points is None:
        problems.append((("sweep", "sample"), "sampling needs `points:` (how many points to run)"))
    for path, spec in model.vary.items():
        loc: Loc = ("sweep", "vary", path)
        try:
            parse_path(path)
        except KeyPathError as exc:
            problems.append((loc, str(exc)))
            continue
        if not (resolves(data, path) or settable(data, path)):
            problems.append((loc, f"the scenario has no value at {path} to vary"))
        try:
            dimension(path, spec.model_dump() if isinstance(spec, RangeSpec) else spec)
        except LeftshiftError as exc:
            problems.append((loc, str(exc).partition(": ")[2] or str(exc)))
    return problems


__all__ = ["RangeSpec", "SweepBlock", "read_block", "sweep_problems"]
