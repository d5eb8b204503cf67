"""Nothing lost, no tracebacks: --force replaces only leftshift's own outputs, every precondition is checked
before any work, one run per output folder, readable folders, disk errors as short messages, results kept when
the report fails, --set-scenario for compare, a bounded --dask connection, and --strict."""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from leftshift.cli import cli
from leftshift.io.outputs import MANIFEST, claim_output, lock_path

VARY = ["--vary", "capacity.residential.places=360,420"]


def invoke(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any model run starts: the command must stop before any work."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model ran before the preconditions were checked")

    monkeypatch.setattr("leftshift.engines.stockflow.engine.simulate", refuse)  # both imported when called
    monkeypatch.setattr("leftshift.engines.des.engine.run_des", refuse)


def _clean(folder: Path) -> None:
    """No lock, no partial folder, no parts left beside the output."""
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".") and "." in p.name[1:]]


# 1. --force replaces only leftshift's own outputs -------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "sensitivity"])
def test_force_never_deletes_files_leftshift_did_not_write(tmp_path, files, command, no_simulation):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    args = {"run": ["run", files[1]], "compare": ["compare", *files], "sweep": ["sweep", files[1], *VARY],
            "sensitivity": ["sensitivity", files[1], "--baseline", files[0]]}[command]  # fmt: skip
    done = invoke(*args, "--out", out, "--force")
    assert done.exit_code == 2, done.output
    assert "notes.txt" in done.output and "leftshift did not write" in done.output
    assert (out / "notes.txt").read_text() == "my notes" and [p.name for p in out.iterdir()] == ["notes.txt"]
    _clean(tmp_path)


def test_force_replaces_a_previous_run_and_its_manifest_lists_every_file(tmp_path, files):
    out = tmp_path / "out"
    assert invoke("compare", *files, "--out", out, "--quiet").exit_code == 0
    listed = set(json.loads((out / MANIFEST).read_text())["files"])
    assert {"comparison.csv", "report.html", "small-baseline", "small-baseline/summary.json"} <= listed
    assert invoke("compare", *files, "--out", out, "--quiet", "--force", "--no-report").exit_code == 0
    assert not (out / "report.html").exists()  # replaced as a whole: nothing stale left behind
    _clean(tmp_path)


# 2. every precondition before any work ----------------------------------------------------------------------


def test_a_folder_holding_files_is_refused_before_the_model_runs(tmp_path, files, no_simulation):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("x")
    done = invoke("run", files[1], "--out", out, "--engine", "des", "--replications", "20")
    assert done.exit_code == 2 and "--force" in done.output


def test_samples_without_distributions_fail_fast(tmp_path, files, no_simulation):
    done = invoke("run", files[0], "--samples", "100", "--out", tmp_path / "out")
    assert done.exit_code == 2 and "no uncertain parameters" in done.output and "--samples" in done.output
    assert not (tmp_path / "out").exists()
    done = invoke("run", files[1], "--samples", "10", "--engine", "des", "--out", tmp_path / "out")
    assert done.exit_code == 2 and "leave out --engine des" in done.output


def test_the_default_folder_is_checked_after_loading_the_scenario(tmp_path, files, no_simulation, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "small-town").mkdir(parents=True)
    (tmp_path / "results" / "small-town" / "mine.txt").write_text("x")
    done = invoke("run", files[1], "--force")
    assert done.exit_code == 2 and "mine.txt" in done.output


# 3. one run per output folder ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_second_run_into_the_same_folder_fails_at_once(tmp_path, files, command, no_simulation):
    out = tmp_path / "out"
    args = ["run", files[1]] if command == "run" else ["sweep", files[1], *VARY]
    with claim_output(out, force=False):  # the first run, still working
        done = invoke(*args, "--out", out)
        assert done.exit_code == 2 and "being written by another leftshift run" in done.output
        assert lock_path(out).exists()  # the first run's lock is left alone
    assert not out.exists()


# 4. readable folders ------------------------------------------------------------------------------------------


def test_output_folders_follow_the_umask(tmp_path, files):
    old = os.umask(0o022)
    try:
        done = invoke("compare", *files, "--out", tmp_path / "shared" / "out", "--quiet", "--no-report")
    finally:
        os.umask(old)
    assert done.exit_code == 0, done.output
    for folder in (tmp_path / "shared", tmp_path / "shared" / "out", tmp_path / "shared" / "out" / "small-town"):
        assert folder.stat().st_mode & 0o777 == 0o755, folder


