"""AppTest: a dataset whose item ids are tokens (text: "7" and "007" are two items, unicode
included) in the Session builder, Graph construction, Inspect and the URL's session; a forged
token changes nothing."""
from __future__ import annotations

import json
import os
import shutil

import pytest
from app_support import REPO, app, chart_specs, strip_clicks
from streamlit.testing.v1 import AppTest

from fgnn.app.construction_page import example_text
from fgnn.data.spec import DatasetSpec
from fgnn.models.checkpoint import load_checkpoint
from pages._shared import checkpoint_choices

BUILDER = "pages/1_Session_builder.py"
CONSTRUCTION = "pages/2_Graph_construction.py"
INSPECT = "pages/5_Inspect.py"
SESSION = ["7", "007", "商品-1", "🍎"]


@pytest.fixture
def tokens(root, token_run, private_cache, monkeypatch, tmp_path) -> dict:
    """The token run copied into this test's checkpoints root, its log allowed by path: the state
    that makes them the app's checkpoint and dataset."""
    run = root / "fgnn-tokens"
    shutil.copytree(token_run.parent, run, ignore=shutil.ignore_patterns("inspect-cache", "run.lock"))
    monkeypatch.setenv("FGNN_ALLOW_SERVER_PATHS", f"{tmp_path}{os.pathsep}{token_run.parent.parent}")
    checkpoint_choices.clear()
    spec = DatasetSpec.of_checkpoint(load_checkpoint(run / "best.pt"))
    return {"dataset": spec, "checkpoint": str(run / "best.pt"), "top_k": 5}


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "warning", "info", "markdown", "caption")
                     for e in getattr(at, kind))


def known(state) -> set:
    return set(state["dataset"].load().original_ids()[1:].tolist())


def chart(at, prefix: str) -> dict:
    return next(s for s in chart_specs(at) if s["layout"].get("title", {}).get("text", "").startswith(prefix))


def add_button(at):
    return at.button[[b.label for b in at.button].index("Add")]


def test_builder_takes_typed_tokens_and_shows_token_predictions(tokens):
    at = app(BUILDER, **tokens, session_items=[], builder_add_tab="Type ids")
    assert "85123A" in at.text_input(key="builder_typed").placeholder
    at.text_input(key="builder_typed").set_value("7, 007 商品-1 🍎")
    add_button(at).click().run()
    assert not at.exception and not at.error, texts(at)
    assert at.session_state["session_items"] == SESSION  # "7" and "007" are two items, kept as typed
    assert [(p, i) for p, i, _ in strip_clicks(at)] == list(enumerate(SESSION))
    # the model's top-K: token ids of the dataset
    topk = next(df.value for df in at.dataframe if list(df.value.columns)[:2] == ["rank", "item"])
    assert len(topk) == 5 and set(topk["item"]) <= known(tokens)
    # the session graph's nodes are the tokens
    nodes = next(t for t in chart(at, "Session graph")["data"] if t.get("name") == "items")
    assert nodes["customdata"] == SESSION
    # "0007" is no item: a clear message, the session unchanged
    at.text_input(key="builder_typed").set_value("0007")
    add_button(at).click().run()
    assert any("0007" in e.value and "not in the vocabulary" in e.value for e in at.error)
    assert at.session_state["session_items"] == SESSION


def test_builder_search_strip_edit_and_explanation_with_tokens(tokens):
    at = app(BUILDER, **tokens, session_items=SESSION)
    at.text_input(key="builder_find").set_value("007").run()
    found = next(df.value for df in at.dataframe if len(df.value) <= 10 and "popularity" in df.value)
    assert found["item"].tolist()[0] == "007"
    at.toggle(key="builder_explain").set_value(True).run()
    assert not at.exception and not at.error, texts(at)
    assert any(s["layout"]["title"]["text"].startswith("Why item") for s in chart_specs(at))
    at.selectbox(key="builder_explain_item").set_value(("typed", None)).run()
    at.text_input(key="builder_explain_typed_token").set_value("007").run()
    assert not at.exception and not at.error, texts(at)
    assert any(s["layout"]["title"]["text"].startswith("Why item 007?") for s in chart_specs(at))
    at.text_input(key="builder_explain_typed_token").set_value("0007").run()
    assert not at.exception and any("Cannot explain item 0007" in e.value for e in at.error)
    at.toggle(key="builder_explain").set_value(False).run()
    at.toggle(key="builder_whatif").set_value(True).run()
    assert not at.exception and not at.error, texts(at)


def test_random_test_session_of_tokens(tokens):
    at = app(BUILDER, **tokens)
    at.button[[b.label for b in at.button].index("Random test session")].click().run()
    assert not at.exception and not at.error, texts(at)
    items, nxt = at.session_state["session_items"], at.session_state["highlight_item"]
    assert items and all(isinstance(i, str) for i in items + [nxt])
    assert set(items + [nxt]) <= known(tokens)


