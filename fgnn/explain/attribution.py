"""Why this item? Per-click and per-edge attributions of one item's score, and a test of them.

For one session and one chosen item (any top-K row, the true next item, an id typed in) this
module says how much each distinct clicked item (a node of the session graph) and each edge
contributed to that item's score, by four methods (``docs/explanations.md``):

* ``attention``: the model's own attention. FGNN: readout attention per node (mean over the
  Set2Set steps), WGAT attention per edge (mean over layers and heads). SR-GNN: its readout
  weight per node (not normalised, may be negative); it has no edge attention.
* ``ig``: integrated gradients (captum, through :class:`torch_geometric.explain.Explainer`
  and ``CaptumExplainer('IntegratedGradients')``) of the item's raw score. Nodes: over the node
  embeddings, summed per node, baseline all-zero embeddings, so the node numbers add up to
  ``score(session) - score(zero embeddings)``. Edges: over a mask that scales each edge's
  messages, baseline 0, so the edge numbers add up to ``score - score(no messages along the
  session's edges)``.
* ``gnnexplainer``: :class:`torch_geometric.explain.algorithm.GNNExplainer`'s soft masks in
  [0, 1] (one per node, one per edge) that keep the item's log-probability with as little of
  the graph as it can. A size, not a signed contribution.
* ``exact`` (baselines): Markov's score is the last click's transition count (every other click
  contributes 0); a kNN neighbour's vote is split over the clicked items it shares, in the
  proportions in which they make up its similarity, so the per-item numbers add up to the score
  exactly. POP and S-POP are not explained (:data:`NOT_EXPLAINABLE`).
* ``random``: a seeded random number per node and edge, the reference of the faithfulness test.

Models of your own (docs/own-model.md): a :class:`GraphSessionModel` takes ``ig`` and
``gnnexplainer`` as the built-in networks do, and ``attention`` only where it returns some
(:func:`exposes_attention`); a sequence model (any other trainable model) takes ``ig`` over the
output of its ``embedding`` (:func:`sequence_integrated_gradients`), and ``attention`` where its
``attention(batch)`` returns some.

The neural models take item ids, so every gradient method runs them from embedded nodes
(:class:`EmbeddedSessionModel`: ``x`` = the nodes' rows of the item table, ``edge_index``,
``edge_weight``). A click's attribution is its item's (node's) attribution.

**Deletion curves** (faithfulness): remove the session's items most-important-first (all clicks
of an item at once, so its node leaves the graph) and record the item's score and rank after each
removal, down to one item left. The sessions are scored together by the what-if machinery of
:mod:`fgnn.app.builder`. The area under the curve of the item's share (:func:`item_share`: its softmax
probability for neural models, its share of all votes for count models) over the fraction of
items removed is lower for a more faithful explanation.
"""
from __future__ import annotations

import dataclasses
import math
import random as _random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from fgnn.data.graph import GraphBatch, SessionGraph, make_batch
from fgnn.data.ids import as_original_ids, ids_to_indices, plain_id
from fgnn.errors import CannotExplain
from fgnn.evaluation.metrics import item_ranks
from fgnn.evaluation.ranking import MAX_SESSION_CLICKS, index_session_scores
from fgnn.models import SessionRecommender
from fgnn.models.baselines import SKNN, VSKNN, Markov
from fgnn.models.baselines.counting import expand_ranges, take
from fgnn.models.neural import GraphSessionModel

NEURAL_METHODS = ("attention", "ig", "gnnexplainer")
METHOD_NAMES = {"attention": "attention", "ig": "integrated gradients", "gnnexplainer": "GNNExplainer",
                "exact": "exact contributions", "random": "random"}
NOT_EXPLAINABLE = "not explainable"
IG_STEPS = 20  # Gauss-Legendre points of integrated gradients (docs/explanations.md: accuracy)
GNNEXPLAINER_EPOCHS = 30
GNNEXPLAINER_LR = 0.1


