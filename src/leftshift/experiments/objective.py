"""What `leftshift optimise` maximises, and the model that scores a batch of budget splits in one engine call.

Objectives (all over the whole horizon, against the baseline; money discounted at the scenario's rate):

- `net_savings`: the payer's net savings, avoided downstream cost minus extra programme spend, after any
  `risk_share:` agreements (`--payer all`: the whole system, every payer). Higher is better.
- `system_cost`: what the payer pays, programmes included: the baseline's discounted cost to it minus its net
  savings (so, after any agreement; `all`: every payer). Lower is better; its best split is net savings' best split.
- `person_years_at_home`: person-years lived at home. Higher is better (no payer).
- `emergency_admissions`: emergency admissions to hospital. Lower is better (no payer).

Under uncertainty every split is scored over the same draws of the uncertain values (common random numbers: the
same draw of everything but the budgets, in the scenario and the baseline alike): `mean` is the objective's mean
over the draws, `p10` its pessimistic 10th percentile (the value it does better than in 9 draws out of 10: for a
cost or admissions, the 90th percentile of the cost or the admissions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from leftshift.analysis.batch import DOWNSTREAM, INTERVENTION, BatchSummary, compare, summarise
from leftshift.errors import LeftshiftError
from leftshift.experiments.budgets import BudgetVariable, parts_matrix, under
from leftshift.experiments.design import Template, correlation_for, uncertainty_design
from leftshift.experiments.runs import check_pair, uncertain_parameters
from leftshift.rng import generator
from leftshift.scenario.model import PAYERS, Scenario

PAYER_CHOICES = ("all", "nhs", "council")
CRITERIA = ("mean", "p10")
MAX_MEMBERS = 1000  # scenarios per engine call
TIE_MONEY, TIE_ACTIVITY = 1e-4, 1e-7
"""Between splits that score the same, or as good as (a programme with no one left to serve gains nothing from more
money; a payer gains a few pounds from another payer's millions), the one that spends less is better: each split
pays, for its spend as a share of the budget, TIE_MONEY x the budget over the horizon (money objectives: the whole
budget must gain 0.01% of itself), or TIE_ACTIVITY x the baseline's figure (the others)."""


@dataclass(frozen=True)
class Objective:
    name: str
    label: str
    unit: str
    higher_is_better: bool
    money: bool  # has a payer

    def describe(self, payer: str) -> str:
        """'net savings to the NHS', 'emergency admissions' ..."""
        who = {"all": "the whole system", "nhs": "the NHS", "council": "the council"}[payer]
        return f"{self.label} to {who}" if self.money else self.label


OBJECTIVES = {o.name: o for o in (
    Objective("net_savings", "net savings (discounted)", "GBP", True, True),
    Objective("system_cost", "system cost (discounted)", "GBP", False, True),
    Objective("person_years_at_home", "person-years at home", "person-years", True, False),
    Objective("emergency_admissions", "emergency admissions", "people", False, False),
)}  # fmt: skip


def objective(name: str, payer: str | None) -> tuple[Objective, str]:
    """The objective and payer named on the command line (payer: 'all' unless given), or a clear error."""
    if name not in OBJECTIVES:
        raise LeftshiftError(f"unknown objective '{name}'; choose one of: {', '.join(OBJECTIVES)}")
    chosen = OBJECTIVES[name]
    if payer is not None and payer not in PAYER_CHOICES:
        raise LeftshiftError(f"unknown payer '{payer}'; choose one of: {', '.join(PAYER_CHOICES)}")
    if payer not in (None, "all") and not chosen.money:
        raise LeftshiftError(f"--payer applies to the money objectives (net_savings, system_cost), not {name}: "
                             "leave it out")  # fmt: skip
    return chosen, payer or "all"


@dataclass(frozen=True)
class Outcomes:
    """Figures of m splits x D draws, each (m, D): net savings by payer after and before any risk share, avoided
    downstream cost by payer before it, extra programme spend, and the baseline's cost by payer (D,)."""

    net: dict[str, np.ndarray]  # payer or 'all' -> after risk share
    net_before: dict[str, np.ndarray]
    avoided_before: dict[str, np.ndarray]
    spend: np.ndarray
    person_years_at_home: np.ndarray
    emergency_admissions: np.ndarray
    baseline_cost: dict[str, np.ndarray]  # payer or 'all' -> (D,)

    def score(self, chosen: Objective, payer: str) -> np.ndarray:
        """(m, D) the objective, as it is reported (a cost as a cost)."""
        if chosen.name == "net_savings":
            return self.net[payer]
        if chosen.name == "system_cost":
            return self.baseline_cost[payer][None, :] - self.net[payer]
        return getattr(self, chosen.name)

    def pick(self, rows: np.ndarray) -> Outcomes:
        take = {k: v[rows] for k, v in self.net.items()}, {k: v[rows] for k, v in self.net_before.items()}
        avoided = {k: v[rows] for k, v in self.avoided_before.items()}
        return Outcomes(*take, avoided, self.spend[rows], self.person_years_at_home[rows],
                        self.emergency_admissions[rows], self.baseline_cost)  # fmt: skip


def aggregate(values: np.ndarray, criterion: str, higher_is_better: bool) -> np.ndarray:
    """(m, D) -> (m,): the mean over draws, or the pessimistic 10th percentile (`p10`)."""
    if criterion == "mean" or values.shape[1] == 1:
        return values.mean(axis=1)
    return np.percentile(values, 10 if higher_is_better else 90, axis=1)


@dataclass
class Model:
    """The scenario with its budgets replaced, scored against the baseline over a fixed set of draws."""

    template: Template  # sets the budgets' key paths, then the draws' key paths
    matrix: np.ndarray  # (variables, budget paths): path values = budgets @ matrix
    draws: np.ndarray  # (D, draw paths)
    baseline: BatchSummary  # D members
    runs: int = field(default=0)  # scenarios run

    @property
    def n_draws(self) -> int:
        return len(self.draws)

    def baseline_value(self, chosen: Objective, payer: str) -> np.ndarray:
        """(D,) the objective of the baseline itself under each draw (net savings: 0, against itself)."""
        if chosen.name == "net_savings":
            return np.zeros(self.n_draws)
        if chosen.name == "system_cost":
            return _baseline_cost(self.baseline)[payer]
        return np.asarray(self.baseline.metrics[chosen.name], dtype=float)

    def outcomes(self, x: np.ndarray) -> Outcomes:
        """Every figure of m splits (rows of x, GBP a year) under every draw: point-major members, chunked."""
        x = np.clip(np.atleast_2d(np.asarray(x, dtype=float)), 0.0, None)
        m, d = len(x), self.n_draws
        values = np.hstack([np.repeat(x @ self.matrix, d, axis=0), np.tile(self.draws, (m, 1))])
        parts = []
        for start in range(0, m * d, MAX_MEMBERS):
            parts.append(self._figures(values[start : start + MAX_MEMBERS], start % d))
        merged = {k: np.concatenate([p[k] for p in parts]).reshape(m, d) for k in parts[0]}
        self.runs += m * d
        net = {p: merged[f"net_{p}"] for p in (*PAYERS, "all")}
        before = {p: merged[f"before_{p}"] for p in (*PAYERS, "all")}
        avoided = {p: merged[f"avoided_{p}"] for p in PAYERS}
        cost = _baseline_cost(self.baseline)
        return Outcomes(net, before, avoided, merged["spend"], merged["person_years_at_home"],
                        merged["emergency_admissions"], cost)  # fmt: skip

    def _figures(self, values: np.ndarray, first_draw: int) -> dict[str, np.ndarray]:
        from leftshift.engines.finite import NonFiniteError
        from leftshift.engines.stockflow.engine import simulate

        try:
            summary = summarise(simulate(self.template.scenarios(values), record="yearly"))
        except NonFiniteError as exc:
            raise LeftshiftError("a split of the budget gave infinite or undefined results; narrow the bounds "
                                 "(--max)", hint=exc.render()) from None  # fmt: skip
        base = _tiled(self.baseline, first_draw, len(values))
        head = compare(base, summary)
        out = {f"net_{p}": head[f"net_savings_gbp_discounted_{p}"] for p in PAYERS}
        out["net_all"] = head["net_savings_gbp_discounted"]
        delta = summary.annual_discounted - base.annual_discounted  # (P, payer, kind, N)
        for i, p in enumerate(PAYERS):
            out[f"avoided_{p}"] = -delta[:, i, DOWNSTREAM].sum(axis=0)
            out[f"before_{p}"] = out[f"avoided_{p}"] - delta[:, i, INTERVENTION].sum(axis=0)
        out["before_all"] = out["net_all"]
        out["spend"] = head["intervention_spend_gbp_discounted"]
        out["person_years_at_home"] = summary.metrics["person_years_at_home"]
        out["emergency_admissions"] = summary.metrics["emergency_admissions"]
        return out


def _tiled(baseline: BatchSummary, first: int, n: int) -> BatchSummary:
    """The baseline member of each of n members that start at draw `first` and cycle through its D draws."""
    d = baseline.n_members
    pick = (first + np.arange(n)) % d
    return BatchSummary(
        {k: v[pick] for k, v in baseline.metrics.items()}, baseline.years, baseline.annual[..., pick],
        baseline.annual_discounted[..., pick], {}, None if baseline.unused_fixed is None
        else baseline.unused_fixed[..., pick],
    )  # fmt: skip


def _baseline_cost(baseline: BatchSummary) -> dict[str, np.ndarray]:
    by_payer = baseline.annual_discounted.sum(axis=(0, 2))  # (payer, D)
    return {**{p: by_payer[i] for i, p in enumerate(PAYERS)}, "all": by_payer.sum(axis=0)}


def drawn_parameters(scenario: Scenario, baseline: Scenario, variables: Sequence[BudgetVariable]) -> list[str]:
    """The uncertain values drawn under uncertainty (every one but the budgets'), or a clear error if none."""
    keys = {v.key for v in variables}
    names = [n for n in uncertain_parameters(scenario, baseline) if not under(n, keys)]
    if not names:
        raise LeftshiftError(f"--under-uncertainty: neither '{scenario.name}' nor the baseline has uncertain values "
                             "(other than the budgets); write a value as a distribution, e.g. {dist: triangular, "
                             "low: 0.85, mode: 0.95, high: 1.0} (docs/experiments.md), or leave it out")  # fmt: skip
    return names


def build_model(
    scenario: Scenario, baseline: Scenario, variables: Sequence[BudgetVariable], samples: int | None = None,
    seed: int | None = None,
) -> Model:  # fmt: skip
    """The model of the split: central values, or `samples` Latin hypercube draws of every uncertain value (the
    budgets excepted), shared by the scenario and the baseline, with any `correlations:` on their ranks."""
    from leftshift.engines.stockflow.engine import simulate
    from leftshift.experiments.design import Design

    check_pair(scenario, baseline)
    paths, matrix = parts_matrix(variables)
    names = drawn_parameters(scenario, baseline, variables) if samples else []
    if names:
        rng = generator(scenario.seed if seed is None else seed, 0, "optimise")
        design = uncertainty_design(names, int(samples or 1), "lhs", rng, correlation_for(names, scenario, baseline))
    else:
        design = Design((), np.zeros((1, 0)), unit=True)
    drawn = Template.of(scenario, design, only_present=True, fallback=dict(baseline.uncertainty))
    draws = drawn.values(design.values, unit=True)
    base = scenario.model_dump(by_alias=True)
    base["uncertainty"], base["correlations"] = {}, []
    template = Template(base, (*paths, *drawn.paths), tuple(range(len(paths) + len(drawn.paths))),
                        label="scenario", origin="--budget")  # fmt: skip
    other = Template.of(baseline, design, label="baseline", only_present=True, fallback=dict(scenario.uncertainty))
    base_summary = summarise(simulate(other.scenarios(other.values(design.values, unit=True)), record="yearly"))
    return Model(template, matrix, draws, base_summary, runs=len(draws))


__all__ = ["CRITERIA", "OBJECTIVES", "PAYER_CHOICES", "Model", "Objective", "Outcomes", "aggregate", "build_model",
           "drawn_parameters", "objective"]  # fmt: skip
