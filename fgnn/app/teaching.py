"""Session-graph construction, step by step, for the teaching page (docs/graphs.md).

:func:`construction_steps` turns a click sequence into a list of :class:`Step` s, each a
figure, two or three plain sentences that quote the numbers of *this* sequence, and a table.
Every number comes from :func:`fgnn.data.graph.build_session_graph`, so what the page
teaches is exactly what the model receives.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fgnn.data.graph import SessionGraph, build_session_graph
from fgnn.data.ids import plain_id
from fgnn.data.items import ItemLabels, item_labeller
from fgnn.errors import DataError
from fgnn.explain.attention import graph_edge_table
from fgnn.viz.drawing import (
    CURRENT_COLOR,
    EDGE_GREY,
    PALETTE,
    edge_bends,
    graph_figure,
    node_trace,
    parallel_edge_bends,
    session_layout,
    shorten,
)
from fgnn.viz.graph_figures import session_graph_figure

SELF_LOOP_COLOR = "rgb(255,127,14)"
ADDED_LOOP_COLOR = "rgb(150,150,150)"


@dataclass
class Step:
    """One step of the construction: what to show and what to say."""

    title: str
    text: str
    figure: go.Figure
    table: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # extra named tables
    code: str = ""  # a printout shown as code (step 7: the PyG Data object)


# --------------------------------------------------------------------------- wording helpers
def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _listing(parts: Sequence[str], limit: int = 6) -> str:
    parts = list(parts)
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f", … ({len(parts) - limit} more)"
    return _join(parts)


def _num(v: float) -> str:
    return f"{v:.3g}"


# --------------------------------------------------------------------------- figures
def sequence_figure(sequence: Sequence, item_labels: ItemLabels = None,
                    per_row: int = 10) -> go.Figure:
    """Clicks as a row of boxes joined by arrows; one colour per distinct item, the last click
    ringed as the current interest. Box centres carry a hover trace ``"clicks"`` whose
    ``customdata`` holds the item ids."""
    seq = [plain_id(v) for v in sequence]
    label = item_labeller(item_labels)
    node_of: dict = {}
    for item in seq:
        node_of.setdefault(item, len(node_of))
    w, h, gap_x, gap_y = 1.0, 0.7, 1.6, 1.5
    centres = [((t % per_row) * gap_x, -(t // per_row) * gap_y) for t in range(len(seq))]
    shapes, annotations = [], []
    for t, (item, (cx, cy)) in enumerate(zip(seq, centres, strict=True)):
        last = t == len(seq) - 1
        shapes.append({
            "type": "rect", "x0": cx - w / 2, "x1": cx + w / 2, "y0": cy - h / 2, "y1": cy + h / 2,
            "xref": "x", "yref": "y", "fillcolor": PALETTE[node_of[item] % len(PALETTE)], "opacity": 0.85,
            "line": {"color": CURRENT_COLOR if last else "white", "width": 4 if last else 1},
        })
        lab = label(item)
        annotations.append({"x": cx, "y": cy, "xref": "x", "yref": "y", "showarrow": False,
                                "text": f"<b>{item}</b>" + (f"<br>{shorten(lab, 10)}" if lab else ""),
                                "font": {"color": "white", "size": 13}})
        annotations.append({"x": cx, "y": cy + h / 2 + 0.12, "xref": "x", "yref": "y", "showarrow": False,
                                "text": f"click {t + 1}", "font": {"size": 11, "color": "rgb(90,90,90)"}})
        if last:
            annotations.append({"x": cx, "y": cy - h / 2 - 0.15, "xref": "x", "yref": "y",
                                    "showarrow": False, "text": "current interest",
                                    "font": {"size": 11, "color": CURRENT_COLOR}})
        if t > 0:
            (px, py) = centres[t - 1]
            same_row = py == cy
            start = (px + w / 2, py) if same_row else (px, py - h / 2)
            end = (cx - w / 2, cy) if same_row else (cx, cy + h / 2 + 0.25)
            annotations.append({"x": end[0], "y": end[1], "ax": start[0], "ay": start[1], "xref": "x",
                                    "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
                                    "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 2,
                                    "arrowcolor": EDGE_GREY, "name": f"click {t} -> {t + 1}"})
    xs = [c[0] for c in centres]
    ys = [c[1] for c in centres]
    trace = {
        "type": "scatter", "x": xs, "y": ys, "mode": "markers", "marker": {"size": 30, "opacity": 0},
        "customdata": seq, "name": "clicks", "showlegend": False, "hoverinfo": "text",
        "hovertext": [f"click {t + 1}: item {item}" + (f" · {label(item)}" if label(item) else "")
                   + f"<br>node {node_of[item]}" for t, item in enumerate(seq)],
    }
    layout = {
        "title": {"text": f"The click sequence: {_plural(len(seq), 'click')}"},
        "shapes": shapes, "annotations": annotations, "showlegend": False, "plot_bgcolor": "white",
        "height": 140 + 110 * (1 + (len(seq) - 1) // per_row), "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "xaxis": {"visible": False, "range": [min(xs) - 0.8, max(xs) + 0.8]},
        "yaxis": {"visible": False, "range": [min(ys) - 0.8, max(ys) + 0.8], "scaleanchor": "x"},
    }
    return go.Figure(data=[trace], layout=layout)


def _drawing(graph: SessionGraph, edges: list[dict], title: str,
             item_labels: ItemLabels = None, node_text: list[str] | None = None) -> go.Figure:
    """A node-link drawing of ``graph`` with arbitrary ``edges`` (each may carry ``text`` and
    ``hover``), drawn as :func:`fgnn.viz.plots.session_graph_figure` draws: same layout, edges,
    arrows and edge markers (:func:`fgnn.viz.drawing.graph_figure`); one colour per node."""
    pos = session_layout(graph)
    items = [plain_id(i) for i in graph.x.tolist()]
    label = item_labeller(item_labels)
    if node_text is None:
        node_text = [f"node {i}: item {it}" for i, it in enumerate(items)]
    nodes = node_trace(
        pos, items, node_text,
        [f"node {i}<br>item {it}" + (f" · {label(it)}" if label(it) else "") for i, it in enumerate(items)],
        {"size": 30, "color": [PALETTE[i % len(PALETTE)] for i in range(len(items))],
         "line": {"width": 1.5, "color": "white"}})
    return graph_figure(pos, edges, np.full(graph.num_nodes, 30.0), nodes, title,
                        edge_marker={"size": 8, "color": [e["color"] for e in edges]})


def _tensor_figure(graph: SessionGraph) -> go.Figure:
    x = graph.x.tolist()
    ei = graph.edge_index.tolist() if graph.num_edges else [[], []]
    ew = graph.edge_weight.tolist()
    fig = make_subplots(rows=1, cols=2, column_widths=[0.25, 0.75],
                        specs=[[{"type": "table"}, {"type": "table"}]],
                        subplot_titles=(f"x  [{len(x)}]", (f"edge_index [2, {len(ew)}], "
                                                          f"edge_weight [{len(ew)}]")))
    fig.add_trace(go.Table(header={"values": ["node", "x (item id)"]},
                           cells={"values": [list(range(len(x))), x]}, name="x"), row=1, col=1)
    fig.add_trace(go.Table(
        # the row names' column wide enough for "edge_index[1] (receiver)" however many edges
        columnwidth=[max(4.0, len(ew) / 6)] + [1.0] * len(ew),
        header={"values": ["edge"] + [str(e) for e in range(len(ew))]},
        cells={"values": [["edge_index[0] (sender)", "edge_index[1] (receiver)", "edge_weight"]]
                   + [[ei[0][e], ei[1][e], f"{ew[e]:g}"] for e in range(len(ew))]},
        name="edges"), row=1, col=2)
    fig.update_layout(title={"text": "The tensors the model receives"}, height=320,
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


# --------------------------------------------------------------------------- the steps
#: Longer sequences are refused: each step draws every click and edge (plotly annotations cost
#: ~1 ms each), and the session builder scores at most this many clicks too.
MAX_CONSTRUCTION_CLICKS = 200


def sequence_graph(seq: Sequence) -> SessionGraph:
    """The session graph of ``seq`` with its ids in ``x`` and ``sequence``: built on the ids where
    they are whole numbers; where they are tokens (text) built on their order of first appearance
    and shown with the text (:meth:`~fgnn.data.graph.SessionGraph.with_original_ids`)."""
    if not any(isinstance(v, str) for v in seq):
        return build_session_graph(seq)
    vocabulary = list(dict.fromkeys(seq))
    code = {v: c for c, v in enumerate(vocabulary, start=1)}
    return build_session_graph([code[v] for v in seq]).with_original_ids(np.asarray([""] + vocabulary, dtype=object))


def construction_steps(sequence: Sequence, item_labels: ItemLabels = None,
                       item_index: Mapping | None = None) -> list[Step]:
    """The construction of a session graph from ``sequence``, one :class:`Step` per idea:
    sequence, nodes, one edge per click pair, merged weights, self-loops, degree
    normalisation, tensors. ``item_index`` (original id -> row of the embedding table, e.g.
    ``dataset.index_of()``) makes step 7 show the indices the model really receives beside the
    ids. Ids are whole numbers, or tokens (text, kept exactly: ``"007"`` and ``"7"`` are two items). Raises :class:`~fgnn.errors.DataError` on an empty sequence or one over :data:`MAX_CONSTRUCTION_CLICKS`."""
    seq = [plain_id(v) for v in (sequence.tolist() if hasattr(sequence, "tolist") else sequence)]
    if not seq:
        raise DataError("the sequence is empty: a session needs at least one click")
    if len(seq) > MAX_CONSTRUCTION_CLICKS:
        raise DataError(f"the sequence has {len(seq)} clicks; this page draws at most {MAX_CONSTRUCTION_CLICKS} "
                         "(every click, edge and weight is drawn): give a shorter sequence")
    graph = sequence_graph(seq)
    label = item_labeller(item_labels)
    items = [plain_id(i) for i in graph.x.tolist()]
    clicks = graph.click_nodes.tolist()
    n, E, L = graph.num_nodes, graph.num_edges, len(seq)

    def name(item: int) -> str:
        lab = label(item)
        return f"item {item}" + (f" ({lab})" if lab else "")

    steps = [_step_sequence(seq, graph, item_labels, name),
             _step_nodes(seq, graph, item_labels, items, clicks),
             _step_transitions(seq, graph, item_labels, clicks)]
    table = graph_edge_table(graph, item_labels)
    steps.append(_step_merged(seq, graph, item_labels, table))
    steps.append(_step_self_loops(graph, item_labels, items, table))
    steps.append(_step_degrees(graph, item_labels, items, table))
    steps.append(_step_tensors(graph, items, n, E, L, item_index))
    return steps


def pyg_data_printout(x: Sequence[int], edge_index, edge_weight) -> str:
    """The graph as PyTorch Geometric prints it, values included: ``Data(x=tensor([[3], [17]]),
    edge_index=tensor([[0], [1]]), edge_weight=tensor([1.]))`` (``x``: one embedding row per node)."""
    xs = ", ".join(f"[{int(v)}]" for v in x)
    ei = edge_index.tolist() if hasattr(edge_index, "tolist") else list(edge_index)
    src = ", ".join(str(int(v)) for v in (ei[0] if ei else []))
    dst = ", ".join(str(int(v)) for v in (ei[1] if ei else []))
    w = ", ".join(f"{float(v):g}." if float(v).is_integer() else f"{float(v):g}"
                  for v in (edge_weight.tolist() if hasattr(edge_weight, "tolist") else edge_weight))
    return (f"Data(x=tensor([{xs}]),\n     edge_index=tensor([[{src}],\n                       [{dst}]]),\n"
            f"     edge_weight=tensor([{w}]))")


def _step_sequence(seq, graph, item_labels, name) -> Step:  # noqa: ARG001 (every step takes the graph)
    L = len(seq)
    if L == 1:
        text = (f"The session has a single click: {name(seq[0])}. "
                "That click is the session's current interest, and the model must predict "
                "what the person clicks next from it alone.")
    else:
        shown = " → ".join(str(v) for v in seq[:20]) + (" → …" if L > 20 else "")
        text = (f"The session has {L} clicks, in this order: {shown}. "
                f"The last click, {name(seq[-1])}, is the session's current interest. "
                "The model's job is to predict the next click.")
    table = pd.DataFrame({"click": range(1, L + 1), "item": seq})
    if item_labels is not None:
        table["label"] = [item_labeller(item_labels)(v) for v in seq]
    return Step("1. The click sequence", text, sequence_figure(seq, item_labels), table)


def _step_nodes(seq, graph, item_labels, items, clicks) -> Step:
    n, L = graph.num_nodes, len(seq)
    counts = [clicks.count(i) for i in range(n)]
    numbering = _listing([f"node {i} = item {it}" for i, it in enumerate(items)])
    repeated = [f"item {it} ×{c}" for it, c in zip(items, counts, strict=True) if c > 1]
    text = (f"The {_plural(L, 'click')} {'contains' if L == 1 else 'contain'} "
            f"{_plural(n, 'distinct item')}, so the graph has "
            f"{_plural(n, 'node')}. Nodes are numbered in order of first appearance: "
            f"{numbering}. ")
    if repeated:
        text += f"Items clicked more than once ({_listing(repeated)}) still get a single node."
    else:
        text += "Every item is clicked once, so each click becomes its own node."
    first = [clicks.index(i) + 1 for i in range(n)]
    table = pd.DataFrame({"node": range(n), "item": items, "first click": first,
                          "clicks": counts})
    fig = _drawing(graph, [], f"Nodes: {_plural(n, 'distinct item')} in order of first "
                              "appearance", item_labels)
    return Step("2. One node per distinct item", text, fig, table)


def _step_transitions(seq, graph, item_labels, clicks) -> Step:
    L = len(seq)
    pairs = list(itertools.pairwise(clicks))
    if not pairs:
        text = ("A single click has no next click, so there is no edge. "
                "The graph is one node and no edge.")
        fig = _drawing(graph, [], "Edges: none (one click)", item_labels)
        table = pd.DataFrame({"transition": pd.Series([], dtype="int64"),
                              "from item": pd.Series([], dtype="int64"),
                              "to item": pd.Series([], dtype="int64"),
                              "src_node": pd.Series([], dtype="int64"),
                              "dst_node": pd.Series([], dtype="int64")})
        return Step("3. One edge per pair of consecutive clicks", text, fig, table)
    occurrences: dict[tuple[int, int], list[int]] = {}
    for t, p in enumerate(pairs):
        occurrences.setdefault(p, []).append(t)
    bends, loop_scales = parallel_edge_bends(pairs)
    edges = [{"src": s, "dst": d, "color": EDGE_GREY, "width": 2.0, "bend": bends[t],
              "loop_scale": loop_scales[t], "text": f"{t + 1}",
              "hover": f"transition {t + 1}: click {t + 1} → click {t + 2}<br>"
                       f"item {seq[t]} → item {seq[t + 1]}<br>node {s} → node {d}"}
             for t, (s, d) in enumerate(pairs)]
    repeated = [(p, ts) for p, ts in occurrences.items() if len(ts) > 1]
    text = (f"Each pair of consecutive clicks gives one directed edge, from the earlier click "
            f"to the later one, so {_plural(L, 'click')} give {_plural(L - 1, 'edge')} before "
            "merging (numbered by transition in the figure). ")
    if repeated:
        parts = [f"the pair {seq[ts[0]]}→{seq[ts[0] + 1]} occurs {len(ts)} times "
                 f"(transitions {_join([str(t + 1) for t in ts])})" for _, ts in repeated]
        text += f"Repeats are drawn as parallel edges: {_listing(parts, 3)}."
    else:
        text += "No pair of items repeats, so no edges will merge."
    table = pd.DataFrame({"transition": range(1, L), "from item": seq[:-1], "to item": seq[1:],
                          "src_node": [s for s, _ in pairs], "dst_node": [d for _, d in pairs]})
    fig = _drawing(graph, edges, f"Edges: one per consecutive pair ({L - 1} before merging)",
                   item_labels)
    return Step("3. One edge per pair of consecutive clicks", text, fig, table)


def _step_merged(seq, graph, item_labels, table) -> Step:
    L, E = len(seq), graph.num_edges
    if E == 0:
        text = ("There are no transitions, so there is nothing to merge: "
                "the graph has 0 edges and the sum of weights is 0.")
    else:
        heavy = [f"{r.src}→{r.dst} has weight {r.weight}" for r in table.itertuples()
                 if r.weight > 1]
        text = (f"Repeated pairs merge into one edge whose weight counts how often the "
                f"transition occurs: the {_plural(L - 1, 'transition')} become "
                f"{_plural(E, 'merged edge')}. ")
        if heavy:
            rest = "all other edges have weight 1" if len(heavy) < E else ""
            text += (f"{_listing(heavy, 4)}" + (f"; {rest}" if rest else "") + ". ")
        else:
            text += "Every edge has weight 1. "
        text += f"The weights sum to {L - 1}, one less than the number of clicks."
    cols = ["src_node", "dst_node", "src", "dst", "weight"]
    fig = session_graph_figure(graph, item_labels=item_labels,
                               title=f"Merged edges: {_plural(E, 'edge')}, "
                                     "weight = times the transition occurs")
    return Step("4. Merge repeated pairs into weighted edges", text, fig, table[cols].copy())


def _step_self_loops(graph, item_labels, items, table) -> Step:
    n = graph.num_nodes
    loops = [r for r in table.itertuples() if r.src_node == r.dst_node]
    with_loop = {r.src_node for r in loops}
    added = [i for i in range(n) if i not in with_loop]
    if loops:
        parts = [f"the pair {r.src}→{r.dst} is a self-loop on node {r.src_node} "
                 f"(weight {r.weight})" for r in loops]
        text = ("A click repeated right after itself becomes an edge from a node to itself: "
                f"{_listing(parts, 4)}. ")
    else:
        text = "No item is clicked twice in a row, so this session has no self-loop of its own. "
    if added:
        nodes = _listing([str(i) for i in added])
        text += (f"The attention layer also adds a self-loop of weight 1 to every node without "
                 f"one (node{'s' if len(added) > 1 else ''} {nodes}, dotted), so each node keeps "
                 "part of its own embedding when it aggregates its neighbours.")
    else:
        text += "Every node already has a self-loop, so the attention layer adds none."
    pairs = [tuple(p) for p in graph.edge_index.t().tolist()]
    bends = edge_bends(pairs)
    edges = []
    for k, r in enumerate(table.itertuples()):
        loop = r.src_node == r.dst_node
        edges.append({"src": r.src_node, "dst": r.dst_node, "bend": bends[k],
                          "color": SELF_LOOP_COLOR if loop else "rgb(200,200,200)",
                          "width": 3.0 if loop else 1.5, "text": f"{r.weight}" if loop else "",
                          "hover": f"item {r.src} → item {r.dst}<br>weight {r.weight}"
                                + ("<br>self-loop (repeated click)" if loop else "")})
    for i in added:
        edges.append({"src": i, "dst": i, "color": ADDED_LOOP_COLOR, "width": 1.5, "dash": "dot",
                          "hover": f"node {i} (item {items[i]})<br>self-loop added by the "
                                "attention layer, weight 1"})
    loop_weight = {r.src_node: r.weight for r in loops}
    out = pd.DataFrame({
        "node": range(n), "item": items,
        "self-loop weight in session": [loop_weight.get(i, 0) for i in range(n)],
        "added by attention layer": [i in added for i in range(n)],
    })
    fig = _drawing(graph, edges, f"Self-loops: {_plural(len(loops), 'from a repeated click', 'from repeated clicks')}"
                                 f", {len(added)} added by the attention layer", item_labels)
    return Step("5. Self-loops", text, fig, out)


def _step_degrees(graph, item_labels, items, table) -> Step:
    n, E = graph.num_nodes, graph.num_edges
    out_deg = table.groupby("src_node").size().reindex(range(n), fill_value=0)
    in_deg = table.groupby("dst_node").size().reindex(range(n), fill_value=0)
    if E == 0:
        text = ("With no edge there is nothing to normalise. "
                "The single node has out-degree 0 and in-degree 0.")
    else:
        so = int(out_deg.idxmax())
        si = int(in_deg.idxmax())
        sends = [f"{r.src}→{r.dst}" for r in table.itertuples() if r.src_node == so]
        gets = [f"{r.src}→{r.dst}" for r in table.itertuples() if r.dst_node == si]
        text = ("Each edge carries 1 / out-degree of its sender and 1 / in-degree of its "
                "receiver, counted over merged edges (weights do not count). "
                f"Node {so} (item {items[so]}) sends {_plural(int(out_deg[so]), 'edge')} "
                f"({_listing(sends, 4)}), so each has out_degree_inv = "
                f"{_num(1 / out_deg[so])}; node {si} (item {items[si]}) receives "
                f"{_plural(int(in_deg[si]), 'edge')} ({_listing(gets, 4)}), so each has "
                f"in_degree_inv = {_num(1 / in_deg[si])}. "
                "Propagation can then average over neighbours instead of summing them.")
    text += (" Which model uses what: **SR-GNN** propagates with these degree-normalised in and out "
             "adjacencies (`in_degree_inv`, `out_degree_inv`); **FGNN**'s WGAT ignores them and "
             "normalises with its attention softmax over each node's neighbours, reading the edge "
             "weight (with the self-loops of step 5) inside its attention score.")
    pairs = [tuple(p) for p in graph.edge_index.t().tolist()]
    bends = edge_bends(pairs)
    edges = [{"src": r.src_node, "dst": r.dst_node, "bend": bends[k], "color": EDGE_GREY, "width": 2.0,
                  "text": f"{_num(r.out_degree_inv)} | {_num(r.in_degree_inv)}",
                  "hover": f"item {r.src} → item {r.dst}<br>out-degree of node {r.src_node}: "
                        f"{int(out_deg[r.src_node])} → out_degree_inv {_num(r.out_degree_inv)}"
                        f"<br>in-degree of node {r.dst_node}: {int(in_deg[r.dst_node])} → "
                        f"in_degree_inv {_num(r.in_degree_inv)}"}
             for k, r in enumerate(table.itertuples())]
    out = pd.DataFrame({
        "src_node": table["src_node"], "dst_node": table["dst_node"],
        "src": table["src"], "dst": table["dst"], "weight": table["weight"],
        "out_degree": [int(out_deg[s]) for s in table["src_node"]],
        "out_degree_inv": table["out_degree_inv"],
        "in_degree": [int(in_deg[d]) for d in table["dst_node"]],
        "in_degree_inv": table["in_degree_inv"],
    })
    fig = _drawing(graph, edges, "Degree normalisation: out_degree_inv | in_degree_inv per edge",
                   item_labels)
    return Step("6. Degree normalisation", text, fig, out)


def _step_tensors(graph, items, n, E, L, item_index=None) -> Step:
    ei = graph.edge_index.tolist() if E else [[], []]
    tokens = any(isinstance(i, str) for i in items)
    x = [int(item_index[i]) for i in items] if item_index is not None else list(range(1, n + 1)) if tokens else items
    x_text = "[" + ", ".join(map(str, x[:12])) + (", …" if n > 12 else "") + "]"
    what = ("the row of each node's item in the item embedding table (the ids map to rows as the "
            "table beside shows)" if item_index is not None else
            "a number for each node's item, here its order of first appearance (the ids are text: "
            "a model maps them to rows of its embedding table by its dataset's vocabulary; these ids "
            "are not all from the app's dataset)" if tokens else
            "the item id of each node (a model maps ids to rows of its embedding table by its "
            "dataset's vocabulary; these ids are not from the app's dataset)")
    text = (f"The model receives x = {x_text}, {what} ({_plural(n, 'node')}), and edge_index, a 2 × {E} matrix whose "
            "columns are (sender node, receiver node). "
            f"edge_weight holds the {_plural(E, 'transition count')} (the edge attribute), "
            f"and the {L}-click sequence travels along so the model knows the last click.")
    table = pd.DataFrame({
        "edge": pd.Series(range(E), dtype="int64"),
        "edge_index[0]": pd.Series(ei[0], dtype="int64"),
        "edge_index[1]": pd.Series(ei[1], dtype="int64"),
        "edge_weight": pd.Series(graph.edge_weight.tolist(), dtype="float32"),
        "out_degree_inv": pd.Series(graph.out_degree_inv.tolist(), dtype="float32"),
        "in_degree_inv": pd.Series(graph.in_degree_inv.tolist(), dtype="float32"),
    })
    tables = {
        "x": pd.DataFrame({"node": pd.Series(range(n), dtype="int64"),
                           "x": pd.Series(x, dtype="int64"),
                           "original id": pd.Series(items, dtype=object if tokens else "int64")}),
        "edge_index": pd.DataFrame(np.asarray(ei, dtype=np.int64).reshape(2, E),
                                   index=["sender", "receiver"]),
        "edge_weight": pd.DataFrame({"edge_weight": table["edge_weight"]}),
    }
    return Step("7. The tensors the model receives", text, _tensor_figure(graph), table, tables,
                code=pyg_data_printout(x, graph.edge_index, graph.edge_weight))
