"""What every leftshift chart shares: plain-English names of states and services, escaping, money scaling and
the base layout. Measures are named and measured by `leftshift.analysis.measures`, as everywhere else.

Plotly renders a small subset of HTML in titles, legends and hover text, so every string that comes
from a scenario file (names of scenarios, states, programmes) passes through `esc` before it reaches a
figure: a scenario called `<b>x</b>` is shown as typed, never interpreted.

Plotly validates every value it is given, and its update methods (`update_layout`, `update_yaxes`, `add_hline`,
`make_subplots`) go through a batch-update machinery that costs about 10 ms a call: most of a report's time. The
helpers at the end (`base_layout`, `subplots`, `update`, `update_axes`, `line_across`, `scatter`, `bar`) give the
same figure, its JSON byte for byte, without them, and `figure_json` writes that JSON without Plotly's deep copy.
`base_layout` and `subplots` set fixed values unvalidated, as Plotly sets its default template, through Plotly's
private `_validate`, `_props` and `_grid_ref`, and `figure_json` reads `_data` and `_layout` (so a Plotly upgrade
may need them looked at again: tests/unit/plots/test_style.py compares each with Plotly's own way).
"""

from __future__ import annotations

import copy
import functools
import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from leftshift.analysis.measures import MEASURES, PAYER_LABELS
from leftshift.plots import palette

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
YEAR_FORMAT = "d"
"""Tick format for calendar years, so that 2026 is never shown as 2,026."""


def year_axis(years: Any) -> dict[str, Any]:
    """Axis settings for calendar years: whole years only (never 2027 twice), never 2,026."""
    values = np.asarray(years, dtype=float)
    span = float(np.nanmax(values) - np.nanmin(values)) if values.size else 0.0
    step = 1 if span <= 12 else 5 if span <= 60 else 10
    return {"title_text": "Year", "tickformat": YEAR_FORMAT, "dtick": step}


_STATE_LABELS = {
    "community": "Living independently",
    "prevention": "In a prevention programme",
    "home_care": "Home care",
    "residential": "Care home",
    "acute": "In hospital",
    "dead": "Died",
    "entrants": "New adults (turning 18, moving in)",
}
_WHERE = {"acute": "in hospital", "community": "at home", "home_care": "at home with home care"}
_WHAT = {"residential": "a care home place", "home_care": "home care", "acute": "a hospital bed"}


def esc(text: object) -> str:
    """Text from a scenario, made safe for Plotly's (and the report's) HTML-like rendering."""
    return html.escape(str(text), quote=False)


def state_label(name: str, emergency: str = "acute") -> str:
    """Plain-English name of a stock: a state, a queue `waiting:a->b`, `overflow:s`, or `entrants`."""
    if name.startswith("waiting:"):
        origin, _, target = name.removeprefix("waiting:").partition("->")
        where = "in hospital" if origin == emergency else _WHERE.get(origin, f"in {state_label(origin).lower()}")
        what = _WHAT.get(target, state_label(target).lower())
        return f"Waiting {where} for {what}"
    if name.startswith("overflow:"):
        return f"{state_label(name.removeprefix('overflow:'))} above capacity"
    if name in _STATE_LABELS:
        return _STATE_LABELS[name]
    return esc(name.replace("_", " ").capitalize())


_PLACES = {"community": "home", "prevention": "a programme", "home_care": "home care", "residential": "a care home",
           "acute": "hospital", "dead": "death"}  # fmt: skip


def place(name: str) -> str:
    """A state as the end of a move: 'from home to hospital'."""
    return _PLACES.get(name) or state_label(name).lower()


def service_label(service: str) -> str:
    """Plain-English name of a cost line (`leftshift.result.COSTS_COLUMNS`)."""
    if service.startswith("intervention:"):
        return f"Programme: {esc(service.removeprefix('intervention:'))}"
    if "->" in service and not service.startswith("waiting:"):
        source, _, target = service.partition("->")
        return f"Moves from {place(source)} to {place(target)} (one-off costs)"
    return state_label(service)


