"""SR-GNN's gated graph layer over incoming and outgoing normalised adjacency."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch_geometric.nn.conv import MessagePassing


class SRGNNConv(MessagePassing):
    r"""The gated session-graph layer of SR-GNN (Wu et al., AAAI 2019), after gated graph
    neural networks (Li et al., 2016).

    .. math::
        \mathbf{a}_i = \Big[\sum_{j \to i} \tfrac{1}{\deg^{in}(i)}\mathbf{W}_{in}\mathbf{h}_j + \mathbf{b}_{in}
            \;\Big\Vert\; \sum_{i \to j} \tfrac{1}{\deg^{out}(i)}\mathbf{W}_{out}\mathbf{h}_j + \mathbf{b}_{out}\Big],
        \qquad \mathbf{h}_i \leftarrow \mathrm{GRU}(\mathbf{a}_i, \mathbf{h}_i)

    repeated ``steps`` times. The degree normalisation uses the merged edges
    (``in_degree_inv`` / ``out_degree_inv`` of the session graph), as the authors' code builds
    its in/out adjacency matrices. (The seed pipeline used PyG's ``GatedGraphConv``, which sees
    only outgoing edges and no normalisation.)

    Args:
        channels (int): node feature size.
        steps (int, optional): propagation steps. (default: :obj:`1`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, d)`, edge indices :math:`(2, |\mathcal{E}|)`,
          ``in_degree_inv`` and ``out_degree_inv`` :math:`(|\mathcal{E}|)`
        - **output:** node features :math:`(|\mathcal{V}|, d)`
    """

    def __init__(self, channels: int, steps: int = 1):
        super().__init__(aggr="add")
        self.channels = channels
        self.steps = steps
        self.lin_in = nn.Linear(channels, channels, bias=True)
        self.lin_out = nn.Linear(channels, channels, bias=True)
        self.b_in = nn.Parameter(torch.zeros(channels))
        self.b_out = nn.Parameter(torch.zeros(channels))
        self.gru = nn.GRUCell(2 * channels, channels)

    def reset_parameters(self):
        """Uniform(-1/sqrt(d), 1/sqrt(d)), as the authors' code. ``__init__`` does not call it (a
        call would draw from the random stream and change every seeded SR-GNN's weights): inside
        SR-GNN, ``GraphSessionModel.init_uniform`` initialises this layer the same way."""
        super().reset_parameters()
        stdv = 1.0 / math.sqrt(self.channels)
        for p in self.parameters():
            nn.init.uniform_(p, -stdv, stdv)

    def forward(self, x: Tensor, edge_index: Tensor, in_degree_inv: Tensor, out_degree_inv: Tensor) -> Tensor:
        n = x.size(0)
        reverse = edge_index.flip(0)
        h = x
        for _ in range(self.steps):
            a_in = self.propagate(edge_index, x=self.lin_in(h), norm=in_degree_inv, size=(n, n)) + self.b_in
            a_out = self.propagate(reverse, x=self.lin_out(h), norm=out_degree_inv, size=(n, n)) + self.b_out
            h = self.gru(torch.cat([a_in, a_out], dim=-1), h)
        return h

    def message(self, x_j: Tensor, norm: Tensor) -> Tensor:
        return norm.unsqueeze(-1) * x_j

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels}, steps={self.steps})"
