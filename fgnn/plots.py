"""Every figure the app shows, as pure functions that return a plotly ``go.Figure``.

Functions here take plain data (tensors, arrays, DataFrames, lists of dicts) and never read
files, session state or global settings, so the same input always gives the same figure and a
test can check the numbers in it. ``fgnn`` never imports Streamlit; pages call these and draw.

Conventions the app relies on:

* a point a person may click carries the original item id in ``customdata``;
* traces have stable ``name`` s (``"items"``, ``"edge info"``, ``"current interest"``, ...)
  so pages and tests can find them;
* hover text carries the numbers behind every mark.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale
from plotly.subplots import make_subplots

from .data.graph import SessionGraph

ItemLabels = Mapping | Callable[[int], Any] | None

# Colour scales start from a visible colour so that low attention is still drawn.
NODE_COLORSCALE = [[0.0, "rgb(222,235,247)"], [0.5, "rgb(107,174,214)"], [1.0, "rgb(8,69,148)"]]
EDGE_COLORSCALE = [[0.0, "rgb(189,189,210)"], [0.5, "rgb(240,140,60)"], [1.0, "rgb(165,15,21)"]]
# Signed numbers (attributions): negative blue, zero pale grey, positive red.
SIGNED_COLORSCALE = [[0.0, "rgb(33,102,172)"], [0.5, "rgb(230,230,230)"], [1.0, "rgb(178,24,43)"]]
EDGE_GREY = "rgb(120,120,120)"
NODE_COLOR = "rgb(107,174,214)"
CURRENT_COLOR = "rgb(214,39,40)"
HIGHLIGHT_COLOR = "rgb(44,160,44)"
PALETTE = qualitative.Plotly + qualitative.D3
OTHER_COLOR = "rgb(190,190,190)"

NODE_TRACE = "items"
EDGE_INFO_TRACE = "edge info"
CURRENT_TRACE = "current interest"
HIGHLIGHT_TRACE = "highlighted item"


# --------------------------------------------------------------------------- small helpers
def _label_fn(item_labels: ItemLabels) -> Callable[[int], str | None]:
    """A function item id -> label (or None) from a mapping, a Series, a callable or None."""
    if item_labels is None:
        return lambda _item: None
    if callable(item_labels) and not isinstance(item_labels, (Mapping, pd.Series)):
        return lambda item: (None if item_labels(item) is None else str(item_labels(item)))

    def get(item):
        try:
            value = item_labels.get(item)
        except (KeyError, TypeError, ValueError):  # a Series with an odd index
            value = None
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return str(value)

    return get


def _item_name(item: int, label: str | None) -> str:
    return f"item {item}" if not label else f"item {item} · {label}"


def _short(text: str, n: int = 18) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


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


def _colors(values: np.ndarray, colorscale, vmax: float, vmin: float = 0.0) -> list[str]:
    span = vmax - vmin if vmax - vmin > 0 else 1.0
    frac = np.clip((np.nan_to_num(values, nan=0.0) - vmin) / span, 0.0, 1.0)
    return sample_colorscale(colorscale, [float(f) for f in frac])


def _value_range(values: np.ndarray) -> tuple[float, float]:
    """``(vmin, vmax)`` of a colour scale: ``0 .. max`` for non-negative values (attention),
    ``-m .. m`` with ``m`` the largest magnitude when some value is negative (attributions)."""
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() < 0:
        m = float(np.abs(finite).max())
        return -m, m
    return 0.0, float(finite.max()) if finite.size else 0.0


# --------------------------------------------------------------------------- session graph
#: Larger session graphs are laid out on a circle (see :func:`session_layout`).
SPRING_LAYOUT_MAX_NODES = 200


def session_layout(graph: SessionGraph, seed: int = 0) -> np.ndarray:
    """Deterministic 2-D positions ``[num_nodes, 2]`` of the nodes of a session graph.

    One node sits at the origin, two nodes side by side (sender of the first click on the left);
    larger graphs use a seeded spring layout (Fruchterman–Reingold) on the undirected graph
    started from a circle (Kamada–Kawai looks alike but costs ~100 ms even for 4 nodes, too
    slow for a 300 ms interaction). Above :data:`SPRING_LAYOUT_MAX_NODES` nodes the nodes stay on
    the circle in first-appearance order: a spring layout of so many nodes is slow and unreadable,
    and networkx's needs scipy from 500 nodes. Positions are centred and scaled to ``[-1, 1]``.
    """
    n = graph.num_nodes
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[-1.0, 0.0], [1.0, 0.0]])
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((s, d) for s, d in graph.edge_index.t().tolist() if s != d)
    chain = _chain_order(g)
    if chain is not None:  # a chain reads left to right, in rows of CHAIN_ROW when long
        rows = -(-n // CHAIN_ROW)
        xy = np.zeros((n, 2))
        for place, node in enumerate(chain):
            row, col = divmod(place, CHAIN_ROW)
            col = col if row % 2 == 0 else CHAIN_ROW - 1 - col  # back and forth: edges stay short
            width = min(n, CHAIN_ROW) - 1
            xy[node] = (-1.0 + 2.0 * col / width if width else 0.0, 0.0 if rows == 1 else 1.0 - 2.0 * row / (rows - 1))
        return np.round(xy, 6)
    if n > SPRING_LAYOUT_MAX_NODES:
        angle = 2 * np.pi * np.arange(n) / n
        return np.round(np.stack([np.cos(angle), np.sin(angle)], axis=1), 6)
    start = nx.circular_layout(g)
    pos = nx.spring_layout(g, pos=start, seed=seed, iterations=100)
    xy = np.array([pos[i] for i in range(n)], dtype=float)
    xy -= xy.mean(axis=0)
    span = np.abs(xy).max(axis=0)  # each axis on its own: the drawing fills the panel
    span[span == 0] = 1.0
    return np.round(xy / span, 6)


CHAIN_ROW = 8  # nodes per row of a long chain


def _chain_order(g: nx.Graph) -> list[int] | None:
    """The nodes of ``g`` in path order when it is one simple path (from the end that appeared
    first), else None."""
    n = g.number_of_nodes()
    if n < 3 or g.number_of_edges() != n - 1 or max(d for _, d in g.degree()) > 2 or not nx.is_connected(g):
        return None
    start = min(v for v, d in g.degree() if d == 1)
    order, prev = [start], None
    while len(order) < n:
        nxt = next(v for v in g.neighbors(order[-1]) if v != prev)
        prev = order[-1]
        order.append(nxt)
    return order


def _bezier(p: np.ndarray, q: np.ndarray, bend: float, n: int = 24) -> np.ndarray:
    """Points of a quadratic curve from p to q bent ``bend`` x length to the right."""
    d = q - p
    length = float(np.hypot(*d))
    if bend == 0.0 or length == 0.0:
        return np.stack([p, q])
    right = np.array([d[1], -d[0]]) / length
    c = (p + q) / 2 + right * bend * length
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p + 2 * (1 - t) * t * c + t**2 * q


def _loop(p: np.ndarray, direction: np.ndarray, radius: float, n: int = 40) -> np.ndarray:
    """A small circle through node position p, on the side ``direction`` points to."""
    c = p + direction * radius
    theta0 = math.atan2(-direction[1], -direction[0])  # the angle at which the circle meets p
    theta = np.linspace(theta0 + 0.35, theta0 + 2 * math.pi - 0.35, n)
    return np.stack([c[0] + radius * np.cos(theta), c[1] + radius * np.sin(theta)], axis=1)


def _loop_direction(pos: np.ndarray, node: int, neighbours: Sequence[int]) -> np.ndarray:
    """Unit vector into the widest empty angle between a node's edges (room for its loop)."""
    p = pos[node]
    angles = sorted(math.atan2(*(pos[m] - p)[::-1]) for m in neighbours
                    if m != node and float(np.hypot(*(pos[m] - p))) > 0)
    if not angles:
        v = p - pos.mean(axis=0)
        norm = float(np.hypot(*v))
        return v / norm if norm > 1e-9 else np.array([0.0, 1.0])
    gaps = [(angles[(i + 1) % len(angles)] - a) % (2 * math.pi) or 2 * math.pi
            for i, a in enumerate(angles)]
    i = int(np.argmax(gaps))
    mid = angles[i] + gaps[i] / 2
    return np.array([math.cos(mid), math.sin(mid)])


