"""What an experiment runs: which parameters change, the points (or draws) to run, and how one
row of values becomes a validated Scenario.

A parameter is named by its key path in the scenario file (`capacity.residential.places`,
`interventions[0].budget`, `transitions[0].rate.85+`, `capacity["care.home"].places` for a key with a
dot: see `leftshift.scenario.keypaths`). A point's scenario is the base scenario's
full mapping with those paths set, validated as usual, so that no experiment can run a scenario a
user could not have written.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from leftshift.errors import LeftshiftError, Problem, ScenarioError
from leftshift.scenario.distributions import U_EPS, correlation_matrix, impose_rank_correlation, quantile
from leftshift.scenario.keypaths import Loc, format_path, parse_path
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import NUMBERS_ONLY, Scenario
from leftshift.scenario.numbers_only import PartValidator
from leftshift.scenario.vary import Dimension, child, dimension, resolves

SAMPLERS = ("lhs", "sobol", "random")


# Dimensions of a sweep ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepPlan:
    """A sweep from the command line or a scenario's `sweep:` block."""

    dimensions: tuple[Dimension, ...]
    sample: str | None = None
    points: int | None = None
    baseline: str | None = None


def plan_from_block(block: Any) -> SweepPlan:
    """Read a scenario's `sweep:` block: {vary: {path: spec}, sample, points, baseline}."""
    from leftshift.scenario.sweep_block import RangeSpec, read_block

    model, problems = read_block(block)
    if model is None:
        raise ScenarioError([Problem(m, format_path(loc)) for loc, m in problems],
                            hint="sweep: expects `vary:` (key path -> start:stop:count or a list)")  # fmt: skip
    dims = tuple(dimension(path, spec.model_dump() if isinstance(spec, RangeSpec) else spec)
                 for path, spec in model.vary.items())  # fmt: skip
    return SweepPlan(dims, model.sample, model.points, model.baseline)


# Designs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """The points of an experiment: one row per point, one column per parameter.

    `unit=True`: values are cumulative probabilities, turned into values by each scenario's own
    distribution of that parameter (NaN = its central value); otherwise they are the values.
    """

    names: tuple[str, ...]
    values: np.ndarray
    unit: bool = False

    @property
    def n_points(self) -> int:
        return len(self.values)


def grid_design(dims: Sequence[Dimension]) -> Design:
    """Every combination of every dimension's values (the first dimension varies slowest)."""
    axes = [d.grid_values() for d in dims]
    mesh = np.meshgrid(*axes, indexing="ij")
    return Design(tuple(d.path for d in dims), np.column_stack([m.ravel() for m in mesh]))


