"""Ranking metrics over full item rankings, vectorised in torch.

Tie rule: ties never flatter a model. The rank of the target is the number of items whose
score is at least the target's (the target included), i.e. ``1 + (strictly higher) + (other
items tied with it)``. Where no other item shares the target's score, which is the case for
float scores of a trained network, this is the usual ``1 + number of strictly higher items``.
Where scores tie (count-based baselines give many items a score of exactly 0), the target is
placed after every item it ties with: a model cannot hit by scoring almost everything equal.
NaN scores count against the target. All metrics are in percent and averaged over every test prefix.
"""
from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


def _minus_lower(work: Tensor, target_score: Tensor, dim: int) -> Tensor:
    """``-(number of entries scored below the target)`` along ``dim``, overwriting ``work``:
    ``sum(sign(min(s - t, 0)))`` (see :func:`target_ranks`)."""
    return work.sub_(target_score).clamp_(max=0).sign_().sum(dim=dim)


def _ranks(minus_lower: Tensor, n: int) -> Tensor:
    """Ranks from the (negated) counts of items scored lower, out of ``n``."""
    return torch.nan_to_num(minus_lower + n, nan=float(n)).to(torch.long)


def target_ranks(scores: Tensor, targets: Tensor, inplace: bool = False) -> Tensor:
    """Rank of each target column in its row of ``scores`` ``[B, N]`` (1 = best), ties
    counted against the target (see the module docstring).

    ``targets`` are column indices (item index - 1). With ``inplace=True`` the scores are
    overwritten (the evaluation loop owns its score chunks and saves a copy).

    The count of items scored at least as high as the target is ``N - (number scored lower)``,
    and the number scored lower is ``-sum(sign(min(s - t, 0)))``: three in-place passes over the
    row and a float sum, about 5x faster on a CPU than materialising ``scores >= t`` as a boolean
    tensor and summing it. Counts stay exact in float32 up to 2**24 items. NaN scores count
    against the target too: another item's NaN counts as scored at least as high, and a NaN
    target ranks last.
    """
    n = scores.size(1)
    if not scores.is_floating_point():
        scores, inplace = scores.double(), True
    target_score = scores.gather(1, targets.view(-1, 1))
    work = scores if inplace else scores.clone()
    return _ranks(_minus_lower(work, target_score, dim=1), n)


def item_ranks(scores: Tensor, columns: Iterable[int] | Tensor) -> Tensor:
    """Rank ``[B, M]`` of each of ``columns`` (item index - 1) in every row of ``scores`` ``[B, N]``:
    :func:`target_ranks` for several items of each row at once (the builder's top-K under each
    what-if variant, an item's rank along a deletion curve), same tie and NaN rules.

    Each row is sorted once and every item's count of lower scores is its insertion point, so the
    memory is ``B x N`` whatever ``M`` is (not the ``B x M x N`` of comparing every pair). NaN
    scores sort as ``+inf``: another item's NaN counts as scored at least as high, and a NaN item
    ranks last (``N``), as in :func:`target_ranks`.
    """
    cols = torch.as_tensor(columns, dtype=torch.long, device=scores.device).view(-1)
    n = scores.size(1)
    if not scores.is_floating_point():
        scores = scores.double()
    own = scores[:, cols]  # [B, M]
    ascending = torch.where(scores.isnan(), float("inf"), scores).sort(dim=1).values
    below = torch.searchsorted(ascending, own.contiguous(), side="left")
    return torch.where(own.isnan(), n, n - below)


# Items scored per block by :func:`embedding_ranks` on a CPU: a [1024 x B] block of scores
# (2 MB at B = 500) and its 400 kB of item rows stay in cache between the product and the count.
RANK_BLOCK = 1024


