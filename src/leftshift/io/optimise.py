"""The files of `leftshift optimise`: optimal.yaml (the scenario with the best budgets, which leftshift runs as it is
against the same baseline), allocation.csv, frontier.csv and experiment.json (docs/optimise.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leftshift.experiments.optimise import Optimisation
from leftshift.experiments.optimise_verdict import optimise_verdict
from leftshift.io.writing import write_json, write_table
from leftshift.scenario.loading import resolved_yaml

OPTIMAL = "optimal.yaml"
ALLOCATION = "allocation.csv"
FRONTIER = "frontier.csv"


def summary(result: Optimisation) -> dict[str, Any]:
    """The figures experiment.json keeps beside the settings: the verdict, the objective at the best split (and its
    change against the baseline) and at the scenario's own budgets, each split's net savings by payer, and the risk
    shares under which both the NHS and council gain."""
    splits = {"optimal": result.best, **{f"{p}_optimal": s for p, s in result.payer_splits.items()},
              "as_written": result.written}  # fmt: skip
    budgets = {k: {v.key: float(x) for v, x in zip(result.variables, s.x, strict=True)} for k, s in splits.items()}
    return {
        "verdict": optimise_verdict(result),
        "objective_value": result.best.value,
        "objective_change_against_baseline": result.best.change,
        "objective_value_as_written": result.written.value,
        "objective_unit": result.objective.unit,
        "spent_gbp_a_year": float(result.best.x.sum()),
        "budgets_gbp_a_year": budgets,
        "net_savings_gbp_discounted": {k: s.net for k, s in splits.items()},
        "risk_share_for_both_to_gain": result.share,
        "search": result.best.search.message,
    }


def write_optimisation(directory: Path, result: Optimisation, provenance: dict[str, Any]) -> None:
    """optimal.yaml, allocation.csv, frontier.csv (every digit) and experiment.json, into an existing directory."""
    s = result.settings
    head = (f"# {result.optimal.name}: '{result.original.name}' with the budgets leftshift optimise chose for "
            f"{result.what},\n# against '{result.baseline.name}', from GBP {s.total:,.0f} a year"
            f"{' (all of it spent)' if s.spend_all else ' (at most)'}. Run it as it is:\n"
            f"#   leftshift compare BASELINE.yaml {OPTIMAL}\n# The note on each budget (under sources:) says how it "
            "was chosen; allocation.csv beside this file shows the split.\n")  # fmt: skip
    (directory / OPTIMAL).write_text(head + resolved_yaml(result.optimal), encoding="utf-8")
    write_table(directory / ALLOCATION, result.allocation, float_format=None)
    write_table(directory / FRONTIER, result.frontier, float_format=None)
    write_json(directory / "experiment.json", {**provenance, **summary(result)})


__all__ = ["ALLOCATION", "FRONTIER", "OPTIMAL", "summary", "write_optimisation"]
