"""What the Session builder page decides and writes, without Streamlit (``pages/1_Session_builder.py``
draws it): the session's undo history, the items of a pick, the ids typed in, the K the what-if
plots, the options of the explanation view and the captions of the panels."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fgnn.app.builder import parse_item_ids
from fgnn.data.ids import plain_id
from fgnn.errors import DataError

HISTORY_LIMIT = 50
MAX_SHOWN_CLICKS = 40
WHATIF_MAX_K = 20
REPLACE_MODE = "Replace the session"
TYPE_HINT = "type at least one item id, e.g. 12889, 5, 12889"
TOKEN_TYPE_HINT = "type at least one item id, separated by spaces or commas, e.g. 85123A, 22423, 85123A"

ATTRIBUTION_CAPTIONS = {
    "attention": "readout attention (mean over steps); edges: WGAT attention (mean over layers "
                 "and heads).",
    "ig": "integrated gradients of the item's score over the node's embedding (the nodes add up "
          "to score − score with all embeddings 0); edges: over a mask on the edge's messages.",
    "gnnexplainer": "GNNExplainer's mask (0..1): how much of the node / edge it keeps to hold the "
                    "item's probability.",
    "exact": "the score's exact share of each clicked item.",
    "random": "random numbers (the reference order).",
}


# --------------------------------------------------------------------------- session edits
def pushed_history(history: Sequence[list], current: Sequence[int], limit: int = HISTORY_LIMIT) -> list[list]:
    """The undo history with ``current`` (the session before an edit) added, the last ``limit`` kept."""
    return (list(history) + [list(current)])[-limit:]


def picked_items(value) -> list:
    """Item ids from a plotly selection event (``customdata`` of each point): whole numbers, or
    text where ids are tokens; anything else (a visitor can post any value) is left out. Check
    them against the dataset (:func:`known_items`) before use."""
    out = []
    for point in (value or {}).get("selection", {}).get("points", []) or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if isinstance(data, str) or (isinstance(data, int) and not isinstance(data, bool)):
            out.append(data)
        elif isinstance(data, float) and data.is_integer():
            out.append(int(data))
    return out


def pick_key(picks: dict, name: str) -> str:
    """The key of the clickable widget ``name``: its name and its pick counter (bumped after a
    pick, which clears that widget's selection)."""
    return f"{name}_{picks.get(name, 0)}"


def type_hint(tokens: bool) -> str:
    """What the Type ids tab asks for: whole numbers, or tokens (text) where the dataset's ids are."""
    return TOKEN_TYPE_HINT if tokens else TYPE_HINT


def typed_placeholder(tokens: bool) -> str:
    """The Type ids field's example."""
    return "e.g. 85123A, 22423, 85123A" if tokens else "e.g. 12889, 5, 12889"


def typed_ids(text: str, dataset) -> list:
    """The item ids typed in the Type ids tab, each checked to be an item of ``dataset``: whole
    numbers, or where its ids are tokens the text exactly as typed. Raises
    :class:`~fgnn.errors.DataError`: nothing typed, not ids, or an unknown item."""
    ids = parse_item_ids(text, tokens=dataset.has_tokens)
    if not ids:
        raise DataError(type_hint(dataset.has_tokens))
    dataset.to_indices(ids)
    return ids


def typed_session(current: Sequence[int], ids: Sequence[int], mode: str | None) -> tuple[list[int], bool]:
    """``(new session, keep the highlighted item?)`` for ids typed in ``mode``: the session
    replaced (the highlight goes), or the ids appended to it (the highlight stays)."""
    if mode == REPLACE_MODE:
        return list(ids), False
    return list(current) + list(ids), True


def known_items(items: Sequence, index_of) -> list:
    """The items of the session that the dataset knows (``index_of``: its id -> row mapping,
    keyed by whole numbers or, where ids are tokens, by their text)."""
    return [plain_id(i) for i in items if i in index_of]


def session_ids(items: Sequence, dataset) -> list:
    """The session's items as ``dataset`` keys its ids (:meth:`~fgnn.data.dataset.PreparedDataset.id_key`):
    text where ids are tokens, whole numbers otherwise; an item that is none is kept as it is (the
    builder then names it unknown)."""
    out = []
    for item in items:
        key = None if isinstance(item, bool) else dataset.id_key(item)
        out.append(item if key is None else key)
    return out


# --------------------------------------------------------------------------- strip
def session_heading(n_clicks: int, model_name: str, label: str) -> str:
    """The strip's first line: the number of clicks and the checkpoint in use."""
    return f"**Session** · {n_clicks} click{'s' * (n_clicks != 1)} · model `{model_name}` ({label})"


def shown_clicks(items: Sequence[int], item_label, most: int = MAX_SHOWN_CLICKS) -> tuple[list[tuple[int, int, str]], int]:
    """``(clicks, hidden)``: the last ``most`` clicks of the strip as ``(position, item, label)``
    and how many earlier clicks are not drawn."""
    shown = list(items)[-most:]
    first = len(items) - len(shown)
    return [(first + j, item, item_label(item)) for j, item in enumerate(shown)], first


def hidden_clicks_caption(n_clicks: int, most: int = MAX_SHOWN_CLICKS) -> str:
    return f"showing the last {most} of {n_clicks} clicks"


# --------------------------------------------------------------------------- ways to add
def map_caption(has_categories: bool) -> str:
    """The caption under the item map."""
    return ("Items placed by the first two principal components of the model's item "
            "embeddings; size = popularity"
            + (", colour = category" if has_categories else "")
            + "; a large catalogue shows its "
            "most popular items as points and the rest as grey density. Click a point to add it.")


def not_found_caption(query: str, has_names: bool) -> str:
    """What Find an item says when nothing matches ``query``."""
    return f"no item id{' or name' if has_names else ''} contains '{query}'"


def catalogue_categories(catalogue: pd.DataFrame) -> list[int]:
    """The known categories of the catalogue (``-1``, unknown, left out), sorted."""
    return sorted(int(c) for c in catalogue["category"].unique() if c >= 0)


# --------------------------------------------------------------------------- graph view
def step_label(step) -> str:
    return "mean of steps" if step == "mean" else f"step {step + 1}"


def layer_label(layer) -> str:
    return "weight only" if layer == "weight" else f"WGAT layer {layer + 1}"


def head_label(head) -> str:
    return "mean of heads" if head == "mean" else f"head {head + 1}"


def head_options(n_heads: int) -> list:
    """The Head choices of a WGAT layer: their mean, then each head."""
    return ["mean"] + list(range(n_heads))


# --------------------------------------------------------------------------- top-K
def rank_caption(target: dict | None) -> str:
    """The true next item's rank after a column's title (nothing without a true next item)."""
    if target is None:
        return ""
    return f" · true next item `{target['item']}`: **rank {target['rank']:,}** (score {target['score']:.4f})"


def overlap_caption(other_items: Sequence[int], topk_items: Sequence[int]) -> str:
    """How many of another model's top-K items are also in the model's."""
    overlap = len(set(other_items) & set(topk_items))
    return f"{overlap} of {len(topk_items)} items also in the model's top-{len(topk_items)}"


def table_height(n_rows: int) -> int:
    """The height of a top-K table: every row shown, up to 400 pixels."""
    return min(38 + 35 * n_rows, 400)


def whatif_k(k: int) -> int:
    """The K the what-if ranks and plots: the sidebar's K, at most ``WHATIF_MAX_K``."""
    return min(k, WHATIF_MAX_K)


# --------------------------------------------------------------------------- why this item?
def explain_options(topk_items: Sequence[int], truth) -> list[tuple[str, int | None]]:
    """The items the explanation view offers: each of the top-K, the true next item (when there
    is one) and one typed in."""
    options: list[tuple[str, int | None]] = [("top", i) for i in topk_items]
    if truth is not None:
        options.append(("true next item", plain_id(truth)))
    options.append(("typed", None))
    return options


def explain_option_label(option: tuple[str, int | None], topk_items: Sequence[int]) -> str:
    kind, item = option
    if kind == "top":
        return f"#{list(topk_items).index(item) + 1} of the top-K: item {item}"
    if kind == "true next item":
        return f"true next item {item}"
    return "an item id I type"


def shown_methods(methods: Sequence[str]) -> list[str]:
    """The methods the graph can be coloured by: every one but the random order."""
    return [m for m in methods if m != "random"]


def explanation_caption(item: int, score: float, rank: int, method: str) -> str:
    """What the numbers of the explained graph are, for ``method``."""
    return (f"Item {item}: score {score:.4f}, rank {rank}. Node numbers: " + ATTRIBUTION_CAPTIONS[method]
            + " Blue = against the item, red = for it, where numbers have a sign.")
