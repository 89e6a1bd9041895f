"""docs/graphs.md invariants of the session graph, single and batched construction."""
from __future__ import annotations

from collections import Counter

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from fgnn.data.graph import build_graph_batch, build_session_graph, pad_sequences

# A small alphabet forces repeats, self-loops and repeated transitions; length 1 is included.
sequences = st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=25)


def test_design_example_by_hand():
    g = build_session_graph([1, 3, 2, 2, 1, 3, 4])
    assert g.x.tolist() == [1, 3, 2, 4]
    # transitions 1->3 (twice), 3->2, 2->2, 2->1, 3->4, in order of first occurrence
    assert g.edge_index.tolist() == [[0, 1, 2, 2, 1], [1, 2, 2, 0, 3]]
    assert g.edge_weight.tolist() == [2.0, 1.0, 1.0, 1.0, 1.0]
    assert g.out_degree_inv.tolist() == [1.0, 0.5, 0.5, 0.5, 0.5]
    assert g.in_degree_inv.tolist() == [1.0, 0.5, 0.5, 1.0, 1.0]
    assert g.click_nodes.tolist() == [0, 1, 2, 2, 0, 1, 3]
    assert g.last_node == 3 and g.length == 7


def test_single_click_is_one_node_no_edge():
    g = build_session_graph([5])
    assert g.x.tolist() == [5] and g.num_edges == 0 and g.edge_weight.numel() == 0


def check_invariants(seq, g):
    n = len(seq)
    assert float(g.edge_weight.sum()) == n - 1
    distinct = list(dict.fromkeys(seq))
    assert g.x.tolist() == distinct  # distinct items, first-appearance order
    assert set(g.x.tolist()) <= set(seq)  # every node appears in the sequence
    assert g.x[g.click_nodes].tolist() == seq
    assert g.sequence.tolist() == seq and g.length == n
    pairs = list(zip(g.edge_index[0].tolist(), g.edge_index[1].tolist(), strict=True))
    assert len(set(pairs)) == len(pairs)  # repeated transitions merged
    transitions = Counter(zip(g.click_nodes[:-1].tolist(), g.click_nodes[1:].tolist(), strict=True))
    assert dict(zip(pairs, g.edge_weight.tolist(), strict=True)) == {k: float(v) for k, v in transitions.items()}
    assert pairs == list(dict.fromkeys(zip(g.click_nodes[:-1].tolist(), g.click_nodes[1:].tolist(), strict=True)))
    out_deg = Counter(s for s, _ in pairs)
    in_deg = Counter(r for _, r in pairs)
    assert torch.equal(g.out_degree_inv, torch.tensor([1.0 / out_deg[s] for s, _ in pairs], dtype=torch.float))
    assert torch.equal(g.in_degree_inv, torch.tensor([1.0 / in_deg[r] for _, r in pairs], dtype=torch.float))
    assert g.last_node == g.click_nodes[-1] and int(g.x[g.last_node]) == seq[-1]


def same_graph(a, b):
    for name in ("x", "edge_index", "edge_weight", "out_degree_inv", "in_degree_inv", "sequence", "click_nodes"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name


@settings(max_examples=1500, deadline=None)
@given(sequences)
def test_session_graph_invariants(seq):
    g = build_session_graph(seq)
    check_invariants(seq, g)
    same_graph(build_session_graph(g.sequence), g)  # rebuilding from the graph's sequence is identical


@settings(max_examples=400, deadline=None)
@given(st.lists(sequences, min_size=1, max_size=8))
def test_batched_equals_single(seqs):
    padded, lengths = pad_sequences(seqs)
    targets = torch.arange(len(seqs))
    batch = build_graph_batch(padded, lengths, targets)
    assert batch.num_graphs == len(seqs)
    assert batch.ptr.tolist()[-1] == batch.num_nodes
    for i, seq in enumerate(seqs):
        g = batch.graph(i)
        same_graph(g, build_session_graph(seq))
        check_invariants(seq, g)
        assert int(batch.last_node[i]) == int(batch.ptr[i]) + g.last_node
    # no edge crosses two sessions
    assert torch.equal(batch.batch[batch.edge_index[0]], batch.batch[batch.edge_index[1]])
    assert float(batch.edge_weight.sum()) == float((lengths - 1).sum())
    assert torch.equal(batch.targets, targets)
