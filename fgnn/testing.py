"""A test kit for models, built-in or your own (docs/own-model.md).

    from fgnn.testing import check_model
    check_model(NARM)            # raises AssertionError naming the first broken rule; returns what it checked

:func:`check_model` builds the model on a tiny made-up catalogue and checks the contract every part
of FGNN Studio relies on: the class attributes and the config (a dataclass with ``n_items`` and a
default for every other field), the scores' shape ``[B, n_items]`` (column ``j`` = item ``j + 1``:
no score for the padding item 0) and that they are finite, for sessions of one click and with
repeats; a ``state_dict`` round trip through a ``weights_only`` load (what a checkpoint is);
determinism (the same seed builds the same model, and scoring twice gives the same scores); one
gradient step reaches the parameters of a trainable model; the attention's format where the model
returns attention; and the completeness of integrated gradients (their sum is the score minus the
score with every click embedding 0) where they apply.
"""
from __future__ import annotations

import dataclasses
import io

import numpy as np
import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.graph import make_batch
from fgnn.data.sessions import SessionPairs
from fgnn.explain import attribution
from fgnn.models.neural import GraphSessionModel
from fgnn.models.plugins import PluginError, check_class
from fgnn.models.registry import BUILTIN

SESSIONS = [[1], [2, 3, 2], [4, 5, 6, 7, 5], [1, 8, 9, 8, 1, 10]]
TRAIN = [[1, 2, 3], [2, 3, 2, 4], [1, 5], [3, 4, 4], [5, 6, 7, 8], [8, 9, 10, 1], [9, 10, 11, 12]]


def _config_class(cls) -> type:
    spec = BUILTIN.get(getattr(cls, "name", None))
    if spec is not None and spec.model_class is cls:
        return spec.config_class

    try:
        check_class(cls)
    except PluginError as exc:
        raise AssertionError(str(exc)) from None
    return cls.config_class


def _dataset(n_items: int) -> PreparedDataset:
    train = [[min(i, n_items) for i in s] for s in TRAIN]
    return PreparedDataset(name="check-model", fingerprint="check-model", n_items=n_items,
                           item_ids=torch.arange(-1, n_items), train=SessionPairs.from_sessions(train),
                           test=SessionPairs.from_prefixes([[1]], [2]))


def _build(cls, config, seed: int, dataset):
    torch.manual_seed(seed)
    model = cls(config)
    model.fit(dataset)
    return model.eval()


def _scores(model, sessions) -> torch.Tensor:
    with torch.no_grad():
        return model(make_batch(sessions)).detach().float().cpu()


def _check_attention(model, batch, raw) -> None:
    assert isinstance(raw, dict), f"attention(batch) returned {type(raw).__name__}, not a dict"
    scores = raw.get("scores")
    assert scores is None or tuple(scores.shape) == (batch.num_graphs, model.n_items), \
        f"attention's scores have shape {tuple(scores.shape)}, not {(batch.num_graphs, model.n_items)}"
    readout = raw.get("readout") or []
    assert isinstance(readout, (list, tuple)), "attention's 'readout' must be a list (one tensor per step)"
    for a in readout:
        assert tuple(a.shape) == (batch.num_nodes,), \
            f"a readout attention has shape {tuple(a.shape)}, not one number per node ({batch.num_nodes},)"
        assert torch.isfinite(a).all(), "a readout attention is not finite"
    layers = raw.get("layers") or []
    assert isinstance(layers, (list, tuple)), "attention's 'layers' must be a list (one entry per layer)"
    for entry in layers:
        assert len(entry) == 4, "a layer's attention is (edge_index [2, E'], alpha [E', H], added_self_loop [E'], valid [E'])"
        edge_index, alpha, added, valid = entry
        E = edge_index.size(1)
        assert edge_index.dim() == 2 and edge_index.size(0) == 2, "a layer's edge_index must be [2, E']"
        assert E >= batch.edge_index.size(1), "a layer's edges start with the batch's edges"
        assert alpha.dim() == 2 and alpha.size(0) == E, f"a layer's alpha must be [E', H], got {tuple(alpha.shape)}"
        assert tuple(added.shape) == (E,) and added.dtype == torch.bool, "added_self_loop must be bool [E']"
        assert tuple(valid.shape) == (E,) and valid.dtype == torch.bool, "valid must be bool [E']"