@dataclass
class Attribution:
    """One explanation of one item's score for one session.

    ``nodes``: ``node, item, clicks, attribution`` (one row per node in first-appearance order;
    ``clicks`` = 1-based click positions of the item); ``edges``: ``src_node, dst_node, src,
    dst, weight, attribution`` in the session graph's edge order (attribution NaN where the method
    gives none); ``deletion``: ``step, removed, score, rank, share`` (step 0 = the whole session,
    ``removed`` = the item removed at that step, None at step 0). Items are original ids.
    """

    method: str
    item: int
    score: float
    rank: int
    nodes: pd.DataFrame
    edges: pd.DataFrame
    deletion: pd.DataFrame
    graph: SessionGraph | None = None  # the session graph, original ids in x and sequence

    @property
    def auc(self) -> float:
        return deletion_auc(self.deletion)


# --------------------------------------------------------------------------- which methods
def exposes_attention(model: SessionRecommender) -> bool:
    """True when the model returns attention (``layers`` or ``readout``, docs/own-model.md): a
    built-in network always does; a plugin may not. Asked once per model, on a two-click session."""
    known = model.__dict__.get("_fgnn_exposes_attention")
    if known is None:
        known = False
        if callable(getattr(model, "attention", None)) and getattr(model, "trainable", False):
            was = model.training
            model.eval()
            try:
                raw = model.attention(make_batch([[1, min(2, model.n_items)]])) or {}
            finally:
                model.train(was)
            known = bool(raw.get("readout")) or bool(raw.get("layers"))
        model.__dict__["_fgnn_exposes_attention"] = known
    return known


def clicks_embedding(model: SessionRecommender) -> nn.Module | None:
    """The module a sequence model (a trainable model that is not a :class:`GraphSessionModel`)
    embeds its clicks with, ``model.embedding`` (docs/own-model.md); integrated gradients run over
    its output. None: the model has none, and no integrated gradients."""
    emb = getattr(model, "embedding", None)
    return emb if isinstance(emb, nn.Module) else None


def methods_for(model: SessionRecommender) -> list[str]:
    """The attribution methods that apply to ``model`` (``random`` always does): networks over the
    session graph (built-in or plugins) take integrated gradients and GNNExplainer, sequence models
    with an item embedding integrated gradients; attention where the model returns it."""
    attention = ["attention"] if exposes_attention(model) else []
    if isinstance(model, GraphSessionModel):
        return attention + ["ig", "gnnexplainer", "random"]
    if isinstance(model, (Markov, SKNN, VSKNN)):
        return ["exact", "random"]
    if getattr(model, "trainable", False):
        return attention + (["ig"] if clicks_embedding(model) is not None else []) + ["random"]
    return ["random"]


def check_method(model: SessionRecommender, method: str) -> None:
    """Raise :class:`CannotExplain` naming the methods that apply when ``method`` does not."""
    ok = methods_for(model)
    if method not in ok:
        if method == "attention" and getattr(model, "trainable", False):
            what = "exposes no attention (it returns no 'layers' or 'readout', docs/own-model.md)"
        elif method == "ig" and getattr(model, "trainable", False):
            what = ("has no item embedding 'embedding' that embeds its clicks, so no integrated gradients "
                    "(docs/own-model.md)")
        elif ok == ["random"]:
            what = ("has no exact per-click contributions (its scores do not depend on the clicks "
                    "in a way that splits over them): it is " + NOT_EXPLAINABLE)
        else:
            what = f"cannot be explained by '{method}'"
        raise CannotExplain(f"model '{model.name}' {what}; methods for it: {', '.join(ok)}")


# --------------------------------------------------------------------------- the thin wrapper
class EmbeddedSessionModel(nn.Module):
    """A FGNN / SR-GNN model run from embedded nodes, as :mod:`torch_geometric.explain` wants:
    ``forward(x, edge_index, edge_weight) -> scores [1, n_items]`` for the one session of
    ``batch``; ``x`` replaces the nodes' rows of the item table."""

    def __init__(self, model: GraphSessionModel, batch: GraphBatch):
        super().__init__()
        self.model = model
        self.batch = batch

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        batch = dataclasses.replace(self.batch, edge_index=edge_index,
                                    edge_weight=self.batch.edge_weight if edge_weight is None else edge_weight)
        session, _ = self.model.session_embedding(batch, x=x)
        return self.model.score(session)


