"""Every figure the app shows, as pure functions that return a plotly ``go.Figure``.

Functions here take plain data (tensors, arrays, DataFrames, lists of dicts) and never read
files, session state or global settings, so the same input always gives the same figure and a
test can check the numbers in it. ``fgnn`` never imports Streamlit; pages call these and draw.
Graph drawings are built from the primitives of :mod:`fgnn.viz.drawing` (the teaching page's too);
attention tables are shaped for a view by :mod:`fgnn.explain.attention`.

Conventions the app relies on:

* a point a person may click carries the original item id in ``customdata``;
* traces have stable ``name`` s (``"items"``, ``"edge info"``, ``"current interest"``, ...)
  so pages and tests can find them;
* hover text carries the numbers behind every mark.
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from fgnn.data.dataset import PreparedDataset
from fgnn.data.graph import SessionGraph
from fgnn.data.items import ItemLabels, item_labeller
from fgnn.evaluation.metrics import summarize
from fgnn.explain.attention import attention_per_edge
from fgnn.viz.drawing import (
    CURRENT_COLOR,
    CURRENT_TRACE,
    EDGE_COLORSCALE,
    EDGE_GREY,
    HIGHLIGHT_COLOR,
    HIGHLIGHT_TRACE,
    NODE_COLOR,
    NODE_COLORSCALE,
    OTHER_COLOR,
    PALETTE,
    color_range,
    edge_bends,
    graph_figure,
    item_name,
    node_trace,
    ring_trace,
    scale_colors,
    session_layout,
    shorten,
)


# --------------------------------------------------------------------------- small helpers
def _as_1d(values, name: str, length: int | None = None) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    elif isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    arr = np.asarray(values, dtype=float).reshape(-1)
    if length is not None and arr.size != length:
        raise ValueError(f"{name} has {arr.size} values, expected {length}")
    return arr


def _fmt(value: float, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}g}"


# --------------------------------------------------------------------------- session graph
@dataclass(frozen=True)
class _Shading:
    """Numbers drawn as colours: ``values`` (None when none are given) on ``colorscale`` from
    ``vmin`` to ``vmax`` (:func:`fgnn.viz.drawing.color_range`)."""

    values: np.ndarray | None
    colorscale: list
    vmin: float = 0.0
    vmax: float = 0.0

    def color(self, value: float) -> str:
        return scale_colors(np.array([value]), self.colorscale, self.vmax, self.vmin)[0]

    def marker(self, colors: list[float], title: str, y: float) -> dict:
        """Marker properties that colour marks by ``colors`` with a colour bar at height ``y``."""
        return {"color": colors, "colorscale": self.colorscale, "cmin": self.vmin,
                "cmax": self.vmax if self.vmax > 0 else 1.0, "showscale": True,
                "colorbar": {"title": {"text": title}, "len": 0.45, "y": y, "x": 1.02}}


def _node_shading(node_attention, n: int, fixed_scale: bool) -> tuple[_Shading, np.ndarray]:
    """The nodes' shading and marker sizes (px): 30 each without attention, else 20 to 48
    growing with the value's magnitude."""
    if node_attention is None:
        return _Shading(None, NODE_COLORSCALE), np.full(n, 30.0)
    values = _as_1d(node_attention, "node_attention", n)
    scale, vmin, vmax = color_range(values, NODE_COLORSCALE, fixed_scale)
    frac = np.nan_to_num(np.abs(values) / vmax if vmax > 0 else values * 0, nan=0.0)
    return _Shading(values, scale, vmin, vmax), 20.0 + 28.0 * frac


def _edge_shading(edge_attention, graph: SessionGraph,
                  fixed_scale: bool) -> tuple[_Shading, list[tuple[int, float]]]:
    """The shading of the graph's edges and the ``(node, value)`` of the self-loops the
    attention layer added (drawn as extra edges)."""
    if edge_attention is None:
        return _Shading(None, EDGE_COLORSCALE), []
    if isinstance(edge_attention, pd.DataFrame):
        values, added = attention_per_edge(edge_attention, graph)
    else:
        values, added = _as_1d(edge_attention, "edge_attention", graph.num_edges), []
    everything = np.array(list(values) + [a for _, a in added], dtype=float)
    return _Shading(values, *color_range(everything, EDGE_COLORSCALE, fixed_scale)), added


def _session_edges(graph: SessionGraph, names: list[str], shading: _Shading,
                   added: list[tuple[int, float]], edge_label: str) -> list[dict]:
    """Edge dicts (:func:`fgnn.viz.drawing.edge_objects`) of the graph's edges, then of the added
    self-loops, with their ``text`` (the weight where > 1), ``hover`` and colour ``value``."""
    weights = graph.edge_weight.tolist()
    out_inv, in_inv = graph.out_degree_inv.tolist(), graph.in_degree_inv.tolist()
    pairs = [tuple(p) for p in graph.edge_index.t().tolist()]
    edges = []
    for k, ((s, d), w, bend) in enumerate(zip(pairs, weights, edge_bends(pairs))):
        a = None if shading.values is None else float(shading.values[k])
        lines = [f"{names[s]} → {names[d]}<br>nodes {s} → {d}", f"weight {w:g}" + (" (self-loop)" if s == d else ""),
                 f"out-degree⁻¹ {_fmt(out_inv[k], 3)}", f"in-degree⁻¹ {_fmt(in_inv[k], 3)}"]
        edges.append({"src": s, "dst": d, "width": min(1.5 + 1.5 * w, 9.0), "bend": bend, "name": f"edge {s}->{d}",
                      "color": EDGE_GREY if a is None or not np.isfinite(a) else shading.color(a),
                      "text": f"{w:g}" if w > 1 else "", "value": a, "lines": lines})
    for node, a in added:
        edges.append({"src": node, "dst": node, "width": 1.5, "dash": "dot", "color": shading.color(a),
                      "name": f"added self-loop {node}", "text": "", "value": a,
                      "lines": [f"{names[node]} → {names[node]}<br>nodes {node} → {node}",
                                "self-loop added by the attention layer (weight 1)"]})
    for e in edges:
        lines = e.pop("lines") + ([] if e["value"] is None else [f"{edge_label} {_fmt(e['value'])}"])
        e["hover"] = "<br>".join(lines)
    return edges


