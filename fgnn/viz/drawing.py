"""Drawing primitives of a session graph: positions, edge paths, arrows, loops, colours, labels.

One graph drawing for the whole app: the session builder (:func:`fgnn.viz.plots.session_graph_figure`)
and the teaching page (:mod:`fgnn.app.teaching`) both lay nodes out with :func:`session_layout`,
turn edge dicts into curves and arrows with :func:`edge_objects`, put the edge numbers on
:func:`edge_info_trace` at :func:`path_midpoint` s and assemble the figure with
:func:`graph_figure`. What each figure says (colours, hover text) is up to its caller.

Everything here is a pure function of plain data; traces and annotations are plain dicts, so a
figure is validated once when :func:`graph_figure` builds it. Coordinates are data units of a
drawing that spans about ``[-1, 1]``; sizes in pixels are named ``*_px``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import networkx as nx
import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale

from fgnn.data.graph import SessionGraph

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

# Stable trace names: pages and tests find the parts of a graph drawing by them.
NODE_TRACE = "items"
EDGE_INFO_TRACE = "edge info"
CURRENT_TRACE = "current interest"
HIGHLIGHT_TRACE = "highlighted item"

#: Larger session graphs are laid out on a circle (see :func:`session_layout`).
SPRING_LAYOUT_MAX_NODES = 200
CHAIN_ROW = 8  # nodes per row of a long chain


# --------------------------------------------------------------------------- item labels

def item_name(item: int | str, label: str | None) -> str:
    """``"item 7"``, or ``"item 7 · red shoe"`` when the item has a label."""
    return f"item {item}" if not label else f"item {item} · {label}"


def shorten(text: str, n: int = 18) -> str:
    """``text`` cut to at most ``n`` characters, an ellipsis marking the cut."""
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- colour scales
def scale_colors(values: np.ndarray, colorscale, vmax: float, vmin: float = 0.0) -> list[str]:
    """The colour of each value on ``colorscale`` spanning ``vmin .. vmax`` (NaN as ``vmin``)."""
    span = vmax - vmin if vmax - vmin > 0 else 1.0
    frac = np.clip((np.nan_to_num(values, nan=0.0) - vmin) / span, 0.0, 1.0)
    return sample_colorscale(colorscale, [float(f) for f in frac])


def value_range(values: np.ndarray) -> tuple[float, float]:
    """``(vmin, vmax)`` of a colour scale: ``0 .. max`` for non-negative values (attention),
    ``-m .. m`` with ``m`` the largest magnitude when some value is negative (attributions)."""
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() < 0:
        m = float(np.abs(finite).max())
        return -m, m
    return 0.0, float(finite.max()) if finite.size else 0.0


def color_range(values: np.ndarray, colorscale, fixed_scale: bool = False) -> tuple[list, float, float]:
    """``(colorscale, vmin, vmax)`` to colour ``values`` with: :func:`value_range` on
    ``colorscale``, the diverging :data:`SIGNED_COLORSCALE` when a value is negative, and the
    fixed ``0 .. 1`` when ``fixed_scale`` and no value is negative (two views compare by colour)."""
    vmin, vmax = value_range(values)
    if vmin < 0:
        return SIGNED_COLORSCALE, vmin, vmax
    if fixed_scale:
        return colorscale, 0.0, 1.0
    return colorscale, vmin, vmax


# --------------------------------------------------------------------------- node positions
def session_layout(graph: SessionGraph, seed: int = 0) -> np.ndarray:
    """Deterministic 2-D positions ``[num_nodes, 2]`` of the nodes of a session graph.

    One node sits at the origin, two nodes side by side (sender of the first click on the left);
    a graph that is one simple path reads left to right (:func:`chain_order`), back and forth in
    rows of :data:`CHAIN_ROW` nodes when long; other graphs use a seeded spring layout
    (Fruchterman–Reingold) on the undirected graph started from a circle (Kamada–Kawai looks
    alike but costs ~100 ms even for 4 nodes, too slow for a 300 ms interaction). Above
    :data:`SPRING_LAYOUT_MAX_NODES` nodes the nodes stay on the circle in first-appearance order:
    a spring layout of so many nodes is slow and unreadable, and networkx's needs scipy from 500
    nodes. Positions are centred and scaled to ``[-1, 1]``.
    """
    n = graph.num_nodes
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[-1.0, 0.0], [1.0, 0.0]])
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((s, d) for s, d in graph.edge_index.t().tolist() if s != d)
    chain = chain_order(g)
    if chain is not None:
        return _chain_layout(chain)
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


def _chain_layout(chain: list[int]) -> np.ndarray:
    """A chain reads left to right, in rows of :data:`CHAIN_ROW` when long."""
    n = len(chain)
    rows = -(-n // CHAIN_ROW)
    xy = np.zeros((n, 2))
    for place, node in enumerate(chain):
        row, col = divmod(place, CHAIN_ROW)
        col = col if row % 2 == 0 else CHAIN_ROW - 1 - col  # back and forth: edges stay short
        width = min(n, CHAIN_ROW) - 1
        xy[node] = (-1.0 + 2.0 * col / width if width else 0.0, 0.0 if rows == 1 else 1.0 - 2.0 * row / (rows - 1))
    return np.round(xy, 6)


def chain_order(g: nx.Graph) -> list[int] | None:
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


# --------------------------------------------------------------------------- edge geometry
def bezier(p: np.ndarray, q: np.ndarray, bend: float, n: int = 24) -> np.ndarray:
    """Points of a quadratic curve from p to q bent ``bend`` x length to the right; just
    ``[p, q]`` for a straight edge (``bend == 0``)."""
    d = q - p
    length = float(np.hypot(*d))
    if bend == 0.0 or length == 0.0:
        return np.stack([p, q])
    right = np.array([d[1], -d[0]]) / length
    c = (p + q) / 2 + right * bend * length
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p + 2 * (1 - t) * t * c + t**2 * q


def loop_path(p: np.ndarray, direction: np.ndarray, radius: float, n: int = 40) -> np.ndarray:
    """Points of a self-loop: a small circle through node position p, on the side ``direction``
    points to."""
    c = p + direction * radius
    theta0 = math.atan2(-direction[1], -direction[0])  # the angle at which the circle meets p
    theta = np.linspace(theta0 + 0.35, theta0 + 2 * math.pi - 0.35, n)
    return np.stack([c[0] + radius * np.cos(theta), c[1] + radius * np.sin(theta)], axis=1)


def loop_direction(pos: np.ndarray, node: int, neighbours: Sequence[int]) -> np.ndarray:
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


def arrow_tail(path: np.ndarray, head: np.ndarray, reach: float = 0.22) -> np.ndarray:
    """The last point of a curved path at least ``reach`` (data units, about 40 px at the
    default size) before ``head``: the arrow's straight shaft from there hugs the curve."""
    dist = np.hypot(*(path - head).T)
    for i in range(len(path) - 1, -1, -1):
        if dist[i] >= reach:
            return path[i]
    return path[0]


