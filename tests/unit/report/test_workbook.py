"""results.xlsx: opened with openpyxl, its sheets hold the figures of the CSV files beside it, as numbers with
Excel formats under frozen headers, and the same results give the same bytes."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from builders import small_scenario
from leftshift.analysis import summary
from leftshift.analysis.economics import compare
from leftshift.analysis.measures import PAYER_LABELS
from leftshift.analysis.verdict import verdict
from leftshift.api import run
from leftshift.io.writing import write_result
from leftshift.report import excel
from leftshift.report.workbook import WORKBOOK, comparison_workbook, write_comparison_workbook, write_run_workbook


@pytest.fixture(scope="module")
def pair():
    base = run(small_scenario(name="Small town - baseline", interventions=[]))
    shift = run(small_scenario())
    return [base, shift], [compare(base, shift)], [summary.build(base), summary.build(shift)]


@pytest.fixture(scope="module")
def written(pair, tmp_path_factory):
    """A compare folder as the command writes it (monthly tables), with its workbook."""
    folder = tmp_path_factory.mktemp("compare")
    results, comparisons, summaries = pair
    for result, facts, name in zip(results, summaries, ("base", "shift"), strict=True):
        (folder / name).mkdir()
        write_result(folder / name, result, facts, resolution="month")
    from leftshift.analysis.economics import comparison_rows

    comparison_rows(comparisons[0]).to_csv(folder / "comparison.csv", index=False)
    write_comparison_workbook(folder, results, comparisons, summaries)
    return folder, load_workbook(folder / WORKBOOK)


def _table(sheet) -> pd.DataFrame:
    rows = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_the_sheets_and_their_headers(written):
    _, book = written
    assert book.sheetnames == ["Summary", "Comparison", "Savings by year", "Costs by year", "Costs by payer",
                               "Activity by year", "Parameters"]  # fmt: skip
    assert [c.value for c in book["Costs by year"][1]] == ["Scenario", "Year", "Service", "Payer", "Cost (£)",
                                                           "Cost discounted (£)"]  # fmt: skip
    assert [c.value for c in book["Parameters"][1]] == ["Parameter", "Small town - baseline", "Small town",
                                                        "Distribution", "Source"]  # fmt: skip
    for name in book.sheetnames[1:]:
        assert book[name].freeze_panes == "A2", name
        assert all(c.font.b for c in book[name][1]), name
        assert book[name].column_dimensions["A"].width >= excel.MIN_WIDTH


def test_the_summary_states_the_verdict_and_the_headline_with_units(written, pair):
    _, book = written
    _, comparisons, _ = pair
    cells = {row[0].value: row for row in book["Summary"].iter_rows() if row[0].value is not None}
    assert cells["Small town"][1].value == verdict(comparisons[0])
    net = cells["Net savings (discounted)"]
    assert net[1].value == "GBP" and net[2].number_format == excel.GBP
    assert net[2].value == pytest.approx(comparisons[0].headline["net_savings_gbp_discounted"].iloc[0])
    assert cells["Return on investment"][2].number_format == excel.RATIO
    assert cells["Discount rate"][1].value == 0.035 and cells["Discount rate"][1].number_format == excel.PERCENT
    assert cells["Seed"][2].value == 7


def test_the_sheets_hold_the_figures_of_the_csv_files(written):
    folder, book = written
    comparison = pd.read_csv(folder / "comparison.csv")
    sheet = _table(book["Comparison"])
    assert sheet["Metric"].tolist() == comparison["metric"].tolist()
    np.testing.assert_allclose(sheet["Value"].astype(float), comparison["value"], rtol=1e-11)
    costs = pd.read_csv(folder / "shift" / "costs.csv")  # monthly: summed by year, as the sheet has them
    by_year = costs.groupby(["year", "service", "payer"], as_index=False)["cost_gbp"].sum()
    by_year["payer"] = by_year["payer"].map(PAYER_LABELS)
    mine = _table(book["Costs by year"]).query("Scenario == 'Small town'")
    both = mine.merge(by_year, left_on=["Year", "Service", "Payer"], right_on=["year", "service", "payer"])
    assert len(mine) == len(by_year) == len(both)
    np.testing.assert_allclose(both["Cost (£)"].astype(float), both["cost_gbp"], rtol=1e-10)
    yearly = pd.read_csv(folder / "shift" / "yearly.csv").query("age_band == 'all' and metric == 'deaths'")
    activity = _table(book["Activity by year"]).query("Scenario == 'Small town'")
    np.testing.assert_allclose(activity["Deaths (people)"].astype(float), yearly["value"], rtol=1e-11)
    payers = _table(book["Costs by payer"]).query("Scenario == 'Small town'")
    np.testing.assert_allclose(payers["All payers (£)"].astype(float),
                               costs.groupby("year")["cost_gbp"].sum(), rtol=1e-10)  # fmt: skip


def test_numbers_are_numbers_with_excel_formats(written):
    _, book = written
    row = book["Costs by year"][2]
    assert isinstance(row[1].value, int) and row[1].number_format == excel.YEAR
    assert isinstance(row[4].value, float) and row[4].number_format == excel.GBP
    units = {r[7].value: r[4].number_format for r in book["Comparison"].iter_rows(min_row=2)}
    assert units["GBP"] == excel.GBP and units["people"] == excel.WHOLE and units["ratio"] == excel.RATIO
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for r in book["Comparison"].iter_rows()
                   for c in r)  # fmt: skip


def test_uncertain_parameters_show_their_distribution(written):
    _, book = written
    rows = {r[0]: r for r in book["Parameters"].iter_rows(min_row=2, values_only=True)}
    assert rows["horizon_years"][1] == 3 and rows["horizon_years"][3] is None
    banded = rows["transitions[0].rate"][1]
    assert banded.splitlines() == ["18-64: 0.07", "65+: 0.25"]


def test_the_same_results_give_the_same_bytes(pair):
    first = excel.deterministic_bytes(comparison_workbook(*pair))
    again = excel.deterministic_bytes(comparison_workbook(*pair))
    assert first == again
    assert load_workbook(io.BytesIO(first)).properties.modified == excel.FIXED_TIME


def test_the_yearly_tables_the_command_has_already_give_the_same_bytes(pair, tmp_path):
    """compare and run hand the workbook the yearly.csv tables they computed instead of computing them again."""
    from leftshift.analysis.yearly import yearly
    from leftshift.report.workbook import run_workbook

    results, comparisons, summaries = pair
    tables = [yearly(r) for r in results]
    given = excel.deterministic_bytes(comparison_workbook(results, comparisons, summaries, tables))
    assert given == excel.deterministic_bytes(comparison_workbook(results, comparisons, summaries))
    alone = excel.deterministic_bytes(run_workbook(results[1], summaries[1], tables[1]))
    assert alone == excel.deterministic_bytes(run_workbook(results[1], summaries[1]))
    stale = tables[1].assign(value=tables[1]["value"] + 1.0)  # the tables given are the ones used
    assert excel.deterministic_bytes(run_workbook(results[1], summaries[1], stale)) != alone


def test_text_from_a_scenario_is_never_a_formula(tmp_path):
    result = run(small_scenario(name='=HYPERLINK("http://x")', description="=1+1\x07"))
    write_run_workbook(tmp_path, result, summary.build(result))
    book = load_workbook(tmp_path / WORKBOOK)
    title = book["Summary"]["A1"]
    assert title.data_type == "s" and title.value.startswith("=HYPERLINK")
    assert book.sheetnames == ["Summary", "Costs by year", "Costs by payer", "Activity by year", "Parameters"]


def test_a_replicated_run_gives_means_and_intervals(tmp_path):
    result = run(small_scenario(horizon_years=1), engine="des", replications=2, jobs=1)
    facts = summary.build(result)
    write_run_workbook(tmp_path, result, facts)
    sheet = load_workbook(tmp_path / WORKBOOK)["Summary"]
    rows = {r[0].value: r for r in sheet.iter_rows() if r[0].value}
    assert [c.value for c in rows["Measure"][:5]] == ["Measure", "Unit", "Mean", "95% CI low", "95% CI high"]
    deaths = facts["metrics"]["deaths"]
    assert [c.value for c in rows["Deaths"][2:5]] == pytest.approx([deaths["mean"], deaths["ci95_low"],
                                                                    deaths["ci95_high"]])  # fmt: skip
    assert rows["Replications"][1].value == 2
