"""SRGNNConv against a dense re-typing of SR-GNN's propagation (in/out adjacency, degree-normalised)."""
import torch

from fgnn.data.graph import build_session_graph
from fgnn.nn import SRGNNConv


def dense_reference(conv: SRGNNConv, x, edge_index, in_inv, out_inv):
    """SR-GNN's cell as the authors write it: A_in and A_out are n x n matrices, each row scaled by
    one over the node's in- / out-degree, then ``a = [A_in (W_in h) + b_in || A_out (W_out h) + b_out]``
    and a GRU update, ``steps`` times."""
    n = x.size(0)
    a_in = torch.zeros(n, n)
    a_out = torch.zeros(n, n)
    for e, (src, dst) in enumerate(edge_index.t().tolist()):
        a_in[dst, src] += float(in_inv[e])   # dst receives from src
        a_out[src, dst] += float(out_inv[e])  # src sends to dst
    h = x
    for _ in range(conv.steps):
        m_in = a_in @ conv.lin_in(h) + conv.b_in
        m_out = a_out @ conv.lin_out(h) + conv.b_out
        h = conv.gru(torch.cat([m_in, m_out], dim=-1), h)
    return h


def _graph():
    # repeated pair 1 -> 3, a self-loop 2 -> 2, a node with two senders
    return build_session_graph([1, 3, 2, 2, 1, 3, 4])


def test_matches_dense_reference_one_and_three_steps():
    g = _graph()
    for steps in (1, 3):
        torch.manual_seed(steps)
        conv = SRGNNConv(6, steps=steps)
        conv.reset_parameters()
        x = torch.randn(g.num_nodes, 6)
        got = conv(x, g.edge_index, g.in_degree_inv, g.out_degree_inv)
        want = dense_reference(conv, x, g.edge_index, g.in_degree_inv, g.out_degree_inv)
        assert torch.allclose(got, want, atol=1e-6), (steps, (got - want).abs().max())


def test_rows_of_the_adjacency_are_normalised():
    g = _graph()
    n = g.num_nodes
    in_sum = torch.zeros(n).index_add_(0, g.edge_index[1], g.in_degree_inv)
    out_sum = torch.zeros(n).index_add_(0, g.edge_index[0], g.out_degree_inv)
    has_in = torch.zeros(n, dtype=torch.bool)
    has_in[g.edge_index[1]] = True
    has_out = torch.zeros(n, dtype=torch.bool)
    has_out[g.edge_index[0]] = True
    assert torch.allclose(in_sum[has_in], torch.ones(int(has_in.sum())))
    assert torch.allclose(out_sum[has_out], torch.ones(int(has_out.sum())))


def test_incoming_and_outgoing_edges_both_matter():
    """Unlike PyG's GatedGraphConv (outgoing edges only), reversing the edges changes the output."""
    g = _graph()
    torch.manual_seed(0)
    conv = SRGNNConv(6)
    x = torch.randn(g.num_nodes, 6)
    forward = conv(x, g.edge_index, g.in_degree_inv, g.out_degree_inv)
    reverse = conv(x, g.edge_index.flip(0), g.out_degree_inv, g.in_degree_inv)
    assert not torch.allclose(forward, reverse, atol=1e-4)
