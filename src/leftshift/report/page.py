"""The page: one self-contained HTML file, with its stylesheet and chart-drawing script inlined.

plotly.js is embedded once, at the end of the page, so the headline shows before the charts are drawn; each
chart is a `leftshift.plots` figure whose JSON sits in the page. The stylesheet (`report.css`) and the script
that draws the charts (`report.js`) ship with the package and are inlined into every page, so a report needs
nothing but itself. Building a page writes nothing: `leftshift.report.writers` hands it to `leftshift.io`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

REPORT = "report.html"
MAX_POINTS = 300
"""At most this many points per series in time: monthly for horizons up to 25 years, coarser beyond."""
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def h(text: object) -> str:
    """Escape any text for HTML (scenario names, descriptions, source notes, key paths)."""
    return html.escape(str(text), quote=True)


@cache
def asset(name: str) -> str:
    """A file shipped with the report package (report.css, report.js), as text."""
    return resources.files("leftshift.report").joinpath(name).read_text(encoding="utf-8")


@cache
def plotly_js() -> str:
    """plotly.js, as Plotly ships it (read from its package once: 4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def per_year(horizon_years: float) -> int:
    """Points a year for series in time: at most MAX_POINTS over the horizon, at most monthly."""
    return max(1, min(12, int(MAX_POINTS / max(horizon_years, 1e-9))))


@dataclass
class Page:
    """A report being assembled: trusted HTML fragments and charts, rendered into one file."""

    title: str
    subtitle: str = ""
    parts: list[str] = field(default_factory=list)
    contents: list[tuple[str, str]] = field(default_factory=list)

    def add(self, fragment: str) -> None:
        """Add HTML built by this package (every scenario string in it already escaped)."""
        self.parts.append(fragment)

    def section(self, key: str, heading: str, body: str, appendix: bool = False) -> None:
        """A section of text and tables; an `appendix` starts a new page when printed."""
        self.contents.append((key, heading))
        kind = ' class="appendix"' if appendix else ""
        self.add(f'<section id="{h(key)}"{kind}><h2>{h(heading)}</h2>{body}</section>')

    def chart(
        self, key: str, heading: str, note: str, figure: Any, description: str = "", table: str = ""
    ) -> None:  # fmt: skip
        """A chart section; a figure with no data is left out (a blank chart tells nobody anything).

        The heading is the chart's title: the figure's own title is taken off (it would say the same again just
        under it), its subtitle kept. The chart is an image to a screen reader, labelled by its heading and
        described by `description` (what it shows, in words and numbers; the note when not given). `table`:
        the chart's numbers as an HTML table built by this package, shown folded under the chart."""
        from leftshift.plots.style import figure_json, has_data

        if not has_data(figure):
            return
        figure.layout.title.text = None
        height = figure.layout.height or 480
        spec = figure_json(figure)  # (plotly.io.to_json) escapes <, > and / so the JSON cannot end the script element
        self.contents.append((key, heading))
        self.add(f'<section class="chart" id="{h(key)}" data-chart="{h(key)}"><h2>{h(heading)}</h2>'
                 f'<p class="note">{h(note)}</p><div class="figure" id="chart-{h(key)}" role="img" '
                 f'aria-label="{h(heading)}" aria-describedby="desc-{h(key)}" style="height:{int(height)}px"></div>'
                 f'<p class="sr-only" id="desc-{h(key)}">{h(description or note)}</p>'
                 f'<script type="application/json" class="figure-spec" data-for="chart-{h(key)}">{spec}</script>'
                 + (f'<details class="numbers"><summary>The numbers as a table</summary>{table}</details>'
                    if table else "") + "</section>")  # fmt: skip

    def render(self) -> str:
        from leftshift.analysis.summary import version

        nav = "".join(f'<li><a href="#{h(k)}">{h(t)}</a></li>' for k, t in self.contents)
        first = 1 if self.contents and self.contents[0][0] == "headline" else 0  # the answer before the contents
        made = dt.datetime.now().strftime("%d %B %Y, %H:%M")
        style, draw = asset("report.css"), asset("report.js")
        return (
            f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="leftshift {h(version())}">\n<title>{h(self.title)}</title>\n'
            f"<style>{style}</style>\n</head>\n<body>\n<main>\n"
            f'<header><h1>{h(self.title)}</h1><p class="subtitle">{h(self.subtitle)}</p></header>\n'
            + "\n".join(self.parts[:first])
            + f'\n<nav aria-label="Contents"><ol>{nav}</ol></nav>\n' + "\n".join(self.parts[first:]) +
            f'\n<footer>Made by leftshift {h(version())} on {h(made)}. Charts are interactive: hover for values, '
            "click a legend entry to hide it, double-click to show it alone.</footer>\n</main>\n"
            f"<script>{plotly_js()}</script>\n<script>const CONFIG = {json.dumps(CONFIG)};{draw}</script>\n"
            "</body>\n</html>\n"
        )  # fmt: skip
