"""Scores, top-K and the rank of one item for sessions given as original item ids.

What every page, explanation and command that scores a few sessions shares: the session's
checks (:data:`MAX_SESSION_CLICKS`), one forward pass, the top-K table with softmax
probabilities, and the rank of a target under the evaluation's tie rule (docs/evaluation.md):
the number of items scored at least as high as the item, so ties never flatter an item.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.graph import make_batch
from fgnn.data.ids import as_original_ids, plain_id
from fgnn.errors import DataError
from fgnn.evaluation.metrics import item_ranks
from fgnn.models import SessionRecommender

#: The longest session the builder scores: a what-if of a longer one would hold the server for
#: seconds and gigabytes (docs/serving.md). Real sessions are far shorter (DIGINETICA: under 100).
MAX_SESSION_CLICKS = 200


EMPTY_SESSION = ("the session is empty: add at least one item (click a point on the item map, a "
                 "catalogue row or a prediction, or load a random test session)")


def session_indices(dataset: PreparedDataset, original_ids: Sequence[int]) -> list[int]:
    """Model indices (1..N) of a session of original ids.

    Raises :class:`~fgnn.errors.DataError` for an empty or too long session and naming unknown ids.
    """
    ids = list(original_ids)
    if not ids:
        raise DataError(EMPTY_SESSION)
    if len(ids) > MAX_SESSION_CLICKS:
        raise DataError(f"the session has {len(ids)} clicks, more than the {MAX_SESSION_CLICKS} the builder "
                         "scores: remove clicks (or undo), or score long sessions with `python -m fgnn predict`")
    return dataset.to_indices(ids)


@torch.no_grad()
def index_session_scores(model: SessionRecommender, sessions: Sequence[Sequence[int]]) -> torch.Tensor:
    """Scores ``[B, n_items]`` of sessions of item indices (1..N), in one forward pass."""
    model.eval()
    return model(make_batch(sessions)).float().cpu()


def session_scores(model: SessionRecommender, dataset: PreparedDataset,
                   sessions: Sequence[Sequence[int]]) -> torch.Tensor:
    """Scores ``[B, n_items]`` of sessions of original ids (column ``j`` = item index ``j + 1``)."""
    return index_session_scores(model, [session_indices(dataset, s) for s in sessions])


def predict_topk(model: SessionRecommender, dataset: PreparedDataset, original_ids: Sequence[int],
                 k: int = 20) -> pd.DataFrame:
    """Top-K of one session: columns ``rank, item, score, probability`` (item = original id)."""
    scores = session_scores(model, dataset, [original_ids])
    return topk_table(scores, dataset.original_ids(), k).drop(columns="session")


def target_rank(model: SessionRecommender, dataset: PreparedDataset, original_ids: Sequence[int],
                target: int) -> dict:
    """Where the true next item ``target`` (an original id) stands under ``model`` after the
    session, anywhere in the catalogue: ``{"item", "rank", "score", "probability"}`` (rank by
    the evaluation's tie rule). Raises :class:`DataError` for an item the dataset lacks."""
    index = dataset.to_indices([target])[0]
    scores = session_scores(model, dataset, [original_ids])
    rank = int(item_ranks(scores, [index - 1])[0, 0])
    probability = float(torch.softmax(scores[0].double(), dim=0)[index - 1])
    return {"item": plain_id(dataset.id_key(target)), "rank": rank, "score": float(scores[0, index - 1]), "probability": probability}


def topk_table(scores: torch.Tensor, item_ids, k: int = 20) -> pd.DataFrame:
    """Top-K items per session with score and softmax probability over all items; ``item_ids``: the
    vocabulary's original ids (:func:`fgnn.data.dataset.original_ids`, or an ``item_ids`` tensor)."""
    k = min(k, scores.size(1))
    probs = torch.softmax(scores.float(), dim=1)
    val, idx = scores.topk(k, dim=1)
    p = probs.gather(1, idx)
    B = scores.size(0)
    return pd.DataFrame({
        "session": torch.arange(B).repeat_interleave(k).numpy(),
        "rank": torch.arange(1, k + 1).repeat(B).numpy(),
        "item": as_original_ids(item_ids)[idx.flatten().cpu().numpy() + 1],
        "score": val.flatten().cpu().double().numpy(),
        "probability": p.flatten().cpu().double().numpy(),
    })

