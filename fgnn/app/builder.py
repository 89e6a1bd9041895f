"""What the session builder computes, as pure functions over a dataset and models.

The Streamlit pages only hold widgets and call these; everything here takes plain values
(original item ids, a :class:`~fgnn.data.dataset.PreparedDataset`, models) and returns plain
values or DataFrames, so tests can check it without a browser.

* a session is a list of **original** item ids (what a person sees and clicks);
  :func:`session_indices` maps it to model indices and says clearly what is wrong with it;
* :func:`explain_session` gives the model's top-K and attention for one session;
* :func:`predict_topk` / :func:`topk_display` put several models side by side;
* :func:`whatif_variants` / :func:`whatif_ranks` answer the FGNN paper's question about order:
  where do the original top-K items go when the clicks are shuffled, reversed or one is removed;
* :func:`item_catalogue` / :func:`filter_catalogue`, :func:`item_map_table` and
  :func:`random_test_session` feed the ways of adding items.

Ranks follow the evaluation convention (:mod:`fgnn.evaluation.metrics`): the number of items scored at
least as high as the item, so ties never flatter an item.
"""
from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fgnn.app.projection import item_map_coordinates
from fgnn.data.dataset import PreparedDataset
from fgnn.data.graph import SessionGraph
from fgnn.data.ids import plain_id
from fgnn.errors import CannotExplain, DataError
from fgnn.evaluation.metrics import item_ranks
from fgnn.evaluation.ranking import EMPTY_SESSION, session_indices, session_scores
from fgnn.explain.attention import edge_attention_for_view, node_attention_for_view
from fgnn.explain.sessions import Explanation, explain_sessions
from fgnn.models import SessionRecommender, is_neural
from fgnn.models.checkpoint import stored_fingerprint

#: What-if removes one click at a time from the last this many clicks only, so its work grows
#: linearly with the session length (``WHATIF_LAST_CLICKS + 3`` variants at most).
WHATIF_LAST_CLICKS = 20

# --------------------------------------------------------------------------- sessions
def parse_item_ids(text: str, tokens: bool = False) -> list:
    """Item ids typed by a person, separated by commas, spaces, semicolons or ``->``.

    Whole numbers (``tokens=False``): raises :class:`~fgnn.errors.DataError` naming the first
    part that is not one. Tokens (``tokens=True``, a dataset whose ids are text): each part is
    kept exactly as typed (``"007"`` and ``"7"`` are two items), so an id cannot hold a separator.
    """
    parts = [t for t in re.split(r"[\s,;]+|->|→", str(text).strip()) if t]
    if tokens:
        return parts
    out = []
    for t in parts:
        if not re.fullmatch(r"[+-]?[0-9]+", t):  # int() would take '1_000' and non-ASCII digits too
            raise DataError(f"'{t[:30]}' is not an item id: type whole numbers separated by commas "
                             "or spaces, e.g. 12, 7, 12, 40")
        value = int(t)
        if not -2**63 <= value < 2**63:
            raise DataError(f"'{t[:30]}' is not an item id: ids fit in 64 bits (below 2^63)")
        out.append(value)
    return out



def remove_click(items: Sequence[int], position: int) -> list[int]:
    """The session without its click at ``position`` (0-based)."""
    items = list(items)
    if not 0 <= position < len(items):
        raise ValueError(f"no click at position {position + 1}: the session has {len(items)} clicks")
    return items[:position] + items[position + 1:]


def move_click(items: Sequence[int], position: int, offset: int) -> list[int]:
    """The session with the click at ``position`` moved ``offset`` places (clamped at the ends)."""
    items = list(items)
    if not 0 <= position < len(items):
        raise ValueError(f"no click at position {position + 1}: the session has {len(items)} clicks")
    target = max(0, min(len(items) - 1, position + offset))
    item = items.pop(position)
    items.insert(target, item)
    return items


STRIP_EDITS = {"left": -1, "right": 1, "remove": 0}
"""The session strip's edits: move the click one place earlier or later, or remove it."""


