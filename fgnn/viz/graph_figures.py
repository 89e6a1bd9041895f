"""The session graph with attention: nodes shaded by readout attention, edges by layer attention."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fgnn.data.graph import SessionGraph
from fgnn.data.ids import plain_id
from fgnn.data.items import ItemLabels, item_labeller
from fgnn.explain.attention import attention_per_edge
from fgnn.viz.common import as_1d, fmt
from fgnn.viz.drawing import (
    CURRENT_COLOR,
    CURRENT_TRACE,
    EDGE_COLORSCALE,
    EDGE_GREY,
    HIGHLIGHT_COLOR,
    HIGHLIGHT_TRACE,
    LABEL_SCALES,
    NODE_COLOR,
    NODE_COLORSCALE,
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
    values = as_1d(node_attention, "node_attention", n)
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
        values, added = as_1d(edge_attention, "edge_attention", graph.num_edges), []
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
    for k, ((s, d), w, bend) in enumerate(zip(pairs, weights, edge_bends(pairs), strict=True)):
        a = None if shading.values is None else float(shading.values[k])
        lines = [f"{names[s]} → {names[d]}<br>nodes {s} → {d}", f"weight {w:g}" + (" (self-loop)" if s == d else ""),
                 f"out-degree⁻¹ {fmt(out_inv[k], 3)}", f"in-degree⁻¹ {fmt(in_inv[k], 3)}"]
        edges.append({"src": s, "dst": d, "width": min(1.5 + 1.5 * w, 9.0), "bend": bend, "name": f"edge {s}->{d}",
                      "color": EDGE_GREY if a is None or not np.isfinite(a) else shading.color(a),
                      "text": f"{w:g}" if w > 1 else "", "value": a, "lines": lines})
    for node, a in added:
        edges.append({"src": node, "dst": node, "width": 1.5, "dash": "dot", "color": shading.color(a),
                      "name": f"added self-loop {node}", "text": "", "value": a,
                      "lines": [f"{names[node]} → {names[node]}<br>nodes {node} → {node}",
                                "self-loop added by the attention layer (weight 1)"]})
    for e in edges:
        lines = e.pop("lines") + ([] if e["value"] is None else [f"{edge_label} {fmt(e['value'])}"])
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
    items, clicks = [plain_id(i) for i in graph.x.tolist()], graph.click_nodes.tolist()
    highlight_item = None if highlight_item is None else plain_id(highlight_item)
    hover = []
    for i in range(graph.num_nodes):
        at = [t + 1 for t, c in enumerate(clicks) if c == i]
        lines = [f"<b>{names[i]}</b>", f"node {i}", f"clicked {len(at)}× (click {', '.join(map(str, at))})"]
        if shading.values is not None:
            lines.append(f"{node_label} {fmt(float(shading.values[i]))}")
        if i == graph.last_node:
            lines.append("last click: current interest")
        if highlight_item is not None and items[i] == highlight_item:
            lines.append(highlight_label)
        hover.append("<br>".join(lines))
    return hover


def _rings(graph: SessionGraph, pos: np.ndarray, node_px: np.ndarray, highlight_item: int | None,
           highlight_label: str) -> tuple[list[dict], str]:
    """The "current interest" ring, the highlighted item's ring when it is in the graph, and a
    title note when it is not."""
    items = [plain_id(i) for i in graph.x.tolist()]
    last = graph.last_node
    rings = [ring_trace(pos[last], float(node_px[last]) + 14, CURRENT_COLOR, "current interest",
                        items[last], CURRENT_TRACE)]
    if highlight_item is None:
        return rings, ""
    highlight_item = plain_id(highlight_item)
    if highlight_item not in items:
        return rings, f"<br><sup>{highlight_label} (item {highlight_item}) is not in the session</sup>"
    h = items.index(highlight_item)
    rings.append(ring_trace(pos[h], float(node_px[h]) + 24, HIGHLIGHT_COLOR, highlight_label, items[h],
                            HIGHLIGHT_TRACE))
    return rings, ""


def session_graph_figure(graph: SessionGraph, item_labels: ItemLabels = None,
                         node_attention=None, edge_attention=None,
                         highlight_item: int | None = None, seed: int = 0,
                         title: str | None = None,
                         highlight_label: str = "true next item",
                         node_label: str = "readout attention",
                         edge_label: str = "attention", fixed_scale: bool = False,
                         label_scales: Sequence[float] = LABEL_SCALES) -> go.Figure:
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
        label_scales: the sizes (relative to the height-limited one) the labels are placed for:
            :data:`~fgnn.viz.drawing.COLUMN_LABEL_SCALES` for a drawing in a narrow column.
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
    items = [plain_id(i) for i in graph.x.tolist()]
    label = item_labeller(item_labels)
    labels = [label(i) for i in items]
    names = [item_name(it, lab) for it, lab in zip(items, labels, strict=True)]
    pos = session_layout(graph, seed=seed)
    node_shading, node_px = _node_shading(node_attention, n, fixed_scale)
    edge_shading, added = _edge_shading(edge_attention, graph, fixed_scale)
    edges = _session_edges(graph, names, edge_shading, added, edge_label)
    rings, title_note = _rings(graph, pos, node_px, highlight_item, highlight_label)
    nodes = node_trace(pos, items, [shorten(lab) if lab else f"item {it}" for it, lab in zip(items, labels, strict=True)],
                       _node_hover(graph, names, node_shading, node_label, highlight_item, highlight_label),
                       _node_marker(node_shading, node_px, node_label))
    heading = title or (f"Session graph: {graph.length} clicks, {n} node{'s' * (n != 1)}, "
                        f"{num_edges} edge{'s' * (num_edges != 1)}")
    return graph_figure(pos, edges, node_px, nodes, heading + title_note,
                        edge_marker=_edge_marker(edge_shading, edges, edge_label),
                        edge_textfont={"size": 12, "color": "rgb(60,60,60)"}, rings=rings,
                        label_scales=label_scales)