def _arrow_tail(path: np.ndarray, head: np.ndarray, reach: float = 0.22) -> np.ndarray:
    """The last point of a curved path at least ``reach`` (data units, about 40 px at the
    default size) before ``head``: the arrow's straight shaft from there hugs the curve."""
    dist = np.hypot(*(path - head).T)
    for i in range(len(path) - 1, -1, -1):
        if dist[i] >= reach:
            return path[i]
    return path[0]


_COMPASS = {  # plotly text positions and the direction each puts the label in
    "top center": (0.0, 1.0), "top right": (0.7071, 0.7071), "middle right": (1.0, 0.0),
    "bottom right": (0.7071, -0.7071), "bottom center": (0.0, -1.0), "bottom left": (-0.7071, -0.7071),
    "middle left": (-1.0, 0.0), "top left": (-0.7071, 0.7071),
}


def label_positions(pos: np.ndarray, edges: Sequence[tuple[int, int]]) -> list[str]:
    """A text position per node that keeps its label clear of its edges and of its self-loop
    (drawn into the widest empty angle, as :func:`_edge_objects` does): the compass direction
    farthest, in angle, from all of them (a tie: above for even nodes, below for odd ones, so
    the labels along a chain alternate); "top center" when nothing is near."""
    neighbours: dict[int, set] = {}
    loops = set()
    for s, d in edges:
        if s == d:
            loops.add(s)
        neighbours.setdefault(s, set()).add(d)
        neighbours.setdefault(d, set()).add(s)
    out = []
    for node in range(len(pos)):
        taken = [math.atan2(*(pos[m] - pos[node])[::-1]) for m in neighbours.get(node, ())
                 if m != node and float(np.hypot(*(pos[m] - pos[node]))) > 0]
        if node in loops:
            v = _loop_direction(pos, node, sorted(neighbours.get(node, ())))
            taken.append(math.atan2(v[1], v[0]))
        if not taken:
            out.append("top center")
            continue

        def room(direction, taken=taken) -> float:
            a = math.atan2(direction[1], direction[0])
            return min(abs((a - t + math.pi) % (2 * math.pi) - math.pi) for t in taken)

        # ties (a node in a row of a chain): above and below in turn, so neighbours' labels do not touch
        prefer = "top center" if node % 2 == 0 else "bottom center"
        out.append(max(_COMPASS, key=lambda name, prefer=prefer: (round(room(_COMPASS[name]), 6), name == prefer)))
    return out