def _edge_marker(shading: _Shading, edges: list[dict], edge_label: str) -> dict:
    marker = {"size": 9, "color": EDGE_GREY, "opacity": 0.9}
    if shading.values is not None:
        colors = [float(np.nan_to_num(np.nan if e["value"] is None else e["value"], nan=0.0)) for e in edges]
        marker.update(shading.marker(colors, f"edge<br>{edge_label}", 0.22))
    return marker


def _node_marker(shading: _Shading, node_px: np.ndarray, node_label: str) -> dict:
    marker = {"size": [float(s) for s in node_px], "color": NODE_COLOR, "line": {"width": 1.5, "color": "white"}}
    if shading.values is not None:
        colors = [float(v) for v in np.nan_to_num(shading.values, nan=0.0)]
        marker.update(shading.marker(colors, node_label.replace(" ", "<br>", 1), 0.78),
                      line={"width": 1.5, "color": "rgb(8,48,107)"})
    return marker


def _node_hover(graph: SessionGraph, names: list[str], shading: _Shading, node_label: str,
                highlight_item: int | None, highlight_label: str) -> list[str]:
    items, clicks = graph.x.tolist(), graph.click_nodes.tolist()
    hover = []
    for i in range(graph.num_nodes):
        at = [t + 1 for t, c in enumerate(clicks) if c == i]
        lines = [f"<b>{names[i]}</b>", f"node {i}", f"clicked {len(at)}× (click {', '.join(map(str, at))})"]
        if shading.values is not None:
            lines.append(f"{node_label} {_fmt(float(shading.values[i]))}")
        if i == graph.last_node:
            lines.append("last click: current interest")
        if highlight_item is not None and int(items[i]) == int(highlight_item):
            lines.append(highlight_label)
        hover.append("<br>".join(lines))
    return hover


def _rings(graph: SessionGraph, pos: np.ndarray, node_px: np.ndarray, highlight_item: int | None,
           highlight_label: str) -> tuple[list[dict], str]:
    """The "current interest" ring, the highlighted item's ring when it is in the graph, and a
    title note when it is not."""
    items = [int(i) for i in graph.x.tolist()]
    last = graph.last_node
    rings = [ring_trace(pos[last], float(node_px[last]) + 14, CURRENT_COLOR, "current interest",
                        items[last], CURRENT_TRACE)]
    if highlight_item is None:
        return rings, ""
    if int(highlight_item) not in items:
        return rings, f"<br><sup>{highlight_label} (item {int(highlight_item)}) is not in the session</sup>"
    h = items.index(int(highlight_item))
    rings.append(ring_trace(pos[h], float(node_px[h]) + 24, HIGHLIGHT_COLOR, highlight_label, items[h],
                            HIGHLIGHT_TRACE))
    return rings, ""


def session_graph_figure(graph: SessionGraph, item_labels: ItemLabels = None,
                         node_attention=None, edge_attention=None,
                         highlight_item: int | None = None, seed: int = 0,
                         title: str | None = None,
                         highlight_label: str = "true next item",
                         node_label: str = "readout attention",
                         edge_label: str = "attention", fixed_scale: bool = False) -> go.Figure:
    """Draw a session graph: nodes, weighted directed edges with arrows, self-loops.

    Args:
        graph: from :func:`fgnn.data.graph.build_session_graph`.
        item_labels: item id -> label (mapping, Series or callable), optional.
        node_attention: one value per local node (array, Series, tensor), e.g. from
            :func:`fgnn.explain.attention.node_attention_for_view`; sizes and colours the nodes.
        edge_attention: one value per edge of ``graph.edge_index`` (array-like), or a DataFrame
            from :func:`fgnn.explain.attention.edge_attention_for_view` whose added self-loop rows are
            drawn dashed. Colours the edges (scale 0 .. largest value shown).
        highlight_item: an original item id to mark (e.g. the true next item), if in the graph.
        seed: seed of the fallback layout.
        node_label, edge_label: what the node and edge numbers are (colour bars and hover), e.g.
            ``"integrated gradients"`` for an attribution. Where some value is negative the
            scale runs from ``-m`` to ``m`` (``m`` the largest magnitude) on a diverging colour
            scale and node size follows the magnitude.
        fixed_scale: colour (and size) non-negative values on a fixed 0-1 scale instead of
            0 .. the largest value shown, so that two views or two sessions compare by colour.

    Traces: one line trace per curved edge (and an arrow annotation each, same colour), an
    ``"edge info"`` marker trace at the edge midpoints with the numbers in its hover text
    (and the weight written where it is > 1), ``"current interest"`` and ``"highlighted item"``
    rings, and the ``"items"`` node trace whose ``customdata`` holds the item ids. The drawing
    is :func:`fgnn.viz.drawing.graph_figure`'s, as on the teaching page.
    """
    n, num_edges = graph.num_nodes, graph.num_edges
    items = [int(i) for i in graph.x.tolist()]
    label = item_labeller(item_labels)
    labels = [label(i) for i in items]
    names = [item_name(it, lab) for it, lab in zip(items, labels)]
    pos = session_layout(graph, seed=seed)
    node_shading, node_px = _node_shading(node_attention, n, fixed_scale)
    edge_shading, added = _edge_shading(edge_attention, graph, fixed_scale)
    edges = _session_edges(graph, names, edge_shading, added, edge_label)
    rings, title_note = _rings(graph, pos, node_px, highlight_item, highlight_label)
    nodes = node_trace(pos, items, [shorten(lab) if lab else f"item {it}" for it, lab in zip(items, labels)],
                       _node_hover(graph, names, node_shading, node_label, highlight_item, highlight_label),
                       _node_marker(node_shading, node_px, node_label))
    heading = title or (f"Session graph: {graph.length} clicks, {n} node{'s' * (n != 1)}, "
                        f"{num_edges} edge{'s' * (num_edges != 1)}")
    return graph_figure(pos, edges, node_px, nodes, heading + title_note,
                        edge_marker=_edge_marker(edge_shading, edges, edge_label),
                        edge_textfont={"size": 12, "color": "rgb(60,60,60)"}, rings=rings)

