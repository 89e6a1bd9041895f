"""GC-SAN as a FGNN Studio plugin: a model over the session graph (docs/own-model.md).

Xu, Zhao, Liu, Zhou, Sheng, Cui, Zhuang, Xu. "Graph Contextualized Self-Attention Network for
Session-based Recommendation", IJCAI 2019. SR-GNN's gated propagation gives every node (item) of the
session graph a state; the click sequence of those states goes through ``blocks`` self-attention
blocks (multi-head attention + point-wise feed-forward, residual + layer norm); the session is
``w * E_last + (1 - w) * h_last``: the last click's self-attention output mixed with its graph state.

Its attention: the last click's self-attention weights over the clicks (last block, mean over
heads), summed per node, as ``readout``; it has no edge attention (``layers`` is empty).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from fgnn.models import GraphSessionModel
from fgnn.nn import SRGNNConv

__version__ = "0.1.0"


@dataclass
class GCSANConfig:
    n_items: int
    hidden_size: int = 100
    steps: int = 1  # gated propagation steps (SR-GNN's layer)
    blocks: int = 1  # self-attention blocks (the paper's k)
    heads: int = 1  # attention heads; must divide hidden_size
    weight: float = 0.6  # w: the self-attention output's share of the session (the paper's omega)
    dropout: float = 0.0


class GCSAN(GraphSessionModel):
    name = "gcsan"
    label = "GC-SAN"
    config_class = GCSANConfig

    def __init__(self, config: GCSANConfig):
        if config.hidden_size % config.heads:
            raise ValueError(f"heads ({config.heads}) must divide hidden_size ({config.hidden_size})")
        if not 0.0 <= config.weight <= 1.0:
            raise ValueError(f"weight must be in [0, 1], got {config.weight}")
        super().__init__(config)
        d = config.hidden_size
        self.gnn = SRGNNConv(d, steps=config.steps)
        self.attn = nn.ModuleList(nn.MultiheadAttention(d, config.heads, dropout=config.dropout, batch_first=True)
                                  for _ in range(config.blocks))
        self.ffn = nn.ModuleList(nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Dropout(config.dropout), nn.Linear(d, d))
                                 for _ in range(config.blocks))
        self.norm1 = nn.ModuleList(nn.LayerNorm(d) for _ in range(config.blocks))
        self.norm2 = nn.ModuleList(nn.LayerNorm(d) for _ in range(config.blocks))
        self.init_uniform()

    def session_embedding(self, batch, explain: bool = False, x=None):  # noqa: ARG002 (the interface's signature)
        x = self.embed_nodes(batch) if x is None else x
        h = self.gnn(x, batch.edge_index, batch.in_degree_inv, batch.out_degree_inv)  # [N, d]
        B, L = batch.click_nodes.shape
        valid = torch.arange(L, device=h.device)[None, :] < batch.lengths[:, None]  # [B, L]
        e = h[batch.click_nodes] * valid[..., None]  # the click sequence of node states
        weights = None
        for attn, ffn, norm1, norm2 in zip(self.attn, self.ffn, self.norm1, self.norm2, strict=True):
            a, weights = attn(e, e, e, key_padding_mask=~valid, need_weights=True, average_attn_weights=True)
            e = norm1(e + a)
            e = norm2(e + ffn(e))
        rows = torch.arange(B, device=h.device)
        last = batch.lengths - 1
        w = self.config.weight
        session = w * e[rows, last] + (1 - w) * h[batch.last_node]
        readout = []
        if weights is not None:  # the last click's attention over the clicks, summed per node
            alpha = weights[rows, last] * valid  # [B, L]
            node = torch.zeros(h.size(0), dtype=alpha.dtype, device=h.device)
            node.index_add_(0, batch.click_nodes[valid], alpha[valid])
            readout = [node.detach()]
        return session, {"layers": [], "readout": readout}
