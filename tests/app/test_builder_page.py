"""fgnn.app.builder_page: what the Session builder page decides and writes."""
from __future__ import annotations

import pandas as pd
import pytest

from fgnn.app import builder_page as bp
from fgnn.errors import DataError


class _Dataset:
    has_tokens = False

    def __init__(self, known):
        self.known = set(known)

    def to_indices(self, ids):
        unknown = [i for i in ids if i not in self.known]
        if unknown:
            raise DataError(f"unknown items {unknown}")
        return ids


def test_pushed_history_keeps_the_last_sessions():
    assert bp.pushed_history([[1]], (1, 2)) == [[1], [1, 2]]
    history = [[i] for i in range(50)]
    out = bp.pushed_history(history, [99])
    assert len(out) == 50 and out[0] == [1] and out[-1] == [99]
    assert bp.pushed_history([[1], [2]], [3], limit=2) == [[2], [3]]


def test_picked_items_reads_customdata():
    event = {"selection": {"points": [{"customdata": [12]}, {"customdata": 5}, {"customdata": []}, {"x": 1}]}}
    assert bp.picked_items(event) == [12, 5]
    assert bp.picked_items(None) == []
    assert bp.picked_items({"selection": {"points": None}}) == []


def test_pick_key():
    assert bp.pick_key({}, "found") == "found_0"
    assert bp.pick_key({"found": 3}, "found") == "found_3"


def test_typed_ids_and_typed_session():
    ds = _Dataset([1, 2, 5])
    assert bp.typed_ids("5, 1 5", ds) == [5, 1, 5]
    with pytest.raises(DataError, match="type at least one item id"):
        bp.typed_ids("  ", ds)
    with pytest.raises(DataError):
        bp.typed_ids("7", ds)
    assert bp.typed_session([1, 2], [5], "Append") == ([1, 2, 5], True)
    assert bp.typed_session([1, 2], [5], None) == ([1, 2, 5], True)
    assert bp.typed_session([1, 2], [5], "Replace the session") == ([5], False)


def test_known_items():
    assert bp.known_items([3, 1, 9, 1], {1: 0, 3: 1}) == [3, 1, 1]


def test_strip_texts():
    assert bp.session_heading(1, "fgnn", "run/best.pt") == "**Session** · 1 click · model `fgnn` (run/best.pt)"
    assert bp.session_heading(0, "srgnn", "x") == "**Session** · 0 clicks · model `srgnn` (x)"
    clicks, hidden = bp.shown_clicks([7, 8, 9], lambda i: f"item {i}", most=2)
    assert clicks == [(1, 8, "item 8"), (2, 9, "item 9")] and hidden == 1
    clicks, hidden = bp.shown_clicks([7], str)
    assert clicks == [(0, 7, "7")] and hidden == 0
    assert bp.hidden_clicks_caption(45) == "showing the last 40 of 45 clicks"


def test_ways_to_add_texts():
    assert ", colour = category;" in bp.map_caption(True)
    assert "colour" not in bp.map_caption(False) and bp.map_caption(False).startswith("Items placed by")
    assert bp.not_found_caption("ab", True) == "no item id or name contains 'ab'"
    assert bp.not_found_caption("12", False) == "no item id contains '12'"
    catalogue = pd.DataFrame({"item": [1, 2, 3, 4], "category": [5, -1, 2, 5]})
    assert bp.catalogue_categories(catalogue) == [2, 5]


def test_graph_view_labels():
    assert bp.step_label("mean") == "mean of steps" and bp.step_label(0) == "step 1"
    assert bp.layer_label("weight") == "weight only" and bp.layer_label(1) == "WGAT layer 2"
    assert bp.head_label("mean") == "mean of heads" and bp.head_label(2) == "head 3"
    assert bp.head_options(2) == ["mean", 0, 1]


def test_topk_texts_and_the_whatif_k():
    assert bp.rank_caption(None) == ""
    assert bp.rank_caption({"item": 9, "rank": 1234, "score": 0.5}) == \
        " · true next item `9`: **rank 1,234** (score 0.5000)"
    assert bp.overlap_caption([1, 2, 3], [3, 2, 8, 9]) == "2 of 4 items also in the model's top-4"
    assert bp.table_height(2) == 108 and bp.table_height(100) == 400
    assert bp.whatif_k(5) == 5 and bp.whatif_k(20) == 20 and bp.whatif_k(50) == 20


def test_explain_options_and_their_labels():
    options = bp.explain_options([4, 8], None)
    assert options == [("top", 4), ("top", 8), ("typed", None)]
    options = bp.explain_options([4, 8], 11)
    assert options == [("top", 4), ("top", 8), ("true next item", 11), ("typed", None)]
    labels = [bp.explain_option_label(o, [4, 8]) for o in options]
    assert labels == ["#1 of the top-K: item 4", "#2 of the top-K: item 8", "true next item 11", "an item id I type"]


def test_shown_methods_and_the_explanation_caption():
    assert bp.shown_methods(["attention", "ig", "random"]) == ["attention", "ig"]
    assert bp.shown_methods(["random"]) == []
    text = bp.explanation_caption(12, 1.23456, 3, "exact")
    assert text == ("Item 12: score 1.2346, rank 3. Node numbers: the score's exact share of each clicked item. "
                    "Blue = against the item, red = for it, where numbers have a sign.")
    assert set(bp.ATTRIBUTION_CAPTIONS) == {"attention", "ig", "gnnexplainer", "exact", "random"}
