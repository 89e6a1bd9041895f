"""S-POP: the items of the current session by their count there, then by global popularity."""
from __future__ import annotations

import torch
from torch import Tensor

from fgnn.data.graph import GraphBatch
from fgnn.models.baselines.counting import CountRecommender, add_at, batch_clicks, rows_of, train_clicks
from fgnn.models.configs import SPOPConfig


class SPOP(CountRecommender):
    """Session popularity: how often each item was clicked in the current session, ties broken
    by global popularity.

    ``score(i) = count of i in the session + pop(i) / (max pop + 1)``; the second term is below 1,
    so items of the session always come first, ordered by their count, then by popularity.
    """

    name = "spop"

    def __init__(self, config: SPOPConfig):
        super().__init__(config)

    def fit(self, dataset) -> SPOP:
        items, _, n_sessions = train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        return self

    def forward(self, batch: GraphBatch) -> Tensor:
        self._check_fitted()
        b, item, _, _ = batch_clicks(batch)
        scores = rows_of(self._popularity_tiebreak(), batch.sequences.size(0))
        add_at(scores, b, item - 1, torch.ones(b.shape, dtype=scores.dtype, device=b.device))
        return scores
