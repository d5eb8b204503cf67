"""Write docs/validation.md: every check of the model with its figure, tolerance and verdict.

In the spirit of the STRESS-DES reporting checklist (Monks et al. 2019): conservation, analytic solutions, step
convergence, stock-flow against DES, queueing theory and extreme conditions, each recomputed from the code as it is,
so the document cannot drift from the model (tests/docs/test_validation_report.py regenerates it and compares).

Usage:  python scripts/validation_report.py            # rewrites docs/validation.md
        python scripts/validation_report.py --check    # exit 1 if docs/validation.md is out of date or a check fails
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.linalg import expm

from leftshift import api
from leftshift.analysis.metrics import DEFINITIONS, by_year, row_sets
from leftshift.analysis.summary import version
from leftshift.analysis.yearly import yearly
from leftshift.engines.des.engine import run_des
from leftshift.engines.stockflow.engine import simulate
from leftshift.engines.tables import to_result
from leftshift.result import Result
from leftshift.scenario.loading import load_scenario, scenario_from_dict
from leftshift.scenario.model import DAYS_PER_YEAR, Scenario

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation.md"
SCENARIOS = ROOT / "scenarios"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was compared, the figure found, the tolerance, and whether it passed."""

    name: str
    figure: float
    tolerance: float
    unit: str = ""

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.figure) and abs(self.figure) <= self.tolerance)

    def row(self) -> str:
        verdict = "pass" if self.passed else "**FAIL**"
        return f"| {self.name} | {_fmt(self.figure)}{self.unit} | {_fmt(self.tolerance)}{self.unit} | {verdict} |"


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e6:
        return f"{value:.1e}"
    return f"{value:.3g}"


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


# --- conservation -------------------------------------------------------------------------------------------------


def conservation() -> Iterator[Check]:
    """Everyone at the start plus every entrant is in some state (the dead included) at every step."""
    for name in ("leeds-baseline", "leeds-left-shift", "generic-authority-baseline"):
        traj = simulate(load_scenario(SCENARIOS / f"{name}.yaml"))
        totals = traj.stocks[:, :, 0].sum(axis=1)
        expected = totals[0] + np.concatenate([[0.0], np.cumsum(traj.entrants[:, :, 0].sum(axis=1))])
        gap = float(np.max(np.abs(totals / expected - 1)))
        yield Check(f"{name}: largest relative gap in people accounted for", gap, 1e-9)
        yield Check(f"{name}: most negative stock (people)", min(0.0, float(traj.stocks.min())), 1e-9)


# --- year 1 against published figures -----------------------------------------------------------------------------

TARGETS = SCENARIOS / "targets"
YEAR_ONE_TOLERANCE_PCT = 10.0


def _by_band(result: Result, name: str, year: int) -> pd.Series:
    """An output measure (analysis.metrics.DEFINITIONS) within one calendar year, by age band and in all."""
    definition = DEFINITIONS[name]
    frame = getattr(result, definition.table)
    rows = frame[row_sets(result, definition.table)[definition.rows] & (frame["year"] == year).to_numpy()]
    by_band = rows.groupby("age_band", observed=True)[definition.column].sum() * definition.factor
    return pd.concat([by_band, pd.Series({"all": by_band.sum()})])


def _mean_occupied(result: Result, state: str, year: int) -> float:
    queues = result.queues
    rows = queues[(queues["resource"] == state) & (queues["year"] == year)]
    return float(rows["occupied"].mean())


