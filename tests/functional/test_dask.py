"""The same seed gives the same numbers whichever executor runs the batches: this process, local
processes, or a Dask cluster (a LocalCluster here)."""

from __future__ import annotations

import pytest
import yaml

from builders import small_scenario, small_scenario_dict
from leftshift.experiments.execute import Execution, connect_dask
from leftshift.experiments.runs import sweep, uncertainty
from leftshift.io.parts import PartsFolder
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.vary import parse_vary

pytest.importorskip("dask.distributed")

DIMS = ["interventions[0].budget=0:300000:4", "capacity.residential.places=340:440:3"]


@pytest.fixture(scope="module")
def reference():
    base, baseline = small_scenario(), small_scenario(name="Baseline", interventions=[])
    return sweep(base, [parse_vary(v) for v in DIMS], baseline=baseline, execution=Execution(batch_size=5)).table


def _sweep(execution: Execution):
    base, baseline = small_scenario(), small_scenario(name="Baseline", interventions=[])
    return sweep(base, [parse_vary(v) for v in DIMS], baseline=baseline, execution=execution).table


def test_local_processes_give_identical_results(reference):
    assert _sweep(Execution(batch_size=5, jobs=2)).equals(reference)


@pytest.fixture(scope="module")
def cluster():
    """The LocalCluster `--dask local` starts, kept for the module and reached by address as `--dask ADDRESS` is."""
    client, local = connect_dask("local", 2)
    client.close()
    yield local.scheduler_address
    local.close()


def test_a_dask_cluster_gives_identical_results(reference, cluster, tmp_path):
    done = []
    table = _sweep(Execution(batch_size=5, dask=cluster, parts=PartsFolder(tmp_path / "parts"), progress=done.append))
    assert table.equals(reference)
    assert sum(done) == len(reference) == 12
    assert len(list((tmp_path / "parts").glob("part-*.parquet"))) == 3


def test_uncertainty_draws_are_the_same_on_dask(cluster):
    data = small_scenario_dict()
    data["costs"]["per_person_week"]["acute"]["nhs"] = {"dist": "triangular", "low": 2400, "mode": 2800, "high": 3500}
    s = scenario_from_dict(data)
    here = uncertainty(s, 16, execution=Execution(batch_size=4))
    there = uncertainty(s, 16, execution=Execution(batch_size=4, dask=cluster))
    assert here.samples.equals(there.samples)
    assert here.series.equals(there.series)


def test_des_replications_on_dask_give_identical_tables(cluster, tmp_path):
    """One task per replication, same seeds: every table equals a local run's, and the command writes the
    same files byte for byte (waits.csv written one replication at a time, as the replications arrive)."""
    from click.testing import CliRunner
    from dask.distributed import Client

    from leftshift.cli import cli
    from leftshift.engines.des.engine import run_des

    s = small_scenario(horizon_years=2)
    here = run_des(s, replications=2, jobs=1)
    with Client(cluster) as client:
        there = run_des(s, replications=2, client=client)
    for (stem, mine), (_, theirs) in zip(here.tables().items(), there.tables().items(), strict=True):
        assert mine.equals(theirs), stem

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small_scenario_dict(horizon_years=2)))
    runner, folders = CliRunner(), {}
    for name, where in (("local", ["--jobs", "1"]), ("dask", ["--dask", cluster])):
        folders[name] = tmp_path / name
        done = runner.invoke(cli, ["run", str(path), "--engine", "des", "--replications", "2", "--no-report",
                                   "--quiet", "--out", str(folders[name]), *where])  # fmt: skip
        assert done.exit_code == 0, done.output
    for csv in sorted(folders["local"].glob("*.csv")):
        assert csv.read_bytes() == (folders["dask"] / csv.name).read_bytes(), csv.name
    assert (folders["local"] / "waits.csv").stat().st_size > 100


def test_a_scheduler_that_accepts_but_never_answers_times_out(monkeypatch):
    import socket
    import time

    from leftshift.errors import LeftshiftError

    monkeypatch.setenv("LEFTSHIFT_DASK_TIMEOUT", "1")
    with socket.socket() as server:  # accepts connections (the backlog), never answers
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        started = time.monotonic()
        with pytest.raises(LeftshiftError, match="no answer within 1 s"):
            connect_dask(f"127.0.0.1:{server.getsockname()[1]}", None)
        assert time.monotonic() - started < 10