def strip_edit(items: Sequence[int], value) -> list[int] | None:
    """The session after the session strip's edit ``value`` (``{"op", "pos", "item"}``, sent by
    the browser), or ``None`` when it is not an edit of ``items``: an unknown ``op``, a position
    that is not a plain integer, an item that is not an id (a plain integer, or text where ids are
    tokens), a position outside the session, a move past an end, or
    a stale edit (the click at ``pos`` is no longer ``item``: the session changed since it was
    drawn). A visitor can post any value; only these edits change the session."""
    if not isinstance(value, Mapping):
        return None
    op, pos, item = value.get("op"), value.get("pos"), value.get("item")
    if not isinstance(op, str) or op not in STRIP_EDITS:
        return None
    if isinstance(pos, bool) or not isinstance(pos, int) or isinstance(item, bool) or not isinstance(item, (int, str)):
        return None
    items = [plain_id(i) for i in items]
    if not 0 <= pos < len(items) or items[pos] != item:
        return None
    if op == "remove":
        return remove_click(items, pos)
    if not 0 <= pos + STRIP_EDITS[op] < len(items):
        return None
    return move_click(items, pos, STRIP_EDITS[op])


# --------------------------------------------------------------------------- predictions
def explain_session(model: SessionRecommender, dataset: PreparedDataset, original_ids: Sequence,
                    k: int = 20) -> Explanation:
    """Top-K (original ids, score, probability) and attention tables of one session."""
    return explain_sessions(model, [session_indices(dataset, original_ids)], dataset.original_ids(), k)



