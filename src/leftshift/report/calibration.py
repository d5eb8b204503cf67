"""The calibration report: how closely the model matches the observed figures before and after fitting, the fitted
values with their intervals, what the data cannot identify, the chart of observed against fitted, and every
parameter of the original and the calibrated scenario side by side."""

from __future__ import annotations

import math

from leftshift.experiments.calibration import Calibration
from leftshift.report.headline import card
from leftshift.report.page import Page, h
from leftshift.report.parameters import add_appendix


def _number(value: float) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:,.5g}"


def _fitted_table(calibration: Calibration) -> str:
    rows = []
    for r in calibration.parameters.itertuples(index=False):
        interval = f"{_number(r.ci95_low)} to {_number(r.ci95_high)}" if math.isfinite(r.ci95_low) else "-"
        rows.append(f'<tr{"" if r.identifiable else " class=changed"}><td><code>{h(r.parameter)}</code></td>'
                    f'<td class="num">{h(_number(r.start))}</td><td class="num">{h(_number(r.fitted))}</td>'
                    f'<td class="num">{h(interval)}</td><td class="num">{h(_number(r.low))} to {h(_number(r.high))}'
                    f'</td><td>{"yes" if r.identifiable else "no"}</td><td>{h(r.note)}</td></tr>')  # fmt: skip
    return ('<p class=note>Bounds come from <code>--fit KEY=LOW:HIGH</code> or from the value\'s distribution. '
            "Intervals are approximate (docs/calibration.md). Rows the data cannot identify are highlighted.</p>"
            '<table class="provenance"><thead><tr><th>Parameter</th><th class="num">Scenario value</th>'
            '<th class="num">Fitted</th><th class="num">Approx. 95% interval</th><th class="num">Bounds</th>'
            f"<th>Identifiable</th><th>Note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")  # fmt: skip


def calibration_report(calibration: Calibration) -> str:
    """The page for a calibration."""
    from leftshift.plots.calibration import observed_vs_fitted

    c = calibration
    n, p = len(c.fit), len(c.parameters)
    page = Page(f"Calibration: {c.original.name}", f"{p} value(s) fitted to {n} observed figures in {c.source}")
    detail = "root mean square of (model - observed) / observed, weighted"
    unknown = c.unidentified()
    cards = [card("miss_start", "Typical miss before fitting", c.rms("start") * 100, "percent", detail),
             card("miss_fitted", "Typical miss after fitting", c.rms() * 100, "percent", detail),
             card("identified", "Values the data identify", p - len(unknown), "people", f"of {p} fitted",
                  "" if not unknown else "bad")]  # fmt: skip
    stopped = "" if c.converged else f"<p class=note>The optimiser stopped early: {h(c.message)}</p>"
    page.section("headline", "How well the model matches", f'<div class="cards">{"".join(cards)}</div>{stopped}')
    page.section("fitted", "The fitted values", _fitted_table(c))
    if unknown:
        items = "".join(f"<li><code>{h(r.parameter)}</code>: {h(r.note)}</li>"
                        for r in c.parameters.itertuples(index=False) if not r.identifiable)  # fmt: skip
        page.section("unidentified", "What the data cannot identify",
                     f"<p>Their fitted values are one of many that match the data equally well; add observations "
                     f"that depend on them, or fix them from other evidence.</p><ul>{items}</ul>")  # fmt: skip
    page.chart("fit", "Observed and fitted, year by year", "Each panel is one observed series: dots are the "
               "observations, the dashed line the scenario as written, the solid line the calibrated scenario.",
               observed_vs_fitted(c.fit))  # fmt: skip
    add_appendix(page, [c.original, c.scenario], "Every parameter, before and after calibration")
    return page.render()


__all__ = ["calibration_report"]
