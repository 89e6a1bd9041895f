"""WGAT on a hand-built 4-node graph: shapes, normalisation, weights, permutation, explainer."""
import pytest
import torch
import torch.nn.functional as F

from fgnn.nn import WeightedGATConv

# 0 -> 1 (w 2), 1 -> 2, 2 -> 2 (existing self-loop, w 3), 2 -> 0, 3 -> 1
EDGE_INDEX = torch.tensor([[0, 1, 2, 2, 3], [1, 2, 2, 0, 1]])
EDGE_WEIGHT = torch.tensor([2.0, 1.0, 3.0, 1.0, 1.0])


def layer(heads=2, concat=True, out=5, normalize="dst"):
    torch.manual_seed(0)
    return WeightedGATConv(4, out, heads=heads, concat=concat, normalize=normalize)


def test_shapes_concat_and_mean():
    x = torch.randn(4, 4)
    assert layer(heads=3, concat=True)(x, EDGE_INDEX, EDGE_WEIGHT).shape == (4, 15)
    assert layer(heads=3, concat=False)(x, EDGE_INDEX, EDGE_WEIGHT).shape == (4, 5)
    _out, (ei, alpha) = layer(heads=3)(x, EDGE_INDEX, EDGE_WEIGHT, return_attention_weights=True)
    assert ei.shape == (2, 5 + 4) and alpha.shape == (9, 3)
    assert torch.equal(ei[:, :5], EDGE_INDEX)  # given edges keep their positions
    assert repr(layer()) == "WeightedGATConv(4, 5, heads=2, concat=True)"


def test_attention_into_each_node_sums_to_one_per_head():
    _, (ei, alpha) = layer(heads=4)(torch.randn(4, 4), EDGE_INDEX, EDGE_WEIGHT, return_attention_weights=True)
    sums = torch.zeros(4, 4).index_add_(0, ei[1], alpha)
    assert torch.allclose(sums, torch.ones(4, 4), atol=1e-6)


def test_self_loops_added_only_where_missing():
    _, (_ei, alpha) = layer()(torch.randn(4, 4), EDGE_INDEX, EDGE_WEIGHT, return_attention_weights=True)
    appended = alpha[5:]
    # node 2 already has a self-loop (weight 3): its appended loop gets exactly zero attention
    assert torch.all(appended[2] == 0)
    assert torch.all(appended[[0, 1, 3]] > 0)
    # node 3 has no in-edges but its own loop: all of its attention is on itself
    assert torch.allclose(appended[3], torch.ones(2))


def dense_reference(conv, x, normalize):
    """The docstring's equations with dense loops: softmax over the edges into each node
    (``dst``) or over the edges out of each node (``src``), messages always summed into the receiver."""
    h = conv.lin(x).view(4, 2, 3)
    edges = {(int(s), int(d)): float(w) for s, d, w in zip(EDGE_INDEX[0], EDGE_INDEX[1], EDGE_WEIGHT, strict=True)}
    for n in range(4):
        edges.setdefault((n, n), 1.0)

    def e(j, i, w, k):
        return F.leaky_relu((conv.att_src[0, k] * h[j, k]).sum() + (conv.att_dst[0, k] * h[i, k]).sum()
                            + w * conv.att_weight[0, k], 0.2)

    alpha = {}
    for k in range(2):
        for (j, i), w in edges.items():
            group = [(a, b, v) for (a, b), v in edges.items() if (b == i if normalize == "dst" else a == j)]
            alpha[j, i, k] = torch.exp(e(j, i, w, k)) / sum(torch.exp(e(a, b, v, k)) for a, b, v in group)
    expected = torch.zeros(4, 2, 3)
    for (j, i) in edges:
        for k in range(2):
            expected[i, k] += alpha[j, i, k] * h[j, k]
    return expected.reshape(4, 6) + conv.bias, alpha


@pytest.mark.parametrize("normalize", ["dst", "src"])
def test_matches_dense_reference(normalize):
    """Second way to compute the same thing: the equation of the docstring with dense loops."""
    conv = layer(heads=2, out=3, normalize=normalize)
    x = torch.randn(4, 4)
    expected, alpha = dense_reference(conv, x, normalize)
    out, (ei, a) = conv(x, EDGE_INDEX, EDGE_WEIGHT, return_attention_weights=True)
    assert torch.allclose(out, expected, atol=1e-5)
    for t in range(5):  # the given edges keep their positions
        j, i = int(ei[0, t]), int(ei[1, t])
        assert torch.allclose(a[t], torch.stack([alpha[j, i, k] for k in range(2)]), atol=1e-6)


def test_sender_normalisation_sums_to_one_over_each_nodes_out_edges():
    _, (ei, alpha) = layer(heads=3, normalize="src")(torch.randn(4, 4), EDGE_INDEX, EDGE_WEIGHT,
                                                     return_attention_weights=True)
    out_sums = torch.zeros(4, 3).index_add_(0, ei[0], alpha)
    assert torch.allclose(out_sums, torch.ones(4, 3), atol=1e-6)
    in_sums = torch.zeros(4, 3).index_add_(0, ei[1], alpha)
    assert not torch.allclose(in_sums, torch.ones(4, 3), atol=1e-3)  # unlike the paper's normalisation
    assert repr(layer(normalize="src")) == "WeightedGATConv(4, 5, heads=2, concat=True, normalize='src')"
    with pytest.raises(ValueError, match="over senders"):
        WeightedGATConv(4, 5, normalize="both")


def test_changing_only_an_edge_weight_changes_attention():
    conv = layer()
    x = torch.randn(4, 4)
    _, (_, a1) = conv(x, EDGE_INDEX, EDGE_WEIGHT, return_attention_weights=True)
    w2 = EDGE_WEIGHT.clone()
    w2[0] = 7.0  # 0 -> 1
    _, (_, a2) = conv(x, EDGE_INDEX, w2, return_attention_weights=True)
    assert not torch.allclose(a1[0], a2[0])
    # attention into node 0 (from 2 and its own loop) does not depend on the edge into node 1
    into_0 = [3, 5]
    assert torch.allclose(a1[into_0], a2[into_0])


def test_permuting_nodes_permutes_outputs():
    conv = layer()
    x = torch.randn(4, 4)
    perm = torch.tensor([2, 0, 3, 1])  # new node i is old node perm[i]
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(4)
    out = conv(x, EDGE_INDEX, EDGE_WEIGHT)
    out_p = conv(x[perm], inv[EDGE_INDEX], EDGE_WEIGHT)
    assert torch.allclose(out_p, out[perm], atol=1e-6)


def test_every_parameter_gets_a_gradient():
    conv = layer()
    conv(torch.randn(4, 4), EDGE_INDEX, EDGE_WEIGHT).pow(2).sum().backward()
    for name, p in conv.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_attention_explainer_finds_the_attention():
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import AttentionExplainer

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = layer(heads=2, concat=False, out=3)

        def forward(self, x, edge_index):
            return self.conv(x, edge_index)

    explainer = Explainer(model=Net(), algorithm=AttentionExplainer(), explanation_type="model",
                          edge_mask_type="object", model_config={"mode": "regression", "task_level": "node",
                                                                     "return_type": "raw"})
    expl = explainer(torch.randn(4, 4), EDGE_INDEX)
    assert expl.edge_mask.shape == (5,)
    assert torch.all(expl.edge_mask >= 0) and expl.edge_mask.sum() > 0