def test_graph_construction_draws_a_typed_token_sequence(tokens):
    at = app(CONSTRUCTION, **tokens, session_items=[])
    at.text_input(key="construction_text").set_value("7, 007, 🍎, 7").run()
    assert not at.exception and not at.error, texts(at)
    at.toggle(key="construction_all").set_value(True).run()
    assert len(at.subheader) == 7
    spec = json.dumps([json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart")], ensure_ascii=False)
    assert '"007"' in spec and "🍎" in spec
    x = next(df.value for df in at.dataframe if "original id" in df.value)
    assert x["original id"].tolist() == ["7", "007", "🍎"]
    assert x["x"].tolist() == tokens["dataset"].load().to_indices(["7", "007", "🍎"])  # the model's rows
    # the builder's session, as tokens
    at = app(CONSTRUCTION, **tokens, session_items=SESSION)
    assert not at.exception and not at.error, texts(at)
    assert "`007`" in texts(at)


def test_inspect_shows_token_ids(tokens):
    at = app(INSPECT, **tokens)
    assert not at.exception and not at.error, texts(at)
    table = next(df.value for df in at.dataframe if "prefix" in df.value and "target" in df.value)
    ids = known(tokens)
    assert set(table["target"]) <= ids
    assert all(set(p.split(" → ")) <= ids for p in table["prefix"])
    at.button(key="inspect_open").click().run()
    assert not at.exception
    assert set(at.session_state["session_items"]) <= ids and at.session_state["highlight_item"] in ids


def link_run(state: dict, session: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    at.query_params["session"] = session
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_carries_a_token_session_and_a_forged_token_changes_nothing(tokens):
    at = link_run(tokens, "7,007,商品-1,🍎")
    assert at.session_state["session_items"] == SESSION
    value = at.query_params.get("session")
    assert (value[-1] if isinstance(value, list) else value) == "7,007,商品-1,🍎"  # the URL writes it back
    for forged in ("7,0007", "[7]", "SKU-99"):
        at = link_run({**tokens, "session_items": ["7"]}, forged)
        assert at.session_state["session_items"] == ["7"], forged
        assert any("'session'" in w.value for w in at.warning), forged


def test_forged_picks_of_the_builder_change_nothing(tokens):
    """A chart pick, a map click or a strip edit with a token the dataset lacks, or a number for a
    token: none is an item to add (the page adds only what these keep)."""
    from fgnn.app import builder
    from fgnn.app import builder_page as bp

    index_of = tokens["dataset"].load().index_of()
    for forged in ("0007", 7, "SKU-99", None, ["🍎 "], {"x": 1}):
        event = {"selection": {"points": [{"customdata": forged}]}}
        assert bp.known_items(bp.picked_items(event), index_of) == [], forged
        assert builder.strip_edit(SESSION, {"op": "remove", "pos": 1, "item": forged}) is None, forged
    assert bp.known_items(bp.picked_items({"selection": {"points": [{"customdata": "007"}]}}), index_of) == ["007"]


def test_the_teacher_tour_on_the_named_bundled_dataset():
    """README's teacher tour: with online-retail-sample (stock codes as ids, product names) Graph
    construction starts on a basket of its best-known products, named in the figure, and the
    Session builder predicts named products with the shipped FGNN."""
    dataset = DatasetSpec("online-retail-sample")
    shipped = str(REPO / "checkpoints" / "fgnn-online-retail-sample" / "best.pt")
    at = app(CONSTRUCTION, dataset=dataset, checkpoint=shipped, session_items=[])
    assert not at.exception and not at.error, texts(at)
    ds = dataset.load()
    typed = at.text_input(key="construction_text").value
    assert typed == example_text(ds) and len(typed.split(", ")) == 7
    names = [ds.item_labels()[i] for i in dict.fromkeys(typed.split(", "))]
    spec = json.dumps([json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart")], ensure_ascii=False)
    assert all(name[:12] in spec for name in names), names
    session = typed.split(", ")[:3]
    at = app(BUILDER, dataset=dataset, checkpoint=shipped, session_items=session, top_k=5)
    assert not at.exception and not at.error, texts(at)
    assert [label for _, _, label in strip_clicks(at)] == [ds.item_label(i) for i in session]
    topk = next(df.value for df in at.dataframe if list(df.value.columns)[:3] == ["rank", "item", "name"])
    assert len(topk) == 5 and topk["name"].tolist() == [ds.item_labels()[i] for i in topk["item"]]
    assert all(isinstance(i, str) for i in topk["item"])  # stock codes, as the shop writes them
