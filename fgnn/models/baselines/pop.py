"""POP: the most clicked items of the training sessions, for every session."""
from __future__ import annotations

from torch import Tensor

from fgnn.data.graph import GraphBatch
from fgnn.models.baselines.counting import CountRecommender, rows_of, train_clicks
from fgnn.models.configs import POPConfig


class POP(CountRecommender):
    """Popularity: every session gets the training click count of each item.

    Buffers: ``popularity`` ``[n_items + 1]`` (index 0 = padding, always 0).
    """

    name = "pop"

    def __init__(self, config: POPConfig):
        super().__init__(config)

    def fit(self, dataset) -> POP:
        items, _, n_sessions = train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        return self

    def forward(self, batch: GraphBatch) -> Tensor:
        self._check_fitted()
        return rows_of(self.popularity[1:], batch.sequences.size(0))
