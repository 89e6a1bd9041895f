"""SR-GNN: gated graph propagation + attention readout against the last click.

Wu, Tang, Zhu, Wang, Xie, Tan. "Session-based Recommendation with Graph Neural Networks",
AAAI 2019.
"""
from __future__ import annotations

from fgnn.data.graph import GraphBatch
from fgnn.models.configs import SRGNNConfig
from fgnn.models.neural import GraphSessionModel
from fgnn.nn import SRGNNAttentionReadout, SRGNNConv


class SRGNN(GraphSessionModel):
    name = "srgnn"

    def __init__(self, config: SRGNNConfig):
        super().__init__(config)
        self.gnn = SRGNNConv(config.hidden_size, steps=config.steps)
        self.readout = SRGNNAttentionReadout(config.hidden_size)
        self.init_uniform()

    def session_embedding(self, batch: GraphBatch, explain: bool = False, x=None):  # noqa: ARG002 (the interface's signature: SR-GNN has no layer attention)
        x = self.embed_nodes(batch) if x is None else x
        h = self.gnn(x, batch.edge_index, batch.in_degree_inv, batch.out_degree_inv)
        session, alpha = self.readout(h, batch.batch, batch.last_node)
        return session, {"layers": [], "readout": [alpha]}
