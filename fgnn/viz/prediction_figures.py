"""Top-K predictions and the what-if of a session's order."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fgnn.data.ids import plain_id
from fgnn.data.items import ItemLabels, item_labeller
from fgnn.viz.common import as_1d, fmt, number_or_none
from fgnn.viz.drawing import (
    HIGHLIGHT_COLOR,
    NODE_COLOR,
    item_name,
    shorten,
)


def topk_figure(items, scores, probabilities=None, target: int | None = None,
                item_labels: ItemLabels = None, title: str | None = None) -> go.Figure:
    """Horizontal bars of the top-K items, best on top; the target item in another colour.

    Bars show probabilities when given, scores otherwise; hover shows rank, score and
    probability. ``customdata`` holds item ids (clicking a bar appends the item).
    """
    ids = [plain_id(i) for i in np.asarray(items).reshape(-1)]
    target = None if target is None else plain_id(target)
    sc = as_1d(scores, "scores", len(ids))
    pr = None if probabilities is None else as_1d(probabilities, "probabilities", len(ids))
    order = sorted(range(len(ids)), key=lambda i: (-sc[i], i))  # stable, best first
    label = item_labeller(item_labels)
    y = [f"{r + 1}. {shorten(item_name(ids[i], label(ids[i])), 28)}" for r, i in enumerate(order)]
    x = [float(pr[i]) if pr is not None else float(sc[i]) for i in order]
    colors = [HIGHLIGHT_COLOR if target is not None and ids[i] == target else NODE_COLOR
              for i in order]
    hover = []
    for r, i in enumerate(order):
        lines = [f"<b>{item_name(ids[i], label(ids[i]))}</b>", f"rank {r + 1}",
                 f"score {fmt(float(sc[i]))}"]
        if pr is not None:
            lines.append(f"probability {fmt(float(pr[i]))}")
        if target is not None and ids[i] == target:
            lines.append("target (true next item)")
        hover.append("<br>".join(lines))
    fig = go.Figure(go.Bar(
        x=x, y=y, orientation="h", marker={"color": colors}, customdata=[ids[i] for i in order],
        hovertext=hover, hoverinfo="text", name="top-K",
        text=[fmt(v, 3) for v in x], textposition="auto",
    ))
    heading = title or f"Top-{len(ids)} next items"
    if target is not None:
        if target in ids:
            heading += f" (target item {target} at rank {order.index(ids.index(target)) + 1})"
        else:
            heading += f" (target item {target} not in the top {len(ids)})"
    fig.update_layout(
        title={"text": heading}, yaxis={"autorange": "reversed", "title": {"text": ""}},
        xaxis={"title": {"text": "probability" if pr is not None else "score"}},
        height=max(240, 28 * len(ids) + 100), plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


def whatif_figure(rows: pd.DataFrame, k: int | None = None,
                  item_labels: ItemLabels = None) -> go.Figure:
    """Where each variant of the session ranks the original top-K items.

    ``rows`` has columns ``variant, item, rank, score``. Columns of the heatmap are the items of
    the ``"original"`` variant (or the first variant) in their original rank order; rows are
    variants in table order, original first. Cells show the rank; colour is the rank clipped
    at ``2 K`` (dark = near the top).
    """
    df = rows.copy()
    variants = [str(v) for v in pd.unique(df["variant"])]
    base = "original" if "original" in variants else variants[0]
    variants = [base] + [v for v in variants if v != base]
    df["variant"] = df["variant"].astype(str)
    orig = df[df["variant"] == base].sort_values("rank", kind="stable")
    items = [plain_id(i) for i in pd.unique(orig["item"])]
    k = k or len(items)
    cap = 2 * max(k, 1)
    label = item_labeller(item_labels)
    lookup = {(str(v), plain_id(i)): (r, s) for v, i, r, s in
              zip(df["variant"], df["item"], df["rank"], df["score"], strict=True)}
    z, text, hover = [], [], []
    for v in variants:
        zr, tr, hr = [], [], []
        for i in items:
            rank, score = lookup.get((v, i), (None, None))
            rank = number_or_none(rank)
            zr.append(np.nan if rank is None else float(min(rank, cap)))
            tr.append("" if rank is None else f"{rank:g}")
            hr.append(f"{v}<br>{item_name(i, label(i))}<br>rank "
                      f"{'–' if rank is None else f'{rank:g}'}<br>score {fmt(number_or_none(score))}")
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{i}" for i in items], y=variants, text=text, texttemplate="%{text}",
        hovertext=hover, hoverinfo="text", colorscale="Blues", reversescale=True,
        zmin=1, zmax=cap, colorbar={"title": {"text": "rank"}}, xgap=1, ygap=1,
        customdata=[[i for i in items] for _ in variants], name="ranks",
    ))
    fig.update_layout(
        title={"text": f"What if: rank of the original top-{len(items)} under each variant"},
        xaxis={"title": {"text": "item (original top-K order)"}, "type": "category"},
        yaxis={"title": {"text": ""}, "autorange": "reversed", "type": "category"},
        height=max(260, 40 * len(variants) + 140), margin={"l": 10, "r": 10, "t": 50, "b": 50},
    )
    return fig
