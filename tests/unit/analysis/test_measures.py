"""The measures registry: every figure leftshift reports has one label, unit and direction, read everywhere."""

from __future__ import annotations

import math

import pytest

from leftshift.analysis import measures
from leftshift.analysis.batch import COMPARISON_COLUMNS
from leftshift.analysis.metrics import METRICS


def test_every_reported_figure_is_registered():
    for name in METRICS:
        assert measures.measure(name).name == name
    for column in COMPARISON_COLUMNS:
        assert measures.comparison_measure(column)


def test_labels_are_plain_and_units_known():
    units = {"people", "days", "person-years", "GBP", "ratio", "year", "share"}
    for m in measures.MEASURES.values():
        assert m.unit in units, m.name
        assert m.label and "<" not in m.label and "_" not in m.label, m.name
        assert m.better in ("higher", "lower") and m.description, m.name


def test_comparison_spend_is_extra_spend():
    assert measures.label("intervention_spend_gbp") == "Intervention spend"
    assert measures.comparison_measure("intervention_spend_gbp").label == "Extra intervention spend"
    assert measures.label("avoided_downstream_cost_gbp_discounted") == "Avoided cost of care and hospital (discounted)"


@pytest.mark.parametrize(
    ("name", "higher"),
    [("net_savings_gbp_discounted", True), ("roi", True), ("person_years_at_home_gained", True),
     ("population_end", True), ("emergency_admissions", False), ("total_cost_gbp_discounted", False),
     ("payback_year", False), ("extra_intervention_spend_gbp", False), ("net_savings_gbp_discounted_nhs", True)],
)  # fmt: skip
def test_direction(name, higher):
    assert measures.higher_is_better(name) is higher


def test_unknown_names_fail_with_a_suggestion():
    with pytest.raises(KeyError, match="net_savings_gbp"):
        measures.measure("net_saving_gbp")


def test_numbers_read_as_their_unit():
    assert measures.format_number(12_345_678, "GBP") == "£12.3m"
    assert measures.format_number(-4_500, "GBP") == "-£4,500"
    assert measures.format_number(0.4167, "ratio") == "0.42"
    assert measures.format_number(2031.0, "year") == "2031"
    assert measures.format_number(math.nan, "year") == "-"
    assert measures.format_number(1234.4, "people") == "1,234"
