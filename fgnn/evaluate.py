"""Evaluation over every test prefix: full ranking of all items, chunk by chunk."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .data.sessions import GraphBatchLoader, SessionPairs
from .metrics import target_ranks
from .models import SessionRecommender

# Rows of the score matrix ranked at a time: a [64 x 43,097] block (11 MB) stays in cache
# while it is compared with the target's score, instead of writing the whole block out first.
RANK_CHUNK = 64


@torch.no_grad()
def batch_ranks(model: SessionRecommender, batch, chunk: int = RANK_CHUNK) -> Tensor:
    """Target ranks of one graph batch (targets are item indices 1..N)."""
    cols = batch.targets - 1
    if getattr(model, "trainable", False) and hasattr(model, "score"):
        session = model.session_embedding(batch)[0]
        parts = [target_ranks(model.score(session[i:i + chunk]), cols[i:i + chunk], inplace=True)
                 for i in range(0, session.size(0), chunk)]
        return torch.cat(parts)
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