# 5. disk errors -------------------------------------------------------------------------------------------------


def test_a_full_disk_is_a_short_message_and_leaves_nothing(tmp_path, files, monkeypatch):
    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("leftshift.io.writing.write_table", full)
    done = invoke("compare", *files, "--out", tmp_path / "out")
    assert done.exit_code == 2 and "the disk is full" in done.output and "yearly.csv" in done.output
    assert "Traceback" not in done.output and not (tmp_path / "out").exists()
    _clean(tmp_path)


def test_out_under_a_file_is_a_short_message(tmp_path, files, no_simulation):
    (tmp_path / "somefile.txt").write_text("x")
    done = invoke("run", files[1], "--out", tmp_path / "somefile.txt" / "sub")
    assert done.exit_code == 2 and "is a file, not a folder" in done.output


def test_a_read_only_folder_is_a_short_message(tmp_path, files, no_simulation, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr("leftshift.io.outputs.os.open", read_only)  # root ignores chmod: simulate a read-only disk
    done = invoke("run", files[1], "--out", tmp_path / "out")
    assert done.exit_code == 2 and "read-only" in done.output and "--out" in done.output
    assert not (tmp_path / "out").exists()


# 6. the results are kept when the report fails ---------------------------------------------------------------


def _broken(*args, **kwargs):
    raise ValueError("plotly exploded")


def test_a_failing_report_keeps_the_tables_and_says_how_to_rebuild_it(tmp_path, files, monkeypatch):
    monkeypatch.setattr("leftshift.report.writers.write_comparison_report", _broken)
    out = tmp_path / "out"
    done = invoke("compare", *files, "--out", out)
    assert done.exit_code == 1
    assert "report.html could not be written (ValueError: plotly exploded)" in done.output
    assert f"leftshift report {out}" in done.output and "Traceback" not in done.output
    assert (out / "comparison.csv").is_file() and (out / "small-town" / "timeseries.csv").is_file()
    assert not (out / "report.html").exists() and not list(out.glob(".*partial"))
    monkeypatch.undo()
    rebuilt = invoke("report", out)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "report.html" in json.loads((out / MANIFEST).read_text())["files"]


def test_a_failing_experiment_report_keeps_the_tables_and_says_how_to_rebuild_it(tmp_path, files, monkeypatch):
    monkeypatch.setattr("leftshift.report.writers.write_sweep_report", _broken)
    out = tmp_path / "out"
    done = invoke("sweep", files[1], *VARY, "--out", out)
    assert done.exit_code == 1 and "plotly exploded" in done.output and f"leftshift report {out}" in done.output
    assert (out / "sweep.csv").is_file() and not (out / "report.html").exists()
    monkeypatch.undo()
    rebuilt = invoke("report", out)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert (out / "report.html").is_file() and "report.html" in json.loads((out / MANIFEST).read_text())["files"]
    _clean(tmp_path)


def test_the_exit_status_is_documented():
    assert "1 the results were written but report.html failed" in " ".join(invoke("--help").output.split())
    assert "the exit status is 1" in " ".join(invoke("run", "--help").output.split())


# `leftshift report DIR` adds to the folder, and never over someone's report.html ---------------------------------


def test_report_never_replaces_a_report_leftshift_did_not_write(tmp_path, files):
    out = tmp_path / "out"
    assert invoke("run", files[1], "--out", out, "--no-report", "--quiet").exit_code == 0
    (out / "report.html").write_text("<html>my own report</html>")
    done = invoke("report", out)
    assert done.exit_code == 2 and "leftshift did not write" in done.output
    assert (out / "report.html").read_text() == "<html>my own report</html>"
    (out / "report.html").unlink()
    assert invoke("report", out).exit_code == 0
    assert invoke("report", out).exit_code == 0  # its own report: replaced
    assert "report.html" in json.loads((out / MANIFEST).read_text())["files"]
    _clean(tmp_path)


def test_report_replaces_a_report_from_before_manifests(tmp_path, files):
    out = tmp_path / "out"
    assert invoke("run", files[1], "--out", out, "--quiet").exit_code == 0
    (out / MANIFEST).unlink()  # as an older leftshift wrote it
    done = invoke("report", out)
    assert done.exit_code == 0, done.output
    assert json.loads((out / MANIFEST).read_text())["files"] == ["report.html"]


# 7. --set-scenario for compare --------------------------------------------------------------------------------


def test_set_scenario_applies_to_the_compared_scenarios_only(tmp_path, files):
    baseline, scenario = files
    done = invoke("compare", baseline, scenario, "--set", "interventions[0].budget=90000", "--out", tmp_path / "a")
    assert done.exit_code == 2 and str(baseline) in done.output and "interventions" in done.output
    done = invoke("compare", baseline, scenario, "--set-scenario", "interventions[0].budget=90000",
                  "--out", tmp_path / "b", "--quiet", "--no-report")  # fmt: skip
    assert done.exit_code == 0, done.output
    resolved = yaml.safe_load((tmp_path / "b" / "small-town" / "scenario.resolved.yaml").read_text())
    assert resolved["interventions"][0]["budget"] == 90000


# 8. --dask: bounded, and never silently ignored ---------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def test_a_dask_scheduler_that_never_answers_times_out(tmp_path, files, silent_server, monkeypatch, no_simulation):
    pytest.importorskip("dask.distributed")
    monkeypatch.setenv("LEFTSHIFT_DASK_TIMEOUT", "1")
    for args in (["sweep", files[1], *VARY], ["run", files[1], "--samples", "8"]):
        done = invoke(*args, "--dask", silent_server, "--out", tmp_path / "out")
        assert done.exit_code == 2, done.output
        assert "cannot reach the Dask scheduler" in done.output and "no answer within 1 s" in done.output
    assert not (tmp_path / "out").exists()


def test_dask_is_refused_where_it_would_be_ignored(tmp_path, files, no_simulation):
    done = invoke("run", files[1], "--dask", "local", "--out", tmp_path / "out")
    assert done.exit_code == 2 and "add --samples N" in done.output


# 9. --strict and the plausibility checks -------------------------------------------------------------------------


@pytest.fixture
def plausibility(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A stand-in leftshift.analysis.plausibility whose warnings a test chooses."""
    said: dict[str, list[str]] = {"scenario": [], "result": [], "comparison": []}
    module = types.ModuleType("leftshift.analysis.plausibility")
    for kind in said:
        setattr(module, f"check_{kind}", lambda subject, kind=kind: list(said[kind]))
    monkeypatch.setitem(sys.modules, "leftshift.analysis.plausibility", module)
    return said


def test_warnings_are_printed_and_strict_makes_them_errors_before_any_work(tmp_path, files, plausibility):
    plausibility["scenario"] = ["acute stays of 2 hours are implausible"]
    done = invoke("run", files[1], "--out", tmp_path / "a", "--no-report")
    assert done.exit_code == 0
    assert "Warning (" in done.output and "): acute stays of 2 hours are implausible" in done.output
    assert "Warning" not in invoke("run", files[1], "--out", tmp_path / "b", "--quiet").output
    for args in (["run", files[1]], ["compare", *files], ["sweep", files[1], *VARY],
                 ["sensitivity", files[1], "--baseline", files[0]]):  # fmt: skip
        done = invoke(*args, "--strict", "--out", tmp_path / "c")
        assert done.exit_code == 2 and "acute stays of 2 hours" in done.output and "--strict" in done.output
        assert not (tmp_path / "c").exists()


def test_strict_result_and_comparison_warnings_stop_before_writing(tmp_path, files, plausibility):
    plausibility["comparison"] = ["a return of 40 times the spend is implausible"]
    done = invoke("compare", *files, "--strict", "--out", tmp_path / "out")
    assert done.exit_code == 2 and "40 times" in done.output and not (tmp_path / "out").exists()
    plausibility["comparison"], plausibility["result"] = [], ["nobody left alive"]
    done = invoke("run", files[1], "--strict", "--out", tmp_path / "out")
    assert done.exit_code == 2 and "nobody left alive" in done.output and not (tmp_path / "out").exists()
    _clean(tmp_path)


def test_validate_names_the_file_a_set_does_not_fit(files):
    baseline, scenario = files
    done = invoke("validate", baseline, scenario, "--set", "interventions[0].budget=1")
    assert done.exit_code == 2 and f"{baseline}" in done.output and f"ok  {scenario}" in done.output


def test_a_scenario_the_engine_cannot_run_is_reported_against_its_file(tmp_path, files):
    """Problems found by an engine (here: far too many events to simulate one by one) name the file too."""
    _, scenario = files
    done = invoke("run", scenario, "--engine", "des", "--replications", "1", "--set", "initial.community=1e12",
                  "--out", tmp_path / "out", "--no-report")  # fmt: skip
    assert done.exit_code == 2
    assert f"{scenario}" in done.output and "<scenario>" not in done.output
    assert not (tmp_path / "out").exists()
