"""Each command once in a real process, as a user runs it (`python -m leftshift ...`): the entry point, the
exit status and the streams a shell sees. Everything else about the commands is tested in this process through
click's CliRunner (test_cli.py and the others here), which is far quicker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.cli import cli


def leftshift(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "leftshift", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)  # fmt: skip


def test_run(tmp_path, files):
    done = leftshift("run", files[1], "--out", tmp_path / "out", "--no-report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Emergency admissions" in done.stdout
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["scenario"] == "Small town"


def test_compare(tmp_path, files):
    done = leftshift("compare", *files, "--out", tmp_path / "cmp", "--no-report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Net savings (discounted)" in done.stdout and (tmp_path / "cmp" / "comparison.csv").is_file()


def test_validate(tmp_path, files):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(small_scenario_dict(seed=-1)))
    done = leftshift("validate", files[0], bad, cwd=tmp_path)
    assert done.returncode == 2 and "ok" in done.stdout and "seed" in done.stderr
    assert "Traceback" not in done.stderr


def test_schema(tmp_path):
    done = leftshift("schema", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "interventions" in json.loads(done.stdout)["properties"]


def test_sweep(tmp_path, files):
    done = leftshift("sweep", files[1], "--baseline", files[0], "--vary", "capacity.residential.places=360,420",
                     "--best", "net_savings", "--out", tmp_path / "sweep", "--no-report", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Best 2 of 2 points" in done.stdout and (tmp_path / "sweep" / "sweep.csv").is_file()


def test_sensitivity(tmp_path, files):
    done = leftshift("sensitivity", files[1], "--baseline", files[0], "--method", "oat", "--out",
                     tmp_path / "sens", "--no-report", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sens" / "tornado.csv").is_file()


def test_report(tmp_path, files):
    out = tmp_path / "out"
    made = CliRunner().invoke(cli, ["run", str(files[1]), "--out", str(out), "--no-report", "--quiet"])
    assert made.exit_code == 0, made.output
    done = leftshift("report", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Report: {out / 'report.html'}"
    assert '<meta name="generator" content="leftshift' in (out / "report.html").read_text(encoding="utf-8")


def test_calibrate(tmp_path, files):
    made = CliRunner().invoke(cli, ["run", str(files[0]), "--set", "transitions[0].rate.65+=0.28", "--out",
                                    str(tmp_path / "truth"), "--no-report", "--quiet"])  # fmt: skip
    assert made.exit_code == 0, made.output
    yearly = pd.read_csv(tmp_path / "truth" / "yearly.csv", keep_default_na=False)
    yearly[yearly["metric"] == "emergency_admissions"].to_csv(tmp_path / "observed.csv", index=False)
    fit = ("--observed", tmp_path / "observed.csv", "--fit", "transitions[0].rate.65+=0.1:0.5")
    done = leftshift("calibrate", files[0], *fit, "--out", tmp_path / "cal", "--no-report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "transitions[0].rate.65+" in done.stdout and (tmp_path / "cal" / "calibrated.yaml").is_file()
    bad = leftshift("calibrate", files[0], *fit, "--fit", "capacity.nursing.places=1:2", cwd=tmp_path)
    assert bad.returncode == 2 and "capacity.nursing.places" in bad.stderr and "Traceback" not in bad.stderr


def test_optimise(tmp_path, files):
    done = leftshift("optimise", files[1], "--baseline", files[0], "--budget", "2e5", "--objective",
                     "emergency_admissions", "--frontier", "2e5:2e5:1", "--out", tmp_path / "opt", "--no-report",
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Neighbourhood network" in done.stdout and (tmp_path / "opt" / "optimal.yaml").is_file()
    bad = leftshift("optimise", files[1], "--baseline", files[0], "--budget", "2e5", "--min",
                    "interventions[0]=3e5", cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "below the sum of the minimums" in bad.stderr and "Traceback" not in bad.stderr
