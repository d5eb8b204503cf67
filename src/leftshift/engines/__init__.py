"""The engines, by name: each one's `run(scenario, **options)` takes a Scenario and returns a Result.

`ENGINES` is the registry the library's `leftshift.run(engine=...)` looks names up in (as xarray
looks up its backends), so adding an engine is one entry here, not another branch in the API. Every
engine accepts `progress` (called with work done) and `resolution` (how often its tables report);
anything else is the engine's own (`replications` for the discrete-event engine). An entry imports
its engine when first called: numba and SimPy take a while to import, and a command needs one engine
at most.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from leftshift.errors import LeftshiftError

if TYPE_CHECKING:
    from leftshift.result import Result
    from leftshift.scenario.model import Scenario


def _imported_on_call(module: str) -> Callable[..., Result]:
    def run(scenario: Scenario, **options: Any) -> Result:
        return importlib.import_module(module).run(scenario, **options)

    run.__qualname__ = run.__name__ = f"run_{module.split('.')[-2]}"
    run.__doc__ = f"`{module}.run`, imported on the first call."
    return run


ENGINES: dict[str, Callable[..., Result]] = {
    "stockflow": _imported_on_call("leftshift.engines.stockflow.engine"),
    "des": _imported_on_call("leftshift.engines.des.engine"),
}


RESOLUTIONS = {"step": "full", "month": "monthly", "year": "yearly"}  # `resolution` -> the stock-flow `record`


def check_resolution(resolution: str) -> None:
    """Refuse a `resolution` no engine knows (before the engine says whether it can report at it)."""
    if resolution not in RESOLUTIONS:
        raise LeftshiftError(f"unknown resolution '{resolution}'; choose one of: {', '.join(RESOLUTIONS)}")


def engine(name: str) -> Callable[..., Result]:
    """The `run` of the engine called `name`; a LeftshiftError listing the known names otherwise."""
    if name not in ENGINES:
        raise LeftshiftError(f"unknown engine '{name}'; choose one of: {', '.join(ENGINES)}")
    return ENGINES[name]


__all__ = ["ENGINES", "RESOLUTIONS", "check_resolution", "engine"]