# --------------------------------------------------------------------------- item map
ITEM_MAP_POINTS = 600
"""Items a map draws as points at most (the most popular); the rest become a density layer."""
ITEM_MAP_DENSITY_TRACE = "other items (density)"
ITEM_MAP_OVERLAYS = ("top-K", "found", "true next item", "in session")


def _category_groups(categories, n: int, max_categories: int) -> tuple[np.ndarray, list[str]]:
    """``(group of each item, group names)``: one of the ``max_categories`` categories with the
    most items, else ``"other"`` (vectorised: no per-item string is made, a full catalogue has
    tens of thousands of items); one group ``"all items"`` when ``categories`` is None."""
    group_of = np.zeros(n, dtype=np.int64)
    if categories is None:
        return group_of, ["all items"]
    raw = pd.Series(np.asarray(categories.to_numpy() if isinstance(categories, pd.Series) else categories))
    if len(raw) != n:
        raise ValueError(f"{len(raw)} categories for {n} items")
    counts = raw[raw.notna()].value_counts().to_dict()
    ranked = sorted((c for c in counts if str(c) != "other"), key=lambda c: (-counts[c], str(c)))
    top = ranked[:max_categories]
    group_of[:] = len(top)
    for g_i, c in enumerate(top):
        group_of[(raw == c).to_numpy()] = g_i
    return group_of, [str(c) for c in top] + (["other"] if (group_of == len(top)).any() else [])


def _drawn_as_points(ids: np.ndarray, pop: np.ndarray, max_points: int) -> np.ndarray:
    """Mask of the items drawn as points: all of a small catalogue, the ``max_points`` most
    popular of a large one (ties by item id)."""
    if len(ids) <= max_points:
        return np.ones(len(ids), dtype=bool)
    as_point = np.zeros(len(ids), dtype=bool)
    as_point[np.lexsort((ids, -pop))[:max_points]] = True
    return as_point


def _density_trace(xy: np.ndarray, rest: np.ndarray, bins: int) -> go.Heatmap:
    """The :data:`ITEM_MAP_DENSITY_TRACE` of the items in mask ``rest``: log10(1 + items) per
    cell of a ``bins`` x ``bins`` grid over the whole map."""
    span = [(float(v.min()), float(v.max())) if v.max() > v.min() else (float(v.min()) - 1, float(v.min()) + 1)
            for v in (xy[:, 0], xy[:, 1])]
    counts2d, xe, ye = np.histogram2d(xy[rest, 0], xy[rest, 1], bins=bins, range=span)
    # log scale; an empty cell is 0 and transparent (binary float32 on the wire, no nulls)
    z = np.log10(1.0 + counts2d.T).astype(np.float32)
    return go.Heatmap(
        x=((xe[:-1] + xe[1:]) / 2).astype(np.float32), y=((ye[:-1] + ye[1:]) / 2).astype(np.float32),
        z=z, zmin=0.0, colorscale=[[0.0, "rgba(255,255,255,0)"], [1e-6, "rgb(236,236,236)"],
                                   [1.0, "rgb(110,110,110)"]],
        showscale=False, hoverinfo="skip", name=ITEM_MAP_DENSITY_TRACE,
        meta={"items": int(rest.sum())},
    )


def _category_traces(xy, ids, sizes, group_of, groups, as_point, by_category: bool,
                     label: Callable[[int], str | None] | None) -> list[go.Scatter]:
    """One point trace per group, named by the group; ``label`` (None: the dataset has no
    names) adds each item's name to its hover text."""
    named = " · %{hovertext}" if label else ""
    traces = []
    for g_i, group in enumerate(groups):
        idx = np.flatnonzero((group_of == g_i) & as_point)
        if idx.size == 0:
            continue
        color = OTHER_COLOR if group == "other" else (PALETTE[g_i % len(PALETTE)] if by_category else NODE_COLOR)
        where = ("" if not by_category else "<br>another or unknown category" if group == "other"
                 else f"<br>category {group}")
        traces.append(go.Scatter(
            x=xy[idx, 0].astype(np.float32), y=xy[idx, 1].astype(np.float32), mode="markers",
            marker={"size": sizes[idx].astype(np.float32), "color": color, "opacity": 0.75,
                    "line": {"width": 0.5, "color": "white"}},
            customdata=ids[idx], hovertemplate=f"item %{{customdata}}{named}{where}<extra></extra>",
            hovertext=[label(int(i)) or "" for i in ids[idx]] if label else None,
            name=group,
        ))
    return traces


