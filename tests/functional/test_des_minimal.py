"""Both engines on stripped-down scenarios (no interventions, no capacity, no costs, one state, one age
band): through the library, summary.json and the command line, a result and no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.analysis import summary
from leftshift.analysis.economics import compare
from leftshift.analysis.metrics import METRICS, compute
from leftshift.api import run
from leftshift.cli.commands import cli
from leftshift.scenario.loading import scenario_from_dict


def _one_state() -> dict[str, Any]:
    return {
        "name": "One state", "start_year": 2026, "horizon_years": 1, "seed": 3, "age_bands": ["65+"],
        "states": ["community"], "initial": {"community": {"65+": 200}},
        "transitions": [{"from": "community", "to": "dead", "rate": 0.05}],
    }  # fmt: skip


def _one_band() -> dict[str, Any]:
    data = small_scenario_dict(horizon_years=1, age_bands=["65+"], demography={})
    data["initial"] = {k: {"65+": v.get("65+", 0) or 100} for k, v in data["initial"].items()}
    for t in data["transitions"]:
        if isinstance(t["rate"], dict):
            t["rate"] = {"65+": t["rate"].get("65+", 0.01)}
    return data


CASES = {
    "no interventions": lambda: small_scenario_dict(horizon_years=1, interventions=[]),
    "no capacity": lambda: small_scenario_dict(horizon_years=1, capacity={}),
    "no costs": lambda: small_scenario_dict(horizon_years=1, costs={}),
    "nothing but people": lambda: small_scenario_dict(horizon_years=1, costs={}, capacity={}, interventions=[]),
    "one state": _one_state,
    "one age band": _one_band,
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("engine", ["des", "stockflow"])
def test_library_summary_and_comparison(case, engine):
    scenario = scenario_from_dict(CASES[case]())
    options = {"replications": 2, "jobs": 1} if engine == "des" else {}
    result = run(scenario, engine=engine, **options)
    metrics = compute(result)
    assert set(metrics["metric"]) == set(METRICS)  # every metric, even with no cost or programme rows
    facts = summary.build(result)
    assert set(facts["metrics"]) == set(METRICS)
    json.dumps(facts)
    comparison = compare(result, result)
    assert len(comparison.headline) == (2 if engine == "des" else 1)
    assert np.isclose(comparison.headline["net_savings_gbp"].astype(float), 0).all()
    if engine == "des" and not scenario.capacity:
        assert facts["resources"] == {}


@pytest.mark.parametrize("case", ["no interventions", "no capacity", "no costs", "one state"])
def test_cli_run_with_the_discrete_event_engine(case, tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(CASES[case](), sort_keys=False))
    out = tmp_path / "out"
    args = ["run", str(path), "--engine", "des", "--replications", "2", "--jobs", "1", "--out", str(out), "--no-report"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, (done.output, done.exception)
    assert {"timeseries.csv", "summary.json", "waits.csv"} <= {p.name for p in out.iterdir()}