def path_midpoint(path: np.ndarray) -> np.ndarray:
    """Where an edge's numbers go: the middle of a straight edge, the middle point of a curve
    (for a self-loop, its point farthest from the node)."""
    if len(path) == 2:
        return path.mean(axis=0)
    return path[len(path) // 2]


def edge_bends(pairs: Sequence[tuple[int, int]]) -> list[float]:
    """Bend each edge whose reverse edge is also drawn, so the two do not overlap."""
    present = set(pairs)
    return [0.15 if (s != d and (d, s) in present) else 0.0 for s, d in pairs]


def parallel_edge_bends(pairs: Sequence[tuple[int, int]]) -> tuple[list[float], list[float]]:
    """``(bends, loop_scales)`` for edges that may repeat (one per click pair, before merging):
    the copies of a pair fan out around its :func:`edge_bends` bend, 0.25 apart, and the copies
    of a self-loop nest, each 1.5 x the one before."""
    occurrences: dict[tuple[int, int], list[int]] = {}
    for t, p in enumerate(pairs):
        occurrences.setdefault(tuple(p), []).append(t)
    bends, scales = [], []
    for t, (base, (s, d)) in enumerate(zip(edge_bends(pairs), pairs, strict=True)):
        copies = occurrences[(s, d)]
        j = copies.index(t)
        bends.append(0.0 if s == d else base + (j - (len(copies) - 1) / 2) * 0.25)
        scales.append(1.0 + 0.5 * j)
    return bends, scales


# --------------------------------------------------------------------------- plotly objects
def _edge_path(pos: np.ndarray, e: dict, neighbours: dict[int, set], node_px: np.ndarray,
               loop_radius: float) -> tuple[np.ndarray, np.ndarray, float]:
    """``(path, arrow tail, start standoff px)`` of one edge dict."""
    s, d = e["src"], e["dst"]
    if s == d:
        direction = loop_direction(pos, s, sorted(neighbours.get(s, ())))
        path = loop_path(pos[s], direction, loop_radius * e.get("loop_scale", 1.0))
        return path, arrow_tail(path, pos[d]), 0.0
    path = bezier(pos[s], pos[d], e.get("bend", 0.0))
    if len(path) > 2:
        return path, arrow_tail(path, pos[d]), 0.0
    # straight: the annotation draws the whole edge, node edge to node edge
    return path, path[0], float(node_px[s]) / 2 + 1


def edge_objects(pos: np.ndarray, edges: list[dict], node_px: np.ndarray,
                 loop_radius: float = 0.2) -> tuple[list[dict], list[dict], list[np.ndarray]]:
    """Plotly objects for directed edges: an arrow annotation per edge (and a line trace for
    curved edges and self-loops, whose arrow only draws the head).

    Each edge dict has ``src``, ``dst`` (node indices), ``color``, ``width`` and optionally
    ``bend`` (:func:`edge_bends`), ``loop_scale`` (for nested self-loops), ``dash``, ``name``.
    ``node_px`` is each node's marker size, so that arrows stop at the node's edge.
    Returns ``(traces, annotations, paths)``; plain dicts, so the figure is validated once.
    """
    neighbours: dict[int, set] = {}
    for e in edges:
        neighbours.setdefault(e["src"], set()).add(e["dst"])
        neighbours.setdefault(e["dst"], set()).add(e["src"])
    traces, annotations, paths = [], [], []
    for e in edges:
        d = e["dst"]
        name = e.get("name", f"edge {e['src']}->{d}")
        width = float(e["width"])
        path, tail, start_px = _edge_path(pos, e, neighbours, node_px, loop_radius)
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


def edge_info_trace(paths: Sequence[np.ndarray], edges: list[dict], marker: dict,
                    textfont: dict | None = None) -> dict:
    """The :data:`EDGE_INFO_TRACE` trace: a marker at each edge's :func:`path_midpoint` with the
    edge's ``text`` written beside it and its ``hover`` as hover text (lines cannot hover well);
    ``customdata`` holds ``[src, dst]`` node pairs."""
    mids = np.array([path_midpoint(p) for p in paths])
    trace = {
        "type": "scatter", "x": [float(v) for v in mids[:, 0]], "y": [float(v) for v in mids[:, 1]],
        "mode": "markers+text", "text": [e.get("text", "") for e in edges], "textposition": "top center",
    }
    if textfont is not None:
        trace["textfont"] = textfont
    trace.update({
        "hovertext": [e.get("hover", "") for e in edges], "hoverinfo": "text", "marker": marker,
        "name": EDGE_INFO_TRACE, "customdata": [[e["src"], e["dst"]] for e in edges], "showlegend": False,
    })
    return trace


def node_trace(pos: np.ndarray, items: Sequence[int], text: Sequence[str], hovertext: Sequence[str],
               marker: dict, textposition: str | Sequence[str] = "top center") -> dict:
    """The :data:`NODE_TRACE` trace: one marker per node at ``pos``, ``customdata`` the item ids
    (a click on a node gives its item)."""
    return {
        "type": "scatter", "x": [float(v) for v in pos[:, 0]], "y": [float(v) for v in pos[:, 1]],
        "mode": "markers+text", "text": list(text), "textposition": textposition,
        "hovertext": list(hovertext), "hoverinfo": "text", "customdata": list(items), "marker": marker,
        "name": NODE_TRACE, "showlegend": False,
    }


def ring_trace(xy: np.ndarray, size: float, color: str, text: str, item: int, name: str) -> dict:
    """An open circle of ``size`` px around one node at ``xy`` with ``text`` under it (the current
    interest, the true next item); ``customdata`` holds the node's item."""
    return {
        "type": "scatter", "x": [float(xy[0])], "y": [float(xy[1])], "mode": "markers+text",
        "marker": {"symbol": "circle-open", "size": size, "color": color, "line": {"width": 3, "color": color}},
        "text": [text], "textposition": "bottom center", "textfont": {"color": color},
        "customdata": [item], "hoverinfo": "skip", "name": name, "showlegend": False,
    }


_COMPASS = {  # plotly text positions and the direction each puts the label in
    "top center": (0.0, 1.0), "top right": (0.7071, 0.7071), "middle right": (1.0, 0.0),
    "bottom right": (0.7071, -0.7071), "bottom center": (0.0, -1.0), "bottom left": (-0.7071, -0.7071),
    "middle left": (-1.0, 0.0), "top left": (-0.7071, 0.7071),
}


#: Angle (radians) either side of a self-loop's direction that its circle covers near the node.
LOOP_SPREAD = math.radians(60)


def _side_rank(name: str, order: tuple[str, str]) -> int:
    """Which of equally clear sides a label takes: ``order`` (above or below), then diagonals, then beside."""
    if name in order:
        return 3 - order.index(name)
    return 1 if " center" not in name and "middle" not in name else 0


def label_positions(pos: np.ndarray, edges: Sequence[tuple[int, int]]) -> list[str]:
    """A text position per node: the first of its :func:`label_side_ranking`."""
    return [ranked[0][0] for ranked in label_side_ranking(pos, edges)]


def label_side_ranking(pos: np.ndarray, edges: Sequence[tuple[int, int]]) -> list[list[tuple[str, float]]]:
    """Per node, every compass text position with its room (radians, up to a quarter turn), best
    first; the best is the text position that keeps its label clear of its edges and of its self-loop
    (drawn into the widest empty angle, as :func:`edge_objects` does, and filling
    :data:`LOOP_SPREAD` either side of it): the compass direction
    farthest, in angle, from all of them, where a quarter turn counts as clear (among clear sides,
    above for even nodes and below for odd ones, so the labels along a chain alternate, then the
    other of the two, then a diagonal, then beside); "top center" when nothing is near."""
    neighbours: dict[int, set] = {}
    loops = set()
    for s, d in edges:
        if s == d:
            loops.add(s)
        neighbours.setdefault(s, set()).add(d)
        neighbours.setdefault(d, set()).add(s)
    out: list[list[tuple[str, float]]] = []
    for node in range(len(pos)):
        taken = [math.atan2(*(pos[m] - pos[node])[::-1]) for m in neighbours.get(node, ())
                 if m != node and float(np.hypot(*(pos[m] - pos[node]))) > 0]
        loop_at = None
        if node in loops:
            v = loop_direction(pos, node, sorted(neighbours.get(node, ())))
            a = loop_at = math.atan2(v[1], v[0])
            # a loop is a circle, not a line: it fills the angles either side of its direction
            taken += [a - LOOP_SPREAD, a, a + LOOP_SPREAD]
        if not taken:
            out.append([("top center", math.pi / 2)] + [(name, math.pi / 2) for name in _COMPASS if name != "top center"])
            continue

        def room(direction, taken=taken) -> float:
            a = math.atan2(direction[1], direction[0])
            return min(abs((a - t + math.pi) % (2 * math.pi) - math.pi) for t in taken)

        # ties (a node in a row of a chain): above and below in turn, so neighbours' labels do not touch
        # a quarter turn from everything is clear enough; among clear sides, above or below first
        # (a label beside a node at the drawing's edge runs off the figure)
        order = ("top center", "bottom center") if node % 2 == 0 else ("bottom center", "top center")
        rooms = {name: round(min(room(_COMPASS[name]), math.pi / 2), 6) for name in _COMPASS}
        if loop_at is not None:  # a side inside the self-loop's circle has no room at all
            rooms.update({name: 0.0 for name, (dx, dy) in _COMPASS.items()
                          if abs((math.atan2(dy, dx) - loop_at + math.pi) % (2 * math.pi) - math.pi) < LOOP_SPREAD})
        out.append([(name, rooms[name]) for name in sorted(
            _COMPASS, key=lambda name, order=order: (rooms[name], _side_rank(name, order)), reverse=True)])
    return out


# --------------------------------------------------------------------------- labels clear of each other
#: A side of a node whose room (angle from its edges) is below this is never taken to dodge a label.
DODGE_MIN_ROOM = math.pi / 4
EDGE_TEXT_SIDES = ("top center", "bottom center", "middle right", "middle left")


def text_size_px(text: str, font: float = 12.0) -> tuple[float, float]:
    """An estimate of the ``(width, height)`` in px of a plotly text (``<br>`` lines, tags dropped)."""
    lines = [re.sub(r"<[^>]+>", "", line) for line in str(text).split("<br>")] or [""]
    return 0.62 * font * max(len(line) for line in lines) + 4.0, 1.3 * font * len(lines) + 2.0


def side_rect(centre, side: str, clear: float, size) -> tuple[float, float, float, float]:
    """The box ``(x0, y0, x1, y1)`` (px, y up) of a text of ``size`` written on ``side`` of
    ``centre``, starting ``clear`` px from it (as :func:`node_label_annotations` anchors it)."""
    dx, dy = _COMPASS[side]
    ax, ay = centre[0] + dx * clear, centre[1] + dy * clear
    w, h = size
    x0 = ax if dx > 0.1 else ax - w if dx < -0.1 else ax - w / 2
    y0 = ay if dy > 0.1 else ay - h if dy < -0.1 else ay - h / 2
    return x0, y0, x0 + w, y0 + h


def _area(r, rects) -> float:
    """How much of box ``r`` the ``rects`` cover (px², summed)."""
    return sum(max(0.0, min(r[2], q[2]) - max(r[0], q[0])) * max(0.0, min(r[3], q[3]) - max(r[1], q[1])) for q in rects)


def overlaps_any(r, rects, gap: float = 4.0) -> bool:
    """Whether box ``r`` comes within ``gap`` px of any of ``rects`` (boxes ``(x0, y0, x1, y1)``)."""
    return any(r[0] < q[2] + gap and q[0] < r[2] + gap and r[1] < q[3] + gap and q[1] < r[3] + gap for q in rects)


def declutter_labels(pos_px, labels: Sequence[str], ranking: Sequence[Sequence[tuple[str, float]]],
                     clear_px: Sequence[float], node_px: Sequence[float], *, font: float = 12.0,
                     edge_px=None, edge_text: Sequence[str] = (), edge_clear: float = 5.0,
                     edge_font: float = 12.0, hide_crowded: bool = False) -> tuple[list, list]:
    """``(node label sides, edge text positions)`` that keep the texts of a drawing clear of each
    other and of the nodes. Each node's label takes the first side of its ranking
    (:func:`label_side_ranking`) whose box (an estimate: :func:`text_size_px`) meets no text placed
    before it and no other node, among the sides clear of its edges (room at least
    :data:`DODGE_MIN_ROOM`); else the first such side whatever its room; else the first that meets
    no text (over a node); else the side where it meets the least text. Then each edge's text (at ``edge_px``, the edges'
    midpoints) takes the first of :data:`EDGE_TEXT_SIDES` that meets no text and no node, else no
    text, else the least text. Positions are in px with y up; ``pos_px`` / ``edge_px`` may hold several layouts (one
    per scale the figure may be drawn at, stacked on a first axis): a side must be clear in all.
    ``hide_crowded``: a text with no side clear of the texts placed before it is not written (its
    side is ``None``; the drawing keeps it in the hover), so no two written texts meet."""
    nodes = np.asarray(pos_px, dtype=float).reshape(-1, len(ranking), 2) if len(ranking) else np.zeros((1, 0, 2))
    n_layouts = nodes.shape[0]
    edges = None if edge_px is None else np.asarray(edge_px, dtype=float).reshape(n_layouts, -1, 2)
    node_boxes = [[(x - r / 2, y - r / 2, x + r / 2, y + r / 2) for (x, y), r in zip(layout, node_px, strict=True)]
                  for layout in nodes]
    placed: list[list[tuple]] = [[] for _ in range(n_layouts)]

    def clear_of(rects_of, centres, side, clear, size) -> bool:
        return all(not overlaps_any(side_rect(centres[k], side, clear, size), rects_of(k)) for k in range(n_layouts))

    sides = []
    for i, ranked in enumerate(ranking):
        label = labels[i] if i < len(labels) else ""
        if not label:
            sides.append(ranked[0][0])
            continue
        size = text_size_px(label, font)
        centres = nodes[:, i]
        # (a side without room, inside a self-loop, is never taken to dodge)
        allowed = [side for side, room in ranked if room > 0 or side == ranked[0][0]]
        no_text = [side for side in allowed if clear_of(lambda k: placed[k], centres, side, clear_px[i], size)]
        if hide_crowded and not no_text:
            sides.append(None)
            continue
        no_node = [side for side in no_text if clear_of(
            lambda k, i=i: node_boxes[k][:i] + node_boxes[k][i + 1:], centres, side, clear_px[i], size)]
        roomy = [side for side, room in ranked if side in no_node and (room >= DODGE_MIN_ROOM or side == ranked[0][0])]
        choice = (roomy or no_node or no_text or [min(
            allowed,
            key=lambda side: sum(_area(side_rect(centres[k], side, clear_px[i], size), placed[k]) for k in range(n_layouts)))])[0]
        sides.append(choice)
        for k in range(n_layouts):
            placed[k].append(side_rect(centres[k], choice, clear_px[i], size))
    edge_sides = []
    for j, text in enumerate(edge_text):
        if not text or edges is None:
            edge_sides.append(EDGE_TEXT_SIDES[0])
            continue
        size = text_size_px(text, edge_font)
        centres = edges[:, j]
        no_text = [side for side in EDGE_TEXT_SIDES if clear_of(lambda k: placed[k], centres, side, edge_clear, size)]
        if hide_crowded and not no_text:
            edge_sides.append(None)
            continue
        no_node = [side for side in no_text if clear_of(lambda k: node_boxes[k], centres, side, edge_clear, size)]
        choice = (no_node or no_text or [min(EDGE_TEXT_SIDES, key=lambda side: sum(
            _area(side_rect(centres[k], side, edge_clear, size), placed[k]) for k in range(n_layouts)))])[0]
        edge_sides.append(choice)
        for k in range(n_layouts):
            placed[k].append(side_rect(centres[k], choice, edge_clear, size))
    return sides, edge_sides


def graph_height(n_nodes: int) -> int:
    """The height (px) of a node-link drawing of ``n_nodes``: 480, and taller from 9 nodes on (up
    to 800), so that the labels of a larger graph find room beside each other."""
    return int(min(800, 480 + 30 * max(0, n_nodes - 8)))


#: The scales (relative to the height-limited one) a drawing's labels are placed for: a figure in a
#: narrow column is limited by its width and drawn smaller, its labels keeping their size.
LABEL_SCALES = (1.0, 0.8, 0.6)
#: ... and for a drawing in a narrow column (the Session builder's, about half the height-limited size)
COLUMN_LABEL_SCALES = (1.0, 0.8, 0.6, 0.45)


def graph_pixels(points: np.ndarray, height: int = 480) -> float:
    """Pixels per unit of a :func:`graph_layout` of ``points`` (equal-aspect axes, the height the
    limit: its plot area is ``height`` less the margins)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span_y = float(hi[1] - lo[1]) + 2 * GRAPH_PAD
    return (height - GRAPH_MARGIN["t"] - GRAPH_MARGIN["b"]) / span_y


#: Pixels between a node's outermost mark (the node, or a ring around it) and its label.
LABEL_GAP_PX = 4.0
NODE_LABEL = "node label"  # the name of each node label annotation


def _ring_node(pos: np.ndarray, ring: dict) -> int | None:
    at = np.flatnonzero(np.all(np.isclose(pos, [ring["x"][0], ring["y"][0]]), axis=1))
    return int(at[0]) if len(at) else None


def ring_captions(pos: np.ndarray, rings: Sequence[dict]) -> tuple[dict[int, list[str]], dict[int, float]]:
    """``(captions, radius)`` of the :func:`ring_trace` s around nodes of ``pos``: each ringed node's
    ring texts in the ring's colour (written under the node's label, one block of text per node,
    instead of a second text that had to find room of its own), and the outer radius in px of its
    rings."""
    captions: dict[int, list[str]] = {}
    radius: dict[int, float] = {}
    for ring in rings:
        node = _ring_node(pos, ring)
        if node is None:
            continue
        marker = ring["marker"]
        line = float(marker.get("line", {}).get("width", 0))
        radius[node] = max(radius.get(node, 0.0), float(marker["size"]) / 2 + line / 2)
        if ring.get("text") and ring["text"][0]:
            captions.setdefault(node, []).append(f'<span style="color:{marker["color"]}">{ring["text"][0]}</span>')
    return captions, radius


def node_label_annotations(pos: np.ndarray, text: Sequence[str], sides: Sequence[str],
                           clear_px: Sequence[float]) -> list[dict]:
    """One annotation per labelled node: its ``text`` written on its ``sides`` (a compass text
    position, :func:`label_positions`), starting ``clear_px`` pixels from the node's centre, so
    that it clears the node and any ring around it (a marker's own text starts 1.25 x its radius
    out, on a "current interest" ring's line)."""
    out = []
    for i, (label, side, clear) in enumerate(zip(text, sides, clear_px, strict=True)):
        if not label:
            continue
        dx, dy = _COMPASS[side]
        out.append({
            "x": float(pos[i][0]), "y": float(pos[i][1]), "xref": "x", "yref": "y", "text": str(label),
            "showarrow": False, "xshift": round(dx * clear, 2), "yshift": round(dy * clear, 2),
            "xanchor": "left" if dx > 0.1 else "right" if dx < -0.1 else "center",
            "yanchor": "bottom" if dy > 0.1 else "top" if dy < -0.1 else "middle",
            "font": {"size": 12}, "name": f"{NODE_LABEL} {i}",
        })
    return out


GRAPH_PAD = 0.3  # data units around a drawing's points
GRAPH_MARGIN = {"l": 10, "r": 10, "t": 60, "b": 10}


def graph_layout(points: np.ndarray, title: str, annotations: list[dict], height: int = 480) -> dict:
    """Layout of a node-link drawing: hidden equal-aspect axes that fit every point."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = GRAPH_PAD
    return {
        "title": {"text": title}, "annotations": annotations, "height": height, "plot_bgcolor": "white",
        "showlegend": False, "hovermode": "closest", "margin": dict(GRAPH_MARGIN),
        "xaxis": {"visible": False, "range": [float(lo[0] - pad), float(hi[0] + pad)]},
        "yaxis": {"visible": False, "range": [float(lo[1] - pad), float(hi[1] + pad)],
                   "scaleanchor": "x", "scaleratio": 1},
    }


def graph_figure(pos: np.ndarray, edges: list[dict], node_px: np.ndarray, nodes: dict, title: str,
                 edge_marker: dict | None = None, edge_textfont: dict | None = None,
                 rings: Sequence[dict] = (), label_scales: Sequence[float] = LABEL_SCALES) -> go.Figure:
    """A node-link drawing: the edges (:func:`edge_objects`), an :func:`edge_info_trace` with
    ``edge_marker`` when there are edges, the ``rings`` (:func:`ring_trace`), then the ``nodes``
    trace (:func:`node_trace`) on top, on a :func:`graph_layout` that fits every node and curve.

    Labels keep clear of every mark of their node: each node's label, with its rings' texts
    under it (:func:`ring_captions`), is one :data:`NODE_LABEL` annotation on the side where no
    edge or self-loop of the node is (:func:`label_positions`), outside the node and its rings
    (:func:`node_label_annotations`). The node and ring traces keep their ``text`` (the node
    trace records the side in ``textposition``) but do not draw it: plotly writes a marker's text
    1.25 x its radius out, on the line of a ring around it."""
    traces, annotations, paths = edge_objects(pos, edges, node_px)
    pairs = [(e["src"], e["dst"]) for e in edges]
    captions, ring_px = ring_captions(pos, rings)
    clear = [max(float(node_px[i]) / 2, ring_px.get(i, 0.0)) + LABEL_GAP_PX for i in range(len(pos))]
    text = list(nodes.get("text") or [""] * len(pos))
    labels = ["<br>".join(([t] if t else []) + captions.get(i, [])) for i, t in enumerate(text)]
    points = np.vstack([pos] + paths) if paths else pos
    # every label and edge text on a side where it meets no other text (estimated in px)
    height = graph_height(len(pos))
    scales = [graph_pixels(points, height) * f for f in label_scales]
    info = edge_info_trace(paths, edges, edge_marker or {}, edge_textfont) if edges else None
    edge_px = np.stack([np.column_stack([info["x"], info["y"]]) * sc for sc in scales]) if info else None
    marks = [max(float(node_px[i]), 2 * ring_px.get(i, 0.0)) for i in range(len(pos))]
    sides, edge_sides = declutter_labels(
        np.stack([pos * sc for sc in scales]), labels, label_side_ranking(pos, pairs), clear, marks,
        edge_px=edge_px, edge_text=info["text"] if info else (),
        edge_clear=float((edge_marker or {}).get("size", 6)) / 2 + 3,
        edge_font=float((edge_textfont or {}).get("size", 12)), hide_crowded=True)
    # a text that finds no side clear of the others is not written: its node's or edge's hover has it
    ranking_first = [ranked[0][0] for ranked in label_side_ranking(pos, pairs)]
    labels = [label if side is not None else "" for label, side in zip(labels, sides, strict=True)]
    sides = [side if side is not None else first for side, first in zip(sides, ranking_first, strict=True)]
    if info:
        info["text"] = [text if side is not None else "" for text, side in zip(info["text"], edge_sides, strict=True)]
        info["textposition"] = [side or EDGE_TEXT_SIDES[0] for side in edge_sides]
        traces.append(info)
    traces.extend({**ring, "mode": "markers"} for ring in rings)  # their text goes with the node's label
    annotations += node_label_annotations(pos, labels, sides, clear)
    traces.append({**nodes, "mode": "markers", "textposition": sides})
    return go.Figure(data=traces, layout=graph_layout(points, title, annotations, height=height))
