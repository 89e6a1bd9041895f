"""The app at research scale (docs/research-scale.md): an item map that stays small for a
full-size catalogue, server-side search and pages of the catalogue."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from app_support import plotly_values

from fgnn.app import builder
from fgnn.app.paging import table_page
from fgnn.viz import item_map

DIGINETICA_ITEMS = 43_097


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def big_map(n=DIGINETICA_ITEMS, seed=0, **kw):
    rng = np.random.default_rng(seed)
    coords = rng.normal(size=(n, 2))
    ids = rng.permutation(np.arange(10, 10 + 3 * n, 3))[:n]  # ids are not positions
    pop = rng.zipf(1.6, size=n).clip(max=5000)
    cats = rng.integers(0, 900, size=n)
    return coords, ids, pop, cats, item_map.item_map_figure(coords, ids, pop, categories=cats, **kw)


def test_a_full_size_item_map_sends_under_one_megabyte():
    coords, ids, pop, cats, fig = big_map(selected_items=[], topk_items=[], found_items=[])
    # serialised as st.plotly_chart does (streamlit/elements/plotly_chart.py)
    sent = pio.to_json(fig, validate=False)
    assert len(sent.encode()) < 1_000_000, len(sent)
    before = len(pio.to_json(item_map.item_map_figure(coords, ids, pop, categories=cats,
                                                   max_points=DIGINETICA_ITEMS), validate=False))
    assert before > 3 * len(sent)  # every item a point: what the map used to send


def test_large_map_draws_the_most_popular_points_and_the_rest_as_density():
    coords, ids, pop, _, fig = big_map()
    points = [t for t in fig.data if t.type == "scatter"]
    drawn = np.concatenate([np.asarray(t.customdata) for t in points])
    assert len(drawn) == item_map.ITEM_MAP_POINTS == len(set(drawn.tolist()))
    order = np.lexsort((ids, -pop))
    assert set(drawn.tolist()) == set(ids[order[:item_map.ITEM_MAP_POINTS]].tolist())
    density = trace(fig, item_map.ITEM_MAP_DENSITY_TRACE)
    assert density.type == "heatmap" and density.meta["items"] == DIGINETICA_ITEMS - item_map.ITEM_MAP_POINTS
    # the density has a cell wherever a non-drawn item lies, and none elsewhere
    rest = coords[~np.isin(ids, drawn)]
    x, y = np.asarray(density.x), np.asarray(density.y)
    dx, dy = x[1] - x[0], y[1] - y[0]
    col = np.clip(np.round((rest[:, 0] - x[0]) / dx).astype(int), 0, len(x) - 1)
    row = np.clip(np.round((rest[:, 1] - y[0]) / dy).astype(int), 0, len(y) - 1)
    z = np.asarray(density.z, dtype=float)
    occupied = np.zeros_like(z, dtype=bool)
    occupied[row, col] = True
    assert np.array_equal(occupied, z > 0)
    # each point is where its coordinates say (float32 on the wire)
    t = points[0]
    pos = {int(i): k for k, i in enumerate(ids)}
    for xv, yv, item in list(zip(t.x, t.y, t.customdata, strict=True))[:50]:
        assert xv == pytest.approx(coords[pos[int(item)], 0], rel=1e-5)
        assert yv == pytest.approx(coords[pos[int(item)], 1], rel=1e-5)


def test_session_topk_target_and_found_items_are_drawn_even_when_unpopular():
    rng = np.random.default_rng(1)
    n = 5000
    coords, ids, pop = rng.normal(size=(n, 2)), np.arange(1, n + 1), np.arange(n, 0, -1)
    rare = [4990, 4991, 4992, 4993, 4994, 4995]
    fig = item_map.item_map_figure(coords, ids, pop, selected_items=[4990, 4991, 4990],
                                topk_items=[4992, 4993, 1], target_item=4994, found_items=[4995],
                                max_points=100, item_labels={4992: "red shoe"})
    drawn = {int(i) for t in fig.data if t.type == "scatter" and t.name not in item_map.ITEM_MAP_OVERLAYS
             for i in t.customdata}
    assert not drawn & set(rare)
    assert list(trace(fig, "in session").customdata) == [4990, 4991]
    assert list(trace(fig, "in session").text) == ["1,3", "2"]
    topk = trace(fig, "top-K")
    assert list(topk.customdata) == [4992, 4993, 1] and "top-K rank 1" in topk.hovertext[0]
    assert "red shoe" in topk.hovertext[0]
    assert list(trace(fig, "true next item").customdata) == [4994]
    assert list(trace(fig, "found").customdata) == [4995]
    assert trace(fig, "true next item").x[0] == pytest.approx(coords[4993, 0])
    # an item unknown to the map is left out rather than failing
    fig = item_map.item_map_figure(coords, ids, pop, target_item=10**9, max_points=100)
    assert "true next item" not in {t.name for t in fig.data}


def test_small_catalogue_keeps_every_item_as_a_point():
    coords, ids, pop = np.zeros((3, 2)), [1, 2, 3], [5, 5, 5]
    fig = item_map.item_map_figure(coords, ids, pop)
    assert [t.name for t in fig.data] == ["all items"] and list(fig.data[0].customdata) == [1, 2, 3]
    spec = fig.to_plotly_json()["data"][0]
    assert plotly_values(pio.from_json(pio.to_json(fig)).to_plotly_json()["data"][0]["customdata"]) == [1, 2, 3]
    assert spec["hovertemplate"] == "item %{customdata}<extra></extra>"


# --------------------------------------------------------------------------- search and pages
@pytest.fixture()
def catalogue():
    return pd.DataFrame({"item": [5, 105, 2105, 7, 50], "category": [1, 1, 2, 2, -1],
                         "popularity": [90, 80, 70, 60, 50]})


def test_search_puts_the_exact_id_first_then_ids_containing_it(catalogue):
    assert builder.search_items(catalogue, "5")["item"].tolist() == [5, 105, 2105, 50]
    assert builder.search_items(catalogue, "105")["item"].tolist() == [105, 2105]
    assert builder.search_items(catalogue, " 50 ")["item"].tolist() == [50]
    assert builder.search_items(catalogue, "5", limit=2)["item"].tolist() == [5, 105]
    assert builder.search_items(catalogue, "")["item"].tolist() == []
    assert builder.search_items(catalogue, "99999999999999999999999")["item"].tolist() == []
    assert builder.search_items(catalogue, "shoe")["item"].tolist() == []


def test_search_by_name_ignores_case(catalogue):
    names = {7: "Red Shoe", 2105: "blue shoe", 50: "hat 5"}
    found = builder.search_items(catalogue, "SHOE", names=names)
    assert found["item"].tolist() == [2105, 7] and found["name"].tolist() == ["blue shoe", "Red Shoe"]
    # ids before names; an item matching both is listed once
    assert builder.search_items(catalogue, "5", names=names)["item"].tolist() == [5, 105, 2105, 50]


def test_search_finds_any_item_of_a_200k_catalogue():
    n = 200_000
    table = pd.DataFrame({"item": np.arange(1, n + 1), "category": -1,
                          "popularity": np.arange(n, 0, -1)})
    assert builder.search_items(table, "199999")["item"].tolist()[0] == 199999


def test_pages_are_clamped_and_cover_the_table():
    table = pd.DataFrame({"x": range(120)})
    pages = [table_page(table, p, 50) for p in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [50, 50, 20] and pages[0].count == 3
    assert pd.concat([p.rows for p in pages])["x"].tolist() == list(range(120))
    assert table_page(table, 99, 50).number == 3 and table_page(table, -4, 50).number == 1
    assert pages[2].caption("pairs") == "pairs 101-120 of 120 · page 3 of 3"
    empty = table_page(table.iloc[:0], 5, 50)
    assert (empty.number, empty.count, len(empty.rows), empty.caption("pairs")) == (1, 1, 0, "no pairs")
    with pytest.raises(ValueError, match="at least one row"):
        table_page(table, 1, 0)