def _edge_objects(pos: np.ndarray, edges: list[dict], node_px: np.ndarray,
                  loop_radius: float = 0.2) -> tuple[list[dict], list[dict], list[np.ndarray]]:
    """Plotly objects for directed edges: an arrow annotation per edge (and a line trace for
    curved edges and self-loops, whose arrow only draws the head).

    Each edge dict has ``src``, ``dst``, ``color``, ``width`` and optionally ``bend``,
    ``loop_scale`` (for nested self-loops), ``dash``, ``name``.
    Returns ``(traces, annotations, paths)``; plain dicts, so the figure is validated once.
    """
    neighbours: dict[int, set] = {}
    for e in edges:
        neighbours.setdefault(e["src"], set()).add(e["dst"])
        neighbours.setdefault(e["dst"], set()).add(e["src"])
    traces, annotations, paths = [], [], []
    for e in edges:
        s, d = e["src"], e["dst"]
        name = e.get("name", f"edge {s}->{d}")
        width = float(e["width"])
        if s == d:
            direction = _loop_direction(pos, s, sorted(neighbours.get(s, ())))
            path = _loop(pos[s], direction, loop_radius * e.get("loop_scale", 1.0))
            tail, start_px = _arrow_tail(path, pos[d]), 0.0
        else:
            path = _bezier(pos[s], pos[d], e.get("bend", 0.0))
            if len(path) > 2:
                tail, start_px = _arrow_tail(path, pos[d]), 0.0
            else:  # straight: the annotation draws the whole edge, node edge to node edge
                tail, start_px = path[0], float(node_px[s]) / 2 + 1
        paths.append(path)
        curved = len(path) > 2
        if curved:
            traces.append({
                "type": "scatter", "x": [float(v) for v in path[:, 0]],
                "y": [float(v) for v in path[:, 1]], "mode": "lines",
                "line": {"color": e["color"], "width": width, "dash": e.get("dash", "solid")},
                "hoverinfo": "skip", "showlegend": False, "name": name,
            })
        annotations.append({
            "x": float(pos[d][0]), "y": float(pos[d][1]), "ax": float(tail[0]), "ay": float(tail[1]),
            "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
            "arrowhead": 2, "arrowsize": max(0.6, 1.6 / math.sqrt(max(width, 1.0))) if not curved else 1.1,
            "arrowwidth": width if not curved else max(1.5, min(width, 4.0)),
            "arrowcolor": e["color"], "standoff": float(node_px[d]) / 2 + 1,
            "startstandoff": start_px, "name": name,
        })
    return traces, annotations, paths


