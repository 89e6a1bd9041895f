"""The item map: every item of a dataset in two dimensions, points a person can click."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fgnn.data.ids import plain_id
from fgnn.data.items import ItemLabels, item_labeller
from fgnn.viz.common import as_1d
from fgnn.viz.drawing import (
    CURRENT_COLOR,
    HIGHLIGHT_COLOR,
    NODE_COLOR,
    OTHER_COLOR,
    PALETTE,
    item_name,
    overlaps_any,
    side_rect,
    text_size_px,
)

ITEM_MAP_POINTS = 600
"""Items a map draws as points at most (the most popular); the rest become a density layer."""
ITEM_MAP_DENSITY_TRACE = "other items (density)"
ITEM_MAP_OVERLAYS = ("top-K", "found", "true next item", "in session")


def _category_groups(categories, n: int, max_categories: int) -> tuple[np.ndarray, list[str]]:
    """``(group of each item, group names)``: one of the ``max_categories`` categories with the
    most items, else ``"other"`` (vectorised: no per-item string is made, a full catalogue has
    tens of thousands of items); one group ``"all items"`` when ``categories`` is None."""
    group_of = np.zeros(n, dtype=np.int64)
    if categories is None:
        return group_of, ["all items"]
    raw = pd.Series(np.asarray(categories.to_numpy() if isinstance(categories, pd.Series) else categories))
    if len(raw) != n:
        raise ValueError(f"{len(raw)} categories for {n} items")
    counts = raw[raw.notna()].value_counts().to_dict()
    ranked = sorted((c for c in counts if str(c) != "other"), key=lambda c: (-counts[c], str(c)))
    top = ranked[:max_categories]
    group_of[:] = len(top)
    for g_i, c in enumerate(top):
        group_of[(raw == c).to_numpy()] = g_i
    return group_of, [str(c) for c in top] + (["other"] if (group_of == len(top)).any() else [])


def _drawn_as_points(ids: np.ndarray, pop: np.ndarray, max_points: int) -> np.ndarray:
    """Mask of the items drawn as points: all of a small catalogue, the ``max_points`` most
    popular of a large one (ties by item id)."""
    if len(ids) <= max_points:
        return np.ones(len(ids), dtype=bool)
    as_point = np.zeros(len(ids), dtype=bool)
    as_point[np.lexsort((ids, -pop))[:max_points]] = True
    return as_point


def _density_trace(xy: np.ndarray, rest: np.ndarray, bins: int) -> go.Heatmap:
    """The :data:`ITEM_MAP_DENSITY_TRACE` of the items in mask ``rest``: log10(1 + items) per
    cell of a ``bins`` x ``bins`` grid over the whole map."""
    span = [(float(v.min()), float(v.max())) if v.max() > v.min() else (float(v.min()) - 1, float(v.min()) + 1)
            for v in (xy[:, 0], xy[:, 1])]
    counts2d, xe, ye = np.histogram2d(xy[rest, 0], xy[rest, 1], bins=bins, range=span)
    # log scale; an empty cell is 0 and transparent (binary float32 on the wire, no nulls)
    z = np.log10(1.0 + counts2d.T).astype(np.float32)
    return go.Heatmap(
        x=((xe[:-1] + xe[1:]) / 2).astype(np.float32), y=((ye[:-1] + ye[1:]) / 2).astype(np.float32),
        z=z, zmin=0.0, colorscale=[[0.0, "rgba(255,255,255,0)"], [1e-6, "rgb(236,236,236)"],
                                   [1.0, "rgb(110,110,110)"]],
        showscale=False, hoverinfo="skip", name=ITEM_MAP_DENSITY_TRACE,
        meta={"items": int(rest.sum())},
    )


def _category_traces(xy, ids, sizes, group_of, groups, as_point, by_category: bool,
                     label: Callable[[int], str | None] | None) -> list[go.Scatter]:
    """One point trace per group, named by the group; ``label`` (None: the dataset has no
    names) adds each item's name to its hover text."""
    named = " · %{hovertext}" if label else ""
    traces = []
    for g_i, group in enumerate(groups):
        idx = np.flatnonzero((group_of == g_i) & as_point)
        if idx.size == 0:
            continue
        color = OTHER_COLOR if group == "other" else (PALETTE[g_i % len(PALETTE)] if by_category else NODE_COLOR)
        where = ("" if not by_category else "<br>another or unknown category" if group == "other"
                 else f"<br>category {group}")
        traces.append(go.Scatter(
            x=xy[idx, 0].astype(np.float32), y=xy[idx, 1].astype(np.float32), mode="markers",
            marker={"size": sizes[idx].astype(np.float32), "color": color, "opacity": 0.75,
                    "line": {"width": 0.5, "color": "white"}},
            customdata=ids[idx], hovertemplate=f"item %{{customdata}}{named}{where}<extra></extra>",
            hovertext=[label(plain_id(i)) or "" for i in ids[idx]] if label else None,
            name=group,
        ))
    return traces


