"""What the Inspect page decides and writes, without Streamlit (``pages/5_Inspect.py`` draws it):
the bounds of its filters, the pair it shows, the prefixes as text and its captions."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

OUTCOMES = ["all", "hit", "miss"]
COMPARE_OUTCOMES = ["only A hits", "only B hits", "both hit", "both miss"]
FAITH_ITEMS = ["top1", "target"]


def arrow_prefix(prefix) -> str:
    """A prefix of original ids as ``1 → 2 → 3``."""
    return " → ".join(str(i) for i in prefix)


def with_arrow_prefixes(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with their ``prefix`` column written as text (:func:`arrow_prefix`)."""
    return rows.assign(prefix=rows["prefix"].map(arrow_prefix))


def hit_rate_caption(label: str, info: dict, table: pd.DataFrame, k: int) -> str:
    """The page's first line: the checkpoint, its test pairs and its HR@K."""
    hits = int(table["hit"].sum())
    return (f"Checkpoint **{label}** ({info['model']}, epoch {info['epoch']}) on the "
            f"{len(table)} test pairs of **{info['dataset']}**: HR@{k} {100 * hits / max(len(table), 1):.2f}% "
            f"({hits} hits). Rank = number of items scored at least as high as the target (ties count against it).")


def length_bounds(table: pd.DataFrame) -> tuple[int, int]:
    """The prefix length slider's range (at least 1..2, so that it is a range)."""
    lmax = int(table["length"].max()) if len(table) else 1
    return 1, max(lmax, 2)


def popularity_bounds(table: pd.DataFrame) -> tuple[int, int]:
    """The target popularity slider's range (at least 0..1)."""
    pmax = int(table["target_popularity"].max()) if len(table) else 1
    return 0, max(pmax, 1)


def target_categories(table: pd.DataFrame) -> list[int] | None:
    """The known target categories to filter by, sorted; ``None`` for a dataset without them."""
    known = table["target_category"].notna().any() and (table["target_category"].fillna(-1) >= 0).any()
    if not known:
        return None
    return sorted(int(c) for c in table["target_category"].dropna().unique())


def chosen_pair(pairs: Sequence[int], selected: int | None, kept) -> int:
    """The test pair shown under the table: the row just selected, else the one kept while it is
    on this page, else the page's first."""
    if selected is not None:
        return selected
    return kept if kept in pairs else pairs[0]


def pair_label(table: pd.DataFrame, pair: int) -> str:
    return f"#{pair}: rank {int(table.at[pair, 'rank'])}, target {table.at[pair, 'target']}"


def miss_sentence(guess: dict) -> str:
    """What the model put first instead of the true next item of a missed pair."""
    return (f"Miss: the model put item **{guess['top1']}** first (score {guess['top1_score']:.4f}); "
            f"the true next item **{guess['target']}** is at rank **{guess['rank']:,}** "
            f"(score {guess['score']:.4f}).")


def faith_item_label(which: str) -> str:
    return "the model's first item" if which == "top1" else "the true next item"


def ab_caption(label_a: str, model_a: str, label_b: str, model_b: str) -> str:
    return f"A = {label_a} ({model_a}), B = {label_b} ({model_b})."


def open_pair_label(pair: int) -> str:
    return f":material/hub: Open pair #{int(pair)} in the session builder (A and B side by side)"