def unit_sample(method: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n points in [0, 1)^d: Latin hypercube, scrambled Sobol, or plain random."""
    from scipy.stats import qmc

    if method == "lhs":
        return _engine(qmc.LatinHypercube, d, rng).random(n)
    if method == "sobol":
        with warnings.catch_warnings():  # balance is best at powers of 2, but any n is valid
            warnings.simplefilter("ignore", UserWarning)
            return _engine(qmc.Sobol, d, rng).random(n)
    if method == "random":
        return rng.random((n, d))
    raise LeftshiftError(f"unknown sampling method '{method}'; choose one of: {', '.join(SAMPLERS)}")


def _engine(cls: Any, d: int, rng: np.random.Generator) -> Any:
    """A scipy.stats.qmc engine drawing from `rng` (`rng=` since scipy 1.15, `seed=` before)."""
    try:
        return cls(d, rng=rng)
    except TypeError:
        return cls(d, seed=rng)


def sampled_design(dims: Sequence[Dimension], method: str, n: int, rng: np.random.Generator) -> Design:
    u = unit_sample(method, n, len(dims), rng)
    return Design(tuple(d.path for d in dims), np.column_stack([d.from_unit(u[:, j]) for j, d in enumerate(dims)]))


def uncertainty_design(
    names: Sequence[str], n: int, method: str, rng: np.random.Generator, correlation: np.ndarray | None = None
) -> Design:
    """n draws of the uncertain parameters, as probabilities; correlations imposed on the ranks."""
    u = unit_sample(method, n, len(names), rng)
    if correlation is not None:
        u = impose_rank_correlation(u, correlation, rng)
    return Design(tuple(names), u, unit=True)


# From a row of values to a Scenario ----------------------------------------------------------------


def set_path(data: dict[str, Any], path: str, value: float) -> None:
    """Set one value in place. Mappings (bands, capacity by state) may gain a key; lists never grow."""
    loc = parse_path(path)
    node: Any = data
    for i, part in enumerate(loc[:-1]):
        found, nxt = child(node, part)
        if not found:
            if isinstance(part, int) or not isinstance(node, dict):
                raise _path_error(path, loc[: i + 1], node)
            nxt = node[part] = {}
        node = nxt
    last = loc[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or not 0 <= last < len(node):
            raise _path_error(path, loc, node)
        node[last] = value
        return
    if not isinstance(node, dict):
        raise _path_error(path, loc, node)
    for key in node:
        if str(key) == last:
            node[key] = value
            return
    node[last] = value


def _path_error(path: str, loc: Loc, node: Any) -> LeftshiftError:
    where = format_path(loc[:-1]) or "the top level"
    if isinstance(loc[-1], int):
        size = len(node) if isinstance(node, list) else 0
        return LeftshiftError(f"{path}: there is no item {loc[-1]} in {where} (it has {size})")
    kind = "a list" if isinstance(node, list) else "a single value" if not isinstance(node, dict) else "a mapping"
    return LeftshiftError(f"{path}: {where} is {kind}, so it has no '{loc[-1]}'")


@dataclass(frozen=True)
class Template:
    """A scenario with some of its values to be replaced, point by point.

    `columns[j]` is the design column that sets `paths[j]`; `dists[j]` turns a probability into a
    value (uncertainty designs only).
    """

    base: dict[str, Any]
    paths: tuple[str, ...]
    columns: tuple[int, ...]
    dists: tuple[Any, ...] = ()
    label: str = "scenario"
    origin: str = field(default="--vary", compare=False)

    @classmethod
    def of(cls, scenario: Scenario, design: Design, label: str = "scenario", only_present: bool = False,
           origin: str = "--vary", fallback: dict[str, Any] | None = None) -> Template:  # fmt: skip
        """The template of `scenario` for `design`; with `only_present`, paths it lacks are left out.

        `fallback`: distributions for parameters this scenario has as plain numbers (a baseline
        that does not say how uncertain a shared parameter is draws it as the scenario does).
        """
        known = {**(fallback or {}), **scenario.uncertainty}
        base = scenario.model_dump(by_alias=True)
        base["uncertainty"], base["correlations"] = {}, []  # a point is one realisation
        paths, columns, dists = [], [], []
        for j, name in enumerate(design.names):
            if only_present and not _present(base, name):
                continue
            if design.unit and name not in known:
                continue
            paths.append(name)
            columns.append(j)
            dists.append(known.get(name))
        return cls(base, tuple(paths), tuple(columns), tuple(dists), label, origin)

    def values(self, rows: np.ndarray, unit: bool) -> np.ndarray:
        """The values this scenario takes at each row of a design (n x len(paths))."""
        out = np.empty((len(rows), len(self.paths)))
        for j, (col, dist) in enumerate(zip(self.columns, self.dists, strict=True)):
            u = rows[:, col]
            if unit:
                central = np.isnan(u)
                out[:, j] = np.where(central, dist.central(), _quantiles(dist, np.where(central, 0.5, u)))
            else:
                out[:, j] = u
        return out

    def scenarios(self, values: np.ndarray) -> list[Scenario]:
        """One validated Scenario per row of values. Rows differ in numbers only, so names and references are
        checked on the first row alone (a path may still add a key: `capacity.typo.places`), and later rows
        validate again only the parts of the first row's scenario that hold a varied number
        (`scenario.numbers_only`)."""
        data = copy.deepcopy(self.base)
        out: list[Scenario] = []
        fast: tuple[PartValidator, list[tuple[Any, Any]]] | None = None
        seen: dict[bytes, Scenario] = {}  # rows met before (a Sobol design repeats many): the same scenario
        for i, row in enumerate(values):
            if fast is not None:
                numbers = np.asarray(row, dtype=float)
                if (again := seen.get(numbers.tobytes())) is not None:
                    out.append(again)
                    continue
                for (node, key), value in zip(fast[1], row, strict=True):
                    node[key] = float(value)
                out.append(fast[0].validate(data, numbers) or self._explain(data, row))
                seen[numbers.tobytes()] = out[-1]
                continue
            for path, value in zip(self.paths, row, strict=True):
                set_path(data, path, float(value))
            try:
                out.append(Scenario.model_validate(data, context={NUMBERS_ONLY: i > 0}))
            except ValidationError:
                out.append(self._explain(data, row))
                continue
            if i == 0:
                fast = _fast_points(out[0], data, self.paths)
        return out

    def _explain(self, data: dict[str, Any], row: np.ndarray) -> Scenario:
        """Re-validate through the loader for an error that names the key path."""
        try:
            return scenario_from_dict(copy.deepcopy(data))
        except ScenarioError as exc:
            setting = ", ".join(f"{p}={v:g}" for p, v in zip(self.paths, row, strict=True))
            raise ScenarioError(
                [Problem(f"{self.origin} {setting} makes the {self.label} invalid: {p.message}", p.path)
                 for p in exc.problems[:3]]
            ) from None  # fmt: skip

    def check(self, design: Design) -> None:
        """Validate the extremes of every column before any work starts (one at a time, others central)."""
        if not self.paths:
            return
        for path in self.paths:
            try:
                set_path(copy.deepcopy(self.base), path, 0.0)
            except LeftshiftError as exc:
                raise LeftshiftError(f"{self.origin} {exc}") from None
        rows = []
        centre = np.nanmedian(design.values, axis=0) if not design.unit else np.full(design.values.shape[1], np.nan)
        for col in self.columns:
            column = design.values[:, col]
            extremes = (U_EPS, 1 - U_EPS) if design.unit else (np.nanmin(column), np.nanmax(column))
            for value in extremes:
                row = centre.copy()
                row[col] = value
                rows.append(row)
        self.scenarios(self.values(np.array(rows), design.unit))


def _fast_points(
    first: Scenario, data: dict[str, Any], paths: Sequence[str]
) -> tuple[PartValidator, list[tuple[Any, Any]]] | None:
    """After the first row: a validator of the parts the paths change, and where each path's number is held
    (container, key), so that later rows set it directly. None (validate whole rows, setting every path) when
    a path is a prefix of another (setting one would replace the container of the other)."""
    locs = [parse_path(p) for p in paths]
    if any(a[: len(b)] == b for i, a in enumerate(locs) for j, b in enumerate(locs) if i != j):
        return None
    validator = PartValidator.of(first, data, locs)
    if validator is None:
        return None
    leaves = []
    for loc in locs:
        node: Any = data
        for part in loc[:-1]:
            node = child(node, part)[1]
        last = loc[-1]
        leaves.append((node, last if isinstance(last, int) else next(k for k in node if str(k) == last)))
    return validator, leaves


def _quantiles(dist: Any, u: np.ndarray) -> np.ndarray:
    """`quantile(dist, u)`, worked out once per distinct probability when they repeat (in a Sobol design, each
    parameter takes one of two values in most rows): a quantile is a function of its probability alone."""
    distinct, where = np.unique(u, return_inverse=True)
    if 2 * len(distinct) > len(u):
        return quantile(dist, u)
    return quantile(dist, distinct)[where.reshape(u.shape)]


def _present(base: dict[str, Any], path: str) -> bool:
    """A parameter applies to a second scenario (the baseline) when it is there too, and for a path
    inside `interventions[i]`, when that intervention has the same name."""
    return resolves(base, path)


def same_intervention(path: str, scenario: dict[str, Any], baseline: dict[str, Any]) -> bool:
    loc = parse_path(path)
    if len(loc) >= 2 and loc[0] == "interventions" and isinstance(loc[1], int):
        found_a, a = child(scenario.get("interventions", []), loc[1])
        found_b, b = child(baseline.get("interventions", []), loc[1])
        return found_a and found_b and a.get("name") == b.get("name")
    return True


def baseline_template(
    baseline: Scenario, scenario: Scenario, scenario_template: Template, design: Design
) -> Template | None:
    """The baseline's share of the design: the parameters it has too (same intervention, if any).

    None when no parameter applies to it, so that a single baseline run serves every point.
    """
    full = Template.of(baseline, design, label="baseline", only_present=True, origin=scenario_template.origin,
                       fallback=dict(scenario.uncertainty))  # fmt: skip
    keep = [j for j, p in enumerate(full.paths) if same_intervention(p, scenario_template.base, full.base)]
    if not keep:
        return None
    return Template(full.base, tuple(full.paths[j] for j in keep), tuple(full.columns[j] for j in keep),
                    tuple(full.dists[j] for j in keep), "baseline", full.origin)  # fmt: skip


def correlation_for(names: Sequence[str], *scenarios: Scenario) -> np.ndarray | None:
    """The rank-correlation target over `names` from every scenario's `correlations:` list."""
    seen = {(c.a, c.b): c for s in scenarios for c in s.correlations}
    return correlation_matrix(list(names), list(seen.values()))


__all__ = [
    "SAMPLERS", "Design", "SweepPlan", "Template", "baseline_template", "correlation_for", "grid_design",
    "plan_from_block", "same_intervention", "sampled_design", "set_path", "uncertainty_design", "unit_sample",
]  # fmt: skip
