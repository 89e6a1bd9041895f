"""SR-GNN's attention readout: the sum over distinct nodes that we use, against the paper's sum over clicks."""
import torch

from fgnn.nn.readouts import SRGNNAttentionReadout


def _readout():
    torch.manual_seed(0)
    return SRGNNAttentionReadout(4)


def _by_hand(r, v_last, nodes):
    alpha = r.q(torch.sigmoid(r.W_1(v_last) + r.W_2(nodes))).squeeze(-1)
    s_g = (alpha.unsqueeze(-1) * nodes).sum(0)
    return r.W_3(torch.cat([v_last, s_g]))


def test_sum_runs_over_distinct_nodes():
    r = _readout()
    x = torch.randn(3, 4)  # session a, b, a, c: nodes a, b, c; last click c
    session, alpha = r(x, torch.zeros(3, dtype=torch.long), torch.tensor([2]))
    assert alpha.shape == (3,)
    assert torch.allclose(session[0], _by_hand(r, x[2], x), atol=1e-6)


def test_a_repeated_click_is_counted_once_unlike_the_paper():
    r = _readout()
    x = torch.randn(3, 4)
    ours, _ = r(x, torch.zeros(3, dtype=torch.long), torch.tensor([2]))
    per_click = x[[0, 1, 0, 2]]  # the paper's sum over click positions counts item a twice
    assert not torch.allclose(ours[0], _by_hand(r, x[2], per_click), atol=1e-4)
    # without a repeat the two sums are the same
    no_repeat = x[[0, 1, 2]]
    assert torch.allclose(ours[0], _by_hand(r, x[2], no_repeat), atol=1e-6)
