"""FGNN: weighted graph attention + GRU-driven Set2Set readout.

Qiu, Li, Huang, Yin. "Rethinking the Item Order in Session-based Recommendation with Graph
Neural Networks", CIKM 2019. ``item embedding -> L stacked WGAT layers -> GRU-Set2Set readout
-> session embedding -> scores against every item embedding``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data.graph import GraphBatch
from ..nn import GRUSet2Set, WeightedGATConv
from .neural import GraphSessionModel


@dataclass
class FGNNConfig:
    """Hyperparameters of FGNN. The defaults follow the authors' run tag "s2s3 ... gat8-1":
    3 readout steps, a WGAT layer of 8 heads (concatenated) then one of 1 head."""

    n_items: int
    hidden_size: int = 100
    num_layers: int = 2
    heads: int = 8  # heads of every layer but the last
    last_heads: int = 1  # heads of the last layer (averaged)
    readout_steps: int = 3
    negative_slope: float = 0.2
    dropout: float = 0.0
    activation: str = "relu"  # between WGAT layers
    # Not in the FGNN paper: also map the last click's node embedding into the session embedding,
    # s = W [readout || h_last], as SR-GNN's readout does (the Set2Set readout alone is order-blind).
    last_click: bool = False
    # Ablation switches (docs/fgnn-study.md); the defaults are the paper's model.
    attention_norm: str = "dst"  # "dst": softmax over in-neighbours (paper); "src": over senders (authors' code)
    concat_heads: bool = True  # heads of every layer but the last concatenated (paper) or averaged
    last_activation: bool = False  # also apply `activation` after the last WGAT layer

    def layer_heads(self) -> list[int]:
        return [self.heads] * (self.num_layers - 1) + [self.last_heads]


class FGNN(GraphSessionModel):
    name = "fgnn"

    def __init__(self, config: FGNNConfig):
        super().__init__(config)
        d = config.hidden_size
        self.layers = nn.ModuleList()
        in_dim = d
        heads = config.layer_heads()
        for i, h in enumerate(heads):
            concat = i < len(heads) - 1 and config.concat_heads  # the last layer always averages
            self.layers.append(WeightedGATConv(in_dim, d, heads=h, concat=concat,
                                               negative_slope=config.negative_slope,
                                               dropout=config.dropout, normalize=config.attention_norm))
            in_dim = d * h if concat else d
        self.readout = GRUSet2Set(d, steps=config.readout_steps)
        self.last_click = nn.Linear(2 * d, d) if config.last_click else None
        self.init_uniform()

    def session_embedding(self, batch: GraphBatch, explain: bool = False, x=None):
        h = self.embed_nodes(batch) if x is None else x
        layers = []
        act = getattr(F, self.config.activation) if self.config.activation != "none" else None
        for i, layer in enumerate(self.layers):
            if explain:
                h, (edge_index, alpha) = layer(h, batch.edge_index, batch.edge_weight,
                                               return_attention_weights=True)
                n_edges = batch.edge_index.size(1)
                added = edge_index.new_zeros(edge_index.size(1), dtype=bool)
                added[n_edges:] = True
                layers.append((edge_index, alpha, added, alpha.sum(-1) > 0))
            else:
                h = layer(h, batch.edge_index, batch.edge_weight)
            if act is not None and (i < len(self.layers) - 1 or self.config.last_activation):
                h = act(h)
        session, readout = self.readout(h, batch.batch, batch.num_graphs)
        if self.last_click is not None:
            session = self.last_click(torch.cat([session, h.index_select(0, batch.last_node)], dim=-1))
        return session, {"layers": layers, "readout": readout}