@dataclass(frozen=True)
class _ItemMap:
    """What an overlay needs of the map: positions, ids (as an index), marker sizes, labels."""

    xy: np.ndarray
    index: pd.Index
    sizes: np.ndarray
    label: Callable[[int], str | None]

    def overlay(self, items, name, symbol, color, extra, hover_note, text=None) -> go.Scatter | None:
        """A trace of ``items`` drawn on top (those on the map; None when none is), markers
        ``extra`` px larger than the items'."""
        items = [int(i) for i in items]
        found = self.index.get_indexer(items) if items else np.zeros(0, dtype=np.int64)
        shown = [i for i, f in zip(items, found) if f >= 0]
        pos = found[found >= 0]
        if not shown:
            return None
        return go.Scatter(
            x=self.xy[pos, 0].tolist(), y=self.xy[pos, 1].tolist(),
            mode="markers+text" if text is not None else "markers",
            text=None if text is None else [text[i] for i in shown], textposition="top center",
            textfont={"color": color}, name=name, customdata=shown, hoverinfo="text",
            marker={"symbol": symbol, "size": (self.sizes[pos] + extra).tolist(), "color": color,
                    "line": {"width": 2.5, "color": color}},
            hovertext=[f"{item_name(i, self.label(i))}<br>{hover_note(i)}" for i in shown],
        )


def _overlays(m: _ItemMap, topk_items, found_items, target_item, selected_items) -> list[go.Scatter]:
    """The :data:`ITEM_MAP_OVERLAYS` traces that have items on the map, in that order."""
    out = []
    if topk_items is not None:
        rank = {}
        for r, item in enumerate(topk_items):
            rank.setdefault(int(item), r + 1)
        out.append(m.overlay(list(rank), "top-K", "diamond", "rgb(255,127,14)", 2, lambda i: f"top-K rank {rank[i]}"))
    if found_items is not None:
        out.append(m.overlay(list(dict.fromkeys(int(i) for i in found_items)), "found", "star", "rgb(148,103,189)", 6,
                             lambda _: "search result"))
    if target_item is not None:
        out.append(m.overlay([target_item], "true next item", "circle-open", HIGHLIGHT_COLOR, 14,
                             lambda _: "true next item"))
    if selected_items:
        order: dict[int, list[int]] = {}
        for t, item in enumerate(int(s) for s in selected_items):
            order.setdefault(item, []).append(t + 1)
        out.append(m.overlay(list(order), "in session", "circle-open", CURRENT_COLOR, 10,
                             lambda i: f"in session (click {', '.join(map(str, order[i]))})",
                             text={i: ",".join(map(str, v)) for i, v in order.items()}))
    return [t for t in out if t is not None]


def item_map_figure(coords, item_ids, popularity, categories=None, selected_items=None,
                    max_categories: int = 10, item_labels: ItemLabels = None, topk_items=None,
                    target_item: int | None = None, found_items=None,
                    max_points: int = ITEM_MAP_POINTS, density_bins: int = 60) -> go.Figure:
    """Scatter of items on a 2-D map; clicking a point gives its item id in ``customdata``.

    Built to stay small at research scale (docs/research-scale.md): at most ``max_points``
    items are drawn as points, the most popular ones (ties by item id); every other item counts
    in a ``"other items (density)"`` heatmap of ``density_bins`` x ``density_bins`` cells under
    them. Points carry only their item id (``customdata``, as binary arrays); the hover text is
    built in the browser from a per-trace template, so nothing per item is shipped besides
    position, size and id.

    Colour by category: the ``max_categories`` categories with the most items, the rest (and
    unknown categories) as ``"other"``; one colour when ``categories`` is None. Marker size
    grows with log popularity. Whatever the catalogue size, a few items are always drawn on top,
    in their own traces (hover text with ``item_labels``): ``"top-K"`` (``topk_items``, best
    first), ``"found"`` (``found_items``, e.g. a search), ``"true next item"`` (``target_item``)
    and ``"in session"`` (``selected_items``, numbered by click order).
    """
    fig = item_map_base(coords, item_ids, popularity, categories, max_categories=max_categories,
                        item_labels=item_labels, max_points=max_points, density_bins=density_bins)
    return fig.add_traces(item_map_overlays(coords, item_ids, popularity, selected_items=selected_items,
                                            topk_items=topk_items, target_item=target_item,
                                            found_items=found_items, item_labels=item_labels))


def _map_inputs(coords, item_ids, popularity) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(xy, ids, popularity, marker sizes)`` of the map's items, checked to agree in length."""
    xy = np.asarray(coords, dtype=float).reshape(-1, 2)
    ids = np.asarray(item_ids).reshape(-1).astype(np.int64)
    pop = _as_1d(popularity, "popularity", len(ids))
    if xy.shape[0] != len(ids):
        raise ValueError(f"{xy.shape[0]} coordinates for {len(ids)} items")
    return xy, ids, pop, np.clip(4.0 + 2.2 * np.log1p(np.maximum(pop, 0)), 4.0, 22.0)


