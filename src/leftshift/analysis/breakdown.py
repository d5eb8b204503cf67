"""Why a scenario saves or costs what it does: avoided cost by service and by programme, cash-releasing savings
apart from capacity freed, spend per emergency admission avoided, and the cost of care in extra years alive.

Computed once here, from the Results (and the Comparison) of a scenario and its baseline; the report, the
terminal, comparison.csv and breakdown.csv only show it. Every figure is discounted and, with replications, the
mean over them (as comparison.csv). The services add up to the comparison's avoided cost, and their
cash-releasing and capacity-freed parts to its split, to rounding.

By programme (docs/reports.md): a programme's avoided cost is the scenario's avoided cost minus that of the
scenario run again without the programme (leave one out, same seed and everything else); its spend is the extra
spend on its own line. Programmes interact (one's participants may be another's, a place freed by one is filled
by another's referrals), so the increments need not add up: what is left, with any difference between the
scenario and the baseline other than programmes, is the row `interactions`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leftshift.analysis.economics import Comparison
from leftshift.analysis.measures import SERVICE_GROUPS, comparison_measure, unit
from leftshift.analysis.metrics import INTERVENTION_PREFIX, is_intervention
from leftshift.engines.pricing import fixed_place_costs, fixed_share_of
from leftshift.result import REPLICATION, Result
from leftshift.scenario.model import DEAD, Scenario

INTERACTIONS = "interactions"
"""The `programmes` row holding what leave-one-out increments leave over (interactions, other differences)."""
INTERACTIONS_LABEL = "Interactions and other differences"
FIGURES = (
    "avoided_downstream_cost_gbp_discounted", "extra_intervention_spend_gbp_discounted", "net_savings_gbp_discounted",
    "emergency_admissions_avoided", "spend_per_emergency_admission_avoided_gbp_discounted",
    "net_cost_per_emergency_admission_avoided_gbp_discounted", "extra_person_years_alive",
    "extra_survival_cost_gbp_discounted", "net_savings_per_emergency_admission_avoided_gbp_discounted",
)  # fmt: skip
"""The single figures of a breakdown (`Breakdown.figures`), each a measure of `analysis.measures` (new ones go
last: comparison.csv's rows keep their order)."""
NET_COST, NET_SAVING = FIGURES[5], FIGURES[8]
"""The net cost and the net saving per emergency admission avoided: the same figure with opposite signs."""
SERVICE_COLUMNS = ["avoided_gbp_discounted", "cash_releasing_savings_gbp_discounted", "capacity_freed_gbp_discounted"]
PROGRAMME_COLUMNS = ["extra_spend_gbp_discounted", "avoided_gbp_discounted", "net_savings_gbp_discounted"]


@dataclass(frozen=True)
class Breakdown:
    """`services`: group, label and `SERVICE_COLUMNS` (groups with any cost, in `SERVICE_GROUPS` order);
    `programmes`: programme, label and `PROGRAMME_COLUMNS`, one row per programme of the scenario then
    `interactions` (avoided cost NaN where the programme was not run without); `figures`: `FIGURES`."""

    scenario: str
    baseline: str
    services: pd.DataFrame
    programmes: pd.DataFrame
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def attributed(self) -> bool:
        """Whether every programme's avoided cost was measured (by a run without it)."""
        mine = self.programmes[self.programmes["programme"] != INTERACTIONS]
        return bool(len(mine)) and bool(mine["avoided_gbp_discounted"].notna().all())


def service_group(service: str, scenario: Scenario) -> str | None:
    """The `SERVICE_GROUPS` key of a cost line (None for programme spend): a queue by where people wait, a
    move by where it goes (into hospital: an emergency admission), a premium above capacity by its state."""
    if service.startswith(INTERVENTION_PREFIX):
        return None
    if service.startswith("waiting:"):
        origin = service.removeprefix("waiting:").split("->")[0]
        if origin == scenario.hospital_state:
            return "delayed_discharges"
        return "waiting_at_home" if origin in scenario.at_home else "other_services"
    if service.startswith("overflow:"):
        return _state_group(service.removeprefix("overflow:"), scenario)
    if "->" in service:
        target = service.split("->")[-1]
        return "emergency_admissions" if target == scenario.hospital_state else _state_group(target, scenario)
    return _state_group(service, scenario)


def _state_group(state: str, scenario: Scenario) -> str:
    roles = {scenario.hospital_state: "hospital_beds", scenario.care_home_state: "care_homes",
             scenario.home_care_state: "home_care"}  # fmt: skip
    return roles.get(state, "other_services")


def _by_line(result: Result) -> pd.Series:
    """Discounted cost per (replication, service line)."""
    costs = result.costs.astype({"service": object})
    return costs.groupby([REPLICATION, "service"])["cost_gbp_discounted"].sum()


def _paired(baseline: pd.Series, scenario: pd.Series) -> pd.DataFrame:
    """Baseline and scenario side by side by (replication, key), missing as 0 (as `economics._net_by_year`)."""
    return pd.concat({"baseline": baseline, "scenario": scenario}, axis=1).fillna(0.0)


def _mean(frame: pd.DataFrame, key: str, columns: list[str], reps: int) -> pd.DataFrame:
    return frame.groupby(key, sort=False)[columns].sum() / max(reps, 1)


def _place_costs_by_state(scenario: Scenario) -> dict[str, float]:
    """Discounted fixed cost of the places of each capacity-limited state with a fixed share (what closing its
    places saves): `pricing.fixed_place_costs` with the fixed share kept for that state alone."""
    out = {}
    for state, share in scenario.costs.fixed_share.items():
        alone = scenario.costs.model_copy(update={"fixed_share": {state: share}})
        _, _, discounted = fixed_place_costs([scenario.model_copy(update={"costs": alone})])
        out[state] = float(discounted.sum())
    return out


def services(baseline: Result, scenario: Result) -> pd.DataFrame:
    """Avoided cost by service group (mean over replications), split into cash-releasing savings and capacity
    freed as `economics` splits the total: the fixed part of the avoided cost of a line (`costs.fixed_share`) is
    capacity freed unless places of its state closed (the fixed cost of places closed is cash)."""
    s = scenario.scenario
    both = _paired(_by_line(baseline), _by_line(scenario)).reset_index()
    both = both[~is_intervention(both["service"])]
    both["group"] = [service_group(str(v), s) for v in both["service"]]
    both["avoided_gbp_discounted"] = both["baseline"] - both["scenario"]
    share = np.array([fixed_share_of(s, str(v)) for v in both["service"]], dtype=float)
    both["capacity_freed_gbp_discounted"] = both["avoided_gbp_discounted"] * share
    reps = both[REPLICATION].nunique()
    table = _mean(both, "group", ["avoided_gbp_discounted", "capacity_freed_gbp_discounted"], reps)
    table = table.reindex(list(SERVICE_GROUPS)).fillna(0.0)
    closed = _places_closed(baseline.scenario, s)
    for state, value in closed.items():
        table.loc[_state_group(state, s), "capacity_freed_gbp_discounted"] -= value
    table["cash_releasing_savings_gbp_discounted"] = (
        table["avoided_gbp_discounted"] - table["capacity_freed_gbp_discounted"]
    )
    present = set(both["group"]) | {_state_group(state, s) for state in closed}
    table = table[[g in present for g in table.index]] + 0.0  # (+ 0.0: no -0.0 in the files)
    table.insert(0, "label", [SERVICE_GROUPS[g] for g in table.index])
    return table.rename_axis("group").reset_index()[["group", "label", *SERVICE_COLUMNS]]


def _places_closed(baseline: Scenario, scenario: Scenario) -> dict[str, float]:
    """Per state: the fall in the discounted fixed cost of its places (scenario against baseline)."""
    base, scen = _place_costs_by_state(baseline), _place_costs_by_state(scenario)
    return {state: base.get(state, 0.0) - scen.get(state, 0.0) for state in {*base, *scen}}


def _downstream(result: Result) -> float:
    """Discounted cost of care and hospital (everything but programmes), mean over replications."""
    costs = result.costs
    total = float(costs.loc[~is_intervention(costs["service"]), "cost_gbp_discounted"].sum())
    return total / max(len(result.replications), 1)


def _spend(result: Result, name: str) -> float:
    costs = result.costs
    mine = costs["service"].astype(str) == f"{INTERVENTION_PREFIX}{name}"
    return float(costs.loc[mine, "cost_gbp_discounted"].sum()) / max(len(result.replications), 1)


def programmes(
    comparison: Comparison, baseline: Result, scenario: Result, without: Mapping[str, Result] | None = None
) -> pd.DataFrame:
    """Extra spend, avoided cost (leave one out: `without[name]` is the scenario run without that programme) and
    net savings of each programme of the scenario, then the `interactions` row that makes them add up to the
    comparison's totals (mean over replications)."""
    without = without or {}
    spend_total = float(comparison.headline["intervention_spend_gbp_discounted"].mean())
    avoided_total = float(comparison.headline["avoided_downstream_cost_gbp_discounted"].mean())
    rows = []
    for iv in scenario.scenario.interventions:
        extra = _spend(scenario, iv.name) - _spend(baseline, iv.name)
        other = without.get(iv.name)
        avoided = _downstream(other) - _downstream(scenario) if other is not None else math.nan
        rows.append({"programme": iv.name, "label": iv.name, "extra_spend_gbp_discounted": extra,
                     "avoided_gbp_discounted": avoided})  # fmt: skip
    spend_left = spend_total - sum(r["extra_spend_gbp_discounted"] for r in rows)
    spend_left = spend_left if abs(spend_left) > 1e-9 * max(abs(spend_total), 1.0) else 0.0  # rounding, not spend
    known = all(not math.isnan(r["avoided_gbp_discounted"]) for r in rows)
    avoided_left = avoided_total - sum(r["avoided_gbp_discounted"] for r in rows) if known else math.nan
    rows.append({"programme": INTERACTIONS, "label": INTERACTIONS_LABEL, "extra_spend_gbp_discounted": spend_left,
                 "avoided_gbp_discounted": avoided_left})  # fmt: skip
    table = pd.DataFrame(rows, columns=["programme", "label", *PROGRAMME_COLUMNS[:2]])
    table["net_savings_gbp_discounted"] = table["avoided_gbp_discounted"] - table["extra_spend_gbp_discounted"]
    return table


def _alive_years(result: Result) -> pd.Series:
    """Person-years alive per (year, age band), mean over replications."""
    ts = result.timeseries
    alive = ts[ts["state"].astype(str) != DEAD]
    return alive.groupby(["year", "age_band"], observed=True)["person_years"].sum() / max(len(result.replications), 1)


def survival(baseline: Result, scenario: Result) -> tuple[float, float]:
    """(extra person-years alive, estimated discounted cost of care in them): the extra years alive in each
    calendar year and age band times the baseline's discounted cost of time in care and hospital per person-year
    alive in that year and band (each stock's cost per person-year in it, weighted by where the band's people
    were). One-off costs of moves (e.g. A&E) in the extra years are left out."""
    ts = baseline.timeseries.astype({"state": object})
    stock = ts.groupby(["year", "state"])["person_years"].sum()
    lines = baseline.costs.astype({"service": object}).groupby(["year", "service"])["cost_gbp_discounted"].sum()
    per_year = (lines.rename_axis(["year", "state"]).reindex(stock.index).fillna(0.0) / stock).replace(
        [np.inf, -np.inf], np.nan
    )  # fmt: skip
    by_band = ts.groupby(["year", "state", "age_band"], observed=True)["person_years"].sum().rename("py").reset_index()
    by_band["cost"] = by_band["py"] * per_year.reindex(pd.MultiIndex.from_frame(by_band[["year", "state"]])).to_numpy()
    cost = by_band.groupby(["year", "age_band"])["cost"].sum() / max(len(baseline.replications), 1)
    base_alive, scen_alive = _alive_years(baseline), _alive_years(scenario)
    extra = _paired(base_alive, scen_alive)
    extra = extra["scenario"] - extra["baseline"]
    per_person_year = (cost.reindex(extra.index).fillna(0.0) / base_alive.reindex(extra.index)).fillna(0.0)
    return float(extra.sum()), float((extra * per_person_year).sum())


def _per_admission(value: float, admissions: float) -> float:
    return value / admissions if admissions > 0.5 else math.nan


def breakdown(
    comparison: Comparison, baseline: Result, scenario: Result, without: Mapping[str, Result] | None = None
) -> Breakdown:
    """The whole breakdown of one comparison (`without`: see `programmes`)."""
    head = comparison.headline
    mean = {c: float(head[c].mean()) for c in head.columns}
    admissions = mean["emergency_admissions_avoided"]
    extra_years, survival_cost = survival(baseline, scenario)
    figures = {
        "avoided_downstream_cost_gbp_discounted": mean["avoided_downstream_cost_gbp_discounted"],
        "extra_intervention_spend_gbp_discounted": mean["intervention_spend_gbp_discounted"],
        "net_savings_gbp_discounted": mean["net_savings_gbp_discounted"],
        "emergency_admissions_avoided": admissions,
        "spend_per_emergency_admission_avoided_gbp_discounted": _per_admission(
            mean["intervention_spend_gbp_discounted"], admissions
        ),
        "net_cost_per_emergency_admission_avoided_gbp_discounted": _per_admission(
            -mean["net_savings_gbp_discounted"], admissions
        ),
        "extra_person_years_alive": extra_years,
        "extra_survival_cost_gbp_discounted": survival_cost,
        NET_SAVING: _per_admission(mean["net_savings_gbp_discounted"], admissions),
    }
    return Breakdown(
        comparison.scenario, comparison.baseline, services(baseline, scenario),
        programmes(comparison, baseline, scenario, without), figures,
    )  # fmt: skip


COMPARISON_FIGURES = FIGURES[4:]
"""The figures comparison.csv adds after the headline (the others are there already)."""


def table(result: Breakdown) -> pd.DataFrame:
    """breakdown.csv's rows for one comparison: scenario, baseline, part (service, programme, figure), item,
    label, measure, value, unit (GBP, or a figure's unit)."""
    parts = []
    for part, frame, key, columns in (("service", result.services, "group", SERVICE_COLUMNS),
                                      ("programme", result.programmes, "programme", PROGRAMME_COLUMNS)):  # fmt: skip
        long = frame.melt(id_vars=[key, "label"], value_vars=columns, var_name="measure")
        parts.append(long.rename(columns={key: "item"}).assign(part=part, unit="GBP"))
    figures = pd.DataFrame({"item": list(result.figures), "measure": list(result.figures),
                            "value": list(result.figures.values())})  # fmt: skip
    figures["label"] = [comparison_measure(name).label for name in figures["item"]]
    figures["unit"] = [unit(name) for name in figures["item"]]
    parts.append(figures.assign(part="figure"))
    rows = pd.concat(parts, ignore_index=True)
    rows.insert(0, "scenario", result.scenario)
    rows.insert(1, "baseline", result.baseline)
    return rows[["scenario", "baseline", "part", "item", "label", "measure", "value", "unit"]]


def from_table(rows: pd.DataFrame) -> list[Breakdown]:
    """The breakdowns of a breakdown.csv (`table`'s rows), in the order of their scenarios."""
    out = []
    for (scenario, baseline), mine in rows.groupby(["scenario", "baseline"], sort=False):
        frames = []
        for part, key, columns in (
            ("service", "group", SERVICE_COLUMNS),
            ("programme", "programme", PROGRAMME_COLUMNS),
        ):
            long = mine[mine["part"] == part]
            order = list(dict.fromkeys(long["item"]))
            wide = long.pivot(index="item", columns="measure", values="value").reindex(order, columns=columns)
            wide.insert(0, "label", long.drop_duplicates("item").set_index("item")["label"].reindex(order))
            frames.append(wide.rename_axis(index=key, columns=None).reset_index())
        figures = mine[mine["part"] == "figure"].set_index("item")["value"].astype(float).to_dict()
        out.append(Breakdown(str(scenario), str(baseline), frames[0], frames[1], figures))
    return out


def shown_figures(breakdowns: Sequence[Breakdown]) -> list[str]:
    """`COMPARISON_FIGURES` as a reader is shown them side by side: the net saving per emergency admission
    avoided where every scenario saves money, the net cost where none does (both when they differ), so no
    figure is a negative cost. Files keep both."""
    saves = [_net_saving(b) >= 0 for b in breakdowns if math.isfinite(_net_saving(b))]
    drop = {NET_COST} if saves and all(saves) else {NET_SAVING} if not any(saves) else set()
    order = [name for name in COMPARISON_FIGURES if name != NET_SAVING]
    order.insert(order.index(NET_COST), NET_SAVING)  # read beside the spend per admission
    return [name for name in order if name not in drop]


def figure(result: Breakdown, name: str) -> float:
    """A figure of `result` (NaN when missing); the net saving per admission from the net cost in a breakdown.csv
    written before it was added."""
    return _net_saving(result) if name == NET_SAVING else float(result.figures.get(name, math.nan))


def _net_saving(result: Breakdown) -> float:
    found = result.figures.get(NET_SAVING)
    return float(found) if found is not None else -float(result.figures.get(NET_COST, math.nan))


def comparison_rows(result: Breakdown) -> pd.DataFrame:
    """Rows comparison.csv adds for a comparison (metric, value, unit): avoided cost by service group (every
    group, 0 when it has no cost) and `COMPARISON_FIGURES`."""
    by_group = result.services.set_index("group")["avoided_gbp_discounted"]
    rows = [(f"avoided_downstream_cost_gbp_discounted_{g}", float(by_group.get(g, 0.0)), "GBP") for g in SERVICE_GROUPS]
    rows += [(name, figure(result, name), unit(name)) for name in COMPARISON_FIGURES]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def with_breakdown(rows: pd.DataFrame, result: Breakdown) -> pd.DataFrame:
    """comparison.csv's rows of one comparison (`economics.comparison_rows`) with `comparison_rows(result)` after
    them, in the same columns (no baseline value; the value is the difference; no interval)."""
    added = comparison_rows(result).assign(scenario=result.scenario, baseline=result.baseline)
    added["baseline_value"] = float("nan")
    added["difference"] = added["value"]
    return pd.concat([rows, added.reindex(columns=rows.columns)], ignore_index=True)


__all__ = ["COMPARISON_FIGURES", "FIGURES", "INTERACTIONS", "NET_COST", "NET_SAVING", "Breakdown", "breakdown",
           "comparison_rows", "figure", "from_table", "programmes", "service_group", "services", "shown_figures",
           "survival", "table", "with_breakdown"]  # fmt: skip
