"""fgnn.viz.drawing.declutter_labels and the item map's label sides: texts placed clear of each other."""
from __future__ import annotations

import numpy as np

from fgnn.viz.drawing import (
    _COMPASS,
    declutter_labels,
    label_positions,
    label_side_ranking,
    overlaps_any,
    side_rect,
    text_size_px,
)
from fgnn.viz.item_map import item_map_figure


def _free_ranking(n):
    return [[(name, np.pi / 2) for name in ("top center", "bottom center", "middle right", "middle left")]] * n


def test_two_close_nodes_get_labels_on_different_sides():
    pos_px = np.array([[0.0, 0.0], [30.0, 0.0]])  # labels of 70 px above both would meet
    labels = ["item 55594", "item 47296"]
    sides, _ = declutter_labels(pos_px, labels, _free_ranking(2), [10.0, 10.0], [12.0, 12.0])
    assert sides[0] == "top center" and sides[1] != "top center"
    rects = [side_rect(p, s, 10.0, text_size_px(t)) for p, s, t in zip(pos_px, sides, labels, strict=True)]
    assert not overlaps_any(rects[0], rects[1:])


def test_far_nodes_keep_their_best_side_and_a_side_near_an_edge_is_never_taken():
    pos_px = np.array([[0.0, 0.0], [500.0, 0.0]])
    sides, _ = declutter_labels(pos_px, ["a", "b"], _free_ranking(2), [10.0, 10.0], [12.0, 12.0])
    assert sides == ["top center", "top center"]
    # a node whose only side clear of its edges is taken writes over an edge, not over a label
    cramped = [[("top center", np.pi / 2), ("bottom center", 0.1)]]
    sides, _ = declutter_labels(np.array([[0.0, 0.0], [10.0, 0.0]]), ["item 1", "item 2"],
                                _free_ranking(1) + cramped, [10.0, 10.0], [12.0, 12.0])
    assert sides[1] == "bottom center"


def test_edge_texts_dodge_each_other():
    edge_px = np.array([[0.0, 0.0], [4.0, 2.0]])  # the two directions of one pair, nearly on top
    _, edge_sides = declutter_labels(np.zeros((0, 2)), [], [], [], [], edge_px=edge_px, edge_text=["25", "12"])
    assert edge_sides[0] != edge_sides[1]


def test_the_ranking_starts_with_label_positions():
    pos = np.array([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    edges = [(0, 1), (1, 2), (1, 1)]
    ranking = label_side_ranking(pos, edges)
    assert [r[0][0] for r in ranking] == label_positions(pos, edges)
    assert all(sorted(name for name, _ in r) == sorted(_COMPASS) for r in ranking)


def test_item_map_labels_of_neighbouring_session_items_take_different_sides():
    coords = np.array([[0.0, 0.0], [0.01, 0.0], [1.0, 1.0], [0.5, 0.2]])
    fig = item_map_figure(coords, [10, 11, 12, 13], [5, 5, 5, 5], selected_items=[10, 11, 10, 11, 10, 12])
    [session] = [t for t in fig.data if t.name == "in session"]
    sides = dict(zip(session.customdata, session.textposition, strict=True))
    assert sides[10] != sides[11]
