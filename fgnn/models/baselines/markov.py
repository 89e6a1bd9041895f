"""First-order Markov chain: transition counts from the last clicked item."""
from __future__ import annotations

import torch
from torch import Tensor

from fgnn.data.graph import GraphBatch
from fgnn.models.baselines.counting import (
    CountRecommender,
    add_at,
    exclusive_cumsum,
    expand_ranges,
    rows_of,
    take,
    train_clicks,
)
from fgnn.models.configs import MarkovConfig


class Markov(CountRecommender):
    """First-order Markov chain: counts of ``a -> b`` over consecutive clicks of the training
    sessions; a session is scored by the row of its last clicked item.

    ``score(i) = count(last -> i) + pop(i) / (max pop + 1)``, so items never seen after the last
    item (and every item when the last item has no outgoing transition) rank by popularity.
    Repeated clicks (``a -> a``) count as transitions, as they occur in the data.

    Buffers: ``popularity`` and the transition matrix in CSR form: ``trans_indptr``
    ``[n_items + 2]``, ``trans_indices`` (target items), ``trans_counts``.
    """

    name = "markov"

    def __init__(self, config: MarkovConfig):
        super().__init__(config)
        self.register_buffer("trans_indptr", torch.zeros(self.n_items + 2, dtype=torch.long))
        self.register_buffer("trans_indices", torch.zeros(0, dtype=torch.long))
        self.register_buffer("trans_counts", torch.zeros(0))

    def fit(self, dataset) -> Markov:
        items, session, n_sessions = train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        same = session[1:] == session[:-1]
        src, dst = items[:-1][same], items[1:][same]
        width = self.n_items + 1
        pairs, counts = torch.unique(src * width + dst, sorted=True, return_counts=True)
        rows = pairs // width
        self._set("trans_indptr", exclusive_cumsum(torch.bincount(rows, minlength=width)))
        self._set("trans_indices", pairs % width)
        self._set("trans_counts", counts.to(torch.float))
        return self

    def forward(self, batch: GraphBatch) -> Tensor:
        self._check_fitted()
        seqs = batch.sequences.to(torch.long)
        lengths = batch.lengths.to(torch.long).to(seqs.device)
        last = seqs.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        indptr = self.trans_indptr
        owner, idx = expand_ranges(take(indptr, last), take(indptr, last + 1))
        scores = rows_of(self._popularity_tiebreak(), seqs.size(0))
        add_at(scores, owner, take(self.trans_indices, idx) - 1, take(self.trans_counts, idx))
        return scores
