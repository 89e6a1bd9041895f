"""The one interface every recommender in FGNN Studio implements.

``model(batch) -> scores [B, n_items]`` where column ``j`` scores item index ``j + 1``
(index 0 is padding and is never recommended). Gradient-trained models (FGNN, SR-GNN) have
``trainable = True``; count-based baselines learn in :meth:`fit` and keep what they learned in
buffers, so every model saves and loads through ``state_dict`` alone.
"""
from __future__ import annotations

from dataclasses import asdict

import torch

from fgnn.data.graph import GraphBatch


class SessionRecommender(torch.nn.Module):
    name: str = "base"
    trainable: bool = False

    def __init__(self, config):
        super().__init__()
        self.config = config

    @property
    def n_items(self) -> int:
        return int(self.config.n_items)

    def config_dict(self) -> dict:
        return asdict(self.config)

    def forward(self, batch: GraphBatch) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def fit(self, dataset) -> SessionRecommender:  # noqa: ARG002 (the interface's signature)
        """Learn from ``dataset.train`` (count-based models); gradient models return self."""
        return self
