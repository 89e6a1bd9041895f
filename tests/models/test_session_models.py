"""FGNN and SR-GNN on hand-built sessions: shapes, readout attention, gradients, no leakage."""
import pytest
import torch
import torch.nn.functional as F

from fgnn.data.graph import build_graph_batch, pad_sequences
from fgnn.explain.sessions import explain_sessions
from fgnn.models import FGNN, SRGNN, FGNNConfig, SRGNNConfig, build_model
from fgnn.nn import GRUSet2Set, SRGNNAttentionReadout

SESSIONS = [[1, 3, 2, 2, 1, 3, 4], [5], [7, 7, 8], [2, 9, 6, 9]]
N_ITEMS = 10


def batch_of(sessions, targets=None):
    seqs, lengths = pad_sequences(sessions)
    return build_graph_batch(seqs, lengths, None if targets is None else torch.tensor(targets))


def models():
    torch.manual_seed(0)
    return [FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=16)),
            FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=8, num_layers=3, heads=2, last_heads=2, readout_steps=2)),
            SRGNN(SRGNNConfig(n_items=N_ITEMS, hidden_size=16, steps=2)),
            FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=16, last_click=True)),
            FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=8, num_layers=3, heads=2, attention_norm="src",
                            concat_heads=False, last_activation=True))]


IDS = ["fgnn", "fgnn-3layers", "srgnn", "fgnn-last-click", "fgnn-ablation-switches"]


@pytest.mark.parametrize("model", models(), ids=IDS)
def test_scores_shape_and_batched_equals_alone(model):
    model.eval()
    batch = batch_of(SESSIONS)
    scores = model(batch)
    assert scores.shape == (len(SESSIONS), N_ITEMS)
    for i, s in enumerate(SESSIONS):
        alone = model(batch_of([s]))
        assert torch.allclose(alone[0], scores[i], atol=1e-5), f"session {i} leaks into or from the batch"


@pytest.mark.parametrize("model", models(), ids=IDS)
def test_every_parameter_receives_a_gradient(model):
    batch = batch_of(SESSIONS, [2, 6, 9, 1])
    F.cross_entropy(model(batch), batch.targets - 1).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("model", models(), ids=IDS)
def test_session_order_in_batch_permutes_scores(model):
    model.eval()
    order = [2, 0, 3, 1]
    a = model(batch_of(SESSIONS))
    b = model(batch_of([SESSIONS[i] for i in order]))
    assert torch.allclose(b, a[order], atol=1e-5)


def test_fgnn_readout_is_order_blind_unless_it_sees_the_last_click():
    # [1, 2, 3, 1] and [2, 3, 1, 2] make the same graph (the cycle 1->2->3->1, weight 1 each);
    # only the last click tells them apart
    torch.manual_seed(0)
    plain = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=16)).eval()
    torch.manual_seed(0)
    with_last = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=16, last_click=True)).eval()
    batch = batch_of([[1, 2, 3, 1], [2, 3, 1, 2]])
    a = plain(batch)
    assert torch.allclose(a[0], a[1], atol=1e-5)
    b = with_last(batch)
    assert not torch.allclose(b[0], b[1], atol=1e-3)
    # session = W [readout || h_last], and the readout part is the same for both sessions
    h = with_last.embed_nodes(batch)
    h = with_last.layers[1](with_last.layers[0](h, batch.edge_index, batch.edge_weight).relu(),
                            batch.edge_index, batch.edge_weight)
    readout, _ = with_last.readout(h, batch.batch, 2)
    assert torch.allclose(readout[0], readout[1], atol=1e-5)
    expected = with_last.last_click(torch.cat([readout, h[batch.last_node]], -1))
    assert torch.allclose(with_last.session_embedding(batch)[0], expected, atol=1e-6)


def test_gru_set2set_attention_sums_to_one_in_each_session_every_step():
    torch.manual_seed(0)
    readout = GRUSet2Set(6, steps=3)
    x = torch.randn(7, 6)
    batch = torch.tensor([0, 0, 0, 1, 2, 2, 2])
    out, attention = readout(x, batch, 3)
    assert out.shape == (3, 6) and len(attention) == 3
    for a in attention:
        assert torch.allclose(torch.zeros(3).index_add_(0, batch, a), torch.ones(3), atol=1e-6)
    assert float(attention[0][3]) == pytest.approx(1.0)  # a one-node session attends to its only node


def test_gru_set2set_matches_a_loop_over_sessions():
    torch.manual_seed(1)
    readout = GRUSet2Set(4, steps=2)
    x = torch.randn(5, 4)
    batch = torch.tensor([0, 0, 1, 1, 1])
    out, _ = readout(x, batch, 2)
    for b in range(2):
        xs = x[batch == b]
        q_star, h = torch.zeros(1, 8), torch.zeros(1, 4)
        for _ in range(2):
            h = readout.gru(q_star, h)
            a = torch.softmax(xs @ h[0], 0)
            q_star = torch.cat([h, (a.unsqueeze(1) * xs).sum(0, keepdim=True)], 1)
        assert torch.allclose(readout.project(q_star)[0], out[b], atol=1e-6)


def test_srgnn_readout_uses_the_last_click_not_the_last_new_node():
    torch.manual_seed(0)
    readout = SRGNNAttentionReadout(4)
    x = torch.randn(3, 4)
    batch = torch.zeros(3, dtype=torch.long)
    # session [a, b, c, a]: last click is node 0 although node 2 is the last new node
    graph = batch_of([[1, 2, 3, 1]])
    assert int(graph.last_node[0]) == 0
    out, alpha = readout(x, batch, graph.last_node)
    v_n = x[0]
    expected_alpha = readout.q(torch.sigmoid(readout.W_1(v_n) + readout.W_2(x))).squeeze(-1)
    assert torch.allclose(alpha, expected_alpha)
    s_g = (expected_alpha.unsqueeze(1) * x).sum(0)
    assert torch.allclose(out[0], readout.W_3(torch.cat([v_n, s_g])), atol=1e-6)


