"""Dataset figures: the protocol's steps, session lengths, item popularity, the train/test split in time."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fgnn.data.dataset import PreparedDataset
from fgnn.viz.common import as_1d, legend_above, number_or_none
from fgnn.viz.drawing import (
    NODE_COLOR,
    PALETTE,
)


def protocol_steps_figure(stats: list[dict]) -> go.Figure:
    """Clicks, sessions and items after each preprocessing step (docs/protocol.md), with what each
    step removed in the hover text.

    Horizontal bars, one row per step from the top, three panels side by side; the step names
    are read once, on the left, wrapped at :data:`STEP_LABEL_WIDTH` characters (rotated names
    under columns ran into each other)."""
    parts = [str(s.get("part") or "all") for s in stats]
    # a step done on train and on test is two bars: the part in the label and in the colour
    steps = [str(s.get("step", i)) + ("" if p == "all" else f" ({p})") for i, (s, p) in enumerate(zip(stats, parts, strict=True))]
    labels = [wrap_label(step) for step in steps]
    part_color = {"train": PALETTE[0], "test": PALETTE[1], "all": "rgb(140,140,140)"}
    fig = make_subplots(rows=1, cols=3, subplot_titles=("clicks", "sessions", "items"),
                        shared_yaxes=True, horizontal_spacing=0.03)
    for col, key in enumerate(("clicks", "sessions", "items"), start=1):
        vals = [number_or_none(s.get(key)) for s in stats]
        hover = []
        for i, v in enumerate(vals):
            line = f"{steps[i]}<br>{key}: {'–' if v is None else f'{v:,.0f}'}"
            prev = vals[i - 1] if i else None
            if v is not None and prev is not None:
                diff = v - prev
                pct = f" ({100 * diff / prev:+.1f}%)" if prev else ""
                line += f"<br>change {diff:+,.0f}{pct}"
            hover.append(line)
        fig.add_trace(go.Bar(
            y=steps, x=[np.nan if v is None else v for v in vals], orientation="h", name=key, hovertext=hover,
            hoverinfo="text", marker={"color": [part_color.get(p, part_color["all"]) for p in parts]},
            showlegend=False, text=["" if v is None else f"{v:,.0f}" for v in vals], textposition="outside",
            cliponaxis=False,
        ), row=1, col=col)
        top = max((v for v in vals if v is not None), default=0.0)
        # room right of the longest bar for its number, before the next panel starts
        fig.update_xaxes(range=[0, 1.45 * top if top > 0 else 1], nticks=3, row=1, col=col)
    for part in dict.fromkeys(parts):  # a legend of the colours
        fig.add_trace(go.Bar(x=[None], y=[None], orientation="h", name=part,
                             marker={"color": part_color.get(part, part_color["all"])},
                             showlegend=True, hoverinfo="skip"), row=1, col=1)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=steps, autorange="reversed",
                     tickmode="array", tickvals=steps, ticktext=labels, automargin=True)
    # rows are equally tall: each fits the longest label, plus a gap to the next one
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    fig.update_layout(title={"text": "Preprocessing protocol: what each step keeps"},
                      height=len(steps) * (STEP_LINE_PX * lines + STEP_GAP_PX) + 150)
    legend_above(fig, "", margin={"l": 10, "r": 20, "t": 110, "b": 40})
    return fig


#: Step names on the Dataset page's protocol figure wrap at this many characters; each line of
#: them gets STEP_LINE_PX of a row's height (12 px text), and rows STEP_GAP_PX more between them.
STEP_LABEL_WIDTH = 30
STEP_LINE_PX = 16
STEP_GAP_PX = 14


def wrap_label(text: str, width: int = STEP_LABEL_WIDTH) -> str:
    """``text`` broken into lines of at most ``width`` characters at spaces (a longer word keeps
    its own line), joined with ``<br>`` as plotly writes line breaks."""
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)) or text


def session_length_figure(lengths, title: str | None = None) -> go.Figure:
    """Number of sessions of each length (bars), mean and median in the title."""
    arr = as_1d(lengths, "lengths")
    arr = arr[np.isfinite(arr)].astype(int)
    values, counts = np.unique(arr, return_counts=True)
    fig = go.Figure(go.Bar(
        x=[int(v) for v in values], y=[int(c) for c in counts], marker={"color": NODE_COLOR},
        name="sessions", hovertemplate="length %{x}<br>%{y} sessions<extra></extra>",
    ))
    summary = (f": {arr.size} sessions, mean {arr.mean():.2f}, median {np.median(arr):g}"
               if arr.size else ": no sessions")
    fig.update_layout(
        title={"text": (title or "Session lengths") + summary},
        xaxis={"title": {"text": "clicks per session"}},
        yaxis={"title": {"text": "sessions"}}, height=360, plot_bgcolor="white",
        bargap=0.1, margin={"l": 50, "r": 10, "t": 50, "b": 50},
    )
    return fig


def popularity_figure(popularity, title: str | None = None) -> go.Figure:
    """Item popularity on log-log axes: frequency against frequency rank.

    ``popularity`` is the click count per item (array, list, Series or dict item -> count);
    items with no click are left out (log axes).
    """
    if isinstance(popularity, Mapping):
        ids = list(popularity.keys())
        vals = np.asarray([float(popularity[i]) for i in ids])
    elif isinstance(popularity, pd.Series):
        ids, vals = list(popularity.index), popularity.to_numpy(dtype=float)
    else:
        vals = as_1d(popularity, "popularity")
        ids = list(range(len(vals)))
    order = sorted((i for i in range(len(vals)) if np.isfinite(vals[i]) and vals[i] > 0),
                   key=lambda i: (-vals[i], i))
    y = [float(vals[i]) for i in order]
    fig = go.Figure(go.Scatter(
        x=list(range(1, len(y) + 1)), y=y, mode="markers+lines",
        marker={"size": 4, "color": NODE_COLOR}, line={"width": 1, "color": NODE_COLOR},
        customdata=[ids[i] for i in order], name="items",
        hovertemplate="rank %{x}<br>item %{customdata}<br>%{y:,} clicks<extra></extra>",
    ))
    fig.update_layout(
        title={"text": (title or "Item popularity (log-log)") + f": {len(y)} items"},
        xaxis={"title": {"text": "item rank by popularity"}, "type": "log", "dtick": 1},  # 1, 10, 100 only
        yaxis={"title": {"text": "clicks"}, "type": "log", "dtick": 1}, height=380, plot_bgcolor="white",
        margin={"l": 50, "r": 10, "t": 50, "b": 50},
    )
    return fig


def _day(d: int) -> str:
    return (pd.Timestamp(0) + pd.Timedelta(days=int(d))).strftime("%Y-%m-%d")


def dataset_split_day(dataset: PreparedDataset) -> int | None:
    """The split date as a day number since 1970-01-01 (what :func:`fgnn.viz.plots.split_timeline_figure`
    takes), or None when the dataset has no dates."""
    if not dataset.split_date:
        return None
    split = pd.Timestamp(dataset.split_date)
    if split.tzinfo is not None:  # a split at a time of day is written with its UTC offset
        split = split.tz_convert(None)
    return int((split - pd.Timestamp(0)).days)


def split_timeline_figure(train_dates, test_dates, split_date: int) -> go.Figure:
    """Sessions per day, train and test in two colours, a line at the split date.

    Dates are integer day numbers since 1970-01-01 (a session's date = its last click's).
    """
    fig = go.Figure()
    for name, dates, color in (("train", train_dates, PALETTE[0]), ("test", test_dates, PALETTE[1])):
        arr = as_1d(dates, f"{name}_dates")
        arr = arr[np.isfinite(arr)].astype(int)
        days, counts = np.unique(arr, return_counts=True)
        fig.add_trace(go.Bar(
            x=[_day(d) for d in days], y=[int(c) for c in counts], name=f"{name} ({arr.size})",
            marker={"color": color}, meta={"split": name},
            hovertemplate=f"{name}<br>%{{x}}<br>%{{y}} sessions<extra></extra>",
        ))
    split = _day(split_date)
    fig.add_shape(type="line", x0=split, x1=split, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": "black", "dash": "dash", "width": 1.5})
    fig.add_annotation(x=split, y=1, xref="x", yref="paper", text=f"split {split}",
                       showarrow=False, yanchor="bottom")
    fig.update_layout(
        title={"text": "Train/test split over time"}, barmode="overlay",
        xaxis={"title": {"text": "session date"}, "type": "date"},
        yaxis={"title": {"text": "sessions per day"}}, height=380, plot_bgcolor="white",
        legend={"title": {"text": ""}}, margin={"l": 50, "r": 10, "t": 60, "b": 50},
    )
    return fig