def node_embeddings(model: GraphSessionModel, batch: GraphBatch) -> Tensor:
    """The rows of the item table the model embeds the batch's nodes with (detached)."""
    return model.item_table().detach().index_select(0, batch.x - 1)


def _explainer(model: nn.Module, algorithm, node_mask_type, edge_mask_type):
    from torch_geometric.explain import Explainer  # noqa: PLC0415 (torch_geometric's explain modules load only when an explanation is asked for)

    return Explainer(model=model, algorithm=algorithm, explanation_type="phenomenon",
                     node_mask_type=node_mask_type, edge_mask_type=edge_mask_type,
                     model_config={"mode": "multiclass_classification", "task_level": "graph",
                                       "return_type": "raw"})


# --------------------------------------------------------------------------- the methods
def attention_values(model: GraphSessionModel, batch: GraphBatch) -> tuple[np.ndarray, np.ndarray]:
    """``(per node [n], per edge [E] or NaN)``: readout attention (mean over steps) and edge
    attention of the given edges (mean over layers and heads; added self-loops left out)."""
    raw = model.attention(batch) or {}
    E = batch.edge_index.size(1)
    if raw.get("readout"):
        node = torch.stack([a.float().cpu() for a in raw["readout"]]).mean(0).numpy().astype(float)
    else:
        node = np.full(batch.num_nodes, np.nan)
    if raw.get("layers"):
        edge = torch.stack([alpha[:E].float().mean(-1) for _, alpha, _, _ in raw["layers"]]).mean(0)
        edge_np = edge.numpy().astype(float)
    else:
        edge_np = np.full(E, np.nan)
    return node, edge_np


