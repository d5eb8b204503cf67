"""`leftshift sweep`, `leftshift sensitivity` and `--samples` from the command line: outputs, bad input, and a
run killed part-way then resumed without losing or repeating a point."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.cli import cli
from leftshift.cli.experiments import parts_dir

TRIANGULAR = {"dist": "triangular", "low": 2400, "mode": 2800, "high": 3500}


def invoke(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A small scenario with an uncertain acute cost and programme effect, and its baseline."""
    data = small_scenario_dict()
    data["costs"]["per_person_week"]["acute"]["nhs"] = TRIANGULAR
    data["interventions"][0]["effects"]["community->acute"] = {"dist": "pert", "low": 0.7, "mode": 0.9, "high": 1}
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    base = small_scenario_dict(name="Small baseline", interventions=[])
    base["costs"]["per_person_week"]["acute"]["nhs"] = TRIANGULAR
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    return tmp_path / "small.yaml", tmp_path / "base.yaml"


def test_sweep_writes_one_row_per_point_and_prints_the_best(tmp_path, files):
    small, base = files
    out = tmp_path / "out"
    done = invoke("sweep", small, "--baseline", base, "--vary", "interventions[0].budget=0:300000:4",
                  "--vary", "capacity.residential.places=360,420", "--best", "net_savings", "--out", out)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Best 5 of 8 points by net_savings_gbp_discounted" in done.output
    table = pd.read_parquet(out / "sweep.parquet")
    assert len(table) == 8 and list(table["point"]) == list(range(8))
    assert {"interventions[0].budget", "capacity.residential.places", "emergency_admissions", "roi",
            "net_savings_gbp_discounted", "payback_year"} <= set(table.columns)  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep.csv"), table, check_dtype=False)
    assert (out / "experiment.json").exists()
    assert not parts_dir(out).exists()


def test_a_sweep_block_in_the_file_is_used_and_ignored_by_run(tmp_path, files):
    small, _ = files
    data = yaml.safe_load(small.read_text())
    data["sweep"] = {"vary": {"interventions[0].budget": "0:200000:3", "capacity.home_care.places": [300, 360]},
                     "baseline": "base.yaml"}  # fmt: skip
    small.write_text(yaml.safe_dump(data, sort_keys=False))
    done = invoke("sweep", small, "--out", tmp_path / "out", "--quiet")
    assert done.exit_code == 0, done.output
    table = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert len(table) == 6 and "net_savings_gbp_discounted" in table
    assert invoke("run", small, "--out", tmp_path / "run", "--quiet").exit_code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--vary", "interventions[2].budget=0:1:3"], "there is no item 2 in interventions"),
        (["--vary", "capacity.residential.places=300:400:0"], "at least 1"),
        (["--vary", "capacity.residential.places=300,400", "--dask", "tcp://127.0.0.1:9"], "cannot reach the Dask"),
        (["--vary", "capacity.residential.places=300,400", "--best", "net_savings"], "add --baseline"),
        ([], "nothing to vary"),
    ],
)
def test_bad_sweeps_exit_2_before_any_work(tmp_path, files, args, words, monkeypatch):
    monkeypatch.setenv("LEFTSHIFT_DASK_TIMEOUT", "2")  # a closed port: no need to wait the default 10 s
    small, _ = files
    done = invoke("sweep", small, *args, "--out", tmp_path / "out")
    assert done.exit_code == 2
    assert words in done.output and "Traceback" not in done.output
    assert not (tmp_path / "out").exists() and not parts_dir(tmp_path / "out").exists()


def test_an_impossible_distribution_exits_2_with_file_and_line(tmp_path, files):
    small, _ = files
    small.write_text(small.read_text().replace("low: 2400", "low: 4000"))
    done = invoke("run", small, "--samples", "10", "--out", tmp_path / "out")
    assert done.exit_code == 2
    assert f"{small}, line" in done.output and "costs.per_person_week.acute.nhs" in done.output
    assert "low <= mode <= high" in done.output


