"""Explanation figures: deletion curves and the faithfulness of attribution methods."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fgnn.viz.common import fmt
from fgnn.viz.drawing import (
    OTHER_COLOR,
)

METHOD_COLORS = {"attention": "rgb(31,119,180)", "ig": "rgb(214,39,40)", "gnnexplainer": "rgb(44,160,44)",
                 "exact": "rgb(148,103,189)", "random": "rgb(127,127,127)"}
METHOD_LABELS = {"attention": "attention", "ig": "integrated gradients", "gnnexplainer": "GNNExplainer",
                 "exact": "exact contributions", "random": "random order"}


def deletion_curves_figure(curves: Mapping[str, pd.DataFrame], item: int | None = None) -> go.Figure:
    """Deletion curves of several explanations of one item's score (``docs/explanations.md``).

    ``curves`` maps a method (``attention``, ``ig``, ``gnnexplainer``, ``exact``, ``random``) to
    a frame with ``step, removed, score, rank, share`` (:func:`fgnn.explain.attribution.deletion_curve`).
    Left: the item's share (probability) after each removal, one trace per method named by the
    method; right: its rank (log axis, 1 at the top), traces ``"<method> rank"``. The title
    lists each method's deletion AUC (lower = more faithful); hover gives the removed item,
    score, share and rank.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("item's share (probability)", "item's rank"))
    aucs = []
    for method, curve in curves.items():
        c = curve.reset_index(drop=True)
        share = c["share"].to_numpy(dtype=float)
        x = c["step"].to_numpy(dtype=int)
        auc = (float(np.sum((share[1:] + share[:-1]) / 2 * np.diff(np.linspace(0, 1, len(share)))))
               if len(share) > 1 else float("nan"))
        aucs.append(f"{method} {fmt(auc, 3)}")
        hover = [f"{METHOD_LABELS.get(method, method)}<br>"
                 + ("whole session" if r is None else f"removed item {r}")
                 + f"<br>score {fmt(float(v))}<br>share {fmt(float(p))}<br>rank {int(k)}"
                 for r, v, p, k in zip(c["removed"], c["score"], share, c["rank"], strict=True)]
        common = {"mode": "lines+markers", "hovertext": hover, "hoverinfo": "text", "legendgroup": method,
                      "line": {"color": METHOD_COLORS.get(method, OTHER_COLOR),
                                "dash": "dot" if method == "random" else "solid"},
                      "customdata": list(c["removed"])}
        fig.add_trace(go.Scatter(x=x, y=share, name=method, **common), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=c["rank"].to_numpy(dtype=float), name=f"{method} rank",
                                 showlegend=False, **common), row=1, col=2)
    # one tick per removed item while they fit a panel (half of a half-width chart), else fewer
    steps = max((len(c) for c in curves.values()), default=1)
    fig.update_xaxes(title_text="items removed (most important first)", dtick=max(1, int(np.ceil(steps / 10))))
    fig.update_yaxes(title_text="share", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="rank", type="log", dtick=1, autorange="reversed", row=1, col=2)
    title = "Deletion curves" + (f" of item {item}" if item is not None else "")
    if aucs:
        title += "<br><sup>deletion AUC, lower = more faithful:<br>" + " · ".join(aucs) + "</sup>"
    fig.update_layout(title={"text": title, "y": 0.95, "yanchor": "top"}, height=450,
                      margin={"l": 10, "r": 10, "t": 125, "b": 40},
                      legend={"orientation": "h", "y": -0.22}, hovermode="closest")
    return fig


def faithfulness_figure(summary: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Mean deletion AUC per method with its standard error (one bar each, trace ``"AUC"``),
    random's mean as a dashed line (``"random"`` shape); lower = more faithful.

    ``summary``: :func:`fgnn.explain.attribution.faithfulness_summary` (``method, pairs, auc, auc_sem,
    beats_random``...).
    """
    s = summary.reset_index(drop=True)
    methods = [str(m) for m in s["method"]]
    hover = [f"{METHOD_LABELS.get(m, m)}<br>mean AUC {fmt(float(a), 3)} ± {fmt(float(e), 2)}"
             f"<br>{int(n)} pairs" + ("" if not np.isfinite(b) else f"<br>below random on {100 * b:.0f} % of them")
             for m, a, e, n, b in zip(methods, s["auc"], s["auc_sem"], s["pairs"], s["beats_random"].astype(float), strict=True)]
    fig = go.Figure(go.Bar(
        x=[METHOD_LABELS.get(m, m) for m in methods], y=s["auc"].astype(float),
        error_y={"type": "data", "array": s["auc_sem"].fillna(0).astype(float), "visible": True},
        marker_color=[METHOD_COLORS.get(m, OTHER_COLOR) for m in methods], hovertext=hover,
        hoverinfo="text", customdata=methods, name="AUC",
    ))
    # each mean written above its error bar (a bar's own outside text sat on the error bar)
    auc = s["auc"].astype(float).to_numpy()
    tops = auc + s["auc_sem"].fillna(0).astype(float).to_numpy()
    for label, a, top in zip(fig.data[0].x, auc, tops, strict=True):
        fig.add_annotation(x=label, y=float(top), text=fmt(float(a), 3), showarrow=False, yanchor="bottom",
                           yshift=2, name=f"AUC value {label}")
    if "random" in methods:
        r = float(s.loc[s["method"] == "random", "auc"].iloc[0])
        fig.add_hline(y=r, line_dash="dash", line_color=METHOD_COLORS["random"], name="random",
                      annotation_text="random", annotation_position="top right")
    n = int(s["pairs"].max()) if len(s) else 0
    fig.update_layout(title={"text": title or f"Faithfulness: mean deletion AUC over {n} test pairs"
                                               "<br><sup>lower = more faithful</sup>"},
                      yaxis={"title": {"text": "deletion AUC"}, "rangemode": "tozero",
                             # room above the highest error bar for its number
                             "range": [0, 1.2 * float(np.nanmax(tops)) if len(tops) and np.nanmax(tops) > 0 else 1]},
                      height=360, margin={"l": 10, "r": 10, "t": 70, "b": 40}, showlegend=False)
    return fig
