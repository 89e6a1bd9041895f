"""AppTest: item names from an items file appear wherever the builder and Inspect show an item."""
from __future__ import annotations

import json

import pytest
from app_support import REPO, app, chart_specs, plotly_values, strip_clicks

from fgnn.data.spec import DatasetSpec

BUILDER = "pages/1_Session_builder.py"
SAMPLE = REPO / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv"


@pytest.fixture
def named_source(tmp_path, ds):
    ids = ds.item_ids[1:].tolist()
    lines = ["item\tname"] + [f"{i}\tproduct number {i}" for i in ids]
    items = tmp_path / "items.tsv"
    items.write_text("\n".join(lines) + "\n")
    return DatasetSpec(str(SAMPLE), items=str(items))


def test_builder_shows_item_names(root, ds, named_source):
    ids = ds.item_ids.tolist()
    session = [ids[3], ids[10], ids[3]]
    at = app(BUILDER, dataset=named_source, session_items=session, top_k=5)
    assert not at.error, [e.value for e in at.error]
    # the session strip: id and name of every click
    strip = strip_clicks(at)
    assert strip[:2] == [(0, ids[3], f"{ids[3]} · product number {ids[3]}"),
                         (1, ids[10], f"{ids[10]} · product number {ids[10]}")]
    # the model's top-K table has a name column beside the ids; so do the baseline's
    tables = [df.value for df in at.dataframe]
    topk = next(t for t in tables if list(t.columns) == ["rank", "item", "name", "category", "score", "probability"])
    assert topk["name"].tolist() == [f"product number {i}" for i in topk["item"]]
    assert any(list(t.columns) == ["rank", "item", "name", "score"] for t in tables)
    # the graph's node labels and the item map's hover carry the names
    specs = chart_specs(at)
    graph = next(s for s in specs if s["layout"]["title"]["text"].startswith("Session graph"))
    nodes = next(t for t in graph["data"] if t.get("name") == "items")
    assert any(f"product number {ids[10]}" in h for h in nodes["hovertext"])
    item_map = next(s for s in specs if s["layout"]["title"]["text"].startswith("Item map"))
    points = [t for t in item_map["data"] if "%{hovertext}" in t.get("hovertemplate", "")]
    named = {i: h for t in points for i, h in zip(plotly_values(t["customdata"]), t["hovertext"], strict=True)}
    assert len(named) == 309 and named[ids[42]] == f"product number {ids[42]}"
    # the catalogue search finds an item by its name
    at.text_input(key="builder_find").set_value(f"number {ids[42]}").run()
    found = next(df.value for df in at.dataframe if "name" in df.value and len(df.value) <= 10)
    assert found["item"].tolist()[0] == ids[42]


def test_inspect_pair_table_names_the_targets(named_source):
    import torch

    from fgnn.app.uploads import load_source
    from fgnn.evaluation.pair_ranks import pair_table

    named = load_source(named_source)
    table = pair_table(None, named, k=20, ranks=torch.ones(len(named.test), dtype=torch.long))
    assert list(table.columns[:6]) == ["pair", "session", "prefix", "length", "target", "target_name"]
    assert table["target_name"].tolist() == [f"product number {t}" for t in table["target"]]


def test_graph_construction_names_the_builder_session(root, ds, named_source):
    ids = ds.item_ids.tolist()
    at = app("pages/2_Graph_construction.py", dataset=named_source, session_items=[ids[3], ids[10], ids[3]])
    assert not at.error, [e.value for e in at.error]
    spec = json.dumps([json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart")])
    assert f"product number {ids[10]}" in spec
