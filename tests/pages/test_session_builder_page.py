"""AppTest of the app's part 1: Session builder and Graph construction.

Every test runs the real ``app.py`` (navigation + shared sidebar) on a temporary
FGNN_CHECKPOINT_DIR holding copies of the shipped runs, and drives it through the plain
``st.session_state`` keys and the page's widgets.
"""
from __future__ import annotations

import pytest
import torch
from app_support import app, chart_specs, plotly_values

from fgnn.data.graph import make_batch
from fgnn.data.spec import DatasetSpec
from fgnn.models.checkpoint import load_model

BUILDER = "pages/1_Session_builder.py"
CONSTRUCTION = "pages/2_Graph_construction.py"


@pytest.fixture(scope="module")
def session(ds):
    ids = ds.item_ids.tolist()
    return [ids[3], ids[10], ids[3], ids[42]]  # 3 nodes, edges a->b, b->a, a->c


def charts(at) -> list[dict]:
    return chart_specs(at)


def chart_titled(at, prefix: str) -> dict:
    for spec in charts(at):
        title = spec.get("layout", {}).get("title", {}).get("text", "")
        if title.startswith(prefix):
            return spec
    raise AssertionError(f"no chart titled {prefix!r}: {[c['layout'].get('title') for c in charts(at)]}")


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def model_topk(at) -> list[int]:
    for df in at.dataframe:
        v = df.value
        if list(v.columns) == ["rank", "item", "category", "score", "probability"]:
            return v["item"].tolist()
    raise AssertionError("no top-K table on the page")


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_builder_runs_with_defaults_and_says_the_session_is_empty(root):
    at = app(BUILDER)
    assert at.session_state["session_items"] == []
    assert at.session_state["checkpoint"] == str(root / "fgnn-sample" / "best.pt")
    assert at.session_state["dataset"] == DatasetSpec("diginetica-sample") and at.session_state["top_k"] == 20
    assert any("the session is empty" in w for w in texts(at.warning))
    assert not at.error
    # the item map is there (one point per item) even before the first click
    spec = chart_titled(at, "Item map")
    assert sum(len(plotly_values(t["customdata"])) for t in spec["data"] if t["name"] != "in session") == 309


def test_session_from_state_gives_graph_and_topk_of_the_model(root, ds, session):
    at = app(BUILDER, session_items=session, top_k=10)
    assert not at.error, texts(at.error)
    graph = chart_titled(at, "Session graph")
    assert graph["layout"]["title"]["text"].startswith("Session graph: 4 clicks, 3 nodes, 3 edges")
    assert trace(graph, "items")["customdata"] == [session[0], session[1], session[3]]
    assert trace(graph, "current interest")["customdata"] == [session[3]]

    model, _ = load_model(root / "fgnn-sample" / "best.pt", ds)
    with torch.no_grad():
        scores = model(make_batch([ds.to_indices(session)]))[0]
    expected = ds.item_ids[scores.topk(10).indices + 1].tolist()
    assert model_topk(at) == expected

    # the map rings the session's items; what-if has one row per variant
    ring = trace(chart_titled(at, "Item map"), "in session")
    assert sorted(ring["customdata"]) == sorted(set(session))
    assert trace(chart_titled(at, "Item map"), "top-K")["customdata"] == expected  # marked, best first
    # what-if is closed until switched on (computing nothing); opened, one row per variant
    assert not [c for c in charts(at) if c["layout"]["title"]["text"].startswith("What if")]
    at.toggle(key="builder_whatif").set_value(True).run()
    whatif = chart_titled(at, "What if")
    assert len(whatif["data"][0]["y"]) == 3 + len(session)
    assert at.session_state["builder_server_ms"] > 0


def test_attention_controls(root, session):
    at = app(BUILDER, session_items=session)
    assert at.selectbox(key="builder_step").options == ["mean of steps", "step 1", "step 2", "step 3"]
    at.selectbox(key="builder_step").select(1).run()
    at.selectbox(key="builder_head").select(3).run()
    assert not at.exception and not at.error
    items = trace(chart_titled(at, "Session graph"), "items")
    assert "readout attention" in items["hovertext"][0]
    at.selectbox(key="builder_layer").select("weight").run()
    assert not at.exception
    assert "attention" not in trace(chart_titled(at, "Session graph"), "edge info")["hovertext"][0]


def test_srgnn_checkpoint_has_no_edge_attention(root, session):
    at = app(BUILDER, session_items=session, checkpoint=str(root / "srgnn-sample" / "best.pt"))
    assert not at.error, texts(at.error)
    assert any("no edge attention" in c.value for c in at.caption)
    # the other model beside SR-GNN is the FGNN run
    assert any("FGNN" in m.value for m in at.markdown)


def test_unknown_item_id_typed_gives_a_clear_message(root, session):
    at = app(BUILDER, session_items=session, builder_add_tab="Type ids")
    at.text_input(key="builder_typed").set_value(f"{session[0]}, 424242")
    at.button[[b.label for b in at.button].index("Add")].click().run()
    assert not at.exception
    assert any("424242" in e and "not in the vocabulary" in e for e in texts(at.error))
    assert at.session_state["session_items"] == session  # nothing was added

    at.text_input(key="builder_typed").set_value("12, abc")
    at.button[[b.label for b in at.button].index("Add")].click().run()
    assert any("'abc' is not an item id" in e for e in texts(at.error))

    at.text_input(key="builder_typed").set_value(f"{session[1]} {session[2]}")
    at.button[[b.label for b in at.button].index("Add")].click().run()
    assert at.session_state["session_items"] == session + [session[1], session[2]]