def integrated_gradients(model: GraphSessionModel, batch: GraphBatch, item_index: int,
                         steps: int = IG_STEPS, edges: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integrated gradients of the raw score of ``item_index`` (1..N) through PyG's
    ``CaptumExplainer('IntegratedGradients')``: ``(per node [n], per edge [E])``; see the module
    docstring for the baselines and what the numbers add up to."""
    from torch_geometric.explain.algorithm import CaptumExplainer  # noqa: PLC0415 (torch_geometric's explain modules load only when an explanation is asked for)

    wrapped = EmbeddedSessionModel(model, batch)
    x = node_embeddings(model, batch)
    target = torch.tensor([item_index - 1])
    algo = CaptumExplainer("IntegratedGradients", n_steps=int(steps))
    expl = _explainer(wrapped, algo, "attributes", None)(x, batch.edge_index, target=target,
                                                         edge_weight=batch.edge_weight)
    node = expl.node_mask.sum(-1).detach().double().numpy()
    E = batch.edge_index.size(1)
    edge = np.full(E, np.nan)
    if edges and E:
        algo = CaptumExplainer("IntegratedGradients", n_steps=int(steps))
        expl = _explainer(wrapped, algo, None, "object")(x, batch.edge_index, target=target,
                                                         edge_weight=batch.edge_weight)
        edge = expl.edge_mask.detach().double().numpy()
    return node, edge


def gauss_legendre(steps: int) -> tuple[Tensor, Tensor]:
    """``(points, weights)`` of ``steps``-point Gauss-Legendre quadrature on [0, 1] (as captum's)."""
    x, w = np.polynomial.legendre.leggauss(int(steps))
    return torch.tensor((x + 1) / 2, dtype=torch.float32), torch.tensor(w / 2, dtype=torch.float32)


def sequence_integrated_gradients(model: SessionRecommender, batch: GraphBatch, item_index: int,
                                  steps: int = IG_STEPS, alphas: Sequence[float] | None = None) -> np.ndarray:
    """Integrated gradients of the raw score of ``item_index`` over the embedded clicks of a
    sequence model (:func:`clicks_embedding`), baseline all-zero embeddings, summed per node (all
    clicks of an item): the numbers add up to ``score(session) - score(zero embeddings)``. Every
    point of the path is one row of one batch, so it is one forward and one backward pass.
    ``alphas``: score the session with its click embeddings scaled by each instead, and return the
    scores (the ends of the path, for :func:`fgnn.testing.check_model`)."""
    emb = clicks_embedding(model)
    if emb is None:
        raise CannotExplain(f"model '{model.name}' has no item embedding 'embedding': no integrated gradients")
    length = int(batch.lengths[0])
    session = batch.sequences[0, :length].tolist()
    points, weights = gauss_legendre(steps) if alphas is None else (torch.tensor(list(alphas), dtype=torch.float32),
                                                                    None)
    path = make_batch([session] * len(points))
    held = {}

    def scale(_module, inputs, output):
        if not inputs or not isinstance(inputs[0], Tensor) or tuple(inputs[0].shape) != tuple(path.sequences.shape):
            return None  # another use of the table (e.g. scoring every item): left as it is
        held["e"] = output.detach()
        x = (output.detach() * points.to(output.dtype).view(-1, *([1] * (output.dim() - 1)))).requires_grad_()
        held["x"] = x
        return x

    handle = emb.register_forward_hook(scale)
    try:
        with torch.enable_grad():
            scores = model(path)[:, int(item_index) - 1]
            if alphas is not None:
                return scores.detach().double().numpy()
            if "x" not in held:
                raise CannotExplain(f"model '{model.name}' did not embed its clicks with 'embedding' "
                                    "(called on the padded click sequences): no integrated gradients")
            (grad,) = torch.autograd.grad(scores.sum(), held["x"])
    finally:
        handle.remove()
    per_click = (held["e"][0] * (grad * weights.view(-1, *([1] * (grad.dim() - 1)))).sum(0)).sum(-1)
    node = torch.zeros(batch.num_nodes, dtype=torch.float64)
    node.index_add_(0, batch.click_nodes[0, :length], per_click[:length].double())
    return node.detach().numpy()


def _forget_edge_masks(model: nn.Module) -> None:
    """GNNExplainer leaves ``_edge_mask`` registered as a parameter slot of every message-passing
    layer; a later ``set_masks`` would then wrap captum's mask in a new leaf and cut it off the
    graph. Drop the slot so every explainer starts from a clean model."""
    from torch_geometric.nn import MessagePassing  # noqa: PLC0415 (torch_geometric's explain modules load only when an explanation is asked for)

    for module in model.modules():
        if isinstance(module, MessagePassing):
            module._parameters.pop("_edge_mask", None)
            module._edge_mask = None


def gnnexplainer_masks(model: GraphSessionModel, batch: GraphBatch, item_index: int,
                       epochs: int = GNNEXPLAINER_EPOCHS, lr: float = GNNEXPLAINER_LR,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """GNNExplainer's node and edge masks (in [0, 1]) for ``item_index``; seeded."""
    from torch_geometric.explain.algorithm import GNNExplainer  # noqa: PLC0415 (torch_geometric's explain modules load only when an explanation is asked for)

    wrapped = EmbeddedSessionModel(model, batch)
    x = node_embeddings(model, batch)
    E = batch.edge_index.size(1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        explainer = _explainer(wrapped, GNNExplainer(epochs=int(epochs), lr=float(lr)), "object",
                               "object" if E else None)
        try:
            expl = explainer(x, batch.edge_index, target=torch.tensor([item_index - 1]),
                             edge_weight=batch.edge_weight)
        finally:
            _forget_edge_masks(model)
    node = expl.node_mask.detach().reshape(-1).double().numpy()
    edge = expl.edge_mask.detach().double().numpy() if E else np.zeros(0)
    return node, edge


@torch.no_grad()
def exact_contributions(model: SessionRecommender, batch: GraphBatch, item_index: int) -> np.ndarray:
    """Per-node exact contributions of a count baseline to the score of ``item_index``.

    Markov: the last click's node gets ``count(last -> item)``, every other node 0 (the
    popularity tie-break, at most 1, belongs to no click). SKNN / V-SKNN: each neighbour's vote
    for the item is split over the session items it shares, in proportion to their weight in
    the similarity (1 each for SKNN, the position weight for V-SKNN); the parts add up to the
    score exactly.
    """
    items = batch.x.tolist()
    out = np.zeros(len(items))
    if isinstance(model, Markov):
        last = int(batch.x[batch.last_node[0]])
        lo, hi = int(model.trans_indptr[last]), int(model.trans_indptr[last + 1])
        hit = (model.trans_indices[lo:hi] == item_index).nonzero()
        if hit.numel():
            out[int(batch.last_node[0])] = float(model.trans_counts[lo + int(hit[0, 0])])
        return out
    if not isinstance(model, (SKNN, VSKNN)):
        raise CannotExplain(f"model '{model.name}' is {NOT_EXPLAINABLE} by exact contributions")
    _, ns, sim, step = model.neighbors(batch)
    _, qi, qw, _ = model._query(batch)
    weight = {int(i): float(w) for i, w in zip(qi.tolist(), qw.tolist(), strict=True)}
    node_of = {it: n for n, it in enumerate(items)}
    target = torch.tensor([item_index])
    owner, idx = expand_ranges(take(model.session_indptr, ns), take(model.session_indptr, ns + 1))
    members = take(model.session_items, idx)
    for j in range(ns.numel()):
        held = members[owner == j]
        if not bool((held == item_index).any()):
            continue
        vote = float(model._contribution(sim[j:j + 1], step[j:j + 1], target)[0])
        shared = [int(i) for i in held.tolist() if int(i) in weight]
        total = sum(weight[i] for i in shared)
        for i in shared:
            out[node_of[i]] += vote * weight[i] / total
    return out


# --------------------------------------------------------------------------- deletion curves
def deletion_order(values: Sequence[float]) -> list[int]:
    """Nodes most important first: largest value first, NaN last, ties by node (first seen)."""
    v = np.asarray(values, dtype=float)
    key = np.where(np.isnan(v), -np.inf, v)
    return sorted(range(len(v)), key=lambda n: (-key[n], n))


def deletion_sessions(session: Sequence[int], items_in_order: Sequence[int]) -> list[list[int]]:
    """The session, then with the first 1, 2, ... of ``items_in_order`` removed (every click of
    each), down to one item left."""
    out = [list(session)]
    removed: set[int] = set()
    for item in list(items_in_order)[:-1]:
        removed.add(int(item))
        out.append([c for c in session if c not in removed])
    return out


def item_share(scores: Tensor, column: int, probability: bool) -> Tensor:
    """The item's share of each row of ``scores``: its softmax probability (neural models,
    trained with cross-entropy over these scores) or its score over the row's total (count
    models, whose scores are non-negative votes or counts); 0 for an all-zero row."""
    if probability:
        return torch.softmax(scores.double(), dim=1)[:, column]
    s = scores.double().clamp(min=0)
    total = s.sum(dim=1)
    return torch.where(total > 0, s[:, column] / total.clamp(min=1e-300), torch.zeros_like(total))


def deletion_curve(model: SessionRecommender, session: Sequence[int], items_in_order: Sequence[int],
                   item_index: int, item_ids) -> pd.DataFrame:
    """Score and rank of ``item_index`` after removing ``items_in_order`` (indices) one by one.

    Columns ``step, removed, score, rank, share`` (``removed``: original id, None at step 0;
    ``share``: :func:`item_share`). All variants are scored in one forward pass; ranks follow
    :func:`fgnn.evaluation.metrics.item_ranks`.
    """
    variants = deletion_sessions(session, items_in_order)
    scores = index_session_scores(model, variants)
    col = int(item_index) - 1
    ranks = item_ranks(scores, [col])[:, 0]
    share = item_share(scores, col, probability=bool(getattr(model, "trainable", False)))
    ids = as_original_ids(item_ids)
    removed = [None] + [plain_id(ids[i]) for i in list(items_in_order)[:len(variants) - 1]]
    return pd.DataFrame({"step": np.arange(len(variants)), "removed": pd.Series(removed, dtype=object),
                         "score": scores[:, col].double().numpy(), "rank": ranks.numpy().astype("int64"),
                         "share": share.numpy()})


def deletion_auc(curve: pd.DataFrame) -> float:
    """Area under the item's share (:func:`item_share`) over the fraction of items removed
    (trapezoid on [0, 1]; the last point is one item left); NaN for a one-item session.
    Lower = the explanation's order takes the item's share away sooner."""
    if len(curve) < 2:
        return float("nan")
    y = curve["share"].to_numpy(dtype=float)
    x = np.linspace(0.0, 1.0, len(y))
    return float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))


# --------------------------------------------------------------------------- one explanation
def _random_values(n: int, seed: int) -> np.ndarray:
    rng = _random.Random(seed)
    return np.array([rng.random() for _ in range(n)])


def attribution_values(model: SessionRecommender, batch: GraphBatch, item_index: int, method: str,
                       *, ig_steps: int = IG_STEPS, epochs: int = GNNEXPLAINER_EPOCHS,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(per node, per edge)`` numbers of one method for the one session of ``batch``."""
    check_method(model, method)
    n, E = batch.num_nodes, batch.edge_index.size(1)
    model.eval()
    if method == "attention":
        return attention_values(model, batch)
    if method == "ig" and not isinstance(model, GraphSessionModel):  # a sequence model: over its embedded clicks
        return sequence_integrated_gradients(model, batch, item_index, steps=ig_steps), np.full(E, np.nan)
    if method == "ig":
        return integrated_gradients(model, batch, item_index, steps=ig_steps)
    if method == "gnnexplainer":
        return gnnexplainer_masks(model, batch, item_index, epochs=epochs, seed=seed)
    if method == "exact":
        return exact_contributions(model, batch, item_index), np.full(E, np.nan)
    values = _random_values(n + E, seed)
    return values[:n], values[n:]


def explain_item(model: SessionRecommender, session: Sequence[int], item_index: int, item_ids,
                 method: str, *, ig_steps: int = IG_STEPS, epochs: int = GNNEXPLAINER_EPOCHS,
                 seed: int = 0) -> Attribution:
    """Attributions of the score of ``item_index`` for ``session`` (item indices 1..N) by
    ``method``, with the deletion curve of its order. ``item_ids`` maps indices to original ids
    (:func:`fgnn.data.ids.original_ids`, or an ``item_ids`` tensor)."""
    if not session:
        raise CannotExplain("the session is empty: add at least one click")
    ids = as_original_ids(item_ids)
    n_items = len(ids) - 1
    if not 1 <= int(item_index) <= n_items:
        raise ValueError(f"item index {item_index} is outside the vocabulary (1..{n_items})")
    batch = make_batch([list(session)])
    node_vals, edge_vals = attribution_values(model, batch, int(item_index), method,
                                              ig_steps=ig_steps, epochs=epochs, seed=seed)
    graph = batch.graph(0)
    nodes_idx = graph.x.tolist()
    clicks = graph.click_nodes.tolist()
    nodes = pd.DataFrame({
        "node": np.arange(len(nodes_idx)), "item": ids[graph.x.numpy()],
        "clicks": [[t + 1 for t, c in enumerate(clicks) if c == n] for n in range(len(nodes_idx))],
        "attribution": np.asarray(node_vals, dtype=float),
    })
    ei = graph.edge_index
    edges = pd.DataFrame({
        "src_node": ei[0].numpy().astype("int64"), "dst_node": ei[1].numpy().astype("int64"),
        "src": ids[graph.x[ei[0]].numpy()],
        "dst": ids[graph.x[ei[1]].numpy()],
        "weight": graph.edge_weight.double().numpy(), "attribution": np.asarray(edge_vals, dtype=float),
    })
    order = [nodes_idx[n] for n in deletion_order(node_vals)]
    curve = deletion_curve(model, list(session), order, int(item_index), ids)
    shown = graph.with_original_ids(ids)
    return Attribution(method=method, item=plain_id(ids[int(item_index)]), score=float(curve["score"][0]),
                       rank=int(curve["rank"][0]), nodes=nodes, edges=edges, deletion=curve, graph=shown)


def attribution_json(attr: Attribution) -> dict:
    """The ``fgnn explain --json`` object of one method (``docs/explanations.md``)."""
    def num(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    return {
        "item": attr.item, "method": attr.method, "score": attr.score, "rank": attr.rank,
        "nodes": [{"item": plain_id(r.item), "clicks": [int(c) for c in r.clicks], "attribution": num(r.attribution)}
                  for r in attr.nodes.itertuples()],
        "edges": [{"src": plain_id(r.src), "dst": plain_id(r.dst), "weight": float(r.weight), "attribution": num(r.attribution)}
                  for r in attr.edges.itertuples()],
        "deletion": [{"removed": None if r.removed is None else plain_id(r.removed), "score": float(r.score),
                      "rank": int(r.rank)} for r in attr.deletion.itertuples()],
        "deletion_auc": num(attr.auc),
    }


# --------------------------------------------------------------------------- faithfulness
def sample_pairs(test, n: int, seed: int = 0) -> list[int]:
    """Up to ``n`` test pairs (seeded) whose prefix holds at least two distinct items."""
    ok = [p for p in range(len(test)) if len(set(test.prefix(p))) >= 2]
    rng = _random.Random(seed)
    return sorted(rng.sample(ok, min(int(n), len(ok))))


def faithfulness_table(model: SessionRecommender, test, item_ids: Tensor, pairs: Sequence[int],
                       methods: Sequence[str] | None = None, which: str = "top1",
                       progress: Callable[[int, int], None] | None = None, **opts) -> pd.DataFrame:
    """Deletion AUC of every method on every pair: one row per (pair, method) with ``pair,
    method, nodes, auc, share, first_share, first_rank`` (``share``: the item's share for the
    whole prefix; ``first_*``: after removing the method's most important item). ``which``: ``top1`` explains the model's first
    item for the prefix, ``target`` the true next item. ``progress(done, total)`` after each pair."""
    if which not in ("top1", "target"):
        raise ValueError("which must be 'top1' or 'target'")
    methods = list(methods or methods_for(model))
    for m in methods:
        check_method(model, m)

    rows = []
    for done, p in enumerate(pairs, 1):
        prefix = test.prefix(int(p))
        if which == "target":
            item = int(test.targets[int(p)])
        else:
            item = int(index_session_scores(model, [prefix])[0].argmax()) + 1
        for m in methods:
            a = explain_item(model, prefix, item, item_ids, m, seed=int(p), **opts)
            d = a.deletion
            rows.append((int(p), m, len(a.nodes), a.auc, float(d["share"].iloc[0]), float(d["share"].iloc[1]),
                         int(d["rank"].iloc[1])))
        if progress is not None:
            progress(done, len(pairs))
    return pd.DataFrame(rows, columns=["pair", "method", "nodes", "auc", "share", "first_share", "first_rank"])


def faithfulness_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per method: ``method, pairs, auc`` (mean), ``auc_sem``, ``share`` (mean share of
    the whole prefix, the same for every method), ``first_share`` (mean share after removing its
    top item), ``first_rank`` (median rank then), ``beats_random`` / ``ties_random`` (share of
    pairs where its AUC is below / equal to random's, e.g. when both orders agree; NaN without a
    random row)."""
    out = []
    rand = table[table["method"] == "random"].set_index("pair")["auc"]
    for m, t in table.groupby("method", sort=False):
        auc = t["auc"].dropna()
        beats = ties = np.nan
        if len(rand) and m != "random":
            joined = t.set_index("pair")["auc"].to_frame("a").join(rand.rename("r"), how="inner").dropna()
            if len(joined):
                beats = float((joined["a"] < joined["r"] - 1e-12).mean())
                ties = float(((joined["a"] - joined["r"]).abs() <= 1e-12).mean())
        out.append((m, len(auc), float(auc.mean()) if len(auc) else np.nan,
                    float(auc.std(ddof=1) / math.sqrt(len(auc))) if len(auc) > 1 else np.nan,
                    float(t["share"].mean()), float(t["first_share"].mean()), float(t["first_rank"].median()),
                    beats, ties))
    return pd.DataFrame(out, columns=["method", "pairs", "auc", "auc_sem", "share", "first_share", "first_rank",
                                      "beats_random", "ties_random"])


def explain_ids(model: SessionRecommender, item_ids, session_ids: Sequence, item_id,
                methods: Sequence[str], owner: str = "the checkpoint", **opts) -> dict[str, Attribution]:
    """:func:`explain_item` for a session and an item given as original ids, by each of
    ``methods`` (``item_ids``: :func:`fgnn.data.ids.original_ids`, or an ``item_ids`` tensor). Raises :class:`~fgnn.errors.DataError` naming unknown ids and
    :class:`CannotExplain` (a DataError) for an empty session or a method that does not apply."""
    if not list(session_ids):
        raise CannotExplain("the session is empty: give at least one clicked item id")
    if len(session_ids) > MAX_SESSION_CLICKS:  # the Session builder's limit, for the same reason
        raise CannotExplain(f"the session has {len(session_ids)} clicks, more than the {MAX_SESSION_CLICKS} an "
                            f"explanation takes (the Session builder's limit: each method runs the model many "
                            f"times); explain its last {MAX_SESSION_CLICKS} clicks")
    for m in methods:
        check_method(model, m)
    advice = "use ids of its dataset"
    ids = as_original_ids(item_ids)
    session = ids_to_indices(ids, list(session_ids), owner, advice)
    item = ids_to_indices(ids, [item_id], owner, advice)[0]
    return {m: explain_item(model, session, item, ids, m, **opts) for m in methods}


def faithfulness_verdict(table: pd.DataFrame, method: str = "attention") -> str:
    """One sentence: is ``method`` more faithful than a random order on these pairs? Paired
    differences of the deletion AUC (method - random) over the pairs both have; "more" or "less"
    faithful when the mean difference is more than two standard errors from 0."""
    a = table[table["method"] == method].set_index("pair")["auc"]
    r = table[table["method"] == "random"].set_index("pair")["auc"]
    d = (a - r).dropna()
    name = METHOD_NAMES.get(method, method)
    if len(d) < 2:
        return f"Too few pairs to compare {name} with a random order."
    mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
    if mean + 2 * se < 0:
        word = "more faithful than"
    elif mean - 2 * se > 0:
        word = "less faithful than"
    else:
        word = "not distinguishable from"
    return (f"On {len(d)} test pairs, {name} is {word} a random order: its deletion AUC is "
            f"{mean:+.3f} ± {se:.3f} (mean ± s.e.) from random's, pair by pair.")


def click_table(result: dict[str, Attribution]) -> pd.DataFrame:
    """Per clicked item, every method's number side by side: ``item, clicks`` (1-based click
    positions as text, e.g. ``"1, 3"``), then one column per method of ``result`` (its node
    attribution), in first-click order."""
    first = next(iter(result.values()))
    table = pd.DataFrame({"item": first.nodes["item"].to_numpy(),
                          "clicks": [", ".join(map(str, c)) for c in first.nodes["clicks"]]})
    for method, attr in result.items():
        table[method] = attr.nodes["attribution"].to_numpy(dtype=float)
    return table
