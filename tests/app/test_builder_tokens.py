"""Token item ids (text, docs/data-formats.md "Ids") in what the app's pages compute: typed ids,
the session strip's edits, plotly picks, the URL's session, search, the graph view, the
construction steps and the Inspect pair table. Whole-number datasets are covered by the
neighbouring tests and keep their behaviour."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from fgnn.app import builder
from fgnn.app import builder_page as bp
from fgnn.app import url_state as url
from fgnn.app.teaching import construction_steps
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError
from fgnn.evaluation.pair_ranks import pair_prediction, pair_table
from fgnn.models.checkpoint import load_model


@pytest.fixture
def tok(token_dataset_log, private_cache):
    return load_dataset(str(token_dataset_log), test_days=1.0)


@pytest.fixture
def tok_model(tok, token_run):
    return load_model(token_run, tok)[0]


def test_parse_item_ids_keeps_tokens_as_typed():
    assert builder.parse_item_ids("7, 007 商品-1;🍎 -> 85123A", tokens=True) == ["7", "007", "商品-1", "🍎", "85123A"]
    assert builder.parse_item_ids("  ", tokens=True) == []
    assert builder.parse_item_ids("7, 007") == [7, 7]  # whole numbers: unchanged
    with pytest.raises(DataError, match="not an item id"):
        builder.parse_item_ids("85123A")


def test_typed_ids_of_a_token_dataset(tok):
    assert tok.has_tokens
    assert bp.typed_ids("007 7 商品-1 🍎", tok) == ["007", "7", "商品-1", "🍎"]
    with pytest.raises(DataError, match="0007"):
        bp.typed_ids("0007", tok)  # not "7", not "007": an unknown token
    with pytest.raises(DataError, match="85123A"):
        bp.typed_ids("", tok)  # the hint shows a token example
    assert "85123A" in bp.typed_placeholder(True) and "85123A" not in bp.typed_placeholder(False)


def test_strip_edit_and_picks_with_tokens():
    items = ["7", "007", "🍎"]
    assert builder.strip_edit(items, {"op": "remove", "pos": 1, "item": "007"}) == ["7", "🍎"]
    assert builder.strip_edit(items, {"op": "left", "pos": 2, "item": "🍎"}) == ["7", "🍎", "007"]
    for forged in ({"op": "remove", "pos": 1, "item": 7}, {"op": "remove", "pos": 1, "item": "7"},
                   {"op": "remove", "pos": 1, "item": ["007"]}, {"op": "remove", "pos": "1", "item": "007"},
                   {"op": "remove", "pos": 1, "item": True}):
        assert builder.strip_edit(items, forged) is None, forged
    assert builder.strip_edit([5, 7], {"op": "remove", "pos": 1, "item": "7"}) is None  # whole numbers: as before
    assert builder.strip_edit([5, 7], {"op": "remove", "pos": 1, "item": 7}) == [5]
    event = {"selection": {"points": [{"customdata": "007"}, {"customdata": ["🍎"]}, {"customdata": 12},
                                      {"customdata": True}, {"customdata": {"x": 1}}, {"customdata": 3.0}]}}
    assert bp.picked_items(event) == ["007", "🍎", 12, 3]


def test_known_items_and_session_ids(tok):
    index_of = tok.index_of()
    assert bp.known_items(["7", "0007", "007", 7], index_of) == ["7", "007"]
    assert bp.session_ids(["007", 7, "nope"], tok) == ["007", "7", "nope"]
    assert bp.explain_options(["7"], "007")[1] == ("true next item", "007")


def test_url_session_round_trips_tokens(tok):
    offered = url.Offered(items_of=lambda _spec: tok.index_of())
    session = ["7", "007", "商品-1", "🍎", "7"]
    param = url.encode(None, None, 20, session)["session"]
    assert param == "7,007,商品-1,🍎,7"
    assert url.decode_session(param, offered, None) == session
    # a token with a comma (or a first one starting with "[") travels as a JSON list
    assert url.session_param(["a,b", "7"]) == json.dumps(["a,b", "7"], ensure_ascii=False, separators=(",", ":"))
    assert url.session_param(["[x", "7"]).startswith('["[x"')
    assert url.decode_session('["007","7"]', offered, None) == ["007", "7"]
    # forged: an unknown token, a token in another spelling, a number for a token, not a list of text
    for forged in ("0007", "7,0007", "SKU-1", "商品-2", "[7]", '["7", 7]', "[", '{"a": 1}', "7,,007", "", "[]"):
        with pytest.raises(url.Refused):
            url.decode_session(forged, offered, None)
    decoded = url.decode({"session": "7,0007"}, offered, None)
    assert decoded.state == {} and decoded.refused == ("session",)


def test_url_session_of_whole_numbers_is_unchanged():
    offered = url.Offered(items_of=lambda _spec: {5: 1, 7: 2})
    assert url.encode(None, None, 20, [5, 7])["session"] == "5,7"
    assert url.decode_session("5,+7,007", offered, None) == [5, 7, 7]
    for forged in ("5,8", "[5", "x", "5.0"):
        with pytest.raises(url.Refused):
            url.decode_session(forged, offered, None)


def test_catalogue_search_and_filter_with_tokens(tok):
    catalogue = builder.item_catalogue(tok)
    assert set(catalogue["item"]) == set(tok.original_ids()[1:].tolist())
    found = builder.search_items(catalogue, "7", limit=50)
    assert found["item"].tolist()[0] == "7" and "007" in found["item"].tolist()  # the exact token first
    assert builder.search_items(catalogue, "007")["item"].tolist()[0] == "007"
    assert builder.search_items(catalogue, "sku-0", limit=50)["item"].str.startswith("SKU-0").all()
    assert builder.search_items(catalogue, "🍎")["item"].tolist() == ["🍎"]
    assert builder.filter_catalogue(catalogue, "商品")["item"].tolist() == ["商品-1"]


def test_predictions_graph_and_random_session_show_tokens(tok, tok_model):
    session = ["7", "007", "商品-1", "7"]
    expl = builder.explain_session(tok_model, tok, session, k=5)
    assert set(expl.topk["item"]) <= set(tok.original_ids()[1:].tolist())
    graph, node_att, edge_att = builder.graph_view(expl, tok.original_ids(), "mean", 0, "mean")
    assert graph.x.tolist() == ["7", "007", "商品-1"] and graph.sequence.tolist() == session
    assert len(node_att) == 3 and edge_att is not None
    rows = builder.whatif_ranks(tok_model, tok, session, k=3)
    assert set(rows["item"]) == set(expl.topk["item"][:3]) and "without click 2 (item 007)" in set(rows["variant"])
    test = builder.random_test_session(tok, seed=1)
    assert all(isinstance(i, str) for i in test.items) and isinstance(test.next_item, str)
    target = builder.topk_display(expl.topk.drop(columns="session"), catalogue=None, has_categories=False,
                                  target={"item": "🍎", "rank": 99, "score": 0.0, "probability": 0.0})
    assert target["item"].tolist()[-1] == "🍎"
    table = builder.item_map_table(tok_model, tok)
    assert table["item"].tolist() == tok.original_ids()[1:].tolist()


def test_construction_steps_of_a_token_sequence(tok):
    steps = construction_steps(["7", "007", "商品-1", "7", "7"])
    assert steps[1].table["item"].tolist() == ["7", "007", "商品-1"]
    merged = steps[3].table
    assert set(zip(merged["src"], merged["dst"], strict=True)) == {("7", "007"), ("007", "商品-1"), ("商品-1", "7"),
                                                                   ("7", "7")}
    x = steps[-1].tables["x"]
    assert x["original id"].tolist() == ["7", "007", "商品-1"] and x["x"].tolist() == [1, 2, 3]
    with_rows = construction_steps(["7", "007"], item_index=tok.index_of())[-1].tables["x"]
    assert with_rows["x"].tolist() == tok.to_indices(["7", "007"])


def test_inspect_pair_table_shows_tokens(tok, tok_model):
    table = pair_table(None, tok, ranks=torch.ones(len(tok.test), dtype=torch.long))
    known = set(tok.original_ids()[1:].tolist())
    assert all(isinstance(t, str) and t in known for t in table["target"])
    assert all(set(p) <= known for p in table["prefix"])
    guess = pair_prediction(tok_model, tok, table["prefix"][0], table["target"][0])
    assert guess["target"] == table["target"][0] and guess["top1"] in known


def test_edge_table_of_a_token_graph(tok):
    from fgnn.data.graph import build_session_graph
    from fgnn.explain.attention import graph_edge_table

    idx = tok.to_indices(["7", "007", "7"])
    table = graph_edge_table(build_session_graph(idx).with_original_ids(tok.original_ids()))
    assert isinstance(table, pd.DataFrame) and set(table["src"]) == {"7", "007"}