def year_one_values(result: Result) -> dict[tuple[str, str], float]:
    """The model's value of every measure a target file can name, by (metric, age band or 'all')."""
    year, s = result.scenario.start_year, result.scenario
    ts = result.timeseries
    alive = ts[(ts["time"] == 0) & (ts["state"] != "dead")].groupby("age_band", observed=True)["people"].sum()
    values = {("population", band): float(v) for band, v in alive.items()}
    for name in ("emergency_admissions", "acute_bed_days", "care_home_admissions", "home_care_admissions",
                 "delayed_discharge_bed_days", "deaths"):  # fmt: skip
        values.update({(name, band): float(v) for band, v in _by_band(result, name, year).items()})
    for band in s.age_bands:
        admissions = values.get(("emergency_admissions", band), 0.0)
        if admissions > 0:
            values[("length_of_stay_days", band)] = values[("acute_bed_days", band)] / admissions
    values[("care_home_residents", "all")] = _mean_occupied(result, s.care_home_state, year)
    values[("home_care_clients", "all")] = _mean_occupied(result, s.home_care_state, year)
    return values


def year_one() -> Iterator[Check]:
    """Each shipped baseline's first year against the published figures it is built from
    (scenarios/targets/<baseline>.csv, with sources), as a percentage difference."""
    for targets in sorted(TARGETS.glob("*.csv")):
        result = api.run(SCENARIOS / f"{targets.stem}.yaml")
        values = year_one_values(result)
        for row in pd.read_csv(targets).itertuples():
            band = str(row.age_band)
            model = values[(row.metric, band)]
            label = f"{targets.stem}: {row.metric.replace('_', ' ')}{f' {band}' if band != 'all' else ''}"
            yield Check(f"{label} (published {_fmt(float(row.value))}, model {_fmt(model)}; {row.source})",
                        100 * (model - row.value) / row.value, YEAR_ONE_TOLERANCE_PCT, " %")  # fmt: skip


def start_up() -> Iterator[Check]:
    """Nothing in a baseline is an artefact of its start: the first week's flows and hospital occupancy are
    those of the weeks after (the first week against the mean of weeks 2-9, within 5%), and with places
    growing as planned the queues stay at today's level for the people who need care: people delayed in
    hospital per 1,000 aged 85+ in the last year within 25% of the first year's."""
    for name in ("leeds-baseline", "generic-authority-baseline"):
        result = api.run(SCENARIOS / f"{name}.yaml")
        flows, ts = result.flows, result.timeseries
        times = np.sort(flows["time"].unique())[:9]
        for measure in ("emergency_admissions", "care_home_admissions", "home_care_admissions", "deaths"):
            mask = row_sets(result, "flows")[DEFINITIONS[measure].rows]
            weekly = flows[mask].groupby("time")["people"].sum().reindex(times, fill_value=0.0)
            yield Check(f"{name}: {measure.replace('_', ' ')}, first week against weeks 2-9",
                        100 * _relative(weekly.iloc[0], weekly.iloc[1:].mean()), 5.0, " %")  # fmt: skip
        beds = ts[row_sets(result, "timeseries")["in_hospital"]].groupby("time")["people"].sum()
        yield Check(f"{name}: people in hospital, first week against weeks 2-9",
                    100 * _relative(beds.iloc[1], beds.iloc[2:10].mean()), 5.0, " %")  # fmt: skip
        delayed = by_year(result, ["delayed_discharge_bed_days"])["delayed_discharge_bed_days"].to_numpy()
        oldest = ts[(ts["age_band"] == ts["age_band"].iloc[-1]) & (ts["state"] != "dead")]
        mean_85 = oldest.groupby(["year", "time"])["people"].sum().groupby("year").mean().to_numpy()[: len(delayed)]
        per_head = delayed / mean_85
        yield Check(f"{name}: delayed in hospital per person aged 85+, last year against first",
                    100 * _relative(per_head[-1], per_head[0]), 25.0, " %")  # fmt: skip


# --- analytic solution --------------------------------------------------------------------------------------------

CHAIN_RATES = {("community", "acute"): 0.3, ("community", "dead"): 0.05, ("acute", "community"): 30.0,
               ("acute", "residential"): 1.5, ("residential", "dead"): 0.4}  # fmt: skip


def _chain(step_weeks: float) -> Scenario:
    return scenario_from_dict({
        "name": "chain", "start_year": 2026, "horizon_years": 5, "time_step_weeks": step_weeks,
        "age_bands": ["all"], "states": ["community", "acute", "residential"],
        "initial": {"community": {"all": 10_000}, "acute": {"all": 50}, "residential": {"all": 200}},
        "transitions": [{"from": a, "to": b, "rate": r} for (a, b), r in CHAIN_RATES.items()],
        "demography": {"ageing": False},
    })  # fmt: skip


