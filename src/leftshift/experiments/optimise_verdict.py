"""An optimisation in one sentence, in the style of the comparison's verdict (`analysis.verdict`): what split,
what it gains against the baseline (and what the budgets as written gain), and which payers save and which pay.

"Put £4.1m a year into Neighbourhood networks and £549,271 into Falls prevention exercise, and nothing into
Reablement: against the baseline that avoids 5,591 emergency admissions over 20 years (the budgets as written:
4,174); net savings £56.9m (discounted); the NHS saves £116.0m, the council pays £59.1m"

The terminal, the report and experiment.json state the same sentence.
"""

from __future__ import annotations

from leftshift.analysis.measures import format_number
from leftshift.analysis.verdict import payers_clause
from leftshift.experiments.optimise import DEFAULT_SAMPLES, Optimisation, Split

WHO = {"all": "the whole system", "nhs": "the NHS", "council": "the council"}
SPENT = 0.5  # GBP a year: a budget below this is nothing


def _names(names: list[str], joiner: str) -> str:
    """'A', 'A and B', 'A, B and C' (or 'A, B or C')."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def _gain(result: Optimisation, split: Split) -> str:
    """What the split does to the objective against the baseline: 'avoids 5,591 emergency admissions'."""
    o, change = result.objective, split.change
    if o.name == "net_savings":
        words = "net savings" if change >= 0 else "a net cost"
        who = "" if result.payer == "all" else f"{WHO[result.payer]} "
        return f"gives {who}{words} of {format_number(abs(change), 'GBP')}"
    if o.name == "system_cost":
        verb = "cuts" if change <= 0 else "adds"
        return f"{verb} {format_number(abs(change), 'GBP')} {'from' if change <= 0 else 'to'} what " \
               f"{WHO[result.payer]} pays"  # fmt: skip
    if o.name == "emergency_admissions":
        return f"{'avoids' if change <= 0 else 'adds'} {format_number(abs(change), o.unit)} emergency admissions"
    return f"{'gains' if change >= 0 else 'loses'} {format_number(abs(change), o.unit)} person-years at home"


def _split_words(result: Optimisation) -> str:
    """'Put £4.1m a year into A and £0.5m into B, and nothing into C', or 'Spend none of the £5.0m a year'."""
    names = [v.label for v in result.variables]
    x = result.best.x
    funded = sorted((i for i in range(len(x)) if x[i] >= SPENT), key=lambda i: -x[i])
    if not funded:
        return f"Spend none of the {format_number(result.settings.total, 'GBP')} a year"
    parts = [f"{format_number(x[i], 'GBP')}{' a year' if n == 0 else ''} into {names[i]}" for n, i in enumerate(funded)]
    unfunded = [names[i] for i in range(len(x)) if x[i] < SPENT]
    nothing = f", and nothing into {_names(unfunded, 'or')}" if unfunded else ""
    return f"Put {_names(parts, 'and')}{nothing}"


def _payers(result: Optimisation, net: dict[str, float]) -> str:
    return payers_clause({f"net_savings_gbp_discounted_{p}": v for p, v in net.items() if p != "all"})


def optimise_verdict(result: Optimisation) -> str:
    """The optimisation in one sentence (see the module's docstring), without a full stop."""
    best, s, o = result.best, result.settings, result.objective
    over = f" over {result.original.horizon_years:g} years" + (" (discounted)" if o.money else "")
    mean = "" if s.criterion is None else ", mean of the draws"
    if best.x.sum() < SPENT:
        better = f"no split of it does better for {o.describe(result.payer)} than spending nothing"
        sentence = f"{_split_words(result)}: {better}"
    else:
        sentence = f"{_split_words(result)}: against the baseline that {_gain(result, best)}{over}"
        if s.criterion is not None:
            draws = f"{s.criterion} of {s.samples or DEFAULT_SAMPLES} draws"
            sure = ": at least this well in 9 draws out of 10" if s.criterion == "p10" else ""
            sentence += f" ({draws}{sure})"
        if not (o.name == "net_savings" and result.payer == "all"):
            sentence += f", with net savings of {format_number(best.net['all'], 'GBP')} (discounted{mean})"
        payers = _payers(result, best.net)
        if payers:
            sentence += f"; {payers}" + (" (means of the draws)" if s.criterion is not None else "")
        shared = result.original.risk_share and best.net_before
        if shared and any(abs(best.net_before[p] - v) >= 0.5 for p, v in best.net.items() if p in best.net_before):
            before = _payers(result, best.net_before) or "nobody gains or pays"
            sentence += f" after the risk share ({before} before it)"
    return f"{sentence}; as written, the scenario {_gain(result, result.written)}{over}"


__all__ = ["optimise_verdict"]
