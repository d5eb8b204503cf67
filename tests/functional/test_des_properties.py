"""Properties of the discrete-event engine: direction, invariance, conservation, reproducibility,
common random numbers, warm-up, bad input and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leftshift.engines.des.engine import run_des
from leftshift.errors import LeftshiftError
from leftshift.result import Result
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import Scenario

SRC = Path(__file__).resolve().parents[2] / "src"


def busy(places: float = 25, seed: int = 1, horizon: float = 3, **extra: Any) -> Scenario:
    """A small city with full care homes and home care: people wait at home and in hospital."""
    data: dict[str, Any] = {
        "name": "busy", "start_year": 2026, "horizon_years": horizon, "time_step_weeks": 1, "seed": seed,
        "age_bands": ["65-84", "85+"], "states": ["community", "home_care", "residential", "acute"],
        "initial": {"community": {"65-84": 2500, "85+": 500}, "home_care": {"85+": 30},
                    "residential": {"85+": 25}, "acute": {"65-84": 10, "85+": 10}},
        "transitions": [
            {"from": "community", "to": "acute", "rate": {"65-84": 0.2, "85+": 0.5}},
            {"from": "community", "to": "home_care", "rate": {"65-84": 0.005, "85+": 0.03}},
            {"from": "community", "to": "residential", "rate": {"85+": 0.01}},
            {"from": "community", "to": "dead", "rate": {"65-84": 0.02, "85+": 0.1}},
            {"from": "home_care", "to": "residential", "rate": 0.2},
            {"from": "home_care", "to": "community", "rate": 0.3},
            {"from": "home_care", "to": "dead", "rate": 0.2},
            {"from": "acute", "to": "community", "rate": 30},
            {"from": "acute", "to": "home_care", "rate": 1.5},
            {"from": "acute", "to": "residential", "rate": 1.5},
            {"from": "acute", "to": "dead", "rate": 2},
            {"from": "residential", "to": "dead", "rate": 0.5},
        ],
        "capacity": {"residential": {"places": places, "when_full": "wait", "waiting_acute_risk_multiplier": 1.5},
                     "home_care": {"places": 30, "when_full": "wait"}},
        "costs": {"per_person_week": {"acute": {"nhs": 2800}, "residential": {"council": 700}},
                  "per_transition": {"community->acute": {"nhs": 220}}},
        "demography": {"ageing": {"65-84": 0.05}, "entrants_per_year": {"65-84": 80}},
    }  # fmt: skip
    data.update(extra)
    return scenario_from_dict(data)


PROGRAMME = {
    "name": "Befriending", "sector": "vcf", "budget": 0, "cost_per_participant_year": 200,
    "eligible": {"states": ["community"]}, "referrals": {"community": 0.2},
    "effects": {"community->acute": 0.8}, "effect_years_after": 1.0,
}  # fmt: skip


def delayed_discharge_days(result: Result) -> pd.Series:
    ts = result.timeseries
    queue = ts["state"].str.startswith("waiting:acute->")
    return ts[queue].groupby("replication")["person_years"].sum() * 365.25


def mean_wait_days(result: Result, resource: str) -> pd.Series:
    w = result.extra["waits"]
    w = w[(w["resource"] == resource) & (w["outcome"] == "admitted")]
    return w.groupby("replication")["wait_days"].mean()


def test_more_places_mean_shorter_waits_and_fewer_delayed_discharge_days() -> None:
    few, many = (run_des(busy(places), replications=4, jobs=1) for places in (20, 40))
    assert mean_wait_days(many, "residential").mean() < mean_wait_days(few, "residential").mean()
    assert delayed_discharge_days(many).mean() < delayed_discharge_days(few).mean()
    assert delayed_discharge_days(few).mean() > 0


def test_a_zero_budget_intervention_changes_exactly_nothing() -> None:
    """With common random numbers the referrals it receives are all turned away and touch nothing."""
    base = run_des(busy(), replications=2, jobs=1)
    zero = run_des(busy(interventions=[PROGRAMME]), replications=2, jobs=1)
    assert zero.programmes["referrals"].sum() > 0 and zero.programmes["starts"].sum() == 0
    for name in ("timeseries", "flows", "costs", "queues", "waits"):
        pd.testing.assert_frame_equal(base.tables()[name], zero.tables()[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def three() -> Result:
    return run_des(busy(), replications=3, jobs=1)


def test_people_are_conserved_in_every_replication(three: Result) -> None:
    ts, flows = three.timeseries, three.flows
    assert (ts["people"] >= 0).all() and (ts["person_years"] >= 0).all()
    assert np.array_equal(ts["people"], np.round(ts["people"]))
    total = ts.groupby(["replication", "time"])["people"].sum().unstack("replication")
    entrants = flows[flows["kind"] == "entry"].groupby(["replication", "time"])["people"].sum().unstack("replication")
    expected = total.iloc[0] + entrants.reindex(total.index, fill_value=0).cumsum()
    pd.testing.assert_frame_equal(total, expected, check_names=False)
    # each state's change in a step = what flowed in - what flowed out (moves between states only)
    moves = flows[~flows["kind"].isin(["ageing", "referral", "completion", "fade"])]
    inflow = moves.groupby(["replication", "time", "target"])["people"].sum()
    outflow = moves[moves["kind"] != "entry"].groupby(["replication", "time", "source"])["people"].sum()
    people = ts.groupby(["replication", "time", "state"])["people"].sum().unstack("state")
    change = people.groupby("replication").diff().dropna()
    net = (inflow.unstack(fill_value=0).reindex(columns=change.columns, fill_value=0)
           .sub(outflow.unstack(fill_value=0).reindex(columns=change.columns, fill_value=0), fill_value=0))  # fmt: skip
    net = net.reindex(change.index, fill_value=0)
    assert np.array_equal(change.to_numpy(), net.to_numpy())


def test_the_same_seed_gives_identical_tables(three: Result) -> None:
    again = run_des(busy(), replications=3, jobs=1)
    for name, table in three.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], check_exact=True, obj=name)


def test_results_do_not_depend_on_the_number_of_jobs(three: Result) -> None:
    ticks: list[int] = []
    parallel = run_des(busy(), replications=3, jobs=2, progress=ticks.append)
    assert ticks == [1, 1, 1]
    for name, table in three.tables().items():
        pd.testing.assert_frame_equal(table, parallel.tables()[name], check_exact=True, obj=name)


def test_one_replication_rerun_alone_reproduces_its_rows(three: Result) -> None:
    alone = run_des(busy(), only_replication=2)
    for name, table in three.tables().items():
        if name == "replications":
            continue
        mine = table[table["replication"] == 2].reset_index(drop=True)
        theirs = alone.tables()[name]
        series = [c for c in theirs.columns if theirs[c].dtype == object or str(theirs[c].dtype) == "str"]
        # the full run keeps series that are non-zero in any replication: compare on the alone run's rows
        merged = mine.merge(theirs, on=["replication", "time", *series], how="right", suffixes=("", "_alone"))
        for column in theirs.columns.difference(["replication", "time", *series]):
            assert np.array_equal(merged[column].to_numpy(), merged[f"{column}_alone"].to_numpy()), (name, column)


def emergency_admissions(result: Result) -> pd.Series:
    f = result.flows
    return f[(f["kind"] == "transition") & (f["target"] == "acute")].groupby("replication")["people"].sum()


def test_common_random_numbers_shrink_the_variance_of_a_difference() -> None:
    """Baseline vs 10% fewer emergency admissions among the 85+: the same seed (common random
    numbers) against a different seed (independent runs). The difference in emergency admissions
    varies far less with common random numbers."""
    reps = 12
    fewer = busy(seed=1).model_dump(by_alias=True)
    fewer["transitions"][0]["rate"] = {"65-84": 0.2, "85+": 0.45}
    base = emergency_admissions(run_des(busy(seed=1), reps, jobs=2)).to_numpy()
    crn = emergency_admissions(run_des(scenario_from_dict(fewer), reps, jobs=2)).to_numpy()
    independent = emergency_admissions(run_des(scenario_from_dict({**fewer, "seed": 2}), reps, jobs=2)).to_numpy()
    assert crn.mean() < base.mean()
    var_crn, var_independent = np.var(crn - base, ddof=1), np.var(independent - base, ddof=1)
    assert var_crn < 0.25 * var_independent, (var_crn, var_independent)


def test_warm_up_drops_early_rows_and_is_recorded() -> None:
    result = run_des(busy(horizon=2), replications=2, jobs=1, warm_up_years=0.5)
    step = 2 / round(2 * 365.25 / 7)
    ts = result.timeseries
    assert ts["time"].min() == pytest.approx(round(0.5 / step) * step)
    assert (ts.loc[ts["time"] == ts["time"].min(), "person_years"] == 0).all()
    for name in ("flows", "costs", "queues"):
        assert result.tables()[name]["time"].min() > 0.5 - step / 2
    assert result.extra["waits"]["time"].min() >= 0.5 - step / 2
    assert result.extra["replications"]["warm_up_years"].eq(round(0.5 / step) * step).all()


@pytest.mark.parametrize(
    ("scenario", "options", "key"),
    [
        (lambda: busy(places=25.5), {}, "capacity.residential.places"),
        (busy, {"warm_up_years": 5}, "warm_up_years"),
        (busy, {"replications": 0}, "replications"),
    ],
)
def test_what_the_engine_cannot_run_is_refused_naming_the_key(scenario, options, key) -> None:
    with pytest.raises(LeftshiftError) as caught:
        run_des(scenario(), jobs=1, **options)
    assert key in str(caught.value)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc to find worker processes")
def test_ctrl_c_stops_every_worker_process() -> None:
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_des_properties import busy
        from leftshift.engines.des.engine import run_des
        if __name__ == "__main__":
            print("start", flush=True)
            run_des(busy(horizon=170), replications=4, jobs=2)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"start"
        deadline = time.monotonic() + 30
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) >= 2, "the worker processes did not start"
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert b"KeyboardInterrupt" in err
        time.sleep(0.2)
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
        assert not alive, f"workers still running after Ctrl-C: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
