"""Risk-share agreements move avoided cost between payers year by year: the totals never change, the payer split
does by exactly the share, the headline keeps the split without them, and the batch path agrees with the tidy one."""

from __future__ import annotations

import numpy as np
import pytest

from builders import small_scenario_dict
from leftshift.analysis import batch
from leftshift.analysis.economics import compare
from leftshift.analysis.risk_share import share_for_both, sharing_matrix
from leftshift.api import run
from leftshift.engines.stockflow.engine import simulate
from leftshift.errors import ScenarioError
from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import PAYERS, RiskShare

NHS_TO_COUNCIL = [{"from": "nhs", "to": "council", "share": 0.5}]
FIXED = {"fixed_share": {"acute": 0.3}}


def pair(agreements: list | None = None, **changes):
    data = small_scenario_dict(**changes)
    data["costs"] = {**data["costs"], **FIXED}
    if agreements is not None:
        data["risk_share"] = agreements
    base = small_scenario_dict(name="Small town baseline", interventions=[], **changes)
    base["costs"] = {**base["costs"], **FIXED}
    return scenario_from_dict(data), scenario_from_dict(base)


@pytest.fixture(scope="module")
def comparisons():
    plain, base = pair()
    shared, _ = pair(NHS_TO_COUNCIL)
    b = run(base)
    return compare(b, run(plain)), compare(b, run(shared)), (plain, shared, base)


def test_totals_never_change_and_the_split_moves_by_the_share(comparisons):
    plain, shared, _ = comparisons
    p, s = plain.headline.iloc[0], shared.headline.iloc[0]
    for column in ("net_savings_gbp_discounted", "avoided_downstream_cost_gbp_discounted", "roi", "payback_year",
                   "cash_releasing_savings_gbp_discounted", "capacity_freed_gbp_discounted"):  # fmt: skip
        assert s[column] == pytest.approx(p[column], rel=1e-12, abs=1e-6)
    avoided_nhs = p["net_savings_gbp_discounted_nhs"]  # the NHS pays for nothing here: its net is its avoided cost
    assert avoided_nhs > 0
    assert s["net_savings_gbp_discounted_nhs"] == pytest.approx(0.5 * avoided_nhs)
    assert s["net_savings_gbp_discounted_council"] == pytest.approx(p["net_savings_gbp_discounted_council"]
                                                                    + 0.5 * avoided_nhs)  # fmt: skip
    assert s["capacity_freed_gbp_discounted_nhs"] == pytest.approx(0.5 * p["capacity_freed_gbp_discounted_nhs"])
    assert sum(s[f"net_savings_gbp_discounted_{q}"] for q in PAYERS) == pytest.approx(s["net_savings_gbp_discounted"])


def test_the_headline_keeps_the_split_before_sharing(comparisons):
    plain, shared, _ = comparisons
    for payer in PAYERS:
        before = shared.headline.iloc[0][f"net_savings_gbp_discounted_{payer}_before_risk_share"]
        assert before == pytest.approx(plain.headline.iloc[0][f"net_savings_gbp_discounted_{payer}"])
    assert not any(c.endswith("_before_risk_share") for c in plain.headline.columns)


def test_cumulative_savings_by_payer_are_shared_year_by_year(comparisons):
    plain, shared, _ = comparisons

    def last(c, payer):
        frame = c.cumulative_net_savings
        return frame[frame["payer"] == payer].sort_values("year")["net_savings_gbp_discounted"].to_numpy()

    assert last(shared, "nhs") == pytest.approx(0.5 * last(plain, "nhs"))
    assert last(shared, "all") == pytest.approx(last(plain, "all"))


def test_the_batch_path_agrees_with_the_tidy_one(comparisons):
    plain, shared, (p, s, base) = comparisons
    summary = batch.summarise(simulate([p, s], record="yearly"))
    head = batch.compare(batch.summarise(simulate(base, record="yearly")), summary)
    for i, c in enumerate((plain, shared)):
        for column in ("net_savings_gbp_discounted_nhs", "net_savings_gbp_discounted_council",
                       "capacity_freed_gbp_discounted_nhs",
                       "cash_releasing_savings_gbp_discounted_council"):  # fmt: skip
            assert head[column][i] == pytest.approx(c.headline.iloc[0][column], rel=1e-9, abs=1e-3)


def test_agreements_apply_to_the_cost_before_any_sharing_in_any_order():
    a = [RiskShare(**{"from": "nhs", "to": "council", "share": 0.3}),
         RiskShare(**{"from": "council", "to": "nhs", "share": 0.2})]  # fmt: skip
    m = sharing_matrix(a)
    assert np.allclose(m.sum(axis=1), 1) and np.allclose(m, sharing_matrix(a[::-1]))
    nhs, council = PAYERS.index("nhs"), PAYERS.index("council")
    assert m[nhs, council] == 0.3 and m[council, nhs] == 0.2 and m[nhs, nhs] == pytest.approx(0.7)


@pytest.mark.parametrize(("agreements", "message"), [
    ([{"from": "nhs", "to": "nhs", "share": 0.5}], "cannot share its avoided cost with itself"),
    ([{"from": "nhs", "to": "council", "share": 0.7}, {"from": "nhs", "to": "other", "share": 0.4}], "add up to 1.1"),
    ([{"from": "nhs", "to": "council", "share": 1.5}], "risk_share"),
])  # fmt: skip
def test_impossible_agreements_are_refused(agreements, message):
    with pytest.raises(ScenarioError, match=message):
        pair(agreements)


def test_the_share_that_makes_both_gain():
    # the council spends 10 and saves 2; the NHS saves 30 and spends nothing
    out = share_for_both({"nhs": 30.0, "council": -8.0}, {"nhs": 30.0, "council": 2.0})
    assert (out["from"], out["to"]) == ("nhs", "council")
    assert out["low"] == pytest.approx(8 / 30) and out["high"] == 1.0 and out["equal"] == pytest.approx(19 / 30)
    assert np.isnan(share_for_both({"nhs": 5.0, "council": -8.0}, {"nhs": 5.0, "council": 2.0})["low"])
