"""FGNN: weighted graph attention + GRU-driven Set2Set readout.

Qiu, Li, Huang, Yin. "Rethinking the Item Order in Session-based Recommendation with Graph
Neural Networks", CIKM 2019. ``item embedding -> L stacked WGAT layers -> GRU-Set2Set readout
-> session embedding -> scores against every item embedding``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fgnn.data.graph import GraphBatch
from fgnn.models.configs import FGNNConfig
from fgnn.models.neural import GraphSessionModel
from fgnn.nn import GRUSet2Set, WeightedGATConv


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