def payer_label(name: str) -> str:
    return PAYER_LABELS.get(name, esc(name))


def measure(name: str) -> tuple[str, str]:
    """(label, unit) of a measure (`leftshift.analysis.measures`); a column leftshift does not define (a
    series such as `people:home_care`, a user's own column) is shown by its name, without a unit."""
    if name in MEASURES:
        found = MEASURES[name]
        return found.label, found.unit
    return esc(name), ""


def parameter_unit(path: str) -> str:
    """A best guess at the unit of a scenario key path, for sweep and sensitivity axes."""
    last = path.rsplit(".", 1)[-1]
    if "budget" in path:
        return "GBP a year"
    if last == "places":
        return "places"
    if "rate" in path and "discount" not in path:
        return "per person per year"
    if "cost" in path or path.startswith("costs."):
        return "GBP"
    if "years" in last:
        return "years"
    return ""


def with_unit(label: str, unit: str) -> str:
    """'Budget (GBP a year)'; a label that already ends with its unit is left as it is."""
    return f"{label} ({unit})" if unit and not label.endswith(f"({unit})") else label


@dataclass(frozen=True)
class Scale:
    """How to show a quantity: divide by `divisor`, then prefix/suffix; `unit` is for axis titles."""

    divisor: float
    prefix: str
    suffix: str
    unit: str
    decimals: int

    def hover(self, field: str = "y") -> str:
        """A Plotly hovertemplate fragment for `field`, e.g. '£%{y:,.1f}m'."""
        return f"{self.prefix}%{{{field}:,.{self.decimals}f}}{self.suffix}"

    def text(self, value: float) -> str:
        return f"{self.prefix}{value / self.divisor:,.{self.decimals}f}{self.suffix}"


def scale_for(values: Any, unit: str) -> Scale:
    """Money in £ millions or £ thousands when large (axis ticks stay short); other units as they are."""
    array = np.asarray(values, dtype=float)
    top = float(np.nanmax(np.abs(array))) if array.size and np.isfinite(array).any() else 0.0
    if unit == "GBP":
        if top >= 1e6:
            return Scale(1e6, "£", "m", "GBP million", 1)
        if top >= 1e3:
            return Scale(1e3, "£", "k", "GBP thousand", 1)
        return Scale(1.0, "£", "", "GBP", 0)
    if unit == "ratio":
        return Scale(1.0, "", "", "ratio", 2)
    decimals = 0 if top >= 100 or unit in ("people", "days", "places") else 2
    return Scale(1.0, "", "", unit, decimals)


def _nice_step(span: float, count: int = 6) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `count` ticks over `span`."""
    raw = span / max(count, 1)
    power = 10 ** np.floor(np.log10(raw))
    return float(power * min((m for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=10))


def money_ticks(values: Any, scale: Scale, count: int = 6) -> dict[str, Any]:
    """Tick values and labels for a money axis (values in scaled units, 0 always included), written as
    `measures.format_number` writes money: '-£20m', never Plotly's '£−20m'."""
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    low, high = (min(float(array.min()), 0.0), max(float(array.max()), 0.0)) if array.size else (0.0, 1.0)
    if high - low <= 0:
        high = low + 1.0
    step = _nice_step(high - low, count)
    ticks = np.arange(np.floor(low / step) * step, np.ceil(high / step) * step + step / 2, step)
    decimals = next(d for d in range(7) if abs(round(step, d) - step) < 1e-9 * step)
    ticks = np.round(ticks, decimals)
    text = [f"{scale.prefix}0" if v == 0 else ("-" if v < 0 else "") + f"{scale.prefix}{abs(v):,.{decimals}f}"
            f"{scale.suffix}" for v in ticks]  # fmt: skip
    return {"tickvals": ticks.tolist(), "ticktext": text}


