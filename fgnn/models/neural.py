"""Shared parts of the gradient-trained session-graph models."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from fgnn.data.graph import GraphBatch
from fgnn.models.base import SessionRecommender


class GraphSessionModel(SessionRecommender):
    """Item embedding table ``E`` (row ``i - 1`` = item index ``i``) used both to embed the
    graph's nodes and to score every item: ``scores = s @ E.T``. There is no padding row, so
    the scoring product needs no slice (and its backward no copy of the whole table)."""

    trainable = True
    # add the node lookup's gradient into the table's in place (see embed_nodes); False under
    # DistributedDataParallel, which exchanges a gradient as soon as autograd has accumulated it
    lookup_grad_in_place = True

    def __init__(self, config):
        super().__init__(config)
        self.embedding = nn.Embedding(config.n_items, config.hidden_size)

    def init_uniform(self):
        """Uniform(-1/sqrt(d), 1/sqrt(d)) on every parameter, as both papers' code does.

        FGNN and SR-GNN call it last in ``__init__``, so it replaces what each layer's own
        ``reset_parameters`` set (glorot in ``WeightedGATConv``, PyTorch's defaults in the readouts):
        a layer's ``reset_parameters`` holds only where the layer is used on its own."""
        stdv = 1.0 / math.sqrt(self.config.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -stdv, stdv)

    def item_table(self) -> Tensor:
        """The ``[n_items, d]`` table that scores items: ``score(s) = s @ item_table().T``."""
        return self.embedding.weight

    def score(self, session: Tensor) -> Tensor:
        return session @ self.item_table().t()

    def embed_nodes(self, batch: GraphBatch) -> Tensor:
        """Embeddings of the batch's nodes, rows of the same table that scores every item.

        The table gets a dense gradient from the scoring product and a few rows of gradient from
        this lookup. Through autograd the lookup's share would be a second dense
        ``[n_items x d]`` tensor (zero-filled, scattered into, then added: ~10% of a CPU training
        step). Instead the rows are looked up from the detached table and their gradient is added
        into the table's gradient in place, row by row. The scoring product's gradient lands first
        (its backward runs first), so this is one small ``index_add_``; the result is the same.
        """
        weight = self.embedding.weight
        index = batch.x - 1
        if not self.lookup_grad_in_place:
            return weight.index_select(0, index)
        rows = weight.detach().index_select(0, index)
        if torch.is_grad_enabled() and weight.requires_grad:
            rows.requires_grad_()

            def add_into_table(grad: Tensor) -> None:
                if weight.grad is None:
                    weight.grad = torch.zeros_like(weight)
                weight.grad.index_add_(0, index, grad.to(weight.grad.dtype))

            rows.register_hook(add_into_table)
        return rows

    def session_embedding(self, batch: GraphBatch, explain: bool = False, x: Tensor = None):
        """``(session embeddings [B, d], attention dict)``. ``x`` replaces the looked-up node
        embeddings (rows of the item table) when given: attributions run the model from them
        (:mod:`fgnn.explain.attribution`). The dict holds ``layers`` (edge attention per layer)
        and ``readout`` (node attention per step), either or both may be left out (an empty dict:
        the model exposes no attention; docs/own-model.md)."""
        raise NotImplementedError

    def forward(self, batch: GraphBatch) -> Tensor:
        return self.score(self.session_embedding(batch)[0])

    @torch.no_grad()
    def attention(self, batch: GraphBatch) -> dict:
        """Raw attention of one forward pass: ``{"scores", "layers": [(edge_index, alpha [E', H],
        added_self_loop [E'] bool, valid [E'] bool)], "readout": [node attention per step]}``."""
        session, extra = self.session_embedding(batch, explain=True)
        extra = dict(extra or {})  # a model of your own may return no attention (docs/own-model.md)
        extra.setdefault("layers", [])
        extra.setdefault("readout", [])
        extra["scores"] = self.score(session)
        return extra