def item_map_base(coords, item_ids, popularity, categories=None, *, max_categories: int = 10,
                  item_labels: ItemLabels = None, max_points: int = ITEM_MAP_POINTS,
                  density_bins: int = 60) -> go.Figure:
    """The part of :func:`item_map_figure` that depends on the model and the dataset only (the
    points, the density layer, the layout), without the overlays: the app builds it once per
    checkpoint and adds :func:`item_map_overlays` on every click (docs/performance.md)."""
    xy, ids, pop, sizes = _map_inputs(coords, item_ids, popularity)
    n = len(ids)
    group_of, groups = _category_groups(categories, n, max_categories)
    as_point = _drawn_as_points(ids, pop, max_points)
    traces = [] if as_point.all() else [_density_trace(xy, ~as_point, density_bins)]
    traces += _category_traces(xy, ids, sizes, group_of, groups, as_point, categories is not None,
                               item_labeller(item_labels) if item_labels else None)  # names where the dataset has them
    n_points = int(as_point.sum())
    how = "" if n_points == n else f", the {n_points} most popular as points, the rest as density"
    # one Figure from the list: add_trace one at a time validates and copies the figure each time
    return go.Figure(data=traces, layout={
        "title": {"text": f"Item map: {n} items{how} (click a point to add it)"},
        "xaxis": {"title": {"text": "component 1"}, "zeroline": False, "showgrid": False},
        "yaxis": {"title": {"text": "component 2"}, "zeroline": False, "showgrid": False},
        "legend": {"title": {"text": "category" if categories is not None else ""}},
        "plot_bgcolor": "white", "height": 520, "hovermode": "closest", "clickmode": "event+select",
        "margin": {"l": 40, "r": 10, "t": 50, "b": 40}, "uirevision": "item-map",
        "modebar": {"orientation": "v"},  # down the right edge, clear of the title
    })


def item_map_overlays(coords, item_ids, popularity, *, selected_items=None, topk_items=None,
                      target_item: int | None = None, found_items=None,
                      item_labels: ItemLabels = None) -> list[go.Scatter]:
    """The traces :func:`item_map_figure` draws on top of :func:`item_map_base`: ``"top-K"``,
    ``"found"``, ``"true next item"`` and ``"in session"``, those with items on the map."""
    xy, ids, _, sizes = _map_inputs(coords, item_ids, popularity)
    return _overlays(_ItemMap(xy, pd.Index(ids), sizes, item_labeller(item_labels)), topk_items, found_items,
                     target_item, selected_items)


