"""The optimisation report: the verdict first (`experiments.optimise_verdict`: what split, what it gains against the
baseline, who saves and who pays), the best split and what it gives, what an extra £100k a year on each programme
would do, the NHS's and the council's own best splits side by side (the 'wrong pocket' made visible), the risk shares
under which both gain, the frontier, how the split was found, and every parameter before and after."""

from __future__ import annotations

import math

from leftshift.experiments.optimise import DEFAULT_SAMPLES, Optimisation
from leftshift.report.headline import card, format_value
from leftshift.report.page import Page, h
from leftshift.report.parameters import add_appendix

GBP = "GBP"


def _money(value: float) -> str:
    return h(format_value(value, GBP))


def _tone(value: float, higher_is_better: bool, than: float) -> str:
    if math.isnan(value) or math.isnan(than) or value == than:
        return ""
    return "good" if (value > than) == higher_is_better else "bad"


def _cards(r: Optimisation) -> str:
    o, best, written = r.objective, r.best, r.written
    label = o.describe(r.payer)
    change = label[:1].upper() + label[1:] if o.name == "net_savings" else f"Change in {label}"
    return "".join([
        card("best", f"{change} against the baseline", best.change, o.unit,
             f"as written: {format_value(written.change, o.unit)}", _tone(best.change, o.higher_is_better, 0.0)),
        card("spent", "Spent, a year", float(best.x.sum()), GBP, f"of {format_value(r.settings.total, GBP)} "
             + ("(all must be spent)" if r.settings.spend_all else "(at most)")),
        card("net", "Net savings, whole system (discounted)", best.net["all"], GBP, "over the horizon",
             "good" if best.net["all"] > 0 else "bad" if best.net["all"] < 0 else ""),
        card("net_nhs", "Net savings to the NHS", best.net["nhs"], GBP, "discounted, after any risk share"),
        card("net_council", "Net savings to the council", best.net["council"], GBP, "discounted, after any risk share"),
    ])  # fmt: skip