def test_attention_tables():
    torch.manual_seed(0)
    model = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=16))
    item_ids = torch.arange(N_ITEMS + 1) * 100
    item_ids[0] = -1
    expl = explain_sessions(model, [[1, 3, 2, 2, 1, 3, 4], [5]], item_ids, k=3)
    assert list(expl.topk.columns) == ["session", "rank", "item", "score", "probability"]
    assert len(expl.topk) == 6 and expl.topk.item.isin(item_ids[1:].tolist()).all()
    e = expl.edge_attention
    assert set(e.layer) == {0, 1} and set(e[e.layer == 0]["head"]) == set(range(8)) and set(e[e.layer == 1]["head"]) == {0}
    sums = e.groupby(["session", "layer", "head", "dst_node"]).attention.sum()
    assert ((sums - 1).abs() < 1e-5).all()
    # session 0: 5 merged edges + added loops on nodes 0, 1, 3 (node 2 has its own loop 2 -> 2)
    s0 = e[(e.session == 0) & (e.layer == 0) & (e["head"] == 0)]
    assert len(s0) == 8 and s0.added_self_loop.sum() == 3
    assert s0[(s0.src == 100) & (s0.dst == 300)].weight.item() == 2.0
    n = expl.node_attention
    assert set(n.step) == {0, 1, 2}
    assert ((n.groupby(["session", "step"]).attention.sum() - 1).abs() < 1e-5).all()
    assert n[n.session == 1].item.tolist() == [500, 500, 500]


def test_build_model_refuses_unknown_names_and_hyperparameters():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("gru4rec", 10)
    with pytest.raises(ValueError, match="no hyperparameter"):
        build_model("fgnn", 10, hidden=3)
    assert build_model("srgnn", 10, hidden_size=8).config.hidden_size == 8


def test_table_gradient_equals_plain_autograd_lookup():
    """The in-place row gradient of the node lookup gives exactly autograd's gradient."""
    torch.manual_seed(0)
    model = SRGNN(SRGNNConfig(n_items=N_ITEMS, hidden_size=16))
    batch = batch_of(SESSIONS, [2, 6, 9, 1])
    F.cross_entropy(model(batch), batch.targets - 1).backward()
    fast = model.embedding.weight.grad.clone()

    model.zero_grad()
    plain = lambda b: model.embedding(b.x - 1)
    h = model.gnn(plain(batch), batch.edge_index, batch.in_degree_inv, batch.out_degree_inv)
    session, _ = model.readout(h, batch.batch, batch.last_node)
    F.cross_entropy(model.score(session), batch.targets - 1).backward()
    assert torch.allclose(fast, model.embedding.weight.grad, atol=1e-6)
    assert fast[[0, 2]].abs().sum() > 0  # items 1 and 3 are looked up and scored


def test_fgnn_ablation_switches_change_the_layers_and_default_to_the_paper():
    paper = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=8, heads=4))
    assert [layer.concat for layer in paper.layers] == [True, False]
    assert [layer.normalize for layer in paper.layers] == ["dst", "dst"]
    assert paper.layers[1].in_channels == 32  # 4 concatenated heads of 8
    averaged = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=8, heads=4, concat_heads=False, attention_norm="src"))
    assert [layer.concat for layer in averaged.layers] == [False, False]
    assert averaged.layers[1].in_channels == 8 and averaged.layers[1].heads == 1
    assert [layer.normalize for layer in averaged.layers] == ["src", "src"]
    with pytest.raises(ValueError, match="over senders"):
        build_model("fgnn", N_ITEMS, attention_norm="out")


def test_fgnn_last_activation_applies_the_activation_after_the_last_layer():
    torch.manual_seed(0)
    plain = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=8)).eval()
    torch.manual_seed(0)
    act = FGNN(FGNNConfig(n_items=N_ITEMS, hidden_size=8, last_activation=True)).eval()
    act.load_state_dict(plain.state_dict())  # same weights: only the forward pass differs
    batch = batch_of(SESSIONS)
    h = plain.embed_nodes(batch)
    h = plain.layers[1](plain.layers[0](h, batch.edge_index, batch.edge_weight).relu(),
                        batch.edge_index, batch.edge_weight)
    expected, _ = plain.readout(h.relu(), batch.batch, batch.num_graphs)
    assert torch.allclose(act.session_embedding(batch)[0], expected, atol=1e-6)
    assert not torch.allclose(plain.session_embedding(batch)[0], expected, atol=1e-4)


def test_old_fgnn_checkpoint_config_loads_with_the_paper_defaults(tmp_path):
    from fgnn.models.checkpoint import load_checkpoint, load_model, save_checkpoint

    # a checkpoint written before the switches existed (the shipped one now states them)
    shipped = load_checkpoint("checkpoints/fgnn-sample/best.pt")
    switches = ("last_click", "attention_norm", "concat_heads", "last_activation")
    old = dict(shipped, model_config={k: v for k, v in shipped["model_config"].items() if k not in switches})
    model, ckpt = load_model(save_checkpoint(old, tmp_path / "old.pt"))
    assert "attention_norm" not in ckpt["model_config"]
    cfg = model.config
    assert (cfg.attention_norm, cfg.concat_heads, cfg.last_activation) == ("dst", True, False)
