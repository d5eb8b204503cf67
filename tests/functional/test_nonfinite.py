"""Results that overflow (inf or NaN) are a LeftshiftError naming the likely inputs, never zeros.

Scenario validation now bounds every number, so these tests build the overflowing scenarios with
`model_copy` (no validation): the engines' own checks must hold whatever they are handed.
"""

from __future__ import annotations

import warnings

import pytest

from builders import small_scenario
from leftshift.api import run
from leftshift.engines.finite import NonFiniteError, suspects
from leftshift.engines.stockflow.engine import simulate
from leftshift.errors import LeftshiftError


@pytest.fixture(autouse=True)
def _quiet_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _huge_initial():
    s = small_scenario(horizon_years=1)
    return s.model_copy(update={"initial": {**s.initial, "community": {"18-64": 5e4, "65+": 1e308}}})


def _huge_cost():
    s = small_scenario(horizon_years=1)
    costs = s.costs.model_copy(update={"per_person_week": {"community": {"nhs": 1e306}}})
    return s.model_copy(update={"costs": costs})


def test_stockflow_huge_initial_count_is_an_error_naming_it():
    # without the check the run "succeeds" with 0 emergency admissions and 0 people at the end
    with pytest.raises(LeftshiftError, match=r"initial\.community\.65\+ = 1e\+308"):
        run(_huge_initial())


@pytest.mark.parametrize("engine", ["stockflow", "des"])
def test_overflowing_costs_are_an_error_naming_them(engine):
    options = {"replications": 1, "jobs": 1} if engine == "des" else {}
    with pytest.raises(LeftshiftError, match=r"costs too large.*costs\.per_person_week\.community\.nhs"):
        run(_huge_cost(), engine=engine, **options)


def test_a_batch_names_the_parameter_set_that_overflowed():
    fine = small_scenario(horizon_years=1)
    with pytest.raises(NonFiniteError, match="parameter set 2 of 3") as caught:
        simulate([fine, fine, _huge_initial()], record="yearly")
    assert caught.value.members == [2]


def test_a_finite_batch_passes():
    fine = small_scenario(horizon_years=1)
    simulate([fine, fine], record="yearly")


def test_suspects_rank_growth_by_what_it_compounds_to():
    s = small_scenario(horizon_years=100)
    demography = s.demography.model_copy(update={"entrants_growth_per_year": 0.5})
    s = s.model_copy(update={"demography": demography})
    assert suspects(s, money=False)[0] == "demography.entrants_growth_per_year = 0.5"
