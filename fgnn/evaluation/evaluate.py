"""Evaluation over every test prefix: full ranking of all items, item block by item block."""
from __future__ import annotations

import torch
from torch import Tensor

from fgnn.data.sessions import GraphBatchLoader, SessionPairs
from fgnn.evaluation.metrics import embedding_ranks, target_ranks
from fgnn.models import SessionRecommender


@torch.no_grad()
def batch_ranks(model: SessionRecommender, batch) -> Tensor:
    """Target ranks of one graph batch (targets are item indices 1..N).

    Networks that score with a product ``session @ table.T`` are ranked by
    :func:`fgnn.evaluation.metrics.embedding_ranks` (no score matrix is written out); other models' score
    matrices by :func:`fgnn.evaluation.metrics.target_ranks`."""
    cols = batch.targets - 1
    item_table = getattr(model, "item_table", None)
    if callable(item_table) and callable(getattr(model, "session_embedding", None)):
        return embedding_ranks(model.session_embedding(batch)[0], item_table(), cols)
    return target_ranks(model(batch), cols, inplace=True)


@torch.no_grad()
def rank_targets(model: SessionRecommender, pairs: SessionPairs, batch_size: int = 500,
                 device="cpu", progress=None) -> Tensor:
    """Rank of the true next item for every pair, in pair order (on the CPU)."""
    was_training = model.training
    model.eval()
    loader = GraphBatchLoader(pairs, batch_size=batch_size, shuffle=False, device=device)
    out = []
    for batch in loader:
        out.append(batch_ranks(model, batch))
        if progress is not None:
            progress(1)
    model.train(was_training)
    return torch.cat(out).cpu() if out else torch.zeros(0, dtype=torch.long)
