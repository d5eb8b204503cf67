"""Outputs for people who live in Excel, from the command line: results.xlsx beside the CSVs, monthly tables with a
date by default (every step one flag away), Parquet and a note past Excel's rows, intervals for replications,
and `leftshift report DIR` for sweep and sensitivity folders."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from leftshift.cli import cli
from leftshift.io import tables
from leftshift.io.outputs import MANIFEST

VARY = ["--vary", "interventions[0].budget=100000,200000"]


def invoke(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_run_writes_a_workbook_and_monthly_tables_with_a_date(tmp_path, files):
    out = tmp_path / "out"
    done = invoke("run", files[1], "--out", out, "--no-report", "--quiet")
    assert done.exit_code == 0, done.output
    assert "results.xlsx" in json.loads((out / MANIFEST).read_text())["files"]
    assert load_workbook(out / "results.xlsx").sheetnames[0] == "Summary"
    costs = pd.read_csv(out / "costs.csv")
    assert list(costs.columns) == ["time", "year", "service", "payer", "cost_gbp", "cost_gbp_discounted", "date"]
    assert costs["date"].nunique() == 36 and costs["date"].iloc[0] == "2026-01-31"
    people = pd.read_csv(out / "timeseries.csv")
    assert people["date"].iloc[0] == "2026-01-01"  # the stocks at the start


def test_step_resolution_writes_every_step_with_the_same_totals(tmp_path, files):
    for resolution in ("step", "month", "year"):
        done = invoke("run", files[1], "--out", tmp_path / resolution, "--resolution", resolution, "--no-report",
                      "--quiet")  # fmt: skip
        assert done.exit_code == 0, done.output
    costs = {r: pd.read_csv(tmp_path / r / "costs.csv") for r in ("step", "month", "year")}
    assert costs["step"]["time"].nunique() == 3 * 52 and costs["year"]["time"].nunique() == 3
    totals = {r: c["cost_gbp"].sum() for r, c in costs.items()}
    assert totals["month"] == pytest.approx(totals["step"], rel=1e-10) == pytest.approx(totals["year"], rel=1e-10)
    summaries = {r: json.loads((tmp_path / r / "summary.json").read_text()) for r in costs}
    assert summaries["month"]["metrics"] == summaries["step"]["metrics"] == summaries["year"]["metrics"]
    assert (tmp_path / "month" / "yearly.csv").read_bytes() == (tmp_path / "step" / "yearly.csv").read_bytes()


def test_a_table_too_long_for_excel_is_parquet_and_the_terminal_says_so(tmp_path, files, monkeypatch):
    monkeypatch.setattr(tables, "EXCEL_ROWS", 2000)  # the flows of a step run are longer; the rest fit
    out = tmp_path / "out"
    done = invoke("compare", *files, "--out", out, "--resolution", "step")
    assert done.exit_code == 0, done.output
    assert "Note: small-town/flows: " in done.output and "flows.parquet" in done.output
    assert (out / "small-town" / "flows.parquet").is_file() and not (out / "small-town" / "flows.csv").exists()
    assert "small-town/flows.parquet" in json.loads((out / MANIFEST).read_text())["files"]
    (out / "report.html").unlink()
    assert invoke("report", out).exit_code == 0 and (out / "report.html").is_file()


def test_a_replicated_compare_has_intervals_in_its_file_and_on_screen(tmp_path, files):
    out = tmp_path / "out"
    done = invoke("compare", *files, "--engine", "des", "--replications", "3", "--jobs", "1", "--set",
                  "horizon_years=1", "--out", out, "--no-report")  # fmt: skip
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(out / "comparison.csv").set_index("metric")
    assert {"ci95_low", "ci95_high"} <= set(rows.columns)
    net = rows.loc["net_savings_gbp_discounted"]
    assert net["ci95_low"] <= net["value"] <= net["ci95_high"]
    assert "mean and 95% CI of 3 replications" in " ".join(done.output.split())
    assert pd.read_csv(out / "small-town" / "costs.csv")["date"].nunique() == 12  # discrete-event tables by month
    sheet = load_workbook(out / "results.xlsx")["Comparison"]
    assert [c.value for c in sheet[1]][-2:] == ["95% CI low", "95% CI high"]
    assert invoke("report", out).exit_code == 0 and (out / "report.html").is_file()  # from the monthly tables


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_report_rebuilds_an_experiment_folder(tmp_path, files, command):
    out = tmp_path / "out"
    how = VARY if command == "sweep" else ["--method", "sobol", "--samples", "4", "--metric", "total_cost"]
    done = invoke(command, files[1], *how, "--out", out, "--quiet")
    assert done.exit_code == 0, done.output
    first = (out / "report.html").read_bytes()
    assert (out / "scenario.resolved.yaml").is_file()
    (out / "report.html").unlink()
    again = invoke("report", out)
    assert again.exit_code == 0, again.output
    assert (out / "report.html").read_bytes() == first  # the same page, built from the saved files


def test_report_rebuilds_a_sweep_folder_from_before_it_saved_its_scenario_and_metric(tmp_path, files):
    out = tmp_path / "out"
    assert invoke("sweep", files[1], *VARY, "--out", out, "--quiet", "--no-report").exit_code == 0
    settings = json.loads((out / "experiment.json").read_text())
    for key in ("metric", "best"):
        del settings[key]
    (out / "experiment.json").write_text(json.dumps(settings))
    (out / "scenario.resolved.yaml").unlink()
    (out / "sweep.parquet").unlink()  # sweep.csv holds every digit too
    done = invoke("report", out)
    assert done.exit_code == 0, done.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Best total cost (discounted)" in page and "Every parameter" not in page


def test_report_of_a_calibration_folder_says_it_cannot(tmp_path):
    (tmp_path / "experiment.json").write_text(json.dumps({"command": "calibrate"}))
    done = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert done.exit_code == 2 and "leftshift calibrate" in done.output and "Traceback" not in done.output
