"""Session -> graph construction (docs/graphs.md).

A click sequence such as ``[1, 3, 2, 2, 1, 3, 4]`` becomes a directed graph:

* nodes are the distinct items in order of first appearance (``x`` holds their item ids);
* one edge per consecutive click pair ``v_t -> v_t+1``; repeated pairs merge into one edge
  whose ``edge_weight`` counts the transition; a repeated click is a self-loop;
* ``out_degree_inv`` / ``in_degree_inv`` hold, per edge, one over the number of merged
  edges leaving its sender / entering its receiver;
* edges are listed in order of their first occurrence in the sequence.

:func:`build_session_graph` builds one graph (the teaching page uses it);
:func:`build_graph_batch` builds the graphs of a whole batch with tensor ops and no
Python loop per session. Both give identical graphs (property-tested).
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from fgnn.data.ids import as_original_ids
from fgnn.errors import DataError


@dataclass
class SessionGraph:
    """The graph of one click sequence."""

    x: Tensor  # [n] item id of each node, in first-appearance order (shown: see with_original_ids)
    edge_index: Tensor  # [2, E] (sender node, receiver node)
    edge_weight: Tensor  # [E] float, transition count
    out_degree_inv: Tensor  # [E] float
    in_degree_inv: Tensor  # [E] float
    sequence: Tensor  # [L] the click sequence (item ids)
    click_nodes: Tensor  # [L] node index of every click

    @property
    def num_nodes(self) -> int:
        return len(self.x)

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.size(1))

    @property
    def length(self) -> int:
        return len(self.sequence)

    @property
    def last_node(self) -> int:
        """Node of the last click: the session's "current interest"."""
        return int(self.click_nodes[-1])

    def with_original_ids(self, ids) -> SessionGraph:
        """The graph as shown: ``x`` and ``sequence`` hold original ids instead of item indices
        (``ids``: :func:`fgnn.data.dataset.original_ids`, or an ``item_ids`` tensor). Whole-number
        ids stay a tensor; token ids (text) become a numpy array of ``str``."""
        ids = as_original_ids(ids)
        if ids.dtype == object:
            return dataclasses.replace(self, x=ids[self.x.numpy()], sequence=ids[self.sequence.numpy()])
        ids = torch.from_numpy(ids)
        return dataclasses.replace(self, x=ids[self.x], sequence=ids[self.sequence])


@dataclass
class GraphBatch:
    """The disjoint union of the graphs of ``B`` sessions, plus their padded sequences.

    Node indices in ``edge_index``, ``click_nodes`` and ``last_node`` are global to the batch;
    no edge ever crosses two sessions.
    """

    x: Tensor  # [N] item id of each node
    edge_index: Tensor  # [2, E]
    edge_weight: Tensor  # [E] float
    out_degree_inv: Tensor  # [E] float
    in_degree_inv: Tensor  # [E] float
    batch: Tensor  # [N] session of each node
    ptr: Tensor  # [B + 1] first node of each session
    sequences: Tensor  # [B, L] item ids, right-padded with 0
    lengths: Tensor  # [B]
    click_nodes: Tensor  # [B, L] global node of each click, 0 on padding
    last_node: Tensor  # [B] global node of each session's last click
    targets: Tensor | None = None  # [B] item ids to predict, if known

    @property
    def num_graphs(self) -> int:
        return int(self.lengths.numel())

    @property
    def num_nodes(self) -> int:
        return int(self.x.numel())

    def to(self, device, non_blocking: bool = False) -> GraphBatch:
        moved = {
            f.name: (v.to(device, non_blocking=non_blocking) if isinstance(v, Tensor) else v)
            for f in fields(self)
            for v in [getattr(self, f.name)]
        }
        return GraphBatch(**moved)

    def pin_memory(self) -> GraphBatch:
        return GraphBatch(**{
            f.name: (v.pin_memory() if isinstance(v, Tensor) else v)
            for f in fields(self) for v in [getattr(self, f.name)]
        })

    def graph(self, i: int) -> SessionGraph:
        """The graph of session ``i`` with node indices local to it."""
        lo, hi = int(self.ptr[i]), int(self.ptr[i + 1])
        emask = (self.edge_index[0] >= lo) & (self.edge_index[0] < hi)
        n = int(self.lengths[i])
        return SessionGraph(
            x=self.x[lo:hi],
            edge_index=self.edge_index[:, emask] - lo,
            edge_weight=self.edge_weight[emask],
            out_degree_inv=self.out_degree_inv[emask],
            in_degree_inv=self.in_degree_inv[emask],
            sequence=self.sequences[i, :n],
            click_nodes=self.click_nodes[i, :n] - lo,
        )


def _as_long(sequence) -> Tensor:
    if isinstance(sequence, Tensor):
        return sequence.to(torch.long).flatten()
    return torch.as_tensor(list(sequence), dtype=torch.long).flatten()