#: The plot areas (px) the item map's labels are placed for (a side must be clear in each): the
#: Session builder's map column is narrower or wider with the window, its height is fixed.
MAP_PLOT_PX = ((400.0, 380.0), (600.0, 400.0), (800.0, 420.0))
MAP_TEXT_SIDES = ("top center", "bottom center", "middle right", "middle left", "top right", "top left",
                  "bottom right", "bottom left")


@dataclass(frozen=True)
class _ItemMap:
    """What an overlay needs of the map: positions, ids (as an index), marker sizes, labels."""

    xy: np.ndarray
    index: pd.Index
    sizes: np.ndarray
    label: Callable[[int], str | None]

    def text_sides(self, pos: np.ndarray, texts: list[str], extra: float) -> list[str]:
        """A text position per labelled point (rows ``pos`` of the map) whose text meets no other's
        (above, else below, beside, diagonal; estimated on maps of each of :data:`MAP_PLOT_PX`)."""
        lo, hi = self.xy.min(axis=0), self.xy.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        layouts = [(self.xy[pos] - lo) / span * np.array(plot) for plot in MAP_PLOT_PX]
        placed: list[list] = [[] for _ in layouts]
        sides = []
        for n, (t, size) in enumerate(zip(texts, self.sizes[pos] + extra, strict=True)):
            box, clear = text_size_px(t), float(size) / 2 + 2
            choice = next((side for side in MAP_TEXT_SIDES
                           if not any(overlaps_any(side_rect(px[n], side, clear, box), done)
                                      for px, done in zip(layouts, placed, strict=True))), MAP_TEXT_SIDES[0])
            sides.append(choice)
            for px, done in zip(layouts, placed, strict=True):
                done.append(side_rect(px[n], choice, clear, box))
        return sides

    def overlay(self, items, name, symbol, color, extra, hover_note, text=None) -> go.Scatter | None:
        """A trace of ``items`` drawn on top (those on the map; None when none is), markers
        ``extra`` px larger than the items'."""
        items = [plain_id(i) for i in items]
        found = self.index.get_indexer(items) if items else np.zeros(0, dtype=np.int64)
        shown = [i for i, f in zip(items, found, strict=True) if f >= 0]
        pos = found[found >= 0]
        if not shown:
            return None
        return go.Scatter(
            x=self.xy[pos, 0].tolist(), y=self.xy[pos, 1].tolist(),
            mode="markers+text" if text is not None else "markers",
            text=None if text is None else [text[i] for i in shown],
            textposition="top center" if text is None else self.text_sides(pos, [text[i] for i in shown], extra),
            textfont={"color": color}, name=name, customdata=shown, hoverinfo="text",
            marker={"symbol": symbol, "size": (self.sizes[pos] + extra).tolist(), "color": color,
                    "line": {"width": 2.5, "color": color}},
            hovertext=[f"{item_name(i, self.label(i))}<br>{hover_note(i)}" for i in shown],
        )


def _overlays(m: _ItemMap, topk_items, found_items, target_item, selected_items) -> list[go.Scatter]:
    """The :data:`ITEM_MAP_OVERLAYS` traces that have items on the map, in that order."""
    out = []
    if topk_items is not None:
        rank = {}
        for r, item in enumerate(topk_items):
            rank.setdefault(plain_id(item), r + 1)
        out.append(m.overlay(list(rank), "top-K", "diamond", "rgb(255,127,14)", 2, lambda i: f"top-K rank {rank[i]}"))
    if found_items is not None:
        out.append(m.overlay(list(dict.fromkeys(plain_id(i) for i in found_items)), "found", "star", "rgb(148,103,189)", 6,
                             lambda _: "search result"))
    if target_item is not None:
        out.append(m.overlay([target_item], "true next item", "circle-open", HIGHLIGHT_COLOR, 14,
                             lambda _: "true next item"))
    if selected_items:
        order: dict = {}
        for t, item in enumerate(plain_id(s) for s in selected_items):
            order.setdefault(item, []).append(t + 1)
        out.append(m.overlay(list(order), "in session", "circle-open", CURRENT_COLOR, 10,
                             lambda i: f"in session (click {', '.join(map(str, order[i]))})",
                             text={i: ",".join(map(str, v)) for i, v in order.items()}))
    return [t for t in out if t is not None]