# --------------------------------------------------------------------------- predictions
def topk_figure(items, scores, probabilities=None, target: int | None = None,
                item_labels: ItemLabels = None, title: str | None = None) -> go.Figure:
    """Horizontal bars of the top-K items, best on top; the target item in another colour.

    Bars show probabilities when given, scores otherwise; hover shows rank, score and
    probability. ``customdata`` holds item ids (clicking a bar appends the item).
    """
    ids = [int(i) for i in np.asarray(items).reshape(-1)]
    sc = _as_1d(scores, "scores", len(ids))
    pr = None if probabilities is None else _as_1d(probabilities, "probabilities", len(ids))
    order = sorted(range(len(ids)), key=lambda i: (-sc[i], i))  # stable, best first
    label = item_labeller(item_labels)
    y = [f"{r + 1}. {shorten(item_name(ids[i], label(ids[i])), 28)}" for r, i in enumerate(order)]
    x = [float(pr[i]) if pr is not None else float(sc[i]) for i in order]
    colors = [HIGHLIGHT_COLOR if target is not None and ids[i] == int(target) else NODE_COLOR
              for i in order]
    hover = []
    for r, i in enumerate(order):
        lines = [f"<b>{item_name(ids[i], label(ids[i]))}</b>", f"rank {r + 1}",
                 f"score {_fmt(float(sc[i]))}"]
        if pr is not None:
            lines.append(f"probability {_fmt(float(pr[i]))}")
        if target is not None and ids[i] == int(target):
            lines.append("target (true next item)")
        hover.append("<br>".join(lines))
    fig = go.Figure(go.Bar(
        x=x, y=y, orientation="h", marker={"color": colors}, customdata=[ids[i] for i in order],
        hovertext=hover, hoverinfo="text", name="top-K",
        text=[_fmt(v, 3) for v in x], textposition="auto",
    ))
    heading = title or f"Top-{len(ids)} next items"
    if target is not None:
        if int(target) in ids:
            heading += f" (target item {int(target)} at rank {order.index(ids.index(int(target))) + 1})"
        else:
            heading += f" (target item {int(target)} not in the top {len(ids)})"
    fig.update_layout(
        title={"text": heading}, yaxis={"autorange": "reversed", "title": {"text": ""}},
        xaxis={"title": {"text": "probability" if pr is not None else "score"}},
        height=max(240, 28 * len(ids) + 100), plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return fig


# --------------------------------------------------------------------------- training curves
def _number(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _epoch_series(rows: list[dict], kind: str, value: Callable[[dict], float | None]):
    """(epochs, values) of rows of one kind, one point per epoch (last row of the epoch wins;
    for training loss logged per step, the mean of the epoch's steps unless an epoch row exists)."""
    by_epoch: dict[int, list[float]] = {}
    summary: dict[int, float] = {}
    for row in rows:
        if row.get("kind", "train") != kind or _number(row.get("epoch")) is None:
            continue
        v = value(row)
        if v is None:
            continue
        epoch = int(row["epoch"])
        if "step" in row and row.get("step") is not None:
            by_epoch.setdefault(epoch, []).append(v)
        else:
            summary[epoch] = v
    epochs = sorted(set(by_epoch) | set(summary))
    values = [summary[e] if e in summary else float(np.mean(by_epoch[e])) for e in epochs]
    return epochs, values


def _first_nonempty(*series):
    for xs, ys in series:
        if xs:
            return xs, ys
    return [], []


def training_curves_figure(runs: Mapping[str, list[dict]], k: int = 20,
                           references: Mapping[str, Mapping] | None = None,
                           log_every: int | None = None) -> go.Figure:
    """Loss, HR@K, MRR@K and NDCG@K per epoch, and training loss per step, for several runs.

    ``references`` maps a baseline's name to its metrics (``hit@K``, ``mrr@K``, ``ndcg@K``):
    each is a dotted horizontal line across the HR, MRR and NDCG panels, named at its right end
    (a baseline has no epochs; ``shape.name == "reference <name>"``).

    Each run keeps one colour in every panel. One trace per run per metric that has data
    (training loss per epoch, loss per step, HR, MRR, NDCG, read from ``metrics.jsonl`` rows:
    docs/run-folders.md); ``trace.meta == {"run": name, "metric": ...}``. Rows missing a key are
    skipped, so a run with no eval rows yet just has no metric traces. When no run has a per-step
    loss (a run logs it every ``log_every`` batches, and a short one may log none), the empty
    panel says why (an annotation named ``"no step loss"``).
    """
    titles = ("loss per epoch", "training loss per step", f"HR@{k} (%)", f"MRR@{k} (%)",
              f"NDCG@{k} (%)")
    fig = make_subplots(
        rows=2, cols=6,
        specs=[[{"colspan": 3}, None, None, {"colspan": 3}, None, None],
               [{"colspan": 2}, None, {"colspan": 2}, None, {"colspan": 2}, None]],
        subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.07,
    )
    cells = {"loss": (1, 1), "step_loss": (1, 4), "hit": (2, 1),
             "mrr": (2, 3), "ndcg": (2, 5)}
    any_steps = False
    for r_i, (run, rows) in enumerate(runs.items()):
        rows = [r for r in (rows or []) if isinstance(r, Mapping)]
        color = PALETTE[r_i % len(PALETTE)]
        series = {
            # the epoch's mean training loss, logged exactly on its eval row; else the step rows' mean
            "loss": _first_nonempty(_epoch_series(rows, "eval", lambda r: _number(r.get("train_loss"))),
                                    _epoch_series(rows, "train", lambda r: _number(r.get("loss")))),
            # the eval rows' keys as fgnn.evaluation.metrics.summarize names them
            "hit": _epoch_series(rows, "eval", lambda r: _number(r.get(f"hit@{k}"))),
            "mrr": _epoch_series(rows, "eval", lambda r: _number(r.get(f"mrr@{k}"))),
            "ndcg": _epoch_series(rows, "eval", lambda r: _number(r.get(f"ndcg@{k}"))),
        }
        steps = [(int(r["step"]), _number(r.get("loss"))) for r in rows
                 if r.get("kind", "train") == "train" and _number(r.get("step")) is not None
                 and _number(r.get("loss")) is not None]
        steps.sort(key=lambda p: p[0])
        series["step_loss"] = ([s for s, _ in steps], [v for _, v in steps])
        any_steps = any_steps or bool(steps)
        legend_shown = False
        for metric in ("loss", "step_loss", "hit", "mrr", "ndcg"):
            xs, ys = series[metric]
            if not xs:
                continue
            row, col = cells[metric]
            xname = "step" if metric == "step_loss" else "epoch"
            mname = {"loss": "train loss", "step_loss": "train loss",
                     "hit": f"HR@{k}", "mrr": f"MRR@{k}", "ndcg": f"NDCG@{k}"}[metric]
            fig.add_trace(go.Scatter(
                x=list(xs), y=list(ys), mode="lines" if metric == "step_loss" else "lines+markers",
                line={"color": color, "width": 1.2 if metric == "step_loss" else 2},
                name=run, legendgroup=run, showlegend=not legend_shown,
                meta={"run": run, "metric": metric},
                hovertemplate=f"{run}<br>{xname} %{{x}}<br>{mname} %{{y:.4g}}<extra></extra>",
            ), row=row, col=col)
            legend_shown = True
    for i, (name, metrics) in enumerate((references or {}).items()):
        for metric, (row, col) in (("hit", (2, 1)), ("mrr", (2, 3)), ("ndcg", (2, 5))):
            value = _number(metrics.get(f"{metric}@{k}") if isinstance(metrics, Mapping) else None)
            if value is None:
                continue
            fig.add_hline(y=value, row=row, col=col, line={"color": "#555", "dash": "dot", "width": 1.2},
                          name=f"reference {name}", annotation_text=name, annotation_position="top right",
                          annotation_font={"size": 10, "color": "#555"})
    if runs and not any_steps:
        every = f"every {int(log_every)} batches" if log_every else "every N batches"
        fig.add_annotation(text=f"no per-step loss: it is logged {every}<br>and this run trained fewer so far",
                           xref="x2 domain", yref="y2 domain", x=0.5, y=0.5, showarrow=False,
                           font={"size": 12, "color": "#555"}, name="no step loss")
    for row, col in ((1, 1), (2, 1), (2, 3), (2, 5)):
        fig.update_xaxes(title_text="epoch", row=row, col=col)
    fig.update_xaxes(title_text="step", row=1, col=4)
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_layout(title={"text": "Training curves"}, height=620, hovermode="closest",
                      legend={"title": {"text": "run"}}, margin={"l": 50, "r": 10, "t": 80, "b": 40})
    return fig


# --------------------------------------------------------------------------- evaluation
def metric_slices_figure(table: pd.DataFrame, k: int = 20, title: str | None = None) -> go.Figure:
    """HR and MRR per slice (``group``), one bar colour per model, side by side.

    ``table`` has columns ``group, n, hit, mrr`` and optionally ``model``; values are plotted
    as given (the caller decides fraction or percent). Group order follows the table.
    """
    df = table.copy()
    if "model" not in df.columns:
        df["model"] = "model"
    groups = [str(g) for g in pd.unique(df["group"])]
    models = [str(m) for m in pd.unique(df["model"])]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"HR@{k}", f"MRR@{k}"),
                        horizontal_spacing=0.12)
    for m_i, model in enumerate(models):
        part = df[df["model"].astype(str) == model]
        part = part.set_index(part["group"].astype(str)).reindex(groups)
        for col, metric in ((1, "hit"), (2, "mrr")):
            vals = [_number(v) for v in part[metric]]
            ns = [(_number(v) or 0) for v in part["n"]]
            fig.add_trace(go.Bar(
                x=groups, y=[np.nan if v is None else v for v in vals], name=model,
                legendgroup=model, showlegend=col == 1,
                marker={"color": PALETTE[m_i % len(PALETTE)]},
                customdata=[[int(n)] for n in ns], meta={"model": model, "metric": metric},
                hovertemplate=(f"{model}<br>%{{x}}<br>{'HR' if metric == 'hit' else 'MRR'}@{k} "
                               "%{y:.4g}<br>n = %{customdata[0]}<extra></extra>"),
            ), row=1, col=col)
    # no axis titles: the panel titles name the metric, the figure title the slicing; a y title in
    # the gap between the panels and an x title under the bars overlapped the bars
    fig.update_xaxes(type="category", automargin=True)
    fig.update_yaxes(automargin=True, rangemode="tozero")
    fig.update_layout(barmode="group", title={"text": title or "Metrics by slice"}, height=420)
    _legend_above(fig, "model")
    return fig


