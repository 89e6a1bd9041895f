"""Graph-drawing primitives (fgnn.viz.drawing): geometry checked by hand, and the builder's graph and
the teaching page's drawings shown to be one drawing."""
from __future__ import annotations

import numpy as np
import pytest
from plotly.colors import sample_colorscale

from fgnn.app.teaching import construction_steps
from fgnn.data import items
from fgnn.data.graph import build_session_graph
from fgnn.viz import drawing, graph_figures

SEQ = [1, 3, 2, 2, 1, 3, 4]


def _arrow_geometry(fig):
    return [(a.x, a.y, a.ax, a.ay, a.standoff, a.startstandoff) for a in fig.layout.annotations if a.showarrow]


def _trace(fig, name):
    (found,) = [t for t in fig.data if t.name == name]
    return found


def test_session_layout_chain_left_to_right_and_fills_the_panel():
    """A chain reads left to right (in back-and-forth rows when long); any other graph
    fills both axes of the panel."""
    xy = drawing.session_layout(build_session_graph([10, 11, 12, 13, 12]))  # 10-11-12-13: a chain
    assert list(xy[:, 1]) == [0.0] * 4 and list(xy[:, 0]) == sorted(xy[:, 0]) and xy[0, 0] == -1.0
    long = drawing.session_layout(build_session_graph(list(range(100, 120))))  # 20 nodes: 3 rows of 8
    assert sorted(set(long[:, 1])) == [-1.0, 0.0, 1.0]
    assert long[7, 0] == long[8, 0] == 1.0 and long[8, 1] < long[7, 1]  # the row turns at the edge
    star = drawing.session_layout(build_session_graph([1, 2, 1, 3, 1, 4, 1, 5]))
    assert np.allclose(np.abs(star).max(axis=0), [1.0, 1.0])


def test_node_labels_keep_clear_of_edges_and_self_loops():
    """A label sits on a side where no edge or loop of its node is drawn."""
    xy = np.array([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])  # a chain, node 1 in the middle with a loop
    where = drawing.label_positions(xy, [(0, 1), (1, 1), (1, 2)])
    loop = drawing.loop_direction(xy, 1, [0, 1, 2])
    assert where[1] in ("top center", "bottom center")
    assert (where[1] == "top center") == (loop[1] < 0)  # opposite the loop
    assert where[0] != "middle right" and where[2] != "middle left"  # not over their edge
    assert drawing.label_positions(np.zeros((1, 2)), []) == ["top center"]
    fig = graph_figures.session_graph_figure(build_session_graph([1, 2, 2, 3]))
    node = next(t for t in fig.data if t.name == "items")
    assert len(node.textposition) == 3 and node.textposition[1] in ("top center", "bottom center")


def test_labels_along_a_chain_alternate_above_and_below():
    xy = drawing.session_layout(build_session_graph([1, 2, 3, 4, 5]))
    where = drawing.label_positions(xy, [(0, 1), (1, 2), (2, 3), (3, 4)])
    assert where[1:4] == ["bottom center", "top center", "bottom center"]


def test_bezier_bends_to_the_right_of_travel_and_a_zero_bend_is_straight():
    p, q = np.array([0.0, 0.0]), np.array([2.0, 0.0])
    curve = drawing.bezier(p, q, 0.2, n=3)  # t = 0, 0.5, 1
    assert curve[0].tolist() == [0.0, 0.0] and curve[2].tolist() == [2.0, 0.0]
    # control point (1, -0.4): 0.2 x length to the right of travel (+x), the curve halfway there
    assert curve[1].tolist() == pytest.approx([1.0, -0.2])
    assert drawing.bezier(p, q, 0.0).tolist() == [[0.0, 0.0], [2.0, 0.0]]


def test_loop_path_passes_by_its_node_and_its_midpoint_is_across_the_circle():
    p, up, r = np.array([0.5, 0.5]), np.array([0.0, 1.0]), 0.2
    path = drawing.loop_path(p, up, r)
    centre = p + up * r
    assert np.hypot(*(path - centre).T) == pytest.approx(np.full(len(path), r))
    assert min(np.hypot(*(path - p).T)) < 0.4 * r  # both ends close to the node (a gap for the arrow)
    mid = drawing.path_midpoint(path)
    assert float(np.hypot(*(mid - p))) > 1.99 * r and mid[1] > p[1]  # the far side, above the node
    assert drawing.path_midpoint(np.array([[0.0, 0.0], [2.0, 4.0]])).tolist() == [1.0, 2.0]