def money_text(values: Any) -> list[str]:
    """Money in GBP as hover and bar text, one way everywhere (`measures.format_number`): -£19.4m, £4,500."""
    from leftshift.analysis.measures import format_number

    return [format_number(float(v), "GBP") for v in np.asarray(values, dtype=float)]


@functools.cache
def template() -> go.layout.Template:
    """plotly_white's layout and bar style, without defaults for the two dozen trace types leftshift never draws."""
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    return go.layout.Template(layout=white.layout, data={"bar": white.data.bar, "scatter": white.data.scatter})


def subplots(rows: int, cols: int, **options: Any) -> go.Figure:
    """`plotly.subplots.make_subplots(rows=rows, cols=cols, **options)`, copied from one made once for the same
    arguments (Plotly lays out a grid through its batch update: 15 ms a figure, a tenth of a report). The copy's
    layout is set unvalidated, as `base_layout` sets the look, with the grid Plotly keeps for `row=`/`col=`; the
    JSON is the same byte for byte."""
    grid, layout = _grid(rows, cols, tuple((key, _frozen(value)) for key, value in options.items()))
    fig = go.Figure()
    fig._grid_ref, fig._grid_str = grid
    _set_trusted(fig.layout, copy.deepcopy(layout))
    return fig


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=32)
def _grid(rows: int, cols: int, options: tuple[tuple[str, Any], ...]) -> tuple[tuple[Any, Any], dict[str, Any]]:
    """The grid and the layout (without the template) of `make_subplots`, made once per arguments."""
    from plotly.subplots import make_subplots

    made = make_subplots(rows=rows, cols=cols, **{k: list(v) if isinstance(v, tuple) else v for k, v in options})
    layout = made.layout.to_plotly_json()
    layout.pop("template", None)
    return (made._grid_ref, made._grid_str), layout


def base_layout(fig: go.Figure, title: str, subtitle: str = "", height: int | None = None) -> go.Figure:
    """Apply the look every chart shares: title, palette, fonts, thousands separators, legend below."""
    title_spec: dict[str, Any] = {"pad": {"l": 8}}
    if subtitle:
        title_spec["subtitle"] = {"font": {"size": 13, "color": "#555"}, "text": subtitle}
    title_spec.update({"text": title, "x": 0, "xref": "container", "xanchor": "left"})
    top, bottom = (100 if subtitle else 80), 60
    plot_height = max((height or 450) - top - bottom, 150)
    look = {
        "template": template(),
        "title": title_spec,
        "font": {"family": FONT, "size": 13, "color": "#222"},
        "hoverlabel": {"namelength": -1},
        # the legend sits a fixed 75 px below the plot (below the x-axis title), whatever the figure's height
        "legend": {"orientation": "h", "yanchor": "top", "y": -75 / plot_height, "xanchor": "left", "x": 0},
        "margin": {"t": top, "l": 80, "r": 30, "b": bottom},
        "colorway": list(palette.OKABE_ITO),
        "separators": ".,",
        **({"height": height} if height else {}),
    }
    _set_trusted(fig.layout, look)
    return fig


def _set_trusted(layout: Any, look: dict[str, Any]) -> None:
    """Set the shared look as Plotly sets its default template on every new figure: without validating it (these
    are fixed values, and validating them was half of a report's time), each value replacing what is there. The
    keys come in the order `update_layout` would give them (nested objects first), so the JSON is the same byte
    for byte. A layout that already has one of them (but the template) gets them merged and validated."""
    if any(key != "template" and key in layout._props for key in look):
        look = dict(look)
        if "template" in look:
            _set_trusted(layout, {"template": look.pop("template")})
        assign(layout, look)
        return
    layout._validate = False
    try:
        for key, value in look.items():
            layout[key] = value
    finally:
        layout._validate = True