def blank_unknown_category(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table with ``category`` -1 (unknown) shown blank; unchanged without the column."""
    if "category" not in table.columns:
        return table
    category = table["category"].astype("Int64")
    return table.assign(category=category.where(category >= 0))


def topk_display(topk: pd.DataFrame, catalogue: pd.DataFrame | None, has_categories: bool = True,
                 target: dict | None = None, *, probability: bool = True) -> pd.DataFrame:
    """A top-K table as the builder shows it: ``rank, item, category, score, probability``.

    The one shape of the builder's three top-K tables: this checkpoint's (with categories), a
    baseline's and another checkpoint's (``catalogue=None, has_categories=False,
    probability=False``: ``rank, item, score``). ``category`` is blank for an item without a known
    category and absent for a dataset without categories. With ``target`` (from
    :func:`target_rank`) a column ``target`` marks its row, and when it is outside the top-K an
    extra last row carries it, marked ``target: rank R``. :func:`highlight_target` colours that row.
    """
    columns = ["rank", "item", "score"] + (["probability"] if probability else [])
    table = topk[columns].copy()
    if target is not None and not (table["item"] == target["item"]).any():
        table = pd.concat([table, pd.DataFrame([{k: target[k] for k in columns}])], ignore_index=True)
    if has_categories and catalogue is not None:
        table.insert(2, "category", table["item"].map(catalogue.set_index("item")["category"]))
        table = blank_unknown_category(table)
    if target is not None:
        inside = table["rank"] <= len(topk)
        table["target"] = [("true next item" if inside[i] else f"target: rank {r}") if item == target["item"] else ""
                           for i, (item, r) in enumerate(zip(table["item"], table["rank"], strict=True))]
    return table.reset_index(drop=True)


#: The background of the true next item's row in a top-K table.
TARGET_ROW_COLOR = "#d9f2d9"


def highlight_target(table: pd.DataFrame, target: dict | None):
    """``table`` with the row of ``target["item"]`` in green (a pandas ``Styler``); the plain table
    when there is no target."""
    if target is None:
        return table
    return table.style.apply(lambda row: [f"background-color: {TARGET_ROW_COLOR}" if row["item"] == target["item"]
                                          else ""] * len(row), axis=1)


# --------------------------------------------------------------------------- what if
def whatif_variants(original_ids: Sequence[int], seed: int = 0,
                    last: int = WHATIF_LAST_CLICKS) -> list[tuple[str, list[int]]]:
    """The session and its variants: ``original``, ``shuffled (seed s)``, ``reversed`` and
    ``without click t (item i)`` for each of the ``last`` most recent clicks of a session of two
    or more clicks (``last + 3`` variants at most: linear work in the session length)."""
    ids = [plain_id(i) for i in original_ids]
    if not ids:
        raise DataError(EMPTY_SESSION)
    shuffled = ids.copy()
    random.Random(seed).shuffle(shuffled)
    variants = [("original", ids), (f"shuffled (seed {seed})", shuffled), ("reversed", ids[::-1])]
    if len(ids) > 1:
        variants += [(f"without click {t + 1} (item {ids[t]})", ids[:t] + ids[t + 1:])
                     for t in range(max(0, len(ids) - int(last)), len(ids))]
    return variants


def whatif_ranks(model: SessionRecommender, dataset: PreparedDataset, original_ids: Sequence[int],
                 k: int = 20, seed: int = 0) -> pd.DataFrame:
    """Where each variant of the session ranks the original top-K items (one forward pass).

    Columns: ``variant, sequence, item, rank, score`` (one row per variant and original top-K
    item, in original rank order); ``sequence`` is the variant's clicks as text.
    """
    variants = whatif_variants(original_ids, seed)
    scores = session_scores(model, dataset, [v for _, v in variants])
    k = min(int(k), scores.size(1))
    top = scores[0].topk(k).indices + 1  # item indices of the original top-K
    ranks = item_ranks(scores, top - 1)
    own = scores[:, top - 1]
    items = dataset.original_ids()[top.numpy()].tolist()
    rows = []
    for v, (name, seq) in enumerate(variants):
        text = " → ".join(map(str, seq))
        for j, item in enumerate(items):
            rows.append((name, text, plain_id(item), int(ranks[v, j]), float(own[v, j])))
    return pd.DataFrame(rows, columns=["variant", "sequence", "item", "rank", "score"])


def whatif_summary(rows: pd.DataFrame, k: int | None = None) -> pd.DataFrame:
    """One row per variant: how many original top-K items stay in its top-K, the mean absolute
    rank change, and the new rank of the original number one.

    Columns: ``variant, sequence, kept_in_top_k, mean_rank_shift, top1_rank``.
    """
    variants = list(pd.unique(rows["variant"]))
    items = list(pd.unique(rows.loc[rows["variant"] == "original", "item"]))
    k = k or len(items)
    col = {item: j for j, item in enumerate(items)}
    ranks = np.full((len(variants), len(items)), np.nan)
    sequence = {}
    vrow = {v: i for i, v in enumerate(variants)}
    for v, seq, item, rank in zip(rows["variant"], rows["sequence"], rows["item"], rows["rank"], strict=True):
        sequence.setdefault(v, seq)
        if item in col:
            ranks[vrow[v], col[item]] = rank
    orig = ranks[vrow["original"]]
    first = int(np.nanargmin(orig)) if len(items) else None
    return pd.DataFrame({
        "variant": variants,
        "sequence": [sequence[v] for v in variants],
        "kept_in_top_k": (ranks <= k).sum(axis=1).astype("int64"),
        "mean_rank_shift": np.nanmean(np.abs(ranks - orig), axis=1) if len(items) else np.nan,
        "top1_rank": ranks[:, first].astype("int64") if first is not None else -1,
    })


# --------------------------------------------------------------------------- the graph view
@dataclass
class AttentionChoices:
    """What the graph view can show for one explanation (empty lists: the model has none)."""

    steps: list[int]
    layers: list[int]
    heads: dict[int, int]  # layer -> number of heads


def attention_choices(expl: Explanation) -> AttentionChoices:
    nodes, edges = expl.node_attention, expl.edge_attention
    steps = sorted(int(s) for s in pd.unique(nodes["step"])) if len(nodes) else []
    layers = sorted(int(l) for l in pd.unique(edges["layer"])) if len(edges) else []
    heads = {l: int(edges.loc[edges["layer"] == l, "head"].max()) + 1 for l in layers}
    return AttentionChoices(steps, layers, heads)


def graph_view(expl: Explanation, item_ids, step: int | str | None = "mean",
               layer: int | None = None, head: int | str = "mean", session: int = 0):
    """``(graph, node_attention or None, edge_attention DataFrame or None)`` for
    :func:`fgnn.viz.plots.session_graph_figure`: readout attention of one step (or the mean over
    steps), WGAT attention of one layer and head (or the mean over heads). ``None`` where the
    model has no such attention or it is not asked for. The graph's ``x`` and ``sequence`` hold
    original item ids (``item_ids``, :meth:`~fgnn.data.dataset.PreparedDataset.original_ids` or an
    ``item_ids`` tensor, maps the model's indices), as every table shown does."""
    graph: SessionGraph = expl.batch.graph(session).with_original_ids(item_ids)
    choices = attention_choices(expl)
    node_att = None
    if step is not None and choices.steps:
        node_att = node_attention_for_view(expl.node_attention, step, graph.num_nodes, session=session)
    edge_att = None
    if layer is not None and choices.layers:
        edge_att = edge_attention_for_view(expl.edge_attention, layer, head, graph=graph, session=session)
    return graph, node_att, edge_att


# --------------------------------------------------------------------------- adding items
def item_catalogue(dataset: PreparedDataset) -> pd.DataFrame:
    """Every item: ``item`` (original id: a whole number, or text where ids are tokens), its ``name``
    where the dataset has names, ``category`` (-1 unknown), ``popularity`` (training clicks); most
    popular first, ties by item id."""
    ids = dataset.original_ids()[1:]
    cats = (dataset.categories[1:].numpy().astype(np.int64) if dataset.categories is not None
            else np.full(len(ids), -1, dtype=np.int64))
    pop = dataset.popularity[1:].numpy().astype(np.int64)
    order = np.lexsort((ids, -pop))  # vectorised: this runs on every builder rerun, 43,097 items at full size
    table = pd.DataFrame({"item": ids[order], "category": cats[order], "popularity": pop[order]})
    return dataset.with_item_names(table)


def filter_catalogue(table: pd.DataFrame, query: str = "", categories: Sequence[int] = (),
                     min_popularity: int = 0) -> pd.DataFrame:
    """Rows whose item id contains ``query`` (as typed; any case for tokens) or whose name contains
    it (any case, where the table has a ``name`` column), in one of ``categories`` (all when empty)
    and with at least ``min_popularity`` clicks."""
    mask = table["popularity"] >= int(min_popularity)
    q = str(query or "").strip()
    if q:
        hit = table["item"].astype(str).str.contains(q, case=False, regex=False)
        if "name" in table:
            hit |= table["name"].astype(str).str.contains(q, case=False, regex=False)
        mask &= hit
    if categories:
        mask &= table["category"].isin([int(c) for c in categories])
    return table[mask].reset_index(drop=True)


def search_items(catalogue: pd.DataFrame, query: str, limit: int = 20,
                 names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Items of a catalogue (:func:`item_catalogue`) that match what a person typed, searched on
    the server so that any item of a full-size catalogue can be found (docs/research-scale.md).

    The item whose id is the typed number (or, where ids are tokens, the typed text exactly) comes
    first, then items whose id contains the typed digits (the typed text, ignoring case, for
    tokens), then (with ``names``, item id -> name) items whose name contains the text, ignoring
    case; each group in catalogue order (most popular first); at most ``limit`` rows, with a
    ``name`` column when ``names`` are given (a catalogue with a ``name`` column of its own is
    searched by it too). Nothing typed: no rows.
    """
    q = str(query or "").strip()
    out = catalogue.iloc[:0]
    if names is not None:
        named = pd.Series(names, dtype="object")
        catalogue = catalogue.assign(name=catalogue["item"].map(named))
        out = catalogue.iloc[:0]
    if not q:
        return out.reset_index(drop=True)
    group = pd.Series(np.inf, index=catalogue.index)
    if "name" in catalogue:
        hit = catalogue["name"].astype("string").str.contains(q, case=False, regex=False).fillna(False)
        group[hit.to_numpy(dtype=bool)] = 2
    if not pd.api.types.is_numeric_dtype(catalogue["item"]):  # tokens: the text as typed
        group[catalogue["item"].astype(str).str.contains(q, case=False, regex=False).to_numpy()] = 1
        group[(catalogue["item"] == q).to_numpy()] = 0
    elif q.isdigit():
        group[catalogue["item"].astype(str).str.contains(q, regex=False).to_numpy()] = 1
        if len(q) < 19:  # an id beyond int64 matches no item exactly
            group[(catalogue["item"] == int(q)).to_numpy()] = 0
    keep = np.isfinite(group.to_numpy())
    ranked = catalogue[keep].assign(_group=group[keep]).sort_values("_group", kind="stable")
    return ranked.drop(columns="_group").head(int(limit)).reset_index(drop=True)


def item_map_table(model: SessionRecommender, dataset: PreparedDataset) -> pd.DataFrame:
    """2-D PCA of the model's item embeddings: ``item, x, y, popularity, category``, one row per
    item index 1..N; ``category`` holds the category's name where the items file named them
    (None unknown), else its number. Raises :class:`~fgnn.errors.CannotExplain` for a model
    without an item embedding table."""
    table = model.item_table() if callable(getattr(model, "item_table", None)) else None
    if table is None:
        emb = getattr(model, "embedding", None)
        table = getattr(emb, "weight", None)
        if table is not None and table.dim() == 2 and table.size(0) == model.n_items + 1:
            table = table[1:]  # a padding row 0 (a model of your own, docs/own-model.md)
    if table is None or table.dim() != 2 or table.size(0) != model.n_items:
        raise CannotExplain(f"model '{model.name}' has no item embeddings to map: "
                         "use the catalogue to add items")
    coords = item_map_coordinates(table.detach())
    cat = item_catalogue(dataset).set_index("item")
    ids = dataset.original_ids()[1:].tolist()
    category = cat.loc[ids, "category"].to_numpy()
    if dataset.category_names:
        category = [dataset.category_label(c) if c >= 0 else None for c in category.tolist()]
    return pd.DataFrame({
        "item": ids, "x": coords[:, 0], "y": coords[:, 1],
        "popularity": cat.loc[ids, "popularity"].to_numpy(), "category": category,
    })


@dataclass
class TestSession:
    """A real test session cut before its last click: ``items`` lead to ``next_item``."""

    index: int
    items: list  # original ids (whole numbers, or text where ids are tokens)
    next_item: int | str


def random_test_session(dataset: PreparedDataset, seed: int | None = None) -> TestSession:
    """A random test session of the dataset: its clicks but the last, and the last (the true
    next item). Raises :class:`DataError` when the dataset has no test sessions."""
    n = dataset.test.num_sessions
    if n == 0:
        raise DataError(f"dataset '{dataset.name}' has no test sessions to draw from")
    s = random.Random(seed).randrange(n)
    ids = dataset.to_original(dataset.test.session(s))
    return TestSession(index=s, items=[plain_id(i) for i in ids[:-1]], next_item=plain_id(ids[-1]))


# --------------------------------------------------------------------------- other models
def comparison_checkpoints(current: str | Path, model_name: str, dataset: PreparedDataset | None,
                           runs: Sequence[Mapping], k: int = 20, neural_only: bool = True) -> list[Path]:
    """Checkpoints to compare ``current`` with: the ``best.pt`` of every run on the same data
    (``runs`` as :func:`fgnn.runs.folders.list_runs` gives them), never one trained elsewhere. The best run
    (by best HR@k) of the other network comes first, the default; then the others, best first.
    ``neural_only=False`` offers the baselines' runs too.

    "The same data" is the dataset fingerprint each checkpoint stores (the content hash of the source
    and its preparation: :func:`fgnn.models.checkpoint.stored_fingerprint`), so a run on a log given
    by path (source ``/data/clicks.csv``, name ``clicks``) finds the other runs on it, and checkpoints
    written before the dataset spec was stored compare as well. ``dataset``: the dataset ``current``
    is shown with, whose fingerprint counts where ``current`` records none (none either: nothing is
    offered)."""
    cur = Path(current).resolve()
    fingerprint = stored_fingerprint(current)
    if fingerprint is None and dataset is not None and dataset.fingerprint:
        fingerprint = dataset.fingerprint
    if fingerprint is None:
        return []
    scored = []
    for run in runs:
        cfg = run.get("config") or {}
        if neural_only and not is_neural(cfg.get("model")):
            continue
        path = Path(run["path"]) / "best.pt"
        if not path.is_file() or path.resolve() == cur or stored_fingerprint(path) != fingerprint:
            continue
        best = run.get("best") or {}
        hit = best.get(f"hit@{k}", max([v for key, v in best.items() if key.startswith("hit@")], default=-1.0))
        other_network = is_neural(cfg.get("model")) and cfg.get("model") != model_name
        scored.append((not other_network, -float(hit), str(path)))
    return [Path(p) for _, _, p in sorted(scored)]
