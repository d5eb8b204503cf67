"""A batch whose members share parts (the same objects, as an experiment's points do) gives the arrays and
results of the same batch with nothing shared; a point repeated in a batch is run once, with the same results."""

from __future__ import annotations

import copy
from dataclasses import fields

import numpy as np

from builders import segmented_scenario_dict
from leftshift.engines.memo import ByObject
from leftshift.engines.model import TimeGrid, build_layout
from leftshift.engines.parameters import build_parameters, capacity_places
from leftshift.engines.pricing import build_prices
from leftshift.engines.stockflow.engine import simulate
from leftshift.experiments.design import Design, Template
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import Scenario

PATHS = ("transitions[0].rate.65+", "capacity.home_care.waiting_acute_risk_multiplier", "capacity.residential.places",
         "interventions[0].budget", "interventions[0].effects.community->acute", "demography.entrants_per_year.18-64",
         "segments.isolated.hazard_multipliers.community->acute", "initial.community.65+",
         "costs.per_person_week.acute.nhs", "transitions[6].rate", "demography.ageing.18-64",
         "transitions[3].trend_per_year", "interventions[0].referrals.community", "interventions[0].programme_years",
         "delayed_discharge.death_rate.65+", "delayed_discharge.deconditioning.extra_share_per_week")  # fmt: skip


def points() -> tuple[list[Scenario], list[Scenario]]:
    """Points that share their unchanged parts, and the same points validated afresh (sharing nothing)."""
    data = segmented_scenario_dict()
    data["transitions"][6] = {"from": "residential", "rate": 0.5, "split": {"dead": 0.6, "acute": 0.4}}
    data["delayed_discharge"] = {"death_rate": {"65+": 0.3},
                                 "deconditioning": {"to": "residential", "extra_share_per_week": 0.005}}  # fmt: skip
    template = Template.of(scenario_from_dict(data), Design(PATHS, np.zeros((1, len(PATHS)))))
    rng = np.random.default_rng(5)
    central = np.array([0.25, 1.3, 380, 150_000, 0.9, 800, 1.4, 10_000, 2800, 0.5, 0.021, 0.01, 0.1, 1.5, 0.3, 0.005])
    rows = central * rng.uniform(0.5, 1.5, size=(10, len(PATHS)))
    rows[4:10] = rows[3]  # points 4-9 share every part of point 3 but one: places, effects, demography, people,
    for n, columns in enumerate(([2], [4], [5, 10], [7], [0, 11], [14, 15]), start=4):  # transitions, delays
        rows[n, columns] *= 1.1
    shared = template.scenarios(rows)
    fresh = [Scenario.model_validate(s.model_dump(by_alias=True)) for s in shared]
    assert shared[4].transition_items[0] is shared[3].transition_items[0]
    assert shared[4].capacity["home_care"] is shared[3].capacity["home_care"]
    return shared, fresh


def _member_by_member(build, batch: list[Scenario]) -> dict[str, np.ndarray]:
    """The arrays of each member built alone, side by side on the last axis."""
    alone = [build([s]) for s in batch]
    return {f.name: np.concatenate([getattr(a, f.name) for a in alone], axis=-1) for f in fields(alone[0])
            if isinstance(getattr(alone[0], f.name), np.ndarray) and getattr(alone[0], f.name).ndim}  # fmt: skip


def test_shared_parts_give_the_arrays_of_members_built_alone():
    shared, fresh = points()
    layout = build_layout(shared[0])
    grid = TimeGrid.for_scenario(shared[0], "yearly")
    for build in (lambda b: build_parameters(b, layout), lambda b: build_prices(b, layout)):
        batch = build(shared)
        for name, expected in _member_by_member(build, fresh).items():
            if getattr(batch, name).shape[-1] == len(shared):  # per member (not the layout's)
                np.testing.assert_array_equal(getattr(batch, name), expected, err_msg=name)
    for n, member in enumerate(fresh):
        alone = capacity_places([member], layout, grid)
        for a, b in zip(capacity_places(shared, layout, grid), alone, strict=True):
            np.testing.assert_array_equal(a[..., n], b[..., 0])


def test_a_repeated_point_is_run_once_and_gets_the_results_of_its_own_run():
    shared, _ = points()
    batch = [shared[2], shared[0], shared[2], shared[7], shared[0]]
    copies = [copy.deepcopy(s) for s in batch]  # distinct objects: each run on its own
    counted: list[int] = []
    a, b = simulate(batch, record="yearly", progress=counted.append), simulate(copies, record="yearly")
    assert sum(counted) == len(batch)
    assert a.scenarios == tuple(batch)
    for f in fields(a):
        if isinstance(getattr(a, f.name), np.ndarray):
            np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def test_by_object_computes_once_per_object_and_tells_objects_apart():
    calls: list[str] = []
    memo, x, y = ByObject(), {"a": 1}, {"a": 1}
    assert memo.get("sum", x, lambda: calls.append("x") or 1) == 1
    assert memo.get("sum", x, lambda: calls.append("x again") or 2) == 1
    assert memo.get("sum", y, lambda: calls.append("y") or 3) == 3  # equal but not the same object
    assert memo.get("other", x, lambda: calls.append("other") or 4) == 4
    assert memo.get("pair", (x, y), lambda: 5) == 5 and memo.get("pair", (y, x), lambda: 6) == 6
    assert calls == ["x", "y", "other"]