def test_arrow_tail_is_the_last_point_far_enough_from_the_head():
    path = np.array([[0.0, 0.0], [0.5, 0.0], [0.9, 0.0], [1.0, 0.0]])
    assert drawing.arrow_tail(path, path[-1], reach=0.3).tolist() == [0.5, 0.0]
    assert drawing.arrow_tail(path, path[-1], reach=5.0).tolist() == [0.0, 0.0]


def test_edge_bends_only_for_pairs_drawn_both_ways_and_parallel_copies_fan_out():
    pairs = [(0, 1), (1, 0), (0, 1), (1, 1), (1, 1), (1, 2)]
    assert drawing.edge_bends(pairs) == [0.15, 0.15, 0.15, 0.0, 0.0, 0.0]
    bends, scales = drawing.parallel_edge_bends(pairs)
    # the two copies of 0->1 sit 0.25 apart around 0.15; self-loops nest instead of bending
    assert bends == pytest.approx([0.025, 0.15, 0.275, 0.0, 0.0, 0.0])
    assert scales == [1.0, 1.0, 1.5, 1.0, 1.5, 1.0]


def test_color_range_signed_fixed_and_plain():
    scale = drawing.EDGE_COLORSCALE
    assert drawing.color_range(np.array([0.2, 0.5, np.nan]), scale) == (scale, 0.0, 0.5)
    assert drawing.color_range(np.array([0.2, 0.5]), scale, fixed_scale=True) == (scale, 0.0, 1.0)
    assert drawing.color_range(np.array([-2.0, 1.0]), scale, fixed_scale=True) == (drawing.SIGNED_COLORSCALE, -2.0, 2.0)
    colors = drawing.scale_colors(np.array([-1.0, 0.0, 0.5, 3.0, np.nan]), scale, vmax=1.0)
    assert colors == sample_colorscale(scale, [0.0, 0.0, 0.5, 1.0, 0.0])  # clipped, NaN as the bottom


def test_item_labeller_accepts_mappings_callables_and_none():
    assert items.item_labeller(None)(3) is None
    assert items.item_labeller({3: "hat", 4: float("nan")})(4) is None
    assert items.item_labeller(lambda i: i * 2)(3) == "6"
    assert drawing.item_name(3, "hat") == "item 3 · hat" and drawing.item_name(3, None) == "item 3"
    assert drawing.shorten("abcdef", 4) == "abc…" and drawing.shorten("abc", 4) == "abc"


def test_graph_figure_puts_edges_first_and_nodes_on_top():
    pos = np.array([[-1.0, 0.0], [1.0, 0.0]])
    edges = [{"src": 0, "dst": 1, "color": "red", "width": 2.0, "bend": 0.2, "text": "a", "hover": "h"},
             {"src": 1, "dst": 1, "color": "blue", "width": 1.0}]
    nodes = drawing.node_trace(pos, [7, 8], ["x", "y"], ["", ""], {"size": 30})
    ring = drawing.ring_trace(pos[1], 44.0, "green", "here", 8, "ring")
    fig = drawing.graph_figure(pos, edges, np.full(2, 30.0), nodes, "t", edge_marker={"size": 8}, rings=[ring])
    assert [t.name for t in fig.data] == ["edge 0->1", "edge 1->1", drawing.EDGE_INFO_TRACE, "ring", drawing.NODE_TRACE]
    info = _trace(fig, drawing.EDGE_INFO_TRACE)
    assert list(info.text) == ["a", ""] and [list(c) for c in info.customdata] == [[0, 1], [1, 1]]
    assert [a.arrowcolor for a in fig.layout.annotations if a.showarrow] == ["red", "blue"]
    assert fig.layout.yaxis.range[1] > 0.4  # the axes fit the loop above node 1 (radius 0.2), not only the nodes
    no_edges = drawing.graph_figure(pos, [], np.full(2, 30.0), nodes, "t")
    assert [t.name for t in no_edges.data] == [drawing.NODE_TRACE]
    assert not [a for a in no_edges.layout.annotations if a.showarrow]