def _split_table(r: Optimisation) -> str:
    unit, better = r.objective.unit, "higher" if r.objective.higher_is_better else "lower"
    rows = "".join(
        f"<tr><td>{h(a.intervention)}<br><code>{h(a.key_path)}</code></td><td>{h(a.payer)}</td>"
        f'<td class="num">{_money(a.budget_gbp)}</td><td class="num">{a.share_of_budget:.0%}</td>'
        f'<td class="num">{_money(a.written_budget_gbp)}</td><td class="num">{_money(a.min_budget_gbp)} to '
        f'{_money(a.max_budget_gbp)}</td><td class="num">{h(format_value(a.contribution, unit))}</td>'
        f'<td class="num">{h(format_value(a.marginal_per_100k, unit))}</td></tr>'
        for a in r.allocation.itertuples(index=False)
    )
    return ('<p class="note">Budgets are GBP a year on average over the horizon (docs/optimise.md). <b>Adds</b>: the '
            "objective at the best split minus the same split with this budget at 0. <b>Extra £100k</b>: the change "
            f"from £100k a year more on it, the others unchanged ({better} is better).</p>"
            '<div class="scroll"><table class="provenance"><thead><tr><th>Programme</th><th>Payer</th>'
            '<th class="num">Best budget a year</th><th class="num">Share</th><th class="num">As written</th>'
            f'<th class="num">Bounds</th><th class="num">Adds</th><th class="num">Extra £100k</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")  # fmt: skip


def _pockets(r: Optimisation) -> str:
    """The splits side by side, with what each gives the NHS, the council and the system."""
    splits = [("Best split", r.best), ("Best for the NHS", r.payer_splits["nhs"]),
              ("Best for the council", r.payer_splits["council"]), ("As written", r.written)]  # fmt: skip
    head = "".join(f'<th class="num">{h(name)}</th>' for name, _ in splits)
    rows = "".join(f"<tr><td>{h(v.label)}</td>" + "".join(f'<td class="num">{_money(s.x[i])}</td>' for _, s in splits)
                   + "</tr>" for i, v in enumerate(r.variables))  # fmt: skip
    for payer, name in (("nhs", "Net savings to the NHS"), ("council", "Net savings to the council"),
                        ("all", "Net savings, whole system")):  # fmt: skip
        rows += f"<tr><th>{h(name)}</th>" + "".join(f'<td class="num">{_money(s.net[payer])}</td>' for _, s in splits)
        rows += "</tr>"
    if r.original.risk_share:  # the payer split the agreements changed, as it was without them
        for payer, name in (("nhs", "NHS before the risk share"), ("council", "Council before the risk share")):
            rows += f"<tr><th>{h(name)}</th>" + "".join(f'<td class="num">{_money(s.net_before.get(payer, math.nan))}'
                                                        "</td>" for _, s in splits) + "</tr>"  # fmt: skip
    return ("<p>Each payer's own best split counts only its own net savings (discounted, after any risk share): a "
            "programme one payer funds and another benefits from is the 'wrong pocket'.</p>"
            f'<div class="scroll"><table class="provenance"><thead><tr><th>Budget a year</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>{_share(r)}")  # fmt: skip


def _share(r: Optimisation) -> str:
    s = r.share
    if r.original.risk_share:
        agreed = "; ".join(f"{a.share:.0%} of the {h(a.from_payer)}'s avoided cost to the {h(a.to)}"
                           for a in r.original.risk_share)  # fmt: skip
        now = f"<p>The scenario's risk-share agreements pass {agreed} (the figures above are after them).</p>"
    else:
        now = ""
    if math.isnan(s["low"]):
        return now + ("<p>No risk share between the NHS and the council makes both gain at the best split: their net "
                      "savings together (before any sharing) are below zero.</p>")  # fmt: skip
    return now + (f"<p><b>A risk share that makes both gain.</b> At the best split, before any sharing, a "
                  f"<code>risk_share: [{{from: {h(s['from'])}, to: {h(s['to'])}, share: S}}]</code> with S from "
                  f"{s['low']:.1%} to {s['high']:.1%} leaves both the NHS and the council at or above zero; "
                  f"{s['equal']:.1%} gives them the same net savings. Add one to the scenario and optimise again "
                  "to see what each payer's best split becomes.</p>")  # fmt: skip


def _how(r: Optimisation) -> str:
    s = r.settings
    bounds = ", ".join([*(f"--min {m}" for m in s.mins), *(f"--max {m}" for m in s.maxs)]) or "none (0 to the budget)"
    uncertainty = ("the scenario's central values" if s.criterion is None else
                   f"the {s.criterion} over {s.samples or DEFAULT_SAMPLES} draws of the uncertain values (common to "
                   "every split and the baseline)")  # fmt: skip
    return (f"<p>Objective: <b>{h(r.what)}</b>, against <b>{h(r.baseline.name)}</b>, scored at {h(uncertainty)}. "
            f"Budget: {_money(s.total)} a year, {'all of it spent (--spend-all)' if s.spend_all else 'spent up to'}"
            f"; bounds: {h(bounds)}. {r.runs:,} model runs.</p><p>Search (docs/optimise.md): a coarse grid, "
            f"SLSQP from its best points and the scenario's own split, then a compass polish: "
            f"{h(r.best.search.message)}.</p>")  # fmt: skip


def _described(r: Optimisation) -> dict[str, str]:
    """What each chart shows, in words and numbers, for a screen reader."""
    o, a = r.objective, r.allocation
    splits = "; ".join(f"{n}: best {_plain(b)}, best for the NHS {_plain(nhs)}, best for the council {_plain(c)}, as "
                       f"written {_plain(w)}" for n, b, nhs, c, w in zip(a["intervention"], a["budget_gbp"],
                       a["budget_gbp_nhs_optimal"], a["budget_gbp_council_optimal"], a["written_budget_gbp"],
                       strict=True))  # fmt: skip
    marginal = "; ".join(f"{n}: {format_value(v, o.unit)}" for n, v in zip(a["intervention"], a["marginal_per_100k"],
                                                                             strict=True))  # fmt: skip
    f = r.frontier
    frontier = "; ".join(
        f"{_plain(t)} a year: {format_value(v, o.unit)}, spending {_plain(s)}"
        for t, v, s in zip(f["total_budget_gbp"], f["best_value"], f["spent_gbp"], strict=True)
    )
    return {"splits": f"Budgets a year. {splits}.",
            "marginal": f"Change in {o.label} from an extra £100k a year. {marginal}.",
            "frontier": f"Best {o.label} by total budget. {frontier}."}  # fmt: skip


def _plain(value: float) -> str:
    return format_value(float(value), GBP)


def optimise_report(r: Optimisation) -> str:
    """The page for an optimisation: the verdict first, then the split, what more money buys, who gains."""
    from leftshift.experiments.optimise_verdict import optimise_verdict
    from leftshift.plots.optimise import frontier, marginal_returns, splits

    o, said = r.objective, _described(r)
    page = Page(f"Where the next pound should go: {r.original.name}",
                f"The best split of {format_value(r.settings.total, GBP)} a year for {r.what}")  # fmt: skip
    verdict = f'<p class="verdict" data-verdict="optimise">{h(optimise_verdict(r))}.</p>'
    page.section("headline", "The answer: the best split against the baseline",
                 f'{verdict}<div class="cards">{_cards(r)}</div>{_split_table(r)}')  # fmt: skip
    page.chart("splits", "How the NHS's and the council's own best splits differ from the best",
               "Budgets a year in the best split, the NHS's and the council's own best splits (each counting only its "
               "own net savings), and the scenario as written.", splits(r.allocation, r.what),
               said["splits"])  # fmt: skip
    page.chart("marginal", "What an extra £100k a year on each programme would buy",
               "The change in the objective from £100k a year more on one programme, the others as in the best split.",
               marginal_returns(r.allocation, o.label, o.unit, o.higher_is_better), said["marginal"])  # fmt: skip
    page.section("pockets", "Who gains: the NHS's and the council's best splits", _pockets(r))
    names = [v.label for v in r.variables]
    if len(r.frontier) > 1:
        page.chart("frontier", "What a bigger or smaller budget would buy", "The best result each total budget can "
                   "buy (it never falls as the budget grows unless all of it must be spent), and the split that buys "
                   "it.", frontier(r.frontier, names, o.label, o.unit), said["frontier"])  # fmt: skip
    page.section("how", "How the split was found", _how(r))
    add_appendix(page, [r.original, r.optimal], "Every parameter, as written and optimised, and its source")
    return page.render()


__all__ = ["optimise_report"]
