"""report.html from the command line: written by run and compare (atomically, with the results), skipped with
--no-report, opened with --open, and rebuilt from saved results by `leftshift report`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict
from leftshift.cli import cli


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(yaml.safe_dump(small_scenario_dict(name="Small town - baseline", interventions=[])))
    scenario = tmp_path / "shift.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario_dict()))
    return baseline, scenario


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(click, "launch", lambda url, *a, **k: calls.append(url) or 0)
    return calls


def invoke(*args: object) -> object:
    done = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return done


def test_run_writes_a_report_beside_the_results_and_opens_it(tmp_path, files, opened):
    done = invoke("run", files[1], "--out", tmp_path / "out", "--open")
    assert done.exit_code == 0, done.output
    report = tmp_path / "out" / "report.html"
    assert report.is_file() and "Small town" in report.read_text(encoding="utf-8")
    assert opened == [str(report)]
    assert f"Report: {report}" in done.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial directory left behind


def test_no_report_writes_none_and_opens_nothing(tmp_path, files, opened):
    done = invoke("run", files[1], "--out", tmp_path / "out", "--no-report", "--open")
    assert done.exit_code == 0, done.output
    assert not (tmp_path / "out" / "report.html").exists()
    assert opened == []


def test_compare_report_and_rebuilding_it_from_the_saved_files(tmp_path, files, opened):
    out = tmp_path / "cmp"
    done = invoke("compare", *files, "--out", out, "--quiet")
    assert done.exit_code == 0, done.output
    first = (out / "report.html").read_text(encoding="utf-8")
    assert 'data-scenario="Small town"' in first and 'data-chart="savings-small-town"' in first
    (out / "report.html").unlink()
    again = invoke("report", out, "--open")
    assert again.exit_code == 0, again.output
    rebuilt = (out / "report.html").read_text(encoding="utf-8")
    assert opened == [str(out / "report.html")]

    def shown(page: str) -> tuple[list[str], list[str]]:
        """The charts in order, and every headline figure as displayed (raw values may differ in the 12th digit:
        the CSVs hold 12 significant digits)."""
        return re.findall(r'data-chart="([^"]+)"', page), re.findall(r'data-value="[^"]*">([^<]*)<', page)

    assert shown(rebuilt) == shown(first)


def test_report_of_a_run_directory(tmp_path, files):
    assert invoke("run", files[0], "--out", tmp_path / "out", "--no-report", "--quiet").exit_code == 0
    done = invoke("report", tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_report_of_a_directory_without_results_is_a_clear_error(tmp_path, make):
    target = tmp_path / "nothing"
    if make == "empty":
        target.mkdir()
    done = CliRunner().invoke(cli, ["report", str(target)])
    assert done.exit_code == 2
    assert "summary.json" in done.output or "not a directory" in done.output
    assert "Traceback" not in done.output


def test_report_command_documents_itself_with_an_example():
    assert "Example:" in cli.commands["report"].help
    for name in ("run", "compare"):
        options = {o for p in cli.commands[name].params for o in p.opts}
        assert {"--open", "--no-report"} <= options, name


def test_help_stays_fast_without_plotly():
    code = ("import sys, time; t = time.perf_counter(); from leftshift.cli import cli; "
            "print('plotly' in sys.modules, time.perf_counter() - t)")  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, _ = done.stdout.split()
    assert loaded == "False"
    assert time.perf_counter() - start < 5  # the lead's CLI test holds --help to its own limit
