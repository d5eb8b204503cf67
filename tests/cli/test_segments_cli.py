"""The segments example through the CLI: `run` (both engines) writes a `segment` column and reads back for a
report; `validate` names file, key and line for shares that do not sum to 1 (exit 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from click.testing import CliRunner

from builders import REPO
from leftshift.cli import cli

EXAMPLE = REPO / "docs" / "examples" / "befriending.yaml"


def _invoke(*args: str):
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args), prog_name="leftshift")


def test_a_segmented_scenario_runs_with_segment_columns(tmp_path: Path) -> None:
    out = tmp_path / "stockflow"
    done = _invoke("run", str(EXAMPLE), "--set", "horizon_years=1", "--out", str(out), "--quiet")
    assert done.exit_code == 0, done.output
    timeseries = pd.read_csv(out / "timeseries.csv")
    assert list(timeseries.columns[:5]) == ["time", "year", "state", "age_band", "segment"]
    assert set(timeseries["segment"]) == {"isolated", "connected"}
    flows = pd.read_csv(out / "flows.csv")
    moves = flows[flows["kind"] == "segment_move"]
    assert {"segment", "target_segment"} <= set(flows.columns) and len(moves) > 0
    assert (moves["segment"] != moves["target_segment"]).all()
    assert set(flows.loc[flows["kind"] == "referral", "segment"]) == {"isolated"}
    assert "segments:" in (out / "scenario.resolved.yaml").read_text()
    assert (out / "report.html").is_file()
    rebuilt = _invoke("report", str(out))
    assert rebuilt.exit_code == 0, rebuilt.output


def test_a_segmented_scenario_runs_in_the_discrete_event_engine(tmp_path: Path) -> None:
    out = tmp_path / "des"
    done = _invoke("run", str(EXAMPLE), "--engine", "des", "--replications", "2", "--jobs", "1",
                   "--set", "horizon_years=1", "--out", str(out), "--quiet")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "segment" in pd.read_csv(out / "timeseries.csv").columns


def test_shares_that_do_not_sum_to_one_are_reported_with_file_key_and_line(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["segments"]["isolated"]["initial_share"] = {"65-84": 0.25, "85+": 0.3}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    line = 1 + bad.read_text().splitlines().index("    initial_share:")
    done = _invoke("validate", str(bad))
    assert done.exit_code == 2, done.output
    assert f"bad.yaml, line {line} at segments.isolated.initial_share" in done.stderr
    assert "'65-84' 1.1" in done.stderr and "Traceback" not in done.stderr
