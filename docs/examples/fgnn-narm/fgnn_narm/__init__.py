"""NARM as a FGNN Studio plugin: a sequence model (docs/own-model.md).

Li, Ren, Chen, Ren, Lian, Ma. "Neural Attentive Session-based Recommendation", CIKM 2017. A GRU
reads the embedded clicks; the global encoder is its last state ``h_t``, the local encoder an
attention-weighted sum of all its states, ``alpha_j = v^T sigmoid(A1 h_t + A2 h_j)``; the session
``c = [h_t ; sum_j alpha_j h_j]`` scores item ``i`` bilinearly, ``emb_i^T B c``.

It reads ``batch.sequences`` (the padded click sequences), not the graph. Its ``embedding``
embeds the clicks (row 0: padding), so FGNN Studio explains it by integrated gradients over the
embedded clicks; its attention (``alpha``, summed per distinct item) is returned as ``readout``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from fgnn.models import SessionRecommender

__version__ = "0.1.0"


@dataclass
class NARMConfig:
    n_items: int
    embedding_size: int = 50
    hidden_size: int = 100
    layers: int = 1  # GRU layers
    embedding_dropout: float = 0.25
    context_dropout: float = 0.5


class NARM(SessionRecommender):
    name = "narm"
    label = "NARM"
    config_class = NARMConfig
    trainable = True  # trained by gradient, as the built-in networks

    def __init__(self, config: NARMConfig):
        super().__init__(config)
        d, hdim = config.embedding_size, config.hidden_size
        self.embedding = nn.Embedding(config.n_items + 1, d, padding_idx=0)  # row i = item index i
        self.gru = nn.GRU(d, hdim, num_layers=config.layers, batch_first=True)
        self.a1 = nn.Linear(hdim, hdim, bias=False)
        self.a2 = nn.Linear(hdim, hdim, bias=False)
        self.v = nn.Linear(hdim, 1, bias=False)
        self.b = nn.Linear(2 * hdim, d, bias=False)
        self.emb_dropout = nn.Dropout(config.embedding_dropout)
        self.ct_dropout = nn.Dropout(config.context_dropout)

    def item_table(self) -> torch.Tensor:
        """The ``[n_items, d]`` rows that score items (``scores = session_embedding @ item_table().T``)."""
        return self.embedding.weight[1:]

    def session_embedding(self, batch, explain: bool = False):  # noqa: ARG002 (the built-in models' signature)
        seq = batch.sequences  # [B, L] item indices, 0 = padding
        valid = seq > 0
        out, _ = self.gru(self.emb_dropout(self.embedding(seq)))  # right padding never reaches a valid step
        rows = torch.arange(seq.size(0), device=seq.device)
        ht = out[rows, batch.lengths - 1]
        alpha = self.v(torch.sigmoid(self.a1(out) + self.a2(ht)[:, None, :])).squeeze(-1) * valid  # [B, L]
        local = (alpha[..., None] * out).sum(1)
        session = self.b(self.ct_dropout(torch.cat([ht, local], dim=1)))
        node = torch.zeros(batch.num_nodes, dtype=alpha.dtype, device=seq.device)
        node.index_add_(0, batch.click_nodes[valid], alpha[valid])
        return session, {"layers": [], "readout": [node.detach()]}

    def forward(self, batch) -> torch.Tensor:
        return self.session_embedding(batch)[0] @ self.item_table().t()

    @torch.no_grad()
    def attention(self, batch) -> dict:
        """``{"scores", "layers": [], "readout": [alpha summed per node]}``, as the built-in networks'."""
        session, extra = self.session_embedding(batch, explain=True)
        extra["scores"] = session @ self.item_table().t()
        return extra
