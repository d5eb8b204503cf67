"""The shortcuts charts take past Plotly's slow paths (leftshift.plots.style) give the figure Plotly's own way
gives, byte for byte: the report pages and their snapshots depend on it."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from leftshift.plots import style

LINE = {"color": "#222", "width": 1}


def _json(fig: go.Figure) -> str:
    return pio.to_json(fig, validate=False)


def _plotly_base_layout(fig: go.Figure, title: str, subtitle: str = "", height: int | None = None) -> go.Figure:
    """base_layout as it was written with update_layout (before the shortcut)."""
    title_spec = {"text": title, "x": 0, "xref": "container", "xanchor": "left", "pad": {"l": 8}}
    if subtitle:
        title_spec["subtitle"] = {"text": subtitle, "font": {"size": 13, "color": "#555"}}
    top, bottom = (100 if subtitle else 80), 60
    plot_height = max((height or 450) - top - bottom, 150)
    fig.update_layout(template=style.template(), title=title_spec, font={"family": style.FONT, "size": 13,
                      "color": "#222"}, colorway=list(style.palette.OKABE_ITO), separators=".,",
                      hoverlabel={"namelength": -1}, legend={"orientation": "h", "yanchor": "top",
                      "y": -75 / plot_height, "xanchor": "left", "x": 0},
                      margin={"t": top, "l": 80, "r": 30, "b": bottom})  # fmt: skip
    if height:
        fig.update_layout(height=height)
    return fig


def test_base_layout_gives_the_json_of_update_layout_with_and_without_a_subtitle_and_height():
    for args in (("A <b>title</b>",), ("T", "a subtitle", 520), ("T", "", 250)):
        mine = style.base_layout(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), *args)
        theirs = _plotly_base_layout(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), *args)
        assert _json(mine) == _json(theirs)


def test_base_layout_merges_into_a_layout_that_already_has_one_of_its_keys():
    mine = go.Figure(layout={"margin": {"pad": 3}})
    theirs = go.Figure(layout={"margin": {"pad": 3}})
    assert _json(style.base_layout(mine, "T", "s", 400)) == _json(_plotly_base_layout(theirs, "T", "s", 400))
    assert mine.layout.margin.pad == 3 and mine.layout.margin.t == 100


def test_update_and_update_axes_give_the_json_of_update_layout_and_update_axes():
    def build(fast: bool) -> go.Figure:
        fig = make_subplots(rows=2, cols=1, subplot_titles=["a", "b"])
        fig.add_trace(style.scatter(x=[1, 2], y=[3, 4]), row=2, col=1)
        props = {"categoryorder": "array", "categoryarray": ["x", "y"], "automargin": True, "title_text": ""}
        if fast:
            style.update_axes(fig, "y", row=2, col=1, **props)
            style.update_axes(fig, "x", title_text="Year", tickformat="d", dtick=1)
            style.update(fig.layout, barmode="overlay", uniformtext={"minsize": 10, "mode": "hide"}, margin={"t": 130})
            for note in fig.layout.annotations:
                style.update(note, font_size=14)
        else:
            fig.update_yaxes(row=2, col=1, **props)
            fig.update_xaxes(title_text="Year", tickformat="d", dtick=1)
            fig.update_layout(barmode="overlay", uniformtext={"minsize": 10, "mode": "hide"}, margin={"t": 130})
            fig.update_annotations(font_size=14)
        return fig

    assert _json(build(True)) == _json(build(False))


def test_traces_as_dicts_give_the_json_of_graph_objects():
    kw = {"x": ["2026-01-01", "2026-02-01"], "y": np.array([1.5, 2.0]), "name": "a", "visible": "legendonly",
          "line": {"width": 0.5, "color": "#000"}, "hovertemplate": "%{y:,.0f}<extra></extra>"}  # fmt: skip
    mine, theirs = go.Figure(), go.Figure()
    mine.add_trace(style.scatter(**kw))
    mine.add_trace(style.bar(x=[1, 2], y=[3, 4], marker={"pattern": {"shape": "/"}}))
    theirs.add_trace(go.Scatter(**kw))
    theirs.add_trace(go.Bar(x=[1, 2], y=[3, 4], marker={"pattern": {"shape": "/"}}))
    assert _json(mine) == _json(theirs)


def test_subplots_give_the_figure_of_make_subplots_each_time_and_place_traces_by_row():
    options = {"rows": 3, "cols": 2, "subplot_titles": ["a", "b", "c", "d", "e", "f"], "vertical_spacing": 0.1}
    for _ in range(2):  # the second comes from the cache, and must not share the first one's layout
        mine, theirs = style.subplots(**options), make_subplots(**options)
        for fig in (mine, theirs):
            fig.add_trace(style.scatter(x=[1], y=[2]), row=3, col=2)
            fig.update_yaxes(title_text="People", row=2, col=1)
        assert _json(mine) == _json(theirs)
    assert mine.data[0].xaxis == "x6"


def test_lines_across_give_the_shapes_of_add_hline_and_add_vline():
    mine, theirs = make_subplots(rows=2, cols=1), make_subplots(rows=2, cols=1)
    for fig in (mine, theirs):
        for row in (1, 2):
            fig.add_trace(style.scatter(x=[1, 2], y=[1, 2]), row=row, col=1)
    mine.layout.shapes = [style.line_across(LINE, y=0), style.line_across(LINE, y=0, axes="2")]
    for row in (1, 2):
        theirs.add_hline(y=0, line=LINE, row=row, col=1)
    assert _json(mine) == _json(theirs)
    single, plotly_single = go.Figure(go.Bar(x=[1], y=[2])), go.Figure(go.Bar(x=[1], y=[2]))
    single.layout.shapes = [style.line_across(LINE, x=0)]
    plotly_single.add_vline(x=0, line=LINE)
    assert _json(single) == _json(plotly_single)


def test_figure_json_is_the_text_of_plotly_to_json_and_leaves_the_figure_as_it_was():
    fig = style.subplots(rows=2, cols=1, subplot_titles=["a", "b"])
    fig.add_trace(style.scatter(x=np.arange(3), y=np.array([1.5, np.nan, 2.0]), customdata=np.ones((3, 2)),
                                name="<b>x</b>"), row=2, col=1)  # fmt: skip
    fig.add_trace(style.bar(x=("a", "b"), y=[1, 2], marker={"color": ["#000", "#111"]}))
    style.base_layout(fig, "T", "s", 400)
    before = fig.to_dict()
    assert style.figure_json(fig) == pio.to_json(fig, validate=False)
    assert style.figure_json(fig) == pio.to_json(fig, validate=False)  # (the arrays are still arrays)
    assert json.dumps(fig.to_dict(), default=str) == json.dumps(before, default=str)