def build_session_graph(sequence: Sequence[int]) -> SessionGraph:
    """Build the session graph of one click sequence, written plainly for teaching.

    Args:
        sequence: the clicked item ids in click order (at least one click).
    """
    seq = _as_long(sequence)
    if seq.numel() == 0:
        raise DataError("a session needs at least one click")
    node_of: dict[int, int] = {}
    items: list[int] = []
    click_nodes: list[int] = []
    for item in seq.tolist():
        if item not in node_of:
            node_of[item] = len(items)
            items.append(item)
        click_nodes.append(node_of[item])
    weight: dict[tuple[int, int], int] = {}  # insertion order = first occurrence
    for s, r in itertools.pairwise(click_nodes):
        weight[(s, r)] = weight.get((s, r), 0) + 1
    pairs = list(weight)
    out_deg: dict[int, int] = {}
    in_deg: dict[int, int] = {}
    for s, r in pairs:
        out_deg[s] = out_deg.get(s, 0) + 1
        in_deg[r] = in_deg.get(r, 0) + 1
    edge_index = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2).t().contiguous()
    return SessionGraph(
        x=torch.tensor(items, dtype=torch.long),
        edge_index=edge_index,
        edge_weight=torch.tensor([float(weight[p]) for p in pairs], dtype=torch.float),
        out_degree_inv=torch.tensor([1.0 / out_deg[s] for s, _ in pairs], dtype=torch.float),
        in_degree_inv=torch.tensor([1.0 / in_deg[r] for _, r in pairs], dtype=torch.float),
        sequence=seq,
        click_nodes=torch.tensor(click_nodes, dtype=torch.long),
    )


def pad_sequences(sequences: Sequence[Sequence[int]]) -> tuple[Tensor, Tensor]:
    """Right-pad a list of click sequences with 0 into ``([B, L], lengths [B])``."""
    seqs = [_as_long(s) for s in sequences]
    lengths = torch.tensor([s.numel() for s in seqs], dtype=torch.long)
    out = torch.zeros(len(seqs), int(lengths.max()) if seqs else 0, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : s.numel()] = s
    return out, lengths


def _first_occurrence_rank(keys: Tensor, order: Tensor) -> tuple[Tensor, Tensor]:
    """Group equal ``keys``; number the groups by the smallest ``order`` of their members.

    Returns ``(group_rank_of_each_element, first_element_of_each_group_in_rank_order)``.
    """
    uniq, inverse = torch.unique(keys, return_inverse=True)
    first = torch.full((uniq.numel(),), order.numel(), dtype=torch.long, device=keys.device)
    first.scatter_reduce_(0, inverse, order, reduce="amin")
    ranked = torch.argsort(first)
    rank = torch.empty_like(ranked)
    rank[ranked] = torch.arange(ranked.numel(), device=keys.device)
    return rank[inverse], first[ranked]


def build_graph_batch(
    sequences: Tensor, lengths: Tensor, targets: Tensor | None = None
) -> GraphBatch:
    """Build the graphs of a batch of sessions at once, with tensor ops only.

    Args:
        sequences: ``[B, L]`` item ids (> 0), right-padded with 0.
        lengths: ``[B]`` number of clicks of each session (>= 1).
        targets: optional ``[B]`` next items.
    """
    sequences = sequences.to(torch.long)
    lengths = lengths.to(torch.long)
    B, L = sequences.shape
    device = sequences.device
    pos = torch.arange(L, device=device)
    valid = pos.unsqueeze(0) < lengths.unsqueeze(1)  # [B, L]
    flat_pos = torch.nonzero(valid.flatten()).squeeze(1)  # row-major: session, then time
    click_session = flat_pos // L
    click_item = sequences.flatten()[flat_pos]
    n_clicks = flat_pos.numel()

    # Nodes: distinct (session, item) in order of first click -> global node ids that are
    # contiguous per session and ordered by first appearance inside it.
    key = click_session * (int(click_item.max()) + 1 if n_clicks else 1) + click_item
    click_node, first_click = _first_occurrence_rank(key, torch.arange(n_clicks, device=device))
    x = click_item[first_click]
    node_batch = click_session[first_click]
    counts = torch.bincount(node_batch, minlength=B)
    ptr = torch.zeros(B + 1, dtype=torch.long, device=device)
    ptr[1:] = torch.cumsum(counts, 0)

    # Edges: consecutive clicks of the same session; merge repeats, count them.
    same = click_session[1:] == click_session[:-1]
    src = click_node[:-1][same]
    dst = click_node[1:][same]
    n_nodes = x.numel()
    edge_rank, first_pair = _first_occurrence_rank(
        src * max(n_nodes, 1) + dst, torch.arange(src.numel(), device=device)
    )
    n_edges = first_pair.numel()
    weight = torch.zeros(n_edges, dtype=torch.float, device=device)
    weight.index_add_(0, edge_rank, torch.ones_like(edge_rank, dtype=torch.float))
    e_src, e_dst = src[first_pair], dst[first_pair]
    out_deg = torch.bincount(e_src, minlength=n_nodes).to(torch.float)
    in_deg = torch.bincount(e_dst, minlength=n_nodes).to(torch.float)

    click_nodes = torch.zeros(B, L, dtype=torch.long, device=device)
    click_nodes.view(-1)[flat_pos] = click_node
    last_node = click_nodes.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
    return GraphBatch(
        x=x,
        edge_index=torch.stack([e_src, e_dst]),
        edge_weight=weight,
        out_degree_inv=1.0 / out_deg[e_src],
        in_degree_inv=1.0 / in_deg[e_dst],
        batch=node_batch,
        ptr=ptr,
        sequences=sequences * valid,
        lengths=lengths,
        click_nodes=click_nodes,
        last_node=last_node,
        targets=targets,
    )


def make_batch(sessions: Sequence[Sequence[int]]) -> GraphBatch:
    """Graph batch of sessions given as item indices (1..N)."""
    if not sessions or any(len(s) == 0 for s in sessions):
        raise DataError("every session needs at least one click")
    seqs, lengths = pad_sequences(sessions)
    return build_graph_batch(seqs, lengths)

