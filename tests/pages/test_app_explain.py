"""AppTest of the explain view (Session builder) and the faithfulness section (Inspect): the
numbers on the page are those of fgnn.explain.attribution for the same session, item and checkpoint."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_support import app, chart_specs, plotly_values

from fgnn.explain import attribution as A
from fgnn.models.checkpoint import load_model

REPO = Path(__file__).resolve().parents[2]
BUILDER = "pages/1_Session_builder.py"
INSPECT = "pages/5_Inspect.py"


@pytest.fixture(autouse=True)
def _forget_inspect_ranks():
    """Inspect keeps ranks in process memory keyed by the checkpoint's bytes; a later test on a
    fresh copy of the same run must not find them there (it checks they are written beside it)."""
    yield
    from fgnn.evaluation import rank_cache

    rank_cache._in_memory.clear()


@pytest.fixture(scope="module")
def session(ds):
    ids = ds.item_ids.tolist()
    return [ids[3], ids[10], ids[3], ids[42]]


def charts(at) -> list[dict]:
    return chart_specs(at)


def chart_titled(at, prefix: str) -> dict:
    for spec in charts(at):
        if spec.get("layout", {}).get("title", {}).get("text", "").startswith(prefix):
            return spec
    raise AssertionError(f"no chart titled {prefix!r}")


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def test_explain_view_colours_the_graph_by_the_chosen_method(root, ds, session):
    at = app(BUILDER, session_items=session, top_k=5)
    assert not any(s.get("layout", {}).get("title", {}).get("text", "").startswith("Why item") for s in charts(at))
    at.toggle(key="builder_explain").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    top1 = at.session_state["builder_topk_items"][0]
    model, _ = load_model(root / "fgnn-sample" / "best.pt", ds)
    expected = A.explain_ids(model, ds.item_ids, session, top1, A.methods_for(model))

    graph = chart_titled(at, f"Why item {top1}?<br><sup>session graph coloured by attention<")
    nodes = trace(graph, "items")
    assert nodes["customdata"] == list(dict.fromkeys([session[0], session[1], session[3]]))
    assert plotly_values(nodes["marker"]["color"]) == pytest.approx(list(expected["attention"].nodes["attribution"]))
    curves = chart_titled(at, f"Deletion curves of item {top1}")
    for m in ("attention", "ig", "gnnexplainer", "random"):
        assert plotly_values(trace(curves, m)["y"]) == pytest.approx(list(expected[m].deletion["share"]), rel=1e-6)

    clicks = next(df.value for df in at.dataframe if "integrated gradients" in df.value.columns)
    assert list(clicks["item"]) == nodes["customdata"]
    assert list(clicks["integrated gradients"]) == pytest.approx(list(expected["ig"].nodes["attribution"]), rel=1e-5)
    at.radio(key="builder_explain_method").set_value("ig").run()
    graph = chart_titled(at, f"Why item {top1}?<br><sup>session graph coloured by integrated gradients<")
    assert plotly_values(trace(graph, "items")["marker"]["color"]) == pytest.approx(
        list(expected["ig"].nodes["attribution"]), rel=1e-5, abs=1e-6)
    assert "integrated gradients" in trace(graph, "items")["hovertext"][0]


def test_explain_view_typed_unknown_item_gives_a_clear_message(root, session):
    at = app(BUILDER, session_items=session, top_k=5)
    at.toggle(key="builder_explain").set_value(True).run()
    at.selectbox(key="builder_explain_item").set_value(("typed", None)).run()
    at.number_input(key="builder_explain_typed").set_value(999999999).run()
    assert not at.exception
    assert any("Cannot explain item 999999999" in e.value and "not in the vocabulary" in e.value for e in at.error)


def test_inspect_faithfulness_section(root, ds):
    ckpt = root / "srgnn-sample" / "best.pt"
    at = app(INSPECT, checkpoint=str(ckpt), top_k=20)
    at.number_input(key="inspect_faith_pairs").set_value(3).run()
    at.button(key="inspect_faith_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = next(df.value for df in at.dataframe if "beats_random" in df.value.columns)
    model, _ = load_model(ckpt, ds)
    pairs = A.sample_pairs(ds.test, 3, seed=0)
    table = A.faithfulness_table(model, ds.test, ds.item_ids, pairs)
    expected = A.faithfulness_summary(table)
    assert list(summary["method"]) == ["attention", "ig", "gnnexplainer", "random"]
    assert list(summary["auc"]) == pytest.approx(list(expected["auc"]))
    bars = trace(chart_titled(at, "Faithfulness"), "AUC")
    assert plotly_values(bars["y"]) == pytest.approx(list(expected["auc"]))
    assert any(A.faithfulness_verdict(table, "attention") == m.value for m in at.markdown)


def test_explain_view_of_a_baseline_shows_exact_contributions(root, ds, session):
    shutil.copytree(REPO / "checkpoints" / "vsknn-sample", root / "vsknn-sample")
    ckpt = root / "vsknn-sample" / "best.pt"
    at = app(BUILDER, session_items=session, top_k=5, checkpoint=str(ckpt))
    at.toggle(key="builder_explain").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.radio(key="builder_explain_method").options == ["exact contributions"]
    top1 = at.session_state["builder_topk_items"][0]
    graph = chart_titled(at, f"Why item {top1}?<br><sup>session graph coloured by exact contributions<")
    model, _ = load_model(ckpt, ds)
    expected = A.explain_ids(model, ds.item_ids, session, top1, ["exact"])["exact"]
    colours = plotly_values(trace(graph, "items")["marker"]["color"])
    assert colours == pytest.approx(list(expected.nodes["attribution"]))
    assert sum(colours) == pytest.approx(expected.score, rel=1e-5)  # exact: the parts add up to the score
