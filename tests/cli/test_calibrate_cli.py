"""`leftshift calibrate` and yearly.csv through the command line (click's CliRunner, in this process): the outputs,
a calibrated.yaml that leftshift runs as it is, and bad input refused with exit status 2 before anything is written."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.cli import cli

FITS = ["--fit", "transitions[0].rate.65+=0.1:0.5", "--fit", "transitions[2].rate.65+=0.01:0.1"]


def invoke(*args, cwd):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        done = CliRunner(env={"COLUMNS": "120"}).invoke(cli, [str(a) for a in args], prog_name="leftshift")
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


@pytest.fixture
def observed(tmp_path):
    """yearly.csv of a run with two rates changed, less the figures that are 0, as an observed.csv."""
    data = small_scenario_dict(name="Truth", interventions=[])  # the world of files[0], with other rates
    data["transitions"][0]["rate"]["65+"] = 0.28
    data["transitions"][2]["rate"]["65+"] = 0.036
    (tmp_path / "truth.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = invoke("run", tmp_path / "truth.yaml", "--out", tmp_path / "truth", "--no-report", "--quiet", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    table = pd.read_csv(tmp_path / "truth" / "yearly.csv", keep_default_na=False)
    table = table[table["metric"].isin(["emergency_admissions", "deaths"]) & (table["value"] > 0)]
    table.to_csv(tmp_path / "observed.csv", index=False)
    return tmp_path / "observed.csv"


def test_calibrate_writes_its_outputs_and_a_scenario_leftshift_runs(tmp_path, files, observed):
    done = invoke("calibrate", files[0], "--observed", observed, *FITS, "--out", tmp_path / "cal", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    out = tmp_path / "cal"
    names = {p.name for p in out.iterdir()}
    assert {"calibrated.yaml", "parameters.csv", "fit.csv", "experiment.json", "report.html"} <= names
    params = pd.read_csv(out / "parameters.csv")
    assert params["fitted"].tolist() == pytest.approx([0.28, 0.036], rel=1e-6)
    assert params["identifiable"].all()
    fit = pd.read_csv(out / "fit.csv", keep_default_na=False)
    assert list(fit.columns[:6]) == ["year", "metric", "age_band", "observed", "fitted", "residual"]
    assert (fit["relative_residual"].abs() < 1e-6).all()
    assert json.loads((out / "experiment.json").read_text())["command"] == "calibrate"
    assert "transitions[0].rate.65+" in done.stdout and "before fitting" in done.stdout
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Observed and fitted, year by year" in report
    again = invoke("run", out / "calibrated.yaml", "--out", tmp_path / "again", "--no-report", "--quiet", cwd=tmp_path)
    assert again.exit_code == 0, again.output
    rerun = pd.read_csv(tmp_path / "again" / "yearly.csv", keep_default_na=False)
    rerun = rerun.set_index(["metric", "age_band", "year"])
    for row in fit.itertuples():
        assert rerun.loc[(row.metric, row.age_band, row.year), "value"] == pytest.approx(row.fitted, rel=1e-9)


def test_calibrate_says_what_the_data_cannot_identify(tmp_path, files, observed):
    cost = "costs.per_person_week.acute.nhs=1:5e3"
    done = invoke("calibrate", files[0], "--observed", observed, *FITS, "--fit", cost, "--out", tmp_path / "cal",
                  "--no-report", cwd=tmp_path)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "The data cannot identify costs.per_person_week.acute.nhs: it has no effect" in done.stdout


def test_bounds_from_a_distribution(tmp_path, files, observed):
    """files[1] writes the acute cost as a triangular distribution: --fit without bounds takes its range."""
    done = invoke("calibrate", files[1], "--observed", observed, "--fit", "costs.per_person_week.acute.nhs",
                  "--out", tmp_path / "cal", "--no-report", "--quiet", cwd=tmp_path)  # fmt: skip
    assert done.exit_code == 0, done.output
    params = pd.read_csv(tmp_path / "cal" / "parameters.csv")
    assert (params["low"][0], params["high"][0]) == (2400, 3500) and params["bounds"][0].startswith("the range")


@pytest.mark.parametrize(("edit", "args", "message"), [
    (None, ["--fit", "transitions[0].rate.65+"], "give bounds, e.g. --fit 'transitions[0].rate.65+=LOW:HIGH'"),
    (None, ["--fit", "transitions[0].rate.65+=0.5:0.1"], "LOW must be below HIGH"),
    (None, ["--fit", "transitions[0].rate.65+=-1:0.5"], "makes the scenario invalid"),
    (None, [], "Missing option '--fit'"),
    (lambda t: t.replace("deaths", "death"), FITS, "at metric: unknown metric 'death'; did you mean deaths?"),
    (lambda t: t.replace("2027", "2031"), FITS, "2031 is not simulated (the scenario runs 2026 to 2028)"),
    (lambda t: "", FITS, "cannot be read as a CSV file"),
])  # fmt: skip
def test_bad_input_exits_2_and_writes_nothing(tmp_path, files, observed, edit, args, message):
    if edit is not None:
        observed.write_text(edit(observed.read_text()))
    done = invoke("calibrate", files[0], "--observed", observed, *args, "--out", tmp_path / "cal", cwd=tmp_path)
    assert done.exit_code == 2, done.output
    assert message in done.output and "Traceback" not in done.output
    assert not (tmp_path / "cal").exists()


def test_a_missing_observed_file_exits_2(tmp_path, files):
    done = invoke("calibrate", files[0], "--observed", tmp_path / "nope.csv", *FITS, cwd=tmp_path)
    assert done.exit_code == 2 and "nope.csv: no such file" in done.output


def test_compare_writes_yearly_csv_for_each_scenario(tmp_path, files):
    done = invoke("compare", *files, "--out", tmp_path / "cmp", "--no-report", "--quiet", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    for name in ("small-baseline", "small-town"):
        table = pd.read_csv(tmp_path / "cmp" / name / "yearly.csv", keep_default_na=False)
        assert list(table.columns) == ["year", "metric", "age_band", "value", "unit"]
        assert set(table["age_band"]) == {"all", "18-64", "65+"} and set(table["year"]) == {2026, 2027, 2028}