#: Space between the plot area and a legend above it: the panel titles sit there.
LEGEND_GAP_PX = 26


def _legend_above(fig: go.Figure, title: str = "", margin: Mapping[str, int] | None = None) -> None:
    """One horizontal legend row above the panel titles and under the figure title (a legend under
    the plot covered the first category's tick label; beside it took a third of a half-width panel)."""
    m = {"l": 50, "r": 10, "t": 110, "b": 50, **(margin or {})}
    plot_px = fig.layout.height - m["t"] - m["b"]
    fig.update_layout(margin=m, title={"y": 1.0, "yanchor": "top", "pad": {"t": 12}},
                      legend={"title": {"text": title}, "orientation": "h", "x": 0.0, "xanchor": "left",
                              "y": 1 + LEGEND_GAP_PX / plot_px, "yanchor": "bottom"})


def rank_histogram_figure(ranks, k: int = 20) -> go.Figure:
    """How many test prefixes put the target at rank 1..K, and how many miss (rank > K); the
    title's HR@K and MRR@K are :func:`fgnn.evaluation.metrics.summarize`'s over the finite ranks."""
    r = _as_1d(ranks, "ranks")
    r = r[np.isfinite(r)].astype(np.int64)
    counts = [int(np.sum(r == i)) for i in range(1, k + 1)]
    miss = int(np.sum(r > k))
    n = int(r.size)
    summary = summarize(torch.from_numpy(r), [k])
    hr, mrr = summary[f"hit@{k}"], summary[f"mrr@{k}"]
    x = [str(i) for i in range(1, k + 1)] + [f">{k}"]
    y = counts + [miss]
    share = [100.0 * c / n if n else 0.0 for c in y]
    fig = go.Figure(go.Bar(
        x=x, y=y, marker={"color": [NODE_COLOR] * k + [OTHER_COLOR]},
        customdata=[[s] for s in share], name="ranks",
        hovertemplate="rank %{x}<br>%{y} prefixes (%{customdata[0]:.1f}%)<extra></extra>",
    ))
    fig.update_layout(
        title={"text": f"Rank of the target: {n} prefixes, HR@{k} {hr:.2f}%, MRR@{k} {mrr:.2f}%"},
        xaxis={"title": {"text": "rank of the true next item"}, "type": "category"},
        yaxis={"title": {"text": "test prefixes"}}, height=360, plot_bgcolor="white",
        margin={"l": 50, "r": 10, "t": 50, "b": 50},
    )
    return fig


def rank_comparison_figure(comparison: pd.DataFrame, k: int = 20, max_points: int = 1000) -> go.Figure:
    """Rank under A against rank under B for every test pair (log axes), coloured by outcome;
    dashed lines at K. ``customdata`` holds the pair index.

    An outcome with more than ``max_points`` pairs (a full test set has tens of thousands) is drawn
    as ``max_points`` of them spread evenly over the pair order, so the figure stays small; the
    trace's name and ``meta["pairs"]`` keep the outcome's full count (docs/research-scale.md)."""
    names = [c[len("rank_"):] for c in comparison.columns if c.startswith("rank_") and c != "rank_change"]
    na, nb = names[:2]
    colors = {"both hit": "#2ca02c", f"only {na} hits": "#1f77b4", f"only {nb} hits": "#ff7f0e",
              "both miss": "#9e9e9e"}
    fig = go.Figure()
    sampled = False
    for outcome, color in colors.items():
        part = comparison[comparison["outcome"] == outcome]
        n = len(part)
        if n > max_points:
            part = part.iloc[np.linspace(0, n - 1, max_points).round().astype(int)]
            sampled = True
        fig.add_trace(go.Scatter(
            x=part[f"rank_{na}"].to_numpy(np.int32), y=part[f"rank_{nb}"].to_numpy(np.int32), mode="markers",
            name=f"{outcome} ({n})" if len(part) == n else f"{outcome} ({n}; {len(part)} shown)",
            marker={"color": color, "size": 7, "opacity": 0.8},
            customdata=part["pair"].to_numpy(np.int32), meta={"outcome": outcome, "pairs": n},
            hovertemplate=f"pair %{{customdata}}<br>rank {na} %{{x}}<br>rank {nb} %{{y}}<extra></extra>",
        ))
    for axis in ("x", "y"):
        fig.add_shape(type="line", line={"dash": "dash", "color": "black", "width": 1},
                      **({"x0": k, "x1": k, "xref": "x", "y0": 0, "y1": 1, "yref": "paper"} if axis == "x"
                         else {"y0": k, "y1": k, "yref": "y", "x0": 0, "x1": 1, "xref": "paper"}))
    fig.update_layout(
        title={"text": f"Rank of the target: {na} vs {nb} ({len(comparison)} test pairs"
                        f"{f', at most {max_points} per outcome shown' if sampled else ''}, K = {k})"},
        xaxis={"title": {"text": f"rank under {na}"}, "type": "log", "dtick": 1},  # 1, 10, 100: no "2 5" ticks
        yaxis={"title": {"text": f"rank under {nb}"}, "type": "log", "dtick": 1},
        height=460, plot_bgcolor="white", margin={"l": 50, "r": 10, "t": 50, "b": 50},
    )
    return fig