def assign(obj: Any, spec: dict[str, Any]) -> None:
    """`obj.update(spec)` (nested dicts merged into what is there, `title_text` for `title.text`, each value
    validated), without Plotly's batch-update machinery, which costs about 10 ms a call. The JSON comes out the
    same, key order too: as `update` does, nested objects and paths (`title_text`) first, in the order given, then
    the plain values."""
    nested = [key for key, value in spec.items() if isinstance(value, dict) or "_" in key]
    for key in nested:
        if isinstance(spec[key], dict):
            assign(obj[key], spec[key])
        else:
            obj[key] = spec[key]
    for key, value in spec.items():
        if key not in nested:
            obj[key] = value


def update(obj: Any, **props: Any) -> None:
    """`obj.update(**props)` (a figure's layout, an axis, an annotation; `title_text` for `title.text` as there)
    without Plotly's batch update (`assign`)."""
    assign(obj, props)


def update_axes(fig: go.Figure, letter: str, row: int | None = None, col: int | None = None, **props: Any) -> None:
    """`fig.update_xaxes(**props, row=row, col=col)` (`letter` x) or `update_yaxes` (y) without Plotly's batch
    update (`assign`): every such axis, or those of the subplot at `row` and `col`."""
    select = fig.select_xaxes if letter == "x" else fig.select_yaxes
    for axis in select(row=row, col=col):
        assign(axis, props)


def line_across(line: dict[str, Any], x: float | None = None, y: float | None = None, axes: str = "") -> dict[str, Any]:
    """The shape `fig.add_hline(y=y, line=line)` adds (`add_vline` with `x`): a line across the plot of the axes
    x`axes` and y`axes` ('2': the second subplot's), to set with the others at once (`fig.layout.shapes`): each
    `add_hline` call costs about 5 ms. The JSON is the same."""
    if y is not None:
        return {"type": "line", "x0": 0, "x1": 1, "xref": f"x{axes} domain", "y0": y, "y1": y, "yref": f"y{axes}",
                "line": line}  # fmt: skip
    return {"type": "line", "x0": x, "x1": x, "xref": f"x{axes}", "y0": 0, "y1": 1, "yref": f"y{axes} domain",
            "line": line}  # fmt: skip


def figure_json(fig: go.Figure) -> str:
    """`plotly.io.to_json(fig, validate=False)`, the same text, without deep-copying every value of the figure
    first (90% of its time): only the dicts and lists are copied, which Plotly's conversion of arrays to base64
    writes into."""
    import plotly.io as pio
    from _plotly_utils.utils import convert_to_base64

    spec = {"data": _containers(fig._data), "layout": _containers(fig._layout)}
    frames = [frame._props for frame in fig._frame_objs]
    if frames:
        spec["frames"] = _containers(frames)
    convert_to_base64(spec)
    return pio.to_json(spec, validate=False)


def _containers(value: Any) -> Any:
    """A copy of the dicts, lists and tuples in `value`, sharing everything else (numbers, text, arrays)."""
    if isinstance(value, dict):
        return {key: _containers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_containers(item) for item in value)
    return value


def scatter(**props: Any) -> dict[str, Any]:
    """A scatter trace for `Figure.add_trace`, which validates it: a `go.Scatter` would be validated when made and
    again when added (a third of the time of a chart of many lines). The figure's JSON is the same."""
    return {"type": "scatter", **props}


def bar(**props: Any) -> dict[str, Any]:
    """A bar trace for `Figure.add_trace` (as `scatter`)."""
    return {"type": "bar", **props}


def empty(title: str, message: str) -> go.Figure:
    """A figure with no data and a sentence saying why (e.g. a scenario with no programmes)."""
    fig = go.Figure()
    fig.add_annotation(text=esc(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, title, height=250)


def has_data(fig: go.Figure) -> bool:
    """True when at least one trace has data points (reports leave out charts that would be blank)."""
    for trace in fig.data:
        for attr in ("y", "x", "z", "values"):
            values = getattr(trace, attr, None)
            if values is not None and len(values):
                return True
        link = getattr(trace, "link", None)
        if link is not None and link.value is not None and len(link.value):
            return True
    return False
