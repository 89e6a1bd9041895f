"""The machinery SKNN and V-SKNN share: finding the k nearest training sessions of a batch
without a loop over its sessions, and their votes."""
from __future__ import annotations

import torch
from torch import Tensor

from fgnn.data.graph import GraphBatch
from fgnn.models.baselines.counting import (
    CountRecommender,
    add_at,
    batch_clicks,
    exclusive_cumsum,
    expand_ranges,
    segment_rank,
    take,
    train_clicks,
)


class SessionKNN(CountRecommender):
    """Shared machinery of SKNN and V-SKNN.

    Fit stores the training sessions as sets of items twice, in CSR form: ``session_indptr`` /
    ``session_items`` (the distinct items of each session) and ``item_indptr`` /
    ``item_sessions`` (the sessions holding each item, in training order = date order, so a
    higher session index is a more recent session).

    Scoring a batch, without a loop over its sessions:

    1. the candidate neighbours of a session are the training sessions that share an item with it;
       only the ``sample_size`` most recent of them are kept (session-rec ``sampling='recent'``;
       ``sample_size=0`` keeps all). A session among the ``m`` most recent of the union is among
       the ``m`` most recent sessions of each of its shared items, so each item's session list is
       cut to its last ``m`` entries before the union is formed: the result is exact.
    2. (session, candidate) pairs are merged with one sort; the overlap (weighted for V-SKNN) is
       summed per pair and the similarity computed;
    3. the ``k`` most similar candidates are the neighbours; equal similarities are broken in
       favour of the more recent session (session-rec leaves such ties to set iteration order).
       Candidates are ranked by a key computed exactly enough that similarities equal in exact
       arithmetic tie exactly (see :meth:`_similarity`), so rounding never picks a neighbour;
    4. each neighbour adds its (weighted) similarity to every item it holds.

    Scores are not divided by their maximum (session-rec's ``normalize=True``): that rescales a
    session's scores by one positive factor and changes no ranking.
    """

    def __init__(self, config):
        super().__init__(config)
        if int(config.k) < 1:
            raise ValueError("k must be at least 1")
        if int(config.sample_size) < 0:
            raise ValueError("sample_size must be >= 0 (0 = all candidate sessions)")
        self.register_buffer("session_indptr", torch.zeros(1, dtype=torch.long))
        self.register_buffer("session_items", torch.zeros(0, dtype=torch.long))
        self.register_buffer("item_indptr", torch.zeros(self.n_items + 2, dtype=torch.long))
        self.register_buffer("item_sessions", torch.zeros(0, dtype=torch.long))

    def fit(self, dataset):
        items, session, n_sessions = train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        width = self.n_items + 1
        keys = torch.unique(session * width + items, sorted=True)  # by session, then item
        s, i = keys // width, keys % width
        self._set("session_indptr", exclusive_cumsum(torch.bincount(s, minlength=n_sessions)))
        self._set("session_items", i)
        order = torch.argsort(i * max(n_sessions, 1) + s)  # by item, then session (recency)
        self._set("item_indptr", exclusive_cumsum(torch.bincount(i, minlength=width)))
        self._set("item_sessions", s[order])
        self._fit_extra(items, n_sessions)
        return self

    def _fit_extra(self, items: Tensor, n_sessions: int) -> None:
        pass

    # subclasses say how the current session is encoded and how neighbours score items
    def _query(self, batch: GraphBatch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Distinct (session, item) pairs of the batch: ``(b, item, weight, step)``, where
        ``step`` is 1 for the last clicked item, 2 for the one before, ... (last occurrence)."""
        b, item, pos, length = batch_clicks(batch)
        width = self.n_items + 1
        keys, inverse = torch.unique(b * width + item, sorted=True, return_inverse=True)
        last_pos = torch.zeros(keys.numel(), dtype=torch.long, device=keys.device)
        last_pos.scatter_reduce_(0, inverse, pos, reduce="amax", include_self=False)
        q_len = torch.zeros_like(last_pos)
        q_len.scatter_reduce_(0, inverse, length, reduce="amax", include_self=False)
        qb, qi = keys // width, keys % width
        return qb, qi, self._position_weight(last_pos, q_len), q_len - last_pos + 1

    def _position_weight(self, position: Tensor, length: Tensor) -> Tensor:  # noqa: ARG002 (the template method's signature)
        """float64 weight numerators; the whole session shares the denominator that
        :meth:`_similarity` divides by."""
        return torch.ones(position.shape, dtype=torch.float64, device=position.device)

    def _similarity(self, overlap: Tensor, query_len: Tensor, query_size: Tensor,
                    cand_size: Tensor) -> tuple[Tensor, Tensor]:
        """``(rank key, similarity)`` per (session, candidate) pair.

        The rank key orders candidates like the similarity but is one correctly rounded division
        of exact integers, so candidates whose similarities are equal in exact arithmetic tie
        exactly and the recency rule, not rounding, decides between them.
        """
        raise NotImplementedError

    def _contribution(self, sim: Tensor, step: Tensor, item: Tensor) -> Tensor:  # noqa: ARG002 (the template method's signature)
        return sim

    def neighbors(self, batch: GraphBatch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """The k nearest training sessions of every session in the batch.

        Returns ``(b, session, similarity, step)`` for every (batch session, neighbour) pair,
        grouped by ``b`` with the most similar first; ``step`` is how far back (1 = last click)
        the most recent item the neighbour shares with the session lies.
        """
        self._check_fitted()
        qb, qi, qw, qstep = self._query(batch)
        query_len = batch.lengths.to(torch.float64).to(qb.device)
        B = batch.sequences.size(0)
        n_sessions = int(self.session_indptr.numel() - 1)
        m, k = int(self.config.sample_size), int(self.config.k)
        dev = qb.device

        # 1. candidates: each item's sessions, cut to its m most recent
        start, end = take(self.item_indptr, qi), take(self.item_indptr, qi + 1)
        if m > 0:
            start = torch.maximum(start, end - m)
        owner, idx = expand_ranges(start, end)
        cand = take(self.item_sessions, idx)
        # 2. merge pairs; keys sort by batch session, then most recent candidate first
        keys, inverse = torch.unique(take(qb, owner) * n_sessions + (n_sessions - 1 - cand),
                                     sorted=True, return_inverse=True)
        overlap = torch.zeros(keys.numel(), dtype=qw.dtype, device=dev)
        overlap.index_add_(0, inverse, take(qw, owner))
        step = torch.full((keys.numel(),), torch.iinfo(torch.long).max, device=dev)
        step.scatter_reduce_(0, inverse, take(qstep, owner), reduce="amin", include_self=True)
        pb = keys // n_sessions
        ps = n_sessions - 1 - keys % n_sessions
        if m > 0:
            keep = torch.nonzero(segment_rank(pb) < m).squeeze(1)
            pb, ps, overlap, step = (take(t, keep) for t in (pb, ps, overlap, step))
        query_size = torch.bincount(qb, minlength=B).to(overlap.dtype)
        cand_size = (take(self.session_indptr, ps + 1) - take(self.session_indptr, ps))
        key, sim = self._similarity(overlap, take(query_len, pb), take(query_size, pb),
                                    cand_size.to(overlap.dtype))
        # 3. top k by similarity within each batch session (stable: recency breaks ties)
        order = torch.argsort(-key, stable=True)
        order = take(order, torch.argsort(take(pb, order), stable=True))
        pb, ps, sim, step = (take(t, order) for t in (pb, ps, sim, step))
        keep = torch.nonzero((segment_rank(pb) < k) & (sim > 0)).squeeze(1)
        return tuple(take(t, keep) for t in (pb, ps, sim, step))

    def forward(self, batch: GraphBatch) -> Tensor:
        nb, ns, sim, step = self.neighbors(batch)
        # 4. every neighbour votes for its items
        owner, idx = expand_ranges(take(self.session_indptr, ns),
                                    take(self.session_indptr, ns + 1))
        item = take(self.session_items, idx)
        votes = self._contribution(take(sim, owner), take(step, owner), item)
        scores = torch.zeros(batch.sequences.size(0), self.n_items, dtype=torch.float,
                             device=votes.device)
        add_at(scores, take(nb, owner), item - 1, votes)
        return scores