@torch.no_grad()
def embedding_ranks(session: Tensor, table: Tensor, targets: Tensor, block: int | None = None) -> Tensor:
    """:func:`target_ranks` of the scores ``session @ table.T`` without the ``[B, N]`` score matrix.

    ``session`` is ``[B, d]``, ``table`` the ``[N, d]`` item table, ``targets`` column indices.
    The items are scored ``block`` at a time into one reused ``[block, B]`` buffer and each block
    is counted against the targets' scores while it is still in cache (same tie and NaN rules as
    :func:`target_ranks`). Writing out whole ``[64 x N]`` score chunks instead costs more than the
    product itself on a CPU (fresh pages for every chunk, then a second pass from memory).

    The targets' scores come from the same matrix product kernel (``[B x d] x [d x B]``, its
    diagonal), so that they round as the blocks do and exact ties stay ties; each is also written
    into the target's own cell of its block, so a target is never counted below itself.
    ``block=None`` picks :data:`RANK_BLOCK` on a CPU and the whole table in one block elsewhere
    (a GPU has memory to spare and pays per kernel launch).
    """
    n, b = table.size(0), session.size(0)
    if b == 0:
        return torch.zeros(0, dtype=torch.long, device=session.device)
    session = session.to(table.dtype)
    if block is None:
        block = RANK_BLOCK if table.device.type == "cpu" else n
    block = max(1, min(block, n))
    st = session.t()
    target_score = torch.mm(table.index_select(0, targets), st).diagonal().clone()
    rows = torch.arange(b, device=session.device)
    minus_lower = session.new_zeros(b)
    buf = session.new_empty(block, b)
    for j in range(0, n, block):
        items = table[j:j + block]
        scores = buf[:items.size(0)]
        torch.mm(items, st, out=scores)
        local = targets - j
        inside = (local >= 0) & (local < items.size(0))
        local = local.clamp(0, items.size(0) - 1)
        scores[local, rows] = torch.where(inside, target_score, scores[local, rows])
        minus_lower += _minus_lower(scores, target_score, dim=0)
    return _ranks(minus_lower, n)


def hit_rate_at_k(ranks: Tensor, k: int) -> float:
    """HR@K (the papers' P@20): share of targets ranked within the top K, in percent."""
    return float((ranks <= k).double().mean() * 100) if ranks.numel() else 0.0


def mrr_at_k(ranks: Tensor, k: int) -> float:
    """MRR@K: mean of 1/rank where rank <= K, else 0, in percent."""
    if not ranks.numel():
        return 0.0
    rr = torch.where(ranks <= k, 1.0 / ranks.double(), torch.zeros((), dtype=torch.double))
    return float(rr.mean() * 100)


def ndcg_at_k(ranks: Tensor, k: int) -> float:
    """NDCG@K with one relevant item: 1/log2(rank + 1) where rank <= K, else 0, in percent."""
    if not ranks.numel():
        return 0.0
    gain = torch.where(ranks <= k, 1.0 / torch.log2(ranks.double() + 1), torch.zeros((), dtype=torch.double))
    return float(gain.mean() * 100)


def summarize(ranks: Tensor, ks: Iterable[int] = (20,)) -> dict:
    """``{"hit@K", "mrr@K", "ndcg@K"}`` for every K, plus ``n``."""
    ranks = ranks.cpu()
    out: dict = {}
    for k in ks:
        out[f"hit@{k}"] = hit_rate_at_k(ranks, k)
        out[f"mrr@{k}"] = mrr_at_k(ranks, k)
        out[f"ndcg@{k}"] = ndcg_at_k(ranks, k)
    out["n"] = int(ranks.numel())
    return out


def slice_metrics(ranks: Tensor, groups: Tensor, labels: list[str], k: int = 20) -> list[dict]:
    """Metrics per group (``groups[i]`` indexes ``labels``): the start of qualitative debugging."""
    rows = []
    for g, label in enumerate(labels):
        r = ranks[groups == g]
        rows.append({"group": label, "n": int(r.numel()), "hit": hit_rate_at_k(r, k),
                     "mrr": mrr_at_k(r, k), "ndcg": ndcg_at_k(r, k)})
    return rows


def length_buckets(lengths: Tensor, edges=(1, 2, 3, 5, 10)) -> tuple[Tensor, list[str]]:
    """Bucket prefix lengths: 1, 2, 3-4, 5-9, 10+ by default."""
    e = torch.tensor(edges)
    groups = torch.bucketize(lengths, e, right=True) - 1
    labels = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] - 1 if i + 1 < len(edges) else None
        labels.append(str(lo) if hi == lo else (f"{lo}-{hi}" if hi is not None else f"{lo}+"))
    return groups.clamp(min=0), labels


def popularity_buckets(target_popularity: Tensor, n_buckets: int = 4) -> tuple[Tensor, list[str]]:
    """Quantile buckets of the target's training popularity (least popular first)."""
    pop = target_popularity.double()
    qs = torch.quantile(pop, torch.linspace(0, 1, n_buckets + 1, dtype=torch.double)[1:-1]) if pop.numel() else torch.zeros(n_buckets - 1, dtype=torch.double)
    groups = torch.bucketize(pop, qs, right=True)
    bounds = [float(pop.min()) if pop.numel() else 0.0] + qs.tolist() + [float(pop.max()) if pop.numel() else 0.0]
    labels = [f"Q{i + 1} ({bounds[i]:.0f}-{bounds[i + 1]:.0f} clicks)" for i in range(n_buckets)]
    return groups, labels