def _ig_completeness(model, item: int, steps: int) -> tuple[float, float]:
    """``(sum of the integrated gradients of one session, score - score at zero embeddings)``."""
    batch = make_batch([SESSIONS[2]])
    if isinstance(model, GraphSessionModel):
        node, _ = attribution.integrated_gradients(model, batch, item, steps=steps, edges=False)
        wrapped = attribution.EmbeddedSessionModel(model, batch)
        x = attribution.node_embeddings(model, batch)
        with torch.no_grad():
            full = float(wrapped(x, batch.edge_index)[0, item - 1])
            zero = float(wrapped(torch.zeros_like(x), batch.edge_index)[0, item - 1])
        return float(np.sum(node)), full - zero
    node = attribution.sequence_integrated_gradients(model, batch, item, steps=steps)
    ends = attribution.sequence_integrated_gradients(model, batch, item, alphas=[1.0, 0.0])
    return float(np.sum(node)), float(ends[0] - ends[1])


def check_model(cls, n_items: int = 12, seed: int = 0, ig_steps: int = 64, **params) -> list[str]:
    """Check that ``cls`` keeps the model contract (module docstring); ``params``: hyperparameters
    (every other one keeps its default). Raises :class:`AssertionError` naming the first broken
    rule; returns the names of the checks made."""
    done = []
    config_class = _config_class(cls)
    config = config_class(n_items=n_items, **params)
    done.append("contract")
    dataset = _dataset(n_items)
    model = _build(cls, config, seed, dataset)
    assert int(model.n_items) == n_items, f"model.n_items is {model.n_items}, the config's {n_items}"
    scores = _scores(model, SESSIONS)
    assert tuple(scores.shape) == (len(SESSIONS), n_items), (
        f"scores have shape {tuple(scores.shape)}, not [sessions, n_items] = {(len(SESSIONS), n_items)}: column j "
        "scores item j + 1, and the padding item 0 gets no column")
    assert torch.isfinite(scores).all(), "some scores are not finite"
    done.append("shapes")
    assert torch.equal(scores, _scores(model, SESSIONS)), "scoring the same sessions twice gave different scores"
    again = _build(cls, config, seed, dataset)
    assert torch.equal(scores, _scores(again, SESSIONS)), "the same seed built a model that scores differently"
    done.append("determinism")
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    torch.manual_seed(seed + 1)
    fresh = cls(config_class(**dataclasses.asdict(config)))
    fresh.load_state_dict(state)
    fresh.eval()
    assert torch.allclose(scores, _scores(fresh, SESSIONS), rtol=1e-5, atol=1e-6), \
        "a model rebuilt from its config and state_dict scores differently: keep everything it learned in its state_dict"
    done.append("state_dict")
    if getattr(model, "trainable", False):
        model.train()
        model.zero_grad(set_to_none=True)
        batch = make_batch(SESSIONS)
        loss = torch.nn.functional.cross_entropy(model(batch), torch.tensor([2, 4, 6, 9]) - 1)
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
        assert grads, "a trainable model got no gradient from its scores"
        assert all(torch.isfinite(g).all() for g in grads), "a gradient is not finite"
        model.zero_grad(set_to_none=True)
        model.eval()
        done.append("gradient")
    if attribution.exposes_attention(model):
        batch = make_batch(SESSIONS)
        _check_attention(model, batch, model.attention(batch))
        done.append("attention")
    if "ig" in attribution.methods_for(model):
        item = int(scores[2].argmax()) + 1
        total, diff = _ig_completeness(model, item, ig_steps)
        assert abs(total - diff) <= 0.02 * abs(diff) + 1e-3, (
            f"integrated gradients add up to {total:.6f}, but score - score(zero embeddings) is {diff:.6f}: "
            "the model's score must depend on the clicks only through the embeddings they are given")
        done.append("attribution")
    return done