def analytic() -> Iterator[Check]:
    """A linear system with no capacity limits is solved exactly by the matrix exponential of its generator."""
    states = ["community", "acute", "residential", "dead"]
    q = np.zeros((4, 4))
    for (a, b), rate in CHAIN_RATES.items():
        q[states.index(a), states.index(b)] += rate
        q[states.index(a), states.index(a)] -= rate
    start = np.array([10_000.0, 50.0, 200.0, 0.0])
    for step in (1.0, 4.0):
        result = to_result(simulate(_chain(step)))
        end = result.timeseries[result.timeseries["time"] == result.timeseries["time"].max()]
        model = end.groupby("state")["people"].sum().reindex(states).to_numpy()
        exact = start @ expm(q * 5.0)
        yield Check(f"stocks after 5 years, step {step:g} week(s): largest relative error against expm",
                    float(np.max(np.abs(model - exact) / exact)), 1e-3)  # fmt: skip


# --- step convergence ---------------------------------------------------------------------------------------------

STEP_MEASURES = ("emergency_admissions", "care_home_admissions", "home_care_admissions",
                 "delayed_discharge_bed_days", "waiting_at_home_person_years", "deaths")  # fmt: skip
STEP_SCENARIOS = ("leeds-baseline", "leeds-left-shift", "leeds-baseline-capacity-frozen", "generic-authority-baseline")


def _yearly(scenario: Scenario, step_weeks: float) -> pd.DataFrame:
    """The step measures of each calendar year, and the people waiting (every queue) at its end."""
    changed = scenario.model_copy(update={"time_step_weeks": step_weeks})
    result = api.run(changed, resolution="year")
    table = by_year(result, STEP_MEASURES).set_index("year")[list(STEP_MEASURES)]
    table["people_waiting_at_year_end"] = result.queues.groupby("year")["waiting"].sum()
    return table


def step_convergence() -> Iterator[Check]:
    """The default weekly step against a daily reference, year by year, for every capacity-bound measure of
    every shipped scenario (docs/design.md, "The step rule")."""
    for name in STEP_SCENARIOS:
        scenario = load_scenario(SCENARIOS / f"{name}.yaml")
        weekly, daily = _yearly(scenario, scenario.time_step_weeks), _yearly(scenario, 1 / 7)
        for measure in weekly.columns:
            gaps = (weekly[measure] - daily[measure]).abs() / daily[measure].abs().clip(lower=1.0)
            yield Check(f"{name}: {measure.replace('_', ' ')}, worst year, weekly against daily",
                        100 * float(gaps.max()), 2.0, " %")  # fmt: skip


# --- stock-flow against DES ---------------------------------------------------------------------------------------


def _small() -> Scenario:
    data = {
        "name": "agreement", "start_year": 2026, "horizon_years": 3, "seed": 11,
        "age_bands": ["65-74", "75+"], "states": ["community", "home_care", "residential", "acute"],
        "initial": {"community": {"65-74": 3000, "75+": 800}, "home_care": {"75+": 60}, "residential": {"75+": 50}},
        "transitions": [
            {"from": "community", "to": "acute", "rate": {"65-74": 0.15, "75+": 0.5}},
            {"from": "community", "to": "home_care", "rate": {"75+": 0.05}},
            {"from": "community", "to": "dead", "rate": {"65-74": 0.01, "75+": 0.08}},
            {"from": "home_care", "to": "residential", "rate": 0.1},
            {"from": "home_care", "to": "dead", "rate": 0.15},
            {"from": "acute", "to": "community", "rate": 30},
            {"from": "acute", "to": "home_care", "rate": 2},
            {"from": "acute", "to": "residential", "rate": 1.5},
            {"from": "residential", "to": "dead", "rate": 0.45},
        ],
        "demography": {"ageing": False},
    }  # fmt: skip
    return scenario_from_dict(data)


