"""The optimisation's verdict sentence: what split, what it gains against the baseline, who saves and who pays,
and the scenario as written, from a finished optimisation's figures (built here, without running the model)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from leftshift.experiments.objective import OBJECTIVES
from leftshift.experiments.optimise import Settings
from leftshift.experiments.optimise_verdict import optimise_verdict


def finished(objective="emergency_admissions", payer="all", x=(4.1e6, 0.0, 9e5), change=-5591.0, criterion=None,
             risk_share=(), net_before=None):  # fmt: skip
    net = {"nhs": 116e6, "council": -59.1e6, "self_funder": 0.0, "other": 0.0, "all": 56.9e6}
    best = SimpleNamespace(x=np.array(x), change=change, net=net, net_before=net_before or dict(net))
    written = SimpleNamespace(x=np.array([3e6, 5e5, 1e6]), change=-4174.0 if change < 0 else 1.0, net=net)
    return SimpleNamespace(
        best=best, written=written, objective=OBJECTIVES[objective], payer=payer,
        settings=Settings(5e6, objective, criterion=criterion, samples=200 if criterion else None),
        variables=[SimpleNamespace(label=n) for n in ("Networks", "Falls", "Reablement")],
        original=SimpleNamespace(horizon_years=20, risk_share=list(risk_share)),
    )  # fmt: skip


def test_it_says_the_split_what_it_gains_and_who_pays():
    said = optimise_verdict(finished())
    assert said == ("Put £4.1m a year into Networks and £900,000 into Reablement, and nothing into Falls: against the "
                    "baseline that avoids 5,591 emergency admissions over 20 years, with net savings of £56.9m "
                    "(discounted); the NHS saves £116.0m, the council pays £59.1m; as written, the scenario avoids "
                    "4,174 emergency admissions over 20 years")  # fmt: skip


def test_money_objectives_say_whose_money_and_a_loss_as_a_net_cost():
    said = optimise_verdict(finished("net_savings", "nhs", change=135.3e6))
    assert "that gives the NHS net savings of £135.3m over 20 years (discounted)" in said
    assert "with net savings of £56.9m" in said  # the whole system's too
    lost = optimise_verdict(finished("net_savings", change=-2e6))
    assert "gives a net cost of £2.0m" in lost and "with net savings" not in lost  # said once, as the objective


def test_spending_nothing_says_so():
    said = optimise_verdict(finished("net_savings", x=(0.0, 0.0, 0.0), change=0.0))
    assert said.startswith("Spend none of the £5.0m a year: no split of it does better for net savings")
    assert "the NHS saves" not in said


def test_under_uncertainty_it_says_how_sure():
    said = optimise_verdict(finished(criterion="p10"))
    assert "(p10 of 200 draws: at least this well in 9 draws out of 10)" in said and "(means of the draws)" in said


def test_a_risk_share_shows_the_payers_before_it():
    before = {"nhs": 200e6, "council": -143.1e6, "self_funder": 0.0, "other": 0.0, "all": 56.9e6}
    said = optimise_verdict(finished(risk_share=[object()], net_before=before))
    assert "pays £59.1m after the risk share (the NHS saves £200.0m, the council pays £143.1m before it)" in said
