"""Design points: a later row's scenario, built by validating only the parts it changes
(`scenario.numbers_only`), is the scenario a whole validation of its mapping gives, and a bad number
in it is explained exactly as in a first row (which is always validated whole)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from builders import segmented_scenario_dict
from leftshift.errors import LeftshiftError, ScenarioError
from leftshift.experiments.design import Design, Template, set_path
from leftshift.scenario.distributions import parse_distribution
from leftshift.scenario.keypaths import parse_path
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import NUMBERS_ONLY, Scenario
from leftshift.scenario.vary import child

PATHS = (
    "transitions[0].rate.65+", "transitions[3].rate", "transitions[6].rate", "capacity.residential.places",
    "capacity.home_care.waiting_acute_risk_multiplier", "costs.per_person_week.acute.nhs",
    "demography.entrants_per_year.18-64", "interventions[0].budget", "interventions[0].effects.community->acute",
    "interventions[0].ramp_up.build_years", "segments.isolated.hazard_multipliers.community->acute",
    "segment_moves.isolated->connected", "initial.community.65+", "horizon_years", "discount_rate",
)  # fmt: skip


def city() -> dict[str, Any]:
    """The segmented small town, its deaths from care homes written as a split item (index 6)."""
    data = segmented_scenario_dict()
    data["transitions"][6] = {"from": "residential", "rate": 0.5, "split": {"dead": 0.6, "acute": 0.4}}
    return data


def template(paths: tuple[str, ...] = PATHS) -> Template:
    return Template.of(scenario_from_dict(city()), Design(paths, np.zeros((1, len(paths)))))


def central(t: Template) -> np.ndarray:
    """The base scenario's own value at each path."""
    out = []
    for path in t.paths:
        node: Any = t.base
        for part in parse_path(path):
            node = child(node, part)[1]
        out.append(float(node))
    return np.array(out)


def whole(t: Template, row: np.ndarray) -> Scenario:
    """A later row's scenario as it was built before: its whole mapping validated (numbers only)."""
    data = copy.deepcopy(t.base)
    for path, value in zip(t.paths, row, strict=True):
        set_path(data, path, float(value))
    return Scenario.model_validate(data, context={NUMBERS_ONLY: True})


def random_rows(t: Template, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factors = rng.uniform(0.5, 1.5, size=(n, len(t.paths)))
    return central(t) * factors


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_point_built_from_its_changed_parts_is_the_wholly_validated_scenario(seed):
    t = template()
    rows = random_rows(t, 12, seed)
    points = t.scenarios(rows)
    assert points[1].remember_origin is points[0].remember_origin  # the fast path ran: unchanged parts shared
    for point, row in zip(points[1:], rows[1:], strict=True):
        expected = whole(t, row)
        assert point == expected
        assert point.model_dump(by_alias=True) == expected.model_dump(by_alias=True)
        assert point.model_fields_set == expected.model_fields_set
        assert point.transitions == expected.transitions


def test_a_later_point_never_keeps_the_first_points_transitions():
    t = template(("transitions[0].rate.65+", "transitions[6].rate"))
    points = t.scenarios(np.array([[0.25, 0.5], [0.4, 2.0], [0.1, 1.0]]))
    assert "transitions" in points[0].__dict__  # the first point's checks cached its expanded transitions
    for point, (acute, residential) in zip(points, [(0.25, 0.5), (0.4, 2.0), (0.1, 1.0)], strict=True):
        by_key = {t.key: t.rate for t in point.transitions}
        assert by_key["community->acute"]["65+"] == acute
        assert by_key["residential->dead"] == pytest.approx(0.6 * residential)
        assert by_key["residential->acute"] == pytest.approx(0.4 * residential)


def test_rows_met_again_give_the_same_scenario_and_parts_validated_from_the_same_numbers_are_shared():
    t = template(("costs.per_person_week.acute.nhs", "interventions[0].budget"))
    points = t.scenarios(np.array([[2800.0, 1e5], [3000.0, 1e5], [3000.0, 2e5], [3000.0, 1e5]]))
    assert points[3] is points[1]
    assert points[2].costs is points[1].costs
    assert points[2].interventions[0] is not points[1].interventions[0]
    assert points[2].transition_items is points[1].transition_items


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ("transitions[0].rate.65+", -0.1),  # a field's own bound
        ("transitions[6].split.dead", 0.9),  # an item's validator: shares that do not sum to 1
        ("capacity.residential.places", float("nan")),
        ("horizon_years", 180.0),  # a check across fields: the run would end after 2200
        ("segments.isolated.initial_share.65+", 0.9),  # a check across fields: shares summing to 1.6
        ("interventions[0].cost_per_participant_year", 0.0),
        ("horizon_years", 0.0),  # a top-level field's own bound
        ("start_year", 2026.5),  # a whole number
    ],
)
def test_a_bad_number_in_a_later_row_is_explained_as_in_a_first_row(path, bad):
    t = template((path,))
    good = central(t)[0]
    with pytest.raises(ScenarioError) as first:
        t.scenarios(np.array([[bad]]))
    with pytest.raises(ScenarioError) as later:
        t.scenarios(np.array([[good], [good], [bad]]))
    assert str(later.value) == str(first.value)
    assert [(p.message, p.path) for p in later.value.problems] == [(p.message, p.path) for p in first.value.problems]
    assert path.split(".")[0].split("[")[0] in str(later.value)


def test_a_path_inside_another_paths_value_is_set_row_by_row_as_before():
    # `places.2027` adds a year to the places by year, then `places` replaces them with a number: the next
    # row cannot set a year of a number (the fast path, which would set it in the replaced mapping, is not used)
    data = city()
    data["capacity"]["residential"]["places"] = {2026: 380}
    paths = ("capacity.residential.places.2027", "capacity.residential.places")
    t = Template.of(scenario_from_dict(data), Design(paths, np.zeros((1, 2))))
    with pytest.raises(LeftshiftError, match="is a single value"):
        t.scenarios(np.array([[390.0, 400.0], [395.0, 410.0]]))


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "triangular", "low": 0.5, "mode": 0.8, "high": 1.2},
        {"dist": "pert", "low": 0.5, "mode": 0.8, "high": 1.2},
        {"dist": "normal", "mean": 1.0, "sd": 0.2},
        {"dist": "lognormal", "mean": 1.0, "sd": 0.3},
        {"dist": "beta", "alpha": 2.0, "beta": 5.0},
        {"dist": "gamma", "shape": 2.0, "scale": 1.0},
        {"dist": "uniform", "low": 0.0, "high": 3.0},
    ],
)
def test_values_of_repeated_probabilities_are_bit_for_bit_those_worked_out_one_by_one(spec):
    dist = parse_distribution(spec)
    rng = np.random.default_rng(3)
    drawn = np.append(rng.random(30), np.nan)  # NaN: the central value
    for n in (2, 33, 500):
        rows = drawn[rng.integers(0, len(drawn), n)][:, None]  # few distinct probabilities, as in a Sobol design
        t = Template({}, ("x",), (0,), (dist,))
        one_by_one = np.array([t.values(row[None, :], unit=True)[0, 0] for row in rows])
        assert t.values(rows, unit=True)[:, 0].tobytes() == one_by_one.tobytes()