def des_agreement() -> Iterator[Check]:
    """Mean over DES replications against the stock-flow run, in standard errors of the mean (|z| <= 4)."""
    scenario, reps = _small(), 20
    fluid = api.run(scenario)
    des = run_des(scenario, replications=reps, jobs=1)
    for state in ("community", "home_care", "residential", "acute"):
        mean_fluid = fluid.timeseries.query("state == @state").groupby("time")["person_years"].sum().sum()
        per_rep = des.timeseries.query("state == @state").groupby("replication")["person_years"].sum()
        se = per_rep.std(ddof=1) / np.sqrt(reps)
        yield Check(f"person-years in {state} over 3 years: DES mean minus stock-flow, in standard errors",
                    float((per_rep.mean() - mean_fluid) / se), 4.0, " SE")  # fmt: skip


# --- queueing theory ----------------------------------------------------------------------------------------------

C, MU = 5, 26.0
LAM = 0.75 * C * MU
N = 10_000_000


def _erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c(c: int, a: float) -> float:
    b = _erlang_b(c, a)
    return b / (1 - (a / c) * (1 - b))


def _service(rule: str) -> Scenario:
    return scenario_from_dict({
        "name": f"mmc-{rule}", "start_year": 2026, "horizon_years": 20, "time_step_weeks": 4, "seed": 5,
        "age_bands": ["all"], "states": ["community", "service"], "initial": {"community": {"all": N}},
        "transitions": [{"from": "community", "to": "service", "rate": LAM / N},
                        {"from": "service", "to": "community", "rate": MU}],
        "capacity": {"service": {"places": C, "when_full": rule}}, "demography": {"ageing": False},
    })  # fmt: skip


def queueing() -> Iterator[Check]:
    """One capacity-limited service fed at a Poisson rate: M/M/c (wait) and M/M/c/c (lost) in the DES, from
    every arrival after the warm-up (the `waits` table)."""
    a, reps = LAM / MU, 8
    waits = run_des(_service("wait"), replications=reps, jobs=1, warm_up_years=1.0).extra["waits"]
    yield Check("M/M/5 share of arrivals who wait (Erlang C): relative difference",
                _relative(float((waits["wait_days"] > 0).mean()), _erlang_c(C, a)), 0.03)  # fmt: skip
    admitted = waits.loc[waits["outcome"] == "admitted", "wait_days"] / DAYS_PER_YEAR
    yield Check("M/M/5 mean wait (Erlang C / (c mu - lambda)): relative difference",
                _relative(float(admitted.mean()), _erlang_c(C, a) / (C * MU - LAM)), 0.05)  # fmt: skip
    lost = run_des(_service("lost"), replications=reps, jobs=1, warm_up_years=1.0).extra["waits"]
    yield Check("M/M/5/5 share turned away (Erlang B): relative difference",
                _relative(float((lost["outcome"] == "turned_away").mean()), _erlang_b(C, a)), 0.03)  # fmt: skip


# --- calibration ------------------------------------------------------------------------------------------------

CALIBRATED = {"transitions[0].rate.85+": (0.47, "0.3:0.6"), "transitions[3].rate.85+": (0.038, "0.01:0.1")}


def calibration() -> Iterator[Check]:
    """Known values come back: observations made by the model with two 85+ rates changed (emergency admissions
    from the community, deaths in the community), fitted from the baseline's own values by `leftshift
    calibrate`'s weighted least squares; relative error of each fitted value."""
    horizon = ["horizon_years=5"]
    truth = load_scenario(
        SCENARIOS / "leeds-baseline.yaml", [*horizon, *(f"{k}={v}" for k, (v, _) in CALIBRATED.items())]
    )
    table = yearly(api.run(truth))
    chosen = table["metric"].isin(["emergency_admissions", "deaths"]) & table["age_band"].isin(["all", "85+"])
    observed = table.loc[chosen, ["year", "metric", "age_band", "value"]]
    fits = [f"{key}={bounds}" for key, (_, bounds) in CALIBRATED.items()]
    done = api.calibrate(load_scenario(SCENARIOS / "leeds-baseline.yaml", horizon), observed, fits)
    fitted = done.parameters.set_index("parameter")["fitted"]
    for key, (value, _) in CALIBRATED.items():
        yield Check(f"{key} (true {value:g}) fitted from 5 years of admissions and deaths: relative error",
                    _relative(float(fitted[key]), value), 0.01)  # fmt: skip


