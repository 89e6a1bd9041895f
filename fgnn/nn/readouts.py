"""Session readouts: node embeddings of each session graph -> one session embedding."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.utils import scatter, softmax


class GRUSet2Set(nn.Module):
    r"""FGNN's readout: Set2Set (Vinyals et al., 2016) driven by a GRU instead of an LSTM.

    .. math::
        \mathbf{q}^*_0 = \mathbf{0}, \quad
        \mathbf{q}_t = \mathrm{GRU}(\mathbf{q}^*_{t-1}, \mathbf{q}_{t-1}), \quad
        a_{i,t} = \operatorname{softmax}_{i \in s}\langle \mathbf{x}_i, \mathbf{q}_t\rangle, \quad
        \mathbf{r}_t = \sum_{i \in s} a_{i,t}\mathbf{x}_i, \quad
        \mathbf{q}^*_t = [\mathbf{q}_t \Vert \mathbf{r}_t]

    and the session embedding is :math:`\mathbf{W}\mathbf{q}^*_T` (a linear map
    :math:`2d \to d`). The softmax runs over the nodes of each session only.

    Args:
        channels (int): node feature size :math:`d`.
        steps (int, optional): readout steps :math:`T`. (default: :obj:`3`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, d)`, batch vector
          :math:`(|\mathcal{V}|)`, number of sessions :math:`B`
        - **output:** session embeddings :math:`(B, d)` and the node attention of every
          step, a list of :math:`T` tensors of shape :math:`(|\mathcal{V}|)`.
    """

    def __init__(self, channels: int, steps: int = 3):
        super().__init__()
        self.channels = channels
        self.steps = steps
        self.gru = nn.GRUCell(2 * channels, channels)
        self.project = nn.Linear(2 * channels, channels)

    def reset_parameters(self):
        """PyTorch's defaults; inside FGNN, ``GraphSessionModel.init_uniform`` replaces them."""
        self.gru.reset_parameters()
        self.project.reset_parameters()

    def forward(self, x: Tensor, batch: Tensor, num_sessions: int) -> tuple[Tensor, list[Tensor]]:
        q_star = x.new_zeros(num_sessions, 2 * self.channels)
        q = x.new_zeros(num_sessions, self.channels)
        attention = []
        for _ in range(self.steps):
            q = self.gru(q_star, q)
            e = (x * q[batch]).sum(dim=-1)
            a = softmax(e, batch, num_nodes=num_sessions)
            r = scatter(a.unsqueeze(-1) * x, batch, dim=0, dim_size=num_sessions, reduce="sum")
            q_star = torch.cat([q, r], dim=-1)
            attention.append(a)
        return self.project(q_star), attention

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels}, steps={self.steps})"


class SRGNNAttentionReadout(nn.Module):
    r"""SR-GNN's readout (Wu et al., AAAI 2019): soft attention against the last click.

    .. math::
        \alpha_i = \mathbf{q}^{\top}\sigma(\mathbf{W}_1\mathbf{v}_n + \mathbf{W}_2\mathbf{v}_i + \mathbf{c}),
        \quad \mathbf{s}_g = \sum_i \alpha_i \mathbf{v}_i,
        \quad \mathbf{s}_h = \mathbf{W}_3[\mathbf{v}_n \Vert \mathbf{s}_g]

    :math:`\mathbf{v}_n` is the embedding of the node of the *last clicked* item, as in the
    paper (the public PyG port takes the last newly seen node instead). As in the paper the
    weights :math:`\alpha_i` are not normalised. The sum runs over the session's *distinct
    nodes*; the paper's text and the authors' code sum over click positions, so an item clicked
    twice counts twice there and once here (identical when no item repeats; docs/models.md, tested
    in tests/nn/test_readouts.py). :math:`\mathbf{c}` is the bias of :math:`\mathbf{W}_2`.

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, d)`, batch vector, global index of
          each session's last-click node :math:`(B)`
        - **output:** session embeddings :math:`(B, d)` and :math:`\alpha` :math:`(|\mathcal{V}|)`.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.channels = channels
        self.W_1 = nn.Linear(channels, channels, bias=False)
        self.W_2 = nn.Linear(channels, channels, bias=True)
        self.q = nn.Linear(channels, 1, bias=False)
        self.W_3 = nn.Linear(2 * channels, channels)

    def forward(self, x: Tensor, batch: Tensor, last_node: Tensor) -> tuple[Tensor, Tensor]:
        v_n = x[last_node]  # [B, d]
        alpha = self.q(torch.sigmoid(self.W_1(v_n)[batch] + self.W_2(x))).squeeze(-1)
        s_g = scatter(alpha.unsqueeze(-1) * x, batch, dim=0, dim_size=v_n.size(0), reduce="sum")
        return self.W_3(torch.cat([v_n, s_g], dim=-1)), alpha

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels})"