def _path_mid(path: np.ndarray) -> np.ndarray:
    if len(path) == 2:
        return path.mean(axis=0)
    if np.allclose(path[0], path[-1], atol=0.3):  # a loop: its farthest point
        return path[len(path) // 2]
    return path[len(path) // 2]


def _graph_layout(points: np.ndarray, title: str, annotations: list[dict],
                  height: int = 480) -> dict:
    """Layout of a node-link drawing: hidden equal-aspect axes that fit every point."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.3
    return {
        "title": {"text": title}, "annotations": annotations, "height": height, "plot_bgcolor": "white",
        "showlegend": False, "hovermode": "closest", "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "xaxis": {"visible": False, "range": [float(lo[0] - pad), float(hi[0] + pad)]},
        "yaxis": {"visible": False, "range": [float(lo[1] - pad), float(hi[1] + pad)],
                   "scaleanchor": "x", "scaleratio": 1},
    }


def _bends(pairs: Sequence[tuple[int, int]]) -> list[float]:
    """Bend each edge whose reverse edge is also drawn, so the two do not overlap."""
    present = set(pairs)
    return [0.15 if (s != d and (d, s) in present) else 0.0 for s, d in pairs]


def graph_edge_table(graph: SessionGraph, item_labels: ItemLabels = None) -> pd.DataFrame:
    """The merged edges of a session graph, one row per edge in ``edge_index`` order.

    Columns: ``src_node, dst_node, src, dst, weight, out_degree_inv, in_degree_inv``
    (+ ``src_label, dst_label`` when labels are given). ``src``/``dst`` are item ids.
    """
    ei = graph.edge_index.tolist() if graph.num_edges else [[], []]
    items = graph.x.tolist()
    table = pd.DataFrame({
        "src_node": pd.Series(ei[0], dtype="int64"),
        "dst_node": pd.Series(ei[1], dtype="int64"),
        "src": pd.Series([items[s] for s in ei[0]], dtype="int64"),
        "dst": pd.Series([items[d] for d in ei[1]], dtype="int64"),
        "weight": pd.Series([round(w) for w in graph.edge_weight.tolist()], dtype="int64"),
        "out_degree_inv": pd.Series(graph.out_degree_inv.tolist(), dtype="float64"),
        "in_degree_inv": pd.Series(graph.in_degree_inv.tolist(), dtype="float64"),
    })
    if item_labels is not None:
        label = _label_fn(item_labels)
        table["src_label"] = [label(i) for i in table["src"]]
        table["dst_label"] = [label(i) for i in table["dst"]]
    return table


def _select_session(df: pd.DataFrame, session: int | None) -> pd.DataFrame:
    if "session" not in df.columns:
        return df
    if session is not None:
        return df[df["session"] == session]
    sessions = pd.unique(df["session"])
    if len(sessions) > 1:
        raise ValueError(f"attention table holds {len(sessions)} sessions; pass session=")
    return df


def edge_attention_for_view(edge_attention_df: pd.DataFrame, layer: int,
                            head: int | str = "mean", graph: SessionGraph | None = None,
                            session: int | None = None) -> pd.DataFrame:
    """Edge attention of one layer and one head (or the mean over heads), one row per edge.

    With ``graph``, the first ``graph.num_edges`` rows follow ``graph.edge_index`` (attention NaN
    where the table has none), then the self-loops the attention layer added, by node. Without
    it, the table's own edges in order of first appearance, then the added self-loops.

    Returns columns ``src_node, dst_node, src, dst, weight, added_self_loop, attention``.
    The mean over heads of attention normalised per receiving node is still normalised.
    """
    df = _select_session(edge_attention_df, session)
    df = df[df["layer"] == layer]
    if df.empty:
        raise ValueError(f"no edge attention for layer {layer}")
    if head != "mean":
        df = df[df["head"] == head]
        if df.empty:
            raise ValueError(f"no edge attention for layer {layer}, head {head}")
    df = df.copy()
    if "added_self_loop" not in df.columns:
        df["added_self_loop"] = False
    df["added_self_loop"] = df["added_self_loop"].astype(bool)
    for col, default in (("src", -1), ("dst", -1), ("weight", np.nan)):
        if col not in df.columns:
            df[col] = default
    keys = ["src_node", "dst_node"]
    agg = (df.groupby(keys, sort=False)
             .agg(src=("src", "first"), dst=("dst", "first"), weight=("weight", "first"),
                  added_self_loop=("added_self_loop", "first"), attention=("attention", "mean"))
             .reset_index())
    added = agg[agg["added_self_loop"]].sort_values("src_node", kind="stable")
    if graph is None:
        base = agg[~agg["added_self_loop"]]
    else:
        found = {(int(r.src_node), int(r.dst_node)): r for r in agg.itertuples(index=False)
                 if not r.added_self_loop}
        table = graph_edge_table(graph)
        base = pd.DataFrame({
            "src_node": table["src_node"], "dst_node": table["dst_node"],
            "src": table["src"], "dst": table["dst"], "weight": table["weight"].astype(float),
            "added_self_loop": False,
            "attention": [float(found[(s, d)].attention) if (s, d) in found else np.nan
                          for s, d in zip(table["src_node"], table["dst_node"])],
        })
    out = pd.concat([base, added], ignore_index=True)
    out = out[["src_node", "dst_node", "src", "dst", "weight", "added_self_loop", "attention"]]
    out["added_self_loop"] = out["added_self_loop"].astype(bool)
    return out.reset_index(drop=True)


def node_attention_for_view(node_attention_df: pd.DataFrame, step: int | str = "mean",
                            num_nodes: int | None = None,
                            session: int | None = None) -> np.ndarray:
    """Readout attention per local node for one readout step (or the mean over steps).

    Returns an array indexed by local node (NaN where the table has no value).
    """
    df = _select_session(node_attention_df, session)
    if step != "mean":
        df = df[df["step"] == step]
    if df.empty:
        raise ValueError(f"no node attention for step {step}")
    per_node = df.groupby("node")["attention"].mean()
    n = int(num_nodes) if num_nodes is not None else int(per_node.index.max()) + 1
    return per_node.reindex(range(n)).to_numpy(dtype=float)


def _edge_attention_lookup(edge_attention, graph: SessionGraph):
    """-> (attention per graph edge [E] or None, list of (node, attention) for added loops)."""
    if edge_attention is None:
        return None, []
    if isinstance(edge_attention, pd.DataFrame):
        df = edge_attention
        added_mask = (df["added_self_loop"].astype(bool) if "added_self_loop" in df.columns
                      else pd.Series(False, index=df.index))
        pairs = {(int(s), int(d)): float(a) for s, d, a, m in
                 zip(df["src_node"], df["dst_node"], df["attention"], added_mask) if not m}
        per_edge = np.array([pairs.get((s, d), np.nan)
                             for s, d in graph.edge_index.t().tolist()], dtype=float)
        existing = {(s, d) for s, d in graph.edge_index.t().tolist()}
        added = sorted({int(s): float(a) for s, d, a, m in
                        zip(df["src_node"], df["dst_node"], df["attention"], added_mask)
                        if (m or (int(s) == int(d) and (int(s), int(d)) not in existing))
                        and int(s) == int(d) and int(s) < graph.num_nodes}.items())
        return per_edge, added
    return _as_1d(edge_attention, "edge_attention", graph.num_edges), []


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
            :func:`node_attention_for_view`; sizes and colours the nodes.
        edge_attention: one value per edge of ``graph.edge_index`` (array-like), or a DataFrame
            from :func:`edge_attention_for_view` whose added self-loop rows are drawn dashed.
            Colours the edges (scale 0 .. largest value shown).
        highlight_item: an original item id to mark (e.g. the true next item), if in the graph.
        seed: seed of the fallback layout.
        node_label, edge_label: what the node and edge numbers are (colour bars and hover), e.g.
            ``"integrated gradients"`` for an attribution. Where some value is negative the
            scale runs from ``-m`` to ``m`` (``m`` the largest magnitude) on a diverging colour
            scale and node size follows the magnitude.
        fixed_scale: colour (and size) non-negative values on a fixed 0-1 scale instead of
            0 .. the largest value shown, so that two views or two sessions compare by colour.

    Traces: one line trace per edge (and an arrow annotation each, same colour), an
    ``"edge info"`` marker trace at the edge midpoints with the numbers in its hover text
    (and the weight written where it is > 1), ``"current interest"`` and ``"highlighted item"``
    rings, and the ``"items"`` node trace whose ``customdata`` holds the item ids.
    """
    n, num_edges = graph.num_nodes, graph.num_edges
    items = [int(i) for i in graph.x.tolist()]
    label = _label_fn(item_labels)
    labels = [label(i) for i in items]
    pos = session_layout(graph, seed=seed)

    node_scale, edge_scale = NODE_COLORSCALE, EDGE_COLORSCALE
    if node_attention is not None:
        node_att = _as_1d(node_attention, "node_attention", n)
        amin, amax = _value_range(node_att)
        if amin < 0:
            node_scale = SIGNED_COLORSCALE
        elif fixed_scale:
            amin, amax = 0.0, 1.0
        frac = np.nan_to_num(np.abs(node_att) / amax if amax > 0 else node_att * 0, nan=0.0)
        node_px = 20.0 + 28.0 * frac
    else:
        node_att, amin, amax = None, 0.0, 0.0
        node_px = np.full(n, 30.0)

    edge_att, added = _edge_attention_lookup(edge_attention, graph)
    emin = emax = 0.0
    if edge_att is not None:
        emin, emax = _value_range(np.array(list(edge_att) + [a for _, a in added], dtype=float))
        if emin < 0:
            edge_scale = SIGNED_COLORSCALE
        elif fixed_scale:
            emin, emax = 0.0, 1.0

    weights = graph.edge_weight.tolist()
    pairs = [tuple(p) for p in graph.edge_index.t().tolist()]
    bends = _bends(pairs)
    edges = []
    for k, ((s, d), w) in enumerate(zip(pairs, weights)):
        color = (EDGE_GREY if edge_att is None or not np.isfinite(edge_att[k])
                 else _colors(np.array([edge_att[k]]), edge_scale, emax, emin)[0])
        edges.append({"src": s, "dst": d, "color": color, "width": min(1.5 + 1.5 * w, 9.0),
                          "bend": bends[k], "name": f"edge {s}->{d}"})
    for node, a in added:
        edges.append({"src": node, "dst": node, "width": 1.5, "dash": "dot",
                          "color": _colors(np.array([a]), edge_scale, emax, emin)[0],
                          "name": f"added self-loop {node}"})

    traces, annotations, paths = _edge_objects(pos, edges, node_px)

    # Edge numbers live on markers at the edge midpoints: lines themselves cannot hover well.
    out_inv, in_inv = graph.out_degree_inv.tolist(), graph.in_degree_inv.tolist()
    mids, hover, text, mcolor = [], [], [], []
    for k, e in enumerate(edges):
        s, d = e["src"], e["dst"]
        mids.append(_path_mid(paths[k]))
        head = f"{_item_name(items[s], labels[s])} → {_item_name(items[d], labels[d])}"
        head += f"<br>nodes {s} → {d}"
        if k < num_edges:
            lines = [head, f"weight {weights[k]:g}" + (" (self-loop)" if s == d else ""),
                     f"out-degree⁻¹ {_fmt(out_inv[k], 3)}", f"in-degree⁻¹ {_fmt(in_inv[k], 3)}"]
            a = None if edge_att is None else float(edge_att[k])
            text.append(f"{weights[k]:g}" if weights[k] > 1 else "")
        else:
            lines = [head, "self-loop added by the attention layer (weight 1)"]
            a = added[k - num_edges][1]
            text.append("")
        if a is not None:
            lines.append(f"{edge_label} {_fmt(a)}")
        hover.append("<br>".join(lines))
        mcolor.append(np.nan if a is None else a)
    if edges:
        mids_arr = np.array(mids)
        marker = {"size": 9, "color": EDGE_GREY, "opacity": 0.9}
        if edge_att is not None:
            marker.update(color=[float(np.nan_to_num(c, nan=0.0)) for c in mcolor],
                          colorscale=edge_scale, cmin=emin, cmax=emax if emax > 0 else 1.0,
                          showscale=True,
                          colorbar={"title": {"text": f"edge<br>{edge_label}"}, "len": 0.45,
                                        "y": 0.22, "x": 1.02})
        traces.append({
            "type": "scatter", "x": [float(v) for v in mids_arr[:, 0]], "y": [float(v) for v in mids_arr[:, 1]],
            "mode": "markers+text", "text": text, "textposition": "top center",
            "textfont": {"size": 12, "color": "rgb(60,60,60)"},
            "hovertext": hover, "hoverinfo": "text", "marker": marker, "name": EDGE_INFO_TRACE,
            "customdata": [[e["src"], e["dst"]] for e in edges], "showlegend": False,
        })

    last = graph.last_node
    traces.append({
        "type": "scatter", "x": [float(pos[last, 0])], "y": [float(pos[last, 1])], "mode": "markers+text",
        "marker": {"symbol": "circle-open", "size": float(node_px[last]) + 14, "color": CURRENT_COLOR,
                    "line": {"width": 3, "color": CURRENT_COLOR}},
        "text": ["current interest"], "textposition": "bottom center",
        "textfont": {"color": CURRENT_COLOR}, "customdata": [items[last]],
        "hoverinfo": "skip", "name": CURRENT_TRACE, "showlegend": False,
    })
    title_note = ""
    if highlight_item is not None:
        if int(highlight_item) in items:
            h = items.index(int(highlight_item))
            traces.append({
                "type": "scatter", "x": [float(pos[h, 0])], "y": [float(pos[h, 1])], "mode": "markers+text",
                "marker": {"symbol": "circle-open", "size": float(node_px[h]) + 24,
                            "color": HIGHLIGHT_COLOR, "line": {"width": 3, "color": HIGHLIGHT_COLOR}},
                "text": [highlight_label], "textposition": "bottom center",
                "textfont": {"color": HIGHLIGHT_COLOR}, "customdata": [items[h]],
                "hoverinfo": "skip", "name": HIGHLIGHT_TRACE, "showlegend": False,
            })
        else:
            title_note = f"<br><sup>{highlight_label} (item {int(highlight_item)}) " \
                         "is not in the session</sup>"

    clicks = graph.click_nodes.tolist()
    node_hover = []
    for i in range(n):
        at = [t + 1 for t, c in enumerate(clicks) if c == i]
        lines = [f"<b>{_item_name(items[i], labels[i])}</b>", f"node {i}",
                 f"clicked {len(at)}× (click {', '.join(map(str, at))})"]
        if node_att is not None:
            lines.append(f"{node_label} {_fmt(float(node_att[i]))}")
        if i == last:
            lines.append("last click: current interest")
        if highlight_item is not None and items[i] == int(highlight_item):
            lines.append(highlight_label)
        node_hover.append("<br>".join(lines))
    marker = {"size": [float(s) for s in node_px], "color": NODE_COLOR,
                  "line": {"width": 1.5, "color": "white"}}
    if node_att is not None:
        marker.update(color=[float(v) for v in np.nan_to_num(node_att, nan=0.0)],
                      colorscale=node_scale, cmin=amin, cmax=amax if amax > 0 else 1.0,
                      showscale=True, line={"width": 1.5, "color": "rgb(8,48,107)"},
                      colorbar={"title": {"text": node_label.replace(" ", "<br>", 1)}, "len": 0.45,
                                    "y": 0.78, "x": 1.02})
    traces.append({
        "type": "scatter", "x": [float(v) for v in pos[:, 0]], "y": [float(v) for v in pos[:, 1]],
        "mode": "markers+text", "text": [_short(lab) if lab else f"item {it}" for it, lab in zip(items, labels)],
        "textposition": label_positions(pos, [(e["src"], e["dst"]) for e in edges]), "hovertext": node_hover,
        "hoverinfo": "text",
        "customdata": items, "marker": marker, "name": NODE_TRACE, "showlegend": False,
    })

    heading = title or (f"Session graph: {graph.length} clicks, {n} node{'s' * (n != 1)}, "
                        f"{num_edges} edge{'s' * (num_edges != 1)}")
    all_points = np.vstack([pos] + paths) if paths else pos
    return go.Figure(data=traces, layout=_graph_layout(all_points, heading + title_note,
                                                       annotations))


# --------------------------------------------------------------------------- item map
ITEM_MAP_POINTS = 600
"""Items a map draws as points at most (the most popular); the rest become a density layer."""
ITEM_MAP_DENSITY_TRACE = "other items (density)"
ITEM_MAP_OVERLAYS = ("top-K", "found", "true next item", "in session")


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
    xy = np.asarray(coords, dtype=float).reshape(-1, 2)
    ids = np.asarray(item_ids).reshape(-1).astype(np.int64)
    n = len(ids)
    pop = _as_1d(popularity, "popularity", n)
    if xy.shape[0] != n:
        raise ValueError(f"{xy.shape[0]} coordinates for {n} items")
    label = _label_fn(item_labels)
    sizes = np.clip(4.0 + 2.2 * np.log1p(np.maximum(pop, 0)), 4.0, 22.0)
    # group of each item: one of the max_categories largest categories, else "other" (vectorised:
    # no per-item string is made, a full catalogue has tens of thousands of items)
    group_of = np.zeros(n, dtype=np.int64)
    if categories is None:
        groups = ["all items"]
    else:
        raw = pd.Series(np.asarray(categories.to_numpy() if isinstance(categories, pd.Series) else categories))
        if len(raw) != n:
            raise ValueError(f"{len(raw)} categories for {n} items")
        counts = raw[raw.notna()].value_counts().to_dict()
        ranked = sorted((c for c in counts if str(c) != "other"), key=lambda c: (-counts[c], str(c)))
        top = ranked[:max_categories]
        group_of[:] = len(top)
        for g_i, c in enumerate(top):
            group_of[(raw == c).to_numpy()] = g_i
        groups = [str(c) for c in top] + (["other"] if (group_of == len(top)).any() else [])

    # the items drawn as points: all of a small catalogue, the most popular of a large one
    if n > max_points:
        order = np.lexsort((ids, -pop))
        as_point = np.zeros(n, dtype=bool)
        as_point[order[:max_points]] = True
    else:
        as_point = np.ones(n, dtype=bool)

    fig = go.Figure()
    if not as_point.all():
        rest = xy[~as_point]
        span = [(float(v.min()), float(v.max())) if v.max() > v.min() else (float(v.min()) - 1, float(v.min()) + 1)
                for v in (xy[:, 0], xy[:, 1])]
        counts2d, xe, ye = np.histogram2d(rest[:, 0], rest[:, 1], bins=density_bins, range=span)
        # log scale; an empty cell is 0 and transparent (binary float32 on the wire, no nulls)
        z = np.log10(1.0 + counts2d.T).astype(np.float32)
        fig.add_trace(go.Heatmap(
            x=((xe[:-1] + xe[1:]) / 2).astype(np.float32), y=((ye[:-1] + ye[1:]) / 2).astype(np.float32),
            z=z, zmin=0.0, colorscale=[[0.0, "rgba(255,255,255,0)"], [1e-6, "rgb(236,236,236)"],
                                       [1.0, "rgb(110,110,110)"]],
            showscale=False, hoverinfo="skip", name=ITEM_MAP_DENSITY_TRACE,
            meta={"items": int((~as_point).sum())},
        ))
    named = " · %{hovertext}" if item_labels else ""  # names only where the dataset has them
    for g_i, group in enumerate(groups):
        idx = np.flatnonzero((group_of == g_i) & as_point)
        if idx.size == 0:
            continue
        color = OTHER_COLOR if group == "other" else (
            NODE_COLOR if categories is None else PALETTE[g_i % len(PALETTE)])
        where = ("" if categories is None else "<br>another or unknown category" if group == "other"
                 else f"<br>category {group}")
        fig.add_trace(go.Scatter(
            x=xy[idx, 0].astype(np.float32), y=xy[idx, 1].astype(np.float32), mode="markers",
            marker={"size": sizes[idx].astype(np.float32), "color": color, "opacity": 0.75,
                        "line": {"width": 0.5, "color": "white"}},
            customdata=ids[idx], hovertemplate=f"item %{{customdata}}{named}{where}<extra></extra>",
            hovertext=[label(int(i)) or "" for i in ids[idx]] if item_labels else None,
            name=group,
        ))
    index = pd.Index(ids)

    def overlay(items, name, symbol, color, extra, hover_note, text=None):
        items = [int(i) for i in items]
        found = index.get_indexer(items) if items else np.zeros(0, dtype=np.int64)
        shown = [i for i, f in zip(items, found) if f >= 0]
        pos = found[found >= 0]
        if not shown:
            return
        fig.add_trace(go.Scatter(
            x=xy[pos, 0].tolist(), y=xy[pos, 1].tolist(),
            mode="markers+text" if text is not None else "markers",
            text=None if text is None else [text[i] for i in shown], textposition="top center",
            textfont={"color": color}, name=name, customdata=shown, hoverinfo="text",
            marker={"symbol": symbol, "size": (sizes[pos] + extra).tolist(), "color": color,
                        "line": {"width": 2.5, "color": color}},
            hovertext=[f"{_item_name(i, label(i))}<br>{hover_note(i)}" for i in shown],
        ))

    if topk_items is not None:
        rank = {}
        for r, item in enumerate(topk_items):
            rank.setdefault(int(item), r + 1)
        overlay(list(rank), "top-K", "diamond", "rgb(255,127,14)", 2, lambda i: f"top-K rank {rank[i]}")
    if found_items is not None:
        overlay(list(dict.fromkeys(int(i) for i in found_items)), "found", "star", "rgb(148,103,189)", 6,
                lambda _: "search result")
    if target_item is not None:
        overlay([target_item], "true next item", "circle-open", HIGHLIGHT_COLOR, 14,
                lambda _: "true next item")
    if selected_items:
        order: dict[int, list[int]] = {}
        for t, item in enumerate(int(s) for s in selected_items):
            order.setdefault(item, []).append(t + 1)
        overlay(list(order), "in session", "circle-open", CURRENT_COLOR, 10,
                lambda i: f"in session (click {', '.join(map(str, order[i]))})",
                text={i: ",".join(map(str, v)) for i, v in order.items()})
    n_points = int(as_point.sum())
    how = "" if n_points == n else f", the {n_points} most popular as points, the rest as density"
    fig.update_layout(
        title={"text": f"Item map: {n} items{how} (click a point to add it)"},
        xaxis={"title": {"text": "component 1"}, "zeroline": False, "showgrid": False},
        yaxis={"title": {"text": "component 2"}, "zeroline": False, "showgrid": False},
        legend={"title": {"text": "category" if categories is not None else ""}},
        plot_bgcolor="white", height=520, hovermode="closest", clickmode="event+select",
        margin={"l": 40, "r": 10, "t": 50, "b": 40}, uirevision="item-map",
        modebar={"orientation": "v"},  # down the right edge, clear of the title
    )
    return fig


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
    label = _label_fn(item_labels)
    y = [f"{r + 1}. {_short(_item_name(ids[i], label(ids[i])), 28)}" for r, i in enumerate(order)]
    x = [float(pr[i]) if pr is not None else float(sc[i]) for i in order]
    colors = [HIGHLIGHT_COLOR if target is not None and ids[i] == int(target) else NODE_COLOR
              for i in order]
    hover = []
    for r, i in enumerate(order):
        lines = [f"<b>{_item_name(ids[i], label(ids[i]))}</b>", f"rank {r + 1}",
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
_METRIC_KEYS = {
    "hit": ("hit@{k}", "hr@{k}", "HR@{k}", "recall@{k}", "p@{k}", "P@{k}"),
    "mrr": ("mrr@{k}", "MRR@{k}"),
    "ndcg": ("ndcg@{k}", "NDCG@{k}"),
}


def _number(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _metric(row: dict, name: str, k: int) -> float | None:
    for key in _METRIC_KEYS[name]:
        if key.format(k=k) in row:
            return _number(row[key.format(k=k)])
    return None


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
                           references: Mapping[str, Mapping] | None = None) -> go.Figure:
    """Loss, HR@K, MRR@K and NDCG@K per epoch, and training loss per step, for several runs.

    ``references`` maps a baseline's name to its metrics (``hit@K``, ``mrr@K``, ``ndcg@K``):
    each is a dotted horizontal line across the HR, MRR and NDCG panels, named at its right end
    (a baseline has no epochs; ``shape.name == "reference <name>"``).

    Each run keeps one colour in every panel. One trace per run per metric that has data
    (training loss per epoch, eval loss per epoch dashed where logged, loss per step, HR, MRR,
    NDCG); ``trace.meta == {"run": name, "metric": ...}``. Rows missing a key are skipped, so a
    run with no eval rows yet just has no metric traces.
    """
    titles = ("loss per epoch", "training loss per step", f"HR@{k} (%)", f"MRR@{k} (%)",
              f"NDCG@{k} (%)")
    fig = make_subplots(
        rows=2, cols=6,
        specs=[[{"colspan": 3}, None, None, {"colspan": 3}, None, None],
               [{"colspan": 2}, None, {"colspan": 2}, None, {"colspan": 2}, None]],
        subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.07,
    )
    cells = {"loss": (1, 1), "eval_loss": (1, 1), "step_loss": (1, 4), "hit": (2, 1),
             "mrr": (2, 3), "ndcg": (2, 5)}
    for r_i, (run, rows) in enumerate(runs.items()):
        rows = [r for r in (rows or []) if isinstance(r, Mapping)]
        color = PALETTE[r_i % len(PALETTE)]
        series = {
            # the epoch's mean training loss, logged exactly on its eval row; else the step rows' mean
            "loss": _first_nonempty(_epoch_series(rows, "eval", lambda r: _number(r.get("train_loss"))),
                                    _epoch_series(rows, "train", lambda r: _number(r.get("loss")))),
            "eval_loss": _epoch_series(rows, "eval", lambda r: _number(r.get("test_loss"))),
            "hit": _epoch_series(rows, "eval", lambda r: _metric(r, "hit", k)),
            "mrr": _epoch_series(rows, "eval", lambda r: _metric(r, "mrr", k)),
            "ndcg": _epoch_series(rows, "eval", lambda r: _metric(r, "ndcg", k)),
        }
        steps = [(int(r["step"]), _number(r.get("loss"))) for r in rows
                 if r.get("kind", "train") == "train" and _number(r.get("step")) is not None
                 and _number(r.get("loss")) is not None]
        steps.sort(key=lambda p: p[0])
        series["step_loss"] = ([s for s, _ in steps], [v for _, v in steps])
        legend_shown = False
        for metric in ("loss", "eval_loss", "step_loss", "hit", "mrr", "ndcg"):
            xs, ys = series[metric]
            if not xs:
                continue
            row, col = cells[metric]
            xname = "step" if metric == "step_loss" else "epoch"
            mname = {"loss": "train loss", "eval_loss": "eval loss", "step_loss": "train loss",
                     "hit": f"HR@{k}", "mrr": f"MRR@{k}", "ndcg": f"NDCG@{k}"}[metric]
            fig.add_trace(go.Scatter(
                x=list(xs), y=list(ys), mode="lines" if metric == "step_loss" else "lines+markers",
                line={"color": color, "dash": "dash" if metric == "eval_loss" else "solid",
                          "width": 1.2 if metric == "step_loss" else 2},
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
    fig.update_layout(barmode="group", title={"text": title or "Metrics by slice"},
                      height=420, legend={"title": {"text": "model"}, "orientation": "h", "y": -0.15},
                      margin={"l": 50, "r": 10, "t": 70, "b": 60})
    return fig


def rank_histogram_figure(ranks, k: int = 20) -> go.Figure:
    """How many test prefixes put the target at rank 1..K, and how many miss (rank > K)."""
    r = _as_1d(ranks, "ranks")
    r = r[np.isfinite(r)].astype(int)
    counts = [int(np.sum(r == i)) for i in range(1, k + 1)]
    miss = int(np.sum(r > k))
    n = int(r.size)
    hr = 100.0 * (n - miss) / n if n else 0.0
    mrr = 100.0 * float(np.sum(np.where(r <= k, 1.0 / np.maximum(r, 1), 0.0))) / n if n else 0.0
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


# --------------------------------------------------------------------------- dataset
def protocol_steps_figure(stats: list[dict]) -> go.Figure:
    """Clicks, sessions and items after each preprocessing step (docs/protocol.md), with what each
    step removed in the hover text."""
    parts = [str(s.get("part") or "all") for s in stats]
    # a step done on train and on test is two bars: the part in the label and in the colour
    steps = [str(s.get("step", i)) + ("" if p == "all" else f" ({p})") for i, (s, p) in enumerate(zip(stats, parts))]
    part_color = {"train": PALETTE[0], "test": PALETTE[1], "all": "rgb(140,140,140)"}
    fig = make_subplots(rows=1, cols=3, subplot_titles=("clicks", "sessions", "items"),
                        horizontal_spacing=0.08)
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
            x=steps, y=[np.nan if v is None else v for v in vals], name=key, hovertext=hover,
            hoverinfo="text", marker={"color": [part_color.get(p, part_color["all"]) for p in parts]},
            showlegend=False, text=["" if v is None else f"{v:,.0f}" for v in vals], textposition="auto",
        ), row=1, col=col)
    for part in dict.fromkeys(parts):  # a legend of the colours
        fig.add_trace(go.Bar(x=[None], y=[None], name=part, marker={"color": part_color.get(part, part_color["all"])},
                             showlegend=True, hoverinfo="skip"), row=1, col=1)
    fig.update_xaxes(type="category", tickangle=-30)
    fig.update_yaxes(title_text="count", row=1, col=1)
    fig.update_layout(title={"text": "Preprocessing protocol: what each step keeps"},
                      height=420, margin={"l": 50, "r": 10, "t": 70, "b": 90})
    return fig


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
    label = _label_fn(item_labels)
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
            hr.append(f"{v}<br>{_item_name(i, label(i))}<br>rank "
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
    a frame with ``step, removed, score, rank, share`` (:func:`fgnn.attribution.deletion_curve`).
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

    ``summary``: :func:`fgnn.attribution.faithfulness_summary` (``method, pairs, auc, auc_sem,
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
        text=[_fmt(float(a), 3) for a in s["auc"]], textposition="outside",
    ))
    if "random" in methods:
        r = float(s.loc[s["method"] == "random", "auc"].iloc[0])
        fig.add_hline(y=r, line_dash="dash", line_color=METHOD_COLORS["random"], name="random",
                      annotation_text="random", annotation_position="top right")
    n = int(s["pairs"].max()) if len(s) else 0
    fig.update_layout(title={"text": title or f"Faithfulness: mean deletion AUC over {n} test pairs "
                                               "(lower = more faithful)"},
                      yaxis={"title": {"text": "deletion AUC"}, "rangemode": "tozero"},
                      height=360, margin={"l": 10, "r": 10, "t": 60, "b": 40}, showlegend=False)
    return fig