@pytest.mark.parametrize("seq", [SEQ, [5, 6, 5, 6, 6, 7], [9]])
def test_the_builder_and_the_teaching_page_draw_one_graph(seq):
    """The teaching page's drawings (steps 2, 5, 6) and the builder's session_graph_figure share
    node positions, arrows and edge markers: one drawing, two captions."""
    graph = build_session_graph(seq)
    builder = graph_figures.session_graph_figure(graph)
    steps = construction_steps(seq)
    nodes = _trace(builder, drawing.NODE_TRACE)
    for step in (steps[1], steps[4], steps[5]):
        taught = _trace(step.figure, drawing.NODE_TRACE)
        assert (list(taught.x), list(taught.y)) == (list(nodes.x), list(nodes.y))
    assert _arrow_geometry(steps[5].figure) == _arrow_geometry(builder)  # degree step: the same merged edges
    if graph.num_edges:
        info, taught = _trace(builder, drawing.EDGE_INFO_TRACE), _trace(steps[5].figure, drawing.EDGE_INFO_TRACE)
        assert (list(taught.x), list(taught.y)) == (list(info.x), list(info.y))
    assert steps[3].figure.to_json() == graph_figures.session_graph_figure(graph, title=steps[3].figure.layout.title.text).to_json()


def _node_labels(fig) -> dict:
    """The node label annotations of a graph drawing, by node."""
    prefix = drawing.NODE_LABEL + " "
    return {int(a.name[len(prefix):]): a for a in fig.layout.annotations if (a.name or "").startswith(prefix)}


def _ringed_node(fig, ring) -> int:
    nodes = _trace(fig, drawing.NODE_TRACE)
    return next(i for i, xy in enumerate(zip(nodes.x, nodes.y, strict=True)) if xy == (ring.x[0], ring.y[0]))


def _away_from_loop(label, loop) -> bool:
    """The label sits on the far side of its node from its self-loop (at least a quarter turn)."""
    return label.xshift * loop[0] + label.yshift * loop[1] <= 1e-9


def test_node_labels_clear_the_rings_and_the_self_loop():
    """In the builder's drawing a label started 1.25 x the node's radius out, on the
    line of the "current interest" ring, and beside the ring's own text; on the teaching page
    every label sat above its node, over a self-loop drawn upwards."""
    graph = build_session_graph([1, 2, 2, 3])  # a chain: node 1 in the middle has a loop, node 2 is last
    fig = graph_figures.session_graph_figure(graph, highlight_item=2, item_labels={2: "blue hat"})
    labels = _node_labels(fig)
    assert sorted(labels) == [0, 1, 2]
    for name in (drawing.CURRENT_TRACE, drawing.HIGHLIGHT_TRACE):
        ring = _trace(fig, name)
        label = labels[_ringed_node(fig, ring)]
        ring_px = ring.marker.size / 2 + ring.marker.line.width / 2
        assert np.hypot(label.xshift, label.yshift) > ring_px  # starts outside the ring
        assert ring.mode == "markers" and ring.text[0] in label.text  # one text per node: label + caption
    assert labels[1].text.startswith("blue hat")
    pos = drawing.session_layout(graph)
    assert _away_from_loop(labels[1], drawing.loop_direction(pos, 1, [0, 1, 2]))
    for label in labels.values():  # the text grows away from its node
        assert label.xanchor == ("left" if label.xshift > 0 else "right" if label.xshift < 0 else "center")
        assert label.yanchor == ("bottom" if label.yshift > 0 else "top" if label.yshift < 0 else "middle")
    # the teaching page's self-loop step: every node has a loop (one repeated click, three added)
    step = construction_steps(SEQ)[4]
    labels = _node_labels(step.figure)
    nodes = _trace(step.figure, drawing.NODE_TRACE)
    pos = np.column_stack([nodes.x, nodes.y])
    neighbours = {0: [1, 2], 1: [0, 2, 3], 2: [0, 1], 3: [1]}
    for node, near in neighbours.items():
        assert _away_from_loop(labels[node], drawing.loop_direction(pos, node, sorted(near + [node])))
        assert np.hypot(labels[node].xshift, labels[node].yshift) > 15  # beyond the node's 30 px marker
        assert labels[node].text == f"node {node}: item {int(nodes.customdata[node])}"
