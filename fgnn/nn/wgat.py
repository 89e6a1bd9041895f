"""Weighted graph attention (WGAT), the message-passing layer of FGNN."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Parameter
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.utils import softmax


class WeightedGATConv(MessagePassing):
    r"""The weighted graph attention layer of FGNN, from `"Rethinking the Item Order in
    Session-based Recommendation with Graph Neural Networks" <https://arxiv.org/abs/1911.11942>`_
    (Qiu et al., CIKM 2019): GAT attention whose score also sees the edge weight.

    .. math::
        e_{ij} = \mathrm{LeakyReLU}\left(\mathbf{a}^{\top}
            [\mathbf{W}\mathbf{h}_i \,\Vert\, \mathbf{W}\mathbf{h}_j \,\Vert\, w_{ij}]\right),
        \qquad
        \alpha_{ij} = \frac{\exp(e_{ij})}{\sum_{k \in \mathcal{N}(i)} \exp(e_{ik})},
        \qquad
        \mathbf{h}'_i = \sum_{j \in \mathcal{N}(i)} \alpha_{ij} \mathbf{W}\mathbf{h}_j

    where :math:`\mathcal{N}(i)` are the senders of the edges *into* node :math:`i`
    (the paper's normalisation, ``normalize="dst"``). The authors' public code normalises over
    the sender index instead (``normalize="src"``): :math:`\alpha_{ij} = \exp(e_{ij}) /
    \sum_{k:\, j \to k} \exp(e_{kj})`, so the weights on the edges *leaving* each node sum to 1
    and the messages into a node need not (docs/fgnn-study.md). Every node gets a self-loop of weight 1 unless the session already has one
    (a repeated click), in which case its own weight is kept.

    Added self-loops are appended after the given edges, so ``alpha[:E]`` lines up with the
    input ``edge_index``. To avoid a data-dependent shape (and a GPU sync) a loop is appended
    for *every* node and masked out (attention exactly 0) where the node already has one.

    Args:
        in_channels (int): size of each input node feature.
        out_channels (int): size of each output feature per head.
        heads (int, optional): number of attention heads. (default: :obj:`1`)
        concat (bool, optional): concatenate the heads (else average them).
            (default: :obj:`True`)
        negative_slope (float, optional): LeakyReLU slope. (default: :obj:`0.2`)
        dropout (float, optional): dropout on the attention weights. (default: :obj:`0.0`)
        add_self_loops (bool, optional): add weight-1 self-loops where missing.
            (default: :obj:`True`)
        bias (bool, optional): add a learnable bias. (default: :obj:`True`)
        normalize (str, optional): ``"dst"`` (softmax over the edges into each node, the
            paper) or ``"src"`` (over the edges out of each node, the authors' code).
            (default: :obj:`"dst"`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, edge indices
          :math:`(2, |\mathcal{E}|)`, edge weights :math:`(|\mathcal{E}|)` (default all 1)
        - **output:** node features :math:`(|\mathcal{V}|, H \cdot F_{out})` (concat) or
          :math:`(|\mathcal{V}|, F_{out})`; with ``return_attention_weights=True`` also
          ``(edge_index, alpha)`` of the edges including appended self-loops, with
          ``alpha`` of shape :math:`(|\mathcal{E}| + |\mathcal{V}|, H)`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        heads: int = 1,
        concat: bool = True,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        add_self_loops: bool = True,
        bias: bool = True,
        normalize: str = "dst",
    ):
        super().__init__(aggr="add", node_dim=0)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.heads = heads
        self.concat = concat
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.add_self_loops = add_self_loops
        if normalize not in ("dst", "src"):
            raise ValueError(f"normalize must be 'dst' (over in-neighbours, the paper) or 'src' "
                             f"(over senders, the authors' code), not {normalize!r}")
        self.normalize = normalize

        self.lin = Linear(in_channels, heads * out_channels, bias=False, weight_initializer="glorot")
        self.att_src = Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = Parameter(torch.empty(1, heads, out_channels))
        self.att_weight = Parameter(torch.empty(1, heads))
        self.bias = Parameter(torch.empty(heads * out_channels if concat else out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Glorot, as PyG's ``GATConv``; inside FGNN, ``GraphSessionModel.init_uniform`` replaces it."""
        super().reset_parameters()
        self.lin.reset_parameters()
        glorot(self.att_src)
        glorot(self.att_dst)
        glorot(self.att_weight)
        zeros(self.bias)

    def with_self_loops(self, edge_index: Tensor, edge_weight: Tensor, num_nodes: int) -> tuple[Tensor, Tensor, Tensor]:
        """Append a weight-1 self-loop for every node; return the mask of loops that count
        (False where the node already had a self-loop among the given edges)."""
        src, dst = edge_index
        loop = torch.arange(num_nodes, device=edge_index.device)
        had_loop = torch.zeros(num_nodes, device=edge_index.device)
        had_loop.index_add_(0, src, (src == dst).to(had_loop.dtype))
        keep = torch.cat([torch.ones_like(src, dtype=torch.bool), had_loop == 0])
        full_index = torch.cat([edge_index, torch.stack([loop, loop])], dim=1)
        full_weight = torch.cat([edge_weight, edge_weight.new_ones(num_nodes)])
        return full_index, full_weight, keep

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None = None,
        return_attention_weights: bool | None = None,
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        H, C = self.heads, self.out_channels
        num_nodes = x.size(0)
        if edge_weight is None:
            edge_weight = x.new_ones(edge_index.size(1))
        edge_weight = edge_weight.to(x.dtype)
        if self.add_self_loops:
            edge_index, edge_weight, keep = self.with_self_loops(edge_index, edge_weight, num_nodes)
        else:
            keep = None

        h = self.lin(x).view(-1, H, C)
        a_src = (h * self.att_src).sum(-1)  # [N, H]
        a_dst = (h * self.att_dst).sum(-1)
        src, dst = edge_index
        score = a_src[src] + a_dst[dst] + edge_weight.unsqueeze(-1) * self.att_weight
        score = F.leaky_relu(score, self.negative_slope)
        if keep is not None:
            score = score.masked_fill(~keep.unsqueeze(-1), float("-inf"))
        # normalised over the edges into each node (paper) or out of each node (authors' code)
        alpha = softmax(score, dst if self.normalize == "dst" else src, num_nodes=num_nodes)
        alpha_out = alpha
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)

        out = self.propagate(edge_index, x=h, alpha=alpha, size=(num_nodes, num_nodes))
        out = out.reshape(-1, H * C) if self.concat else out.mean(dim=1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:
            return out, (edge_index, alpha_out)
        return out

    def message(self, x_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * x_j

    def explain_message(self, inputs: Tensor, dim_size: int | None) -> Tensor:  # noqa: ARG002 (PyG reads the signature)
        """Edge masks of :mod:`torch_geometric.explain` scale the messages of the given edges;
        the self-loops this layer appends (one per node, after them) keep mask 1.
        (PyG's default drops the given self-loops from the mask, which misaligns it here.)"""
        edge_mask = self._edge_mask
        if edge_mask is None:
            raise ValueError("no edge mask set: explain this layer through torch_geometric.explain")
        if self._apply_sigmoid:
            edge_mask = edge_mask.sigmoid()
        extra = inputs.size(self.node_dim) - edge_mask.size(0)
        if extra:
            edge_mask = torch.cat([edge_mask, edge_mask.new_ones(extra)])
        return inputs * edge_mask.view(-1, *([1] * (inputs.dim() - 1)))

    def __repr__(self) -> str:
        extra = "" if self.normalize == "dst" else f", normalize={self.normalize!r}"
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads}, "
                f"concat={self.concat}{extra})")