# --------------------------------------------------------------------------- dataset
def protocol_steps_figure(stats: list[dict]) -> go.Figure:
    """Clicks, sessions and items after each preprocessing step (docs/protocol.md), with what each
    step removed in the hover text.

    Horizontal bars, one row per step from the top, three panels side by side; the step names
    are read once, on the left, wrapped at :data:`STEP_LABEL_WIDTH` characters (rotated names
    under columns ran into each other)."""
    parts = [str(s.get("part") or "all") for s in stats]
    # a step done on train and on test is two bars: the part in the label and in the colour
    steps = [str(s.get("step", i)) + ("" if p == "all" else f" ({p})") for i, (s, p) in enumerate(zip(stats, parts))]
    labels = [wrap_label(step) for step in steps]
    part_color = {"train": PALETTE[0], "test": PALETTE[1], "all": "rgb(140,140,140)"}
    fig = make_subplots(rows=1, cols=3, subplot_titles=("clicks", "sessions", "items"),
                        shared_yaxes=True, horizontal_spacing=0.03)
    for col, key in enumerate(("clicks", "sessions", "items"), start=1):
        vals = [_number(s.get(key)) for s in stats]
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
    _legend_above(fig, "", margin={"l": 10, "r": 20, "t": 110, "b": 40})
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
    arr = _as_1d(lengths, "lengths")
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
        vals = _as_1d(popularity, "popularity")
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
        arr = _as_1d(dates, f"{name}_dates")
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


# --------------------------------------------------------------------------- what if
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
    items = [int(i) for i in pd.unique(orig["item"])]
    k = k or len(items)
    cap = 2 * max(k, 1)
    label = item_labeller(item_labels)
    lookup = {(str(v), int(i)): (r, s) for v, i, r, s in
              zip(df["variant"], df["item"], df["rank"], df["score"])}
    z, text, hover = [], [], []
    for v in variants:
        zr, tr, hr = [], [], []
        for i in items:
            rank, score = lookup.get((v, i), (None, None))
            rank = _number(rank)
            zr.append(np.nan if rank is None else float(min(rank, cap)))
            tr.append("" if rank is None else f"{rank:g}")
            hr.append(f"{v}<br>{item_name(i, label(i))}<br>rank "
                      f"{'–' if rank is None else f'{rank:g}'}<br>score {_fmt(_number(score))}")
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


# --------------------------------------------------------------------------- explanations
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
        aucs.append(f"{method} {_fmt(auc, 3)}")
        hover = [f"{METHOD_LABELS.get(method, method)}<br>"
                 + ("whole session" if int(r) < 0 else f"removed item {int(r)}")
                 + f"<br>score {_fmt(float(v))}<br>share {_fmt(float(p))}<br>rank {int(k)}"
                 for r, v, p, k in zip(c["removed"], c["score"], share, c["rank"])]
        common = {"mode": "lines+markers", "hovertext": hover, "hoverinfo": "text", "legendgroup": method,
                      "line": {"color": METHOD_COLORS.get(method, OTHER_COLOR),
                                "dash": "dot" if method == "random" else "solid"},
                      "customdata": [int(r) for r in c["removed"]]}
        fig.add_trace(go.Scatter(x=x, y=share, name=method, **common), row=1, col=1)
        fig.add_trace(go.Scatter(x=x, y=c["rank"].to_numpy(dtype=float), name=f"{method} rank",
                                 showlegend=False, **common), row=1, col=2)
    fig.update_xaxes(title_text="items removed (most important first)", dtick=1)
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
    hover = [f"{METHOD_LABELS.get(m, m)}<br>mean AUC {_fmt(float(a), 3)} ± {_fmt(float(e), 2)}"
             f"<br>{int(n)} pairs" + ("" if not np.isfinite(b) else f"<br>below random on {100 * b:.0f} % of them")
             for m, a, e, n, b in zip(methods, s["auc"], s["auc_sem"], s["pairs"], s["beats_random"].astype(float))]
    fig = go.Figure(go.Bar(
        x=[METHOD_LABELS.get(m, m) for m in methods], y=s["auc"].astype(float),
        error_y={"type": "data", "array": s["auc_sem"].fillna(0).astype(float), "visible": True},
        marker_color=[METHOD_COLORS.get(m, OTHER_COLOR) for m in methods], hovertext=hover,
        hoverinfo="text", customdata=methods, name="AUC",
    ))
    # each mean written above its error bar (a bar's own outside text sat on the error bar)
    auc = s["auc"].astype(float).to_numpy()
    tops = auc + s["auc_sem"].fillna(0).astype(float).to_numpy()
    for label, a, top in zip(fig.data[0].x, auc, tops):
        fig.add_annotation(x=label, y=float(top), text=_fmt(float(a), 3), showarrow=False, yanchor="bottom",
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