def item_map_figure(coords, item_ids, popularity, categories=None, selected_items=None,
                    max_categories: int = 10, item_labels: ItemLabels = None, topk_items=None,
                    target_item: int | None = None, found_items=None,
                    max_points: int = ITEM_MAP_POINTS, density_bins: int = 60) -> go.Figure:
    """Scatter of items on a 2-D map; clicking a point gives its item id in ``customdata``.

    Built to stay small at research scale (docs/research-scale.md): at most ``max_points``
    items are drawn as points, the most popular ones (ties by item id); every other item counts
    in a ``"other items (density)"`` heatmap of ``density_bins`` x ``density_bins`` cells under
    them. Points carry only their item id (``customdata``, as binary arrays); the hover text is
    built in the browser from a per-trace template, so nothing per item is shipped besides
    position, size and id.

    Colour by category: the ``max_categories`` categories with the most items, the rest (and
    unknown categories) as ``"other"``; one colour when ``categories`` is None. Marker size
    grows with log popularity. Whatever the catalogue size, a few items are always drawn on top,
    in their own traces (hover text with ``item_labels``): ``"top-K"`` (``topk_items``, best
    first), ``"found"`` (``found_items``, e.g. a search), ``"true next item"`` (``target_item``)
    and ``"in session"`` (``selected_items``, numbered by click order).
    """
    fig = item_map_base(coords, item_ids, popularity, categories, max_categories=max_categories,
                        item_labels=item_labels, max_points=max_points, density_bins=density_bins)
    return fig.add_traces(item_map_overlays(coords, item_ids, popularity, selected_items=selected_items,
                                            topk_items=topk_items, target_item=target_item,
                                            found_items=found_items, item_labels=item_labels))


def _map_inputs(coords, item_ids, popularity) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(xy, ids, popularity, marker sizes)`` of the map's items, checked to agree in length."""
    xy = np.asarray(coords, dtype=float).reshape(-1, 2)
    ids = np.asarray(item_ids).reshape(-1)
    # whole-number ids as int64; tokens (text) as an object array of str
    ids = ids.astype(object) if ids.dtype.kind in "OUS" else ids.astype(np.int64)
    pop = as_1d(popularity, "popularity", len(ids))
    if xy.shape[0] != len(ids):
        raise ValueError(f"{xy.shape[0]} coordinates for {len(ids)} items")
    return xy, ids, pop, np.clip(4.0 + 2.2 * np.log1p(np.maximum(pop, 0)), 4.0, 22.0)


def item_map_base(coords, item_ids, popularity, categories=None, *, max_categories: int = 10,
                  item_labels: ItemLabels = None, max_points: int = ITEM_MAP_POINTS,
                  density_bins: int = 60) -> go.Figure:
    """The part of :func:`item_map_figure` that depends on the model and the dataset only (the
    points, the density layer, the layout), without the overlays: the app builds it once per
    checkpoint and adds :func:`item_map_overlays` on every click (docs/performance.md)."""
    xy, ids, pop, sizes = _map_inputs(coords, item_ids, popularity)
    n = len(ids)
    group_of, groups = _category_groups(categories, n, max_categories)
    as_point = _drawn_as_points(ids, pop, max_points)
    traces = [] if as_point.all() else [_density_trace(xy, ~as_point, density_bins)]
    traces += _category_traces(xy, ids, sizes, group_of, groups, as_point, categories is not None,
                               item_labeller(item_labels) if item_labels else None)  # names where the dataset has them
    n_points = int(as_point.sum())
    how = "" if n_points == n else f", the {n_points} most popular as points, the rest as density"
    # one Figure from the list: add_trace one at a time validates and copies the figure each time
    return go.Figure(data=traces, layout={
        "title": {"text": f"Item map: {n} items{how} (click a point to add it)"},
        "xaxis": {"title": {"text": "component 1"}, "zeroline": False, "showgrid": False},
        "yaxis": {"title": {"text": "component 2"}, "zeroline": False, "showgrid": False},
        "legend": {"title": {"text": "category" if categories is not None else ""}},
        "plot_bgcolor": "white", "height": 520, "hovermode": "closest", "clickmode": "event+select",
        "margin": {"l": 40, "r": 10, "t": 50, "b": 40}, "uirevision": "item-map",
        "modebar": {"orientation": "v"},  # down the right edge, clear of the title
    })


def item_map_overlays(coords, item_ids, popularity, *, selected_items=None, topk_items=None,
                      target_item: int | None = None, found_items=None,
                      item_labels: ItemLabels = None) -> list[go.Scatter]:
    """The traces :func:`item_map_figure` draws on top of :func:`item_map_base`: ``"top-K"``,
    ``"found"``, ``"true next item"`` and ``"in session"``, those with items on the map."""
    xy, ids, _, sizes = _map_inputs(coords, item_ids, popularity)
    return _overlays(_ItemMap(xy, pd.Index(ids), sizes, item_labeller(item_labels)), topk_items, found_items,
                     target_item, selected_items)
