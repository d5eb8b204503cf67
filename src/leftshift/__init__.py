"""leftshift: what moving money into prevention and the voluntary sector does to care demand, queues and cost.

The public names are imported on first use, so that `leftshift --help` does not pay for numpy and pandas.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Comparison": "leftshift.analysis.economics",
    "LeftshiftError": "leftshift.errors",
    "Result": "leftshift.result",
    "Scenario": "leftshift.scenario.model",
    "ScenarioError": "leftshift.errors",
    "calibrate": "leftshift.api",
    "compare": "leftshift.api",
    "load_scenario": "leftshift.scenario.loading",
    "optimise": "leftshift.api",
    "run": "leftshift.api",
    "sweep": "leftshift.experiments.runs",
    "uncertainty": "leftshift.experiments.runs",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'leftshift' has no attribute {name!r}")
