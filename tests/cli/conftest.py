"""What the CLI tests share: a small baseline and a scenario to run through the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from builders import small_scenario_dict

UNCERTAIN = {"dist": "triangular", "low": 2400, "mode": 2800, "high": 3500}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A baseline without programmes, and a scenario with one (and one uncertain acute cost)."""
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(yaml.safe_dump(small_scenario_dict(name="Small baseline", interventions=[])))
    data = small_scenario_dict()
    data["costs"]["per_person_week"]["acute"]["nhs"] = UNCERTAIN
    scenario = tmp_path / "shift.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    return baseline, scenario
