"""SKNN: session-based kNN with cosine similarity (Ludewig & Jannach, UMUAI 2018)."""
from __future__ import annotations

import torch

from fgnn.models.baselines.session_knn import SessionKNN
from fgnn.models.configs import SKNNConfig


class SKNN(SessionKNN):
    """Session-based kNN (SKNN) of Ludewig & Jannach (2018).

    Sessions are binary item sets; ``sim(a, b) = |a ∩ b| / sqrt(|a| |b|)`` (cosine); the ``k``
    most similar among the ``sample_size`` most recent training sessions sharing an item are the
    neighbours; ``score(i) = sum of the similarities of the neighbours that contain i``.

    Differences from session-rec ``sknn.py``: its ``cosine`` computes
    ``li / sqrt(la) * sqrt(lb)`` (an operator-precedence slip); this class uses the true cosine of
    the paper. Defaults are the paper's (``k=100``, ``sample_size=500``, cosine; session-rec's
    code defaults to jaccard and 1000); no reminders or popularity boost (session-rec defaults
    ``remind=False``, ``pop_boost=0``). See :class:`SessionKNN` for the rest.
    """

    name = "sknn"

    def __init__(self, config: SKNNConfig):
        super().__init__(config)

    def _similarity(self, overlap, query_len, query_size, cand_size):  # noqa: ARG002 (the template method's signature)
        product = query_size * cand_size
        return overlap * overlap / product, overlap / torch.sqrt(product)