def test_run_and_compare_with_samples_report_percentiles_and_probabilities(tmp_path, files):
    small, base = files
    done = invoke("run", small, "--samples", "24", "--out", tmp_path / "run")
    assert done.exit_code == 0, done.output
    assert "24 draws of 2 uncertain parameters" in done.output
    samples = pd.read_parquet(tmp_path / "run" / "uncertainty" / "samples.parquet")
    assert len(samples) == 24 and "costs.per_person_week.acute.nhs" in samples
    by_year = pd.read_csv(tmp_path / "run" / "uncertainty" / "percentiles_by_year.csv")
    assert {"series", "year", "p5", "p50", "p95"} <= set(by_year.columns)
    done = invoke("compare", base, small, "--samples", "24", "--out", tmp_path / "cmp")
    assert done.exit_code == 0, done.output
    assert "P(net savings > 0) =" in done.output and "P(ROI > 1) =" in done.output


def test_sensitivity_writes_indices_and_a_tornado(tmp_path, files):
    small, base = files
    done = invoke("sensitivity", small, "--baseline", base, "--metric", "net_savings", "--method", "sobol",
                  "--samples", "16", "--out", tmp_path / "out")  # fmt: skip
    assert done.exit_code == 0, done.output
    indices = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert set(indices.columns) == {"parameter", "S1", "S1_conf", "ST", "ST_conf"} and len(indices) == 2
    tornado = pd.read_csv(tmp_path / "out" / "tornado.csv")
    assert tornado["parameter"].iloc[0] == "interventions[0].effects.community->acute"


# Each saved part takes a further 0.2 s in the launched process, so the kill and the Ctrl-C below always land
# mid-sweep however fast the machine is (without it a fast CI machine finished the sweep before the signal arrived).
SLOW_PARTS = """
import sys, time
from leftshift.io.parts import PartsFolder
from leftshift.cli import main
save = PartsFolder.save
def slow_save(self, *args):
    save(self, *args)
    time.sleep(0.2)
PartsFolder.save = slow_save
sys.argv[0] = "leftshift"
main()
"""


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SLOW_PARTS, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for_parts(parts: Path, at_least: int, process: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        done = len(list(parts.glob("part-*.parquet")))
        if done >= at_least:
            return done
        time.sleep(0.01)
    raise AssertionError(f"the run ended or stalled before {at_least} parts were saved: {process.communicate()}")


def test_a_killed_sweep_resumes_without_losing_or_repeating_a_point(tmp_path, files):
    small, base = files
    out = tmp_path / "out"
    args = ["sweep", str(small), "--baseline", str(base), "--vary", "interventions[0].budget=0:300000:10",
            "--vary", "capacity.residential.places=300:420:4", "--batch-size", "2", "--quiet",
            "--out", str(out)]  # fmt: skip
    batches = 20
    parts = parts_dir(out)

    killed = _start(args, tmp_path)  # 1. killed outright: no chance to clean up
    _wait_for_parts(parts, 3, killed)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    after_kill = len(list(parts.glob("part-*.parquet")))
    assert 3 <= after_kill < batches and not out.exists()

    stopped = _start([*args, "--resume"], tmp_path)  # 2. resumed, then Ctrl-C
    _wait_for_parts(parts, after_kill + 2, stopped)
    stopped.send_signal(signal.SIGINT)
    _, err = stopped.communicate(timeout=30)
    assert stopped.returncode == 130
    assert "--resume" in err and "Traceback" not in err
    after_stop = len(list(parts.glob("part-*.parquet")))
    assert after_kill < after_stop < batches and not out.exists()

    finished = subprocess.run([sys.executable, "-m", "leftshift", *args, "--resume"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    resumed = pd.read_parquet(out / "sweep.parquet")
    assert list(resumed["point"]) == list(range(40)) and not parts.exists()

    whole = invoke("sweep", *args[1:-2], "--out", tmp_path / "whole")
    assert whole.exit_code == 0
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(tmp_path / "whole" / "sweep.parquet"))


def test_resume_refuses_parts_from_different_settings(tmp_path, files):
    small, _ = files
    out = tmp_path / "out"
    parts = parts_dir(out)
    parts.mkdir()
    (parts / "manifest.json").write_text('{"fingerprint": "something else", "batches": 2}')
    done = invoke("sweep", small, "--vary", "capacity.residential.places=300,400", "--resume", "--out", out)
    assert done.exit_code == 2 and "different settings" in done.output
    assert (parts / "manifest.json").exists()