# --- extreme conditions -------------------------------------------------------------------------------------------


def extreme_conditions() -> Iterator[Check]:
    """What must hold at the edges: no programme is the baseline; unlimited places mean no queues."""
    left = load_scenario(SCENARIOS / "leeds-left-shift.yaml")
    baseline = api.run(SCENARIOS / "leeds-baseline.yaml")
    unfunded = left.model_copy(update={"interventions": [i.model_copy(update={"budget": 0.0})
                                                         for i in left.interventions]})  # fmt: skip
    comparison = api.compare(baseline, api.run(unfunded))[0]
    yield Check("left shift with every budget at 0: net savings (GBP)",
                float(comparison.headline["net_savings_gbp_discounted"].iloc[0]), 1e-3)  # fmt: skip
    roomy = load_scenario(SCENARIOS / "leeds-baseline.yaml")
    roomy = roomy.model_copy(update={"capacity": {k: c.model_copy(update={"places": 1e9})
                                                  for k, c in roomy.capacity.items()}})  # fmt: skip
    queues = api.run(roomy).queues
    yield Check("Leeds baseline with unlimited places: largest queue (people)", float(queues["waiting"].max()), 1e-9)


SECTIONS: tuple[tuple[str, str, Callable[[], Iterator[Check]]], ...] = (
    ("Year 1 against published figures", f"Stock-flow engine; tolerance +-{YEAR_ONE_TOLERANCE_PCT:g}%.", year_one),
    ("Start-up", "Stock-flow engine, weekly step.", start_up),
    ("Conservation", "Stock-flow engine, the shipped scenarios at their own step.", conservation),
    ("Analytic solution", "Five states with constant rates and no capacity limits.", analytic),
    (
        "Step convergence",
        "Yearly measures at the default weekly step against a daily-step run (tolerance: the "
        "2% the model structure issue sets).",
        step_convergence,
    ),
    (
        "Stock-flow against DES",
        "No capacity limits: the DES mean is the fluid value within sampling error.",
        des_agreement,
    ),
    ("Queueing theory", "DES, 8 replications of 20 years after a year's warm-up.", queueing),
    ("Calibration", "Leeds-like baseline over 5 years, stock-flow engine.", calibration),
    ("Extreme conditions", "Leeds scenarios, stock-flow engine.", extreme_conditions),
)


def build() -> tuple[str, bool]:
    """The document and whether every check passed."""
    lines = ["# Validation", "",
             f"Generated by `python scripts/validation_report.py` (leftshift {version()}); do not edit by hand. "
             "Every figure is recomputed from the code, and tests/docs/test_validation_report.py fails when this "
             "page is out of date or a check fails. Figures are absolute values of the gap unless a sign matters.",
             ""]  # fmt: skip
    passed = True
    for title, about, checks in SECTIONS:
        intro = " ".join(f"{about} {checks.__doc__}".split())
        lines += [f"## {title}", "", intro, "", "| check | figure | tolerance | verdict |", "|---|---|---|---|"]
        for check in checks():
            lines.append(check.row())
            passed &= check.passed
        lines.append("")
    return "\n".join(lines), passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/validation.md instead of writing")
    args = parser.parse_args()
    text, passed = build()
    if args.check:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print("docs/validation.md is out of date: run python scripts/validation_report.py", file=sys.stderr)
            return 1
    else:
        DOC.write_text(text)
    print("every check passed" if passed else "some checks FAILED: see docs/validation.md")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