def test_unknown_item_in_the_session_state(root, session):
    at = app(BUILDER, session_items=[session[0], 424242])
    assert not at.exception
    assert any("424242" in e for e in texts(at.error))
    at.button[[b.label for b in at.button].index("Drop the unknown items")].click().run()
    assert at.session_state["session_items"] == [session[0]]
    assert not at.error


def test_undo_and_clear(root, session):
    """The strip's move and remove buttons are a component (tests/browser/test_session_strip.py);
    their edits are fgnn.app.builder.strip_edit's (tests/app/test_builder.py)."""
    at = app(BUILDER, session_items=session, builder_add_tab="Type ids")
    at.text_input(key="builder_typed").set_value(f"{session[1]}")
    at.button[[b.label for b in at.button].index("Add")].click().run()
    at.text_input(key="builder_typed").set_value(f"{session[2]}")
    at.button[[b.label for b in at.button].index("Add")].click().run()
    assert at.session_state["session_items"] == session + [session[1], session[2]]
    undo = [b.label for b in at.button].index("Undo")
    at.button[undo].click().run()
    at.button[undo].click().run()
    assert at.session_state["session_items"] == session
    at.button[[b.label for b in at.button].index("Clear")].click().run()
    assert at.session_state["session_items"] == []
    assert any("the session is empty" in w for w in texts(at.warning))


def test_random_test_session_highlights_the_true_next_item(root, ds):
    at = app(BUILDER)
    at.button[[b.label for b in at.button].index("Random test session")].click().run()
    assert not at.exception and not at.error
    items, nxt = at.session_state["session_items"], at.session_state["highlight_item"]
    assert items and nxt is not None
    tests = [ds.to_original(s) for s in ds.test.sessions()]
    assert items + [nxt] in tests
    graph = chart_titled(at, "Session graph")
    if nxt in items:
        assert trace(graph, "highlighted item")["customdata"] == [nxt]
    else:
        assert "is not in the session" in graph["layout"]["title"]["text"]


def test_mismatched_checkpoint_gives_a_clear_message(root, tmp_path, session):
    ckpt = torch.load(root / "fgnn-sample" / "best.pt", weights_only=True)
    ckpt["n_items"] = 50  # a checkpoint of another dataset: its fields agree with each other
    ckpt["model_config"]["n_items"] = 50
    ckpt["item_ids"] = torch.arange(51)
    ckpt["dataset"] = {"name": "tiny", "fingerprint": "x", "n_items": 50}
    bad = root / "other-data" / "best.pt"
    bad.parent.mkdir()
    torch.save(ckpt, bad)
    at = app(BUILDER, session_items=session, checkpoint=str(bad))
    assert not at.exception
    msg = " ".join(texts(at.error))
    assert "50 items" in msg and "309 items" in msg and "choose a checkpoint" in msg


def test_corrupted_checkpoint_gives_a_clear_message(root, session):
    bad = root / "broken" / "best.pt"
    bad.parent.mkdir()
    bad.write_bytes(b"not a checkpoint at all")
    for page in (BUILDER, CONSTRUCTION):
        at = app(page, session_items=session, checkpoint=str(bad))
        assert not at.exception
        if page == BUILDER:
            assert any("cannot be read" in e and "corrupted" in e for e in texts(at.error))


def test_graph_construction_page(root, session):
    at = app(CONSTRUCTION)
    assert at.subheader[0].value == "1. The click sequence"
    at.selectbox(key="construction_step").set_value("7. The tensors the model receives").run()
    assert not at.exception and at.subheader[0].value == "7. The tensors the model receives"
    at.toggle(key="construction_all").set_value(True).run()
    assert [s.value[:2] for s in at.subheader] == [f"{i}." for i in range(1, 8)]
    assert len(at.get("plotly_chart")) == 7

    at.text_input(key="construction_text").set_value("1, x, 3").run()
    assert any("'x' is not an item id" in e for e in texts(at.error))
    at.text_input(key="construction_text").set_value("").run()
    assert any("empty" in w for w in texts(at.warning))


def test_graph_construction_takes_the_builder_session(root, session):
    at = app(CONSTRUCTION, session_items=session)
    assert at.radio(key="construction_source").value == "The session from the builder"
    assert not at.exception and not at.error
    assert str(session[0]) in " ".join(m.value for m in at.markdown)
    at.toggle(key="construction_all").set_value(True).run()
    assert "3 nodes" in " ".join(m.value for m in at.markdown) or len(at.subheader) == 7


def test_only_the_open_tab_of_ways_to_add_is_drawn_and_hidden_fields_keep_their_values(root, session):
    at = app(BUILDER, session_items=session, builder_add_tab="Catalogue")
    assert {t.key for t in at.text_input} == {"builder_query"}  # no map search, no typed ids
    assert not any(c.proto.component_name.endswith("fgnn_live_chart") and "Item map" in c.proto.json
                   for c in at.get("bidi_component"))
    at.session_state["builder_add_tab"] = "Type ids"
    at.run()
    assert {t.key for t in at.text_input} == {"builder_typed"}
    at.text_input(key="builder_typed").set_value("5, 6").run()  # typed, not added yet
    at.session_state["builder_add_tab"] = "Catalogue"
    at.run()
    at.session_state["builder_add_tab"] = "Type ids"
    at.run()
    assert at.text_input(key="builder_typed").value == "5, 6"
