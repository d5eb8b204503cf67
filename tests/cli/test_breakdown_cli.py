"""`leftshift compare` explains its answer: breakdown.csv, the breakdown rows added to comparison.csv (every row
it had kept as it was), and in the terminal the breakdown, a table by programme, and the verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.analysis.measures import SERVICE_GROUPS, measure
from leftshift.cli import cli


def _files(tmp_path: Path) -> tuple[Path, Path]:
    data = small_scenario_dict()
    data["interventions"].append(data["interventions"][0] | {"name": "Second", "budget": 60_000, "payer": "nhs"})
    baseline, scenario = tmp_path / "baseline.yaml", tmp_path / "shift.yaml"
    baseline.write_text(yaml.safe_dump(small_scenario_dict(name="Small town - baseline", interventions=[])))
    scenario.write_text(yaml.safe_dump(data))
    return baseline, scenario


def test_compare_writes_and_prints_the_breakdown(tmp_path):
    baseline, scenario = _files(tmp_path)
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["compare", str(baseline), str(scenario), "--out", str(out), "--no-report"],
                              catch_exceptions=False, terminal_width=200)  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(out / "comparison.csv")
    added = [f"avoided_downstream_cost_gbp_discounted_{g}" for g in SERVICE_GROUPS]
    figures = rows.set_index("metric")
    assert set(added) <= set(figures.index)
    total = figures.loc["avoided_downstream_cost_gbp_discounted", "value"]
    assert figures.loc[added, "value"].sum() == pytest.approx(total, rel=1e-9)  # the CSV holds 12 digits
    assert all(measure(m) for m in rows["metric"])  # every row is a registered measure
    first_added = rows.index[rows["metric"] == added[0]][0]
    assert first_added > rows.index[rows["metric"] == "capacity_freed_gbp_discounted_other"][0]  # added after
    table = pd.read_csv(out / "breakdown.csv")
    assert list(table.columns) == ["scenario", "baseline", "part", "item", "label", "measure", "value", "unit"]
    programmes = table[(table["part"] == "programme") & (table["measure"] == "avoided_gbp_discounted")]
    assert list(programmes["item"]) == ["Neighbourhood network", "Second", "interactions"]
    assert programmes["value"].notna().all()
    assert "Where the avoided cost comes from (discounted)" in done.output
    assert "By programme: Small town" in done.output and "Second" in done.output
    assert "Small town: Does not pay back within 3 years" in done.output or "Small town: Pays back in" in done.output
    saving = figures.loc["net_savings_per_emergency_admission_avoided_gbp_discounted", "value"]
    assert saving == pytest.approx(-figures.loc["net_cost_per_emergency_admission_avoided_gbp_discounted", "value"])
    said, unsaid = ("Net saving", "Net cost") if saving >= 0 else ("Net cost", "Net saving")
    assert f"{said} per emergency admission avoided" in done.output  # never a negative cost, nor saving
    assert f"{unsaid} per emergency admission avoided" not in done.output
