"""Count-based baselines: POP, S-POP, first-order Markov, SKNN and V-SKNN.

Published work shows such baselines are often close to or above GNNs on session-based
recommendation (Ludewig & Jannach, "Evaluation of session-based recommendation algorithms",
UMUAI 2018), so every results table shows them beside FGNN and SR-GNN.

All five implement :class:`~fgnn.models.base.SessionRecommender`: they learn in :meth:`fit` from
``dataset.train`` in seconds, keep everything learned in buffers (sparse matrices as CSR
component tensors), so ``state_dict`` round-trips through ``torch.load(weights_only=True)``, and
score a whole batch with tensor ops, without a Python loop over its sessions.
``forward(batch)`` reads only ``batch.sequences`` (``[B, L]``, right-padded with 0) and
``batch.lengths``, and returns ``[B, n_items]`` float scores, column ``j`` scoring item ``j + 1``.

The session-kNN models follow the session-rec code of the paper (``algorithms/knn/sknn.py`` and
``vsknn.py``); where this module differs, the class docstring says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..data.graph import GraphBatch
from .base import SessionRecommender

__all__ = [
    "BASELINES",
    "POP",
    "SKNN",
    "SPOP",
    "VSKNN",
    "Markov",
    "MarkovConfig",
    "POPConfig",
    "SKNNConfig",
    "SPOPConfig",
    "VSKNNConfig",
    "build_baseline",
]


# --------------------------------------------------------------------------------------------
# Tensor helpers
# --------------------------------------------------------------------------------------------

def _take(values: Tensor, index: Tensor) -> Tensor:
    """``values[index]`` for 1-D tensors. ``index_select`` avoids the thread-pool overhead that
    advanced indexing (``aten::index``) pays on small tensors: milliseconds per call on a busy
    CPU."""
    return values.index_select(0, index)


def _exclusive_cumsum(counts: Tensor) -> Tensor:
    out = torch.zeros(counts.numel() + 1, dtype=torch.long, device=counts.device)
    out[1:] = torch.cumsum(counts, 0)
    return out


def _expand_ranges(starts: Tensor, ends: Tensor) -> tuple[Tensor, Tensor]:
    """Concatenate the index ranges ``starts[r]:ends[r]``.

    Returns ``(owner, index)``: for every produced position, the range it came from and the index.
    """
    counts = (ends - starts).clamp(min=0)
    owner = torch.repeat_interleave(torch.arange(counts.numel(), device=counts.device), counts)
    first = _exclusive_cumsum(counts)[:-1]
    index = (_take(starts, owner) + torch.arange(owner.numel(), device=counts.device)
             - _take(first, owner))
    return owner, index


def _rows_of(row: Tensor, n: int) -> Tensor:
    """A fresh ``[n, len(row)]`` tensor whose every row is ``row``."""
    out = torch.empty(n, row.numel(), dtype=row.dtype, device=row.device)
    out.copy_(row.unsqueeze(0).expand(n, -1))
    return out


def _add_at(scores: Tensor, rows: Tensor, cols: Tensor, values: Tensor) -> None:
    """``scores[rows, cols] += values``, repeated positions accumulating."""
    scores.view(-1).index_add_(0, rows * scores.size(1) + cols, values.to(scores.dtype))


def _segment_rank(group: Tensor) -> Tensor:
    """Position of each element inside its run of equal, sorted ``group`` values (0, 1, ...)."""
    n = group.numel()
    if n == 0:
        return group.clone()
    pos = torch.arange(n, device=group.device)
    is_start = torch.ones(n, dtype=torch.bool, device=group.device)
    is_start[1:] = group[1:] != group[:-1]
    start = torch.cummax(torch.where(is_start, pos, torch.zeros_like(pos)), 0).values
    return pos - start


def _train_clicks(dataset, n_items: int) -> tuple[Tensor, Tensor, int]:
    """``(items, session_of_click, n_sessions)`` of the training sessions, checked."""
    if int(dataset.n_items) != n_items:
        raise ValueError(
            f"the model was configured for {n_items} items but dataset "
            f"'{getattr(dataset, 'name', '?')}' has {int(dataset.n_items)}: build the model with "
            f"n_items={int(dataset.n_items)}"
        )
    items = dataset.train.items.to(torch.long).cpu()
    offsets = dataset.train.offsets.to(torch.long).cpu()
    n_sessions = offsets.numel() - 1
    if items.numel() and (int(items.min()) < 1 or int(items.max()) > n_items):
        raise ValueError(f"training items must be indices 1..{n_items}")
    session = torch.repeat_interleave(torch.arange(n_sessions), offsets[1:] - offsets[:-1])
    return items, session, n_sessions


def _batch_clicks(batch: GraphBatch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Every real click of the batch: ``(session_in_batch, item, position_1based, length)``."""
    seqs = batch.sequences.to(torch.long)
    lengths = batch.lengths.to(torch.long).to(seqs.device)
    _B, L = seqs.shape
    pos = torch.arange(1, L + 1, device=seqs.device)
    valid = pos.unsqueeze(0) <= lengths.unsqueeze(1)
    flat = torch.nonzero(valid.reshape(-1)).squeeze(1)
    b = flat // L
    return b, _take(seqs.reshape(-1), flat), flat % L + 1, _take(lengths, b)


# --------------------------------------------------------------------------------------------
# Common base
# --------------------------------------------------------------------------------------------

class _CountRecommender(SessionRecommender):
    """Base of the count-based models: buffers sized by ``fit``, resized on ``load_state_dict``."""

    trainable = False

    def __init__(self, config):
        super().__init__(config)
        self.register_buffer("n_train_sessions", torch.zeros((), dtype=torch.long))
        self.register_buffer("popularity", torch.zeros(self.n_items + 1))
        self._fitted = False  # mirrors n_train_sessions > 0 without a device sync per forward

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        # Learned sparse statistics have data-dependent sizes; adopt the saved ones.
        for name, buf in self._buffers.items():
            key = prefix + name
            if buf is not None and key in state_dict and state_dict[key].shape != buf.shape:
                self._buffers[name] = torch.empty(state_dict[key].shape, dtype=buf.dtype,
                                                  device=buf.device)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)
        self._fitted = int(self.n_train_sessions) > 0

    def _set(self, name: str, value: Tensor) -> None:
        buf = self._buffers[name]
        self._buffers[name] = value.to(device=buf.device, dtype=buf.dtype).contiguous()

    def _fit_popularity(self, items: Tensor, n_sessions: int) -> None:
        self._set("popularity", torch.bincount(items, minlength=self.n_items + 1).to(torch.float))
        self._set("n_train_sessions", torch.tensor(n_sessions))
        self._fitted = n_sessions > 0

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(dataset) first "
                               "or load a fitted state_dict")

    def _popularity_tiebreak(self) -> Tensor:
        """``pop / (max pop + 1)`` per item column: in [0, 1), so it only breaks ties of counts."""
        pop = self.popularity[1:]
        return pop / (pop.max() + 1.0)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config_dict().items())


# --------------------------------------------------------------------------------------------
# POP, S-POP, Markov
# --------------------------------------------------------------------------------------------

@dataclass
class POPConfig:
    n_items: int


class POP(_CountRecommender):
    """Popularity: every session gets the training click count of each item.

    Buffers: ``popularity`` ``[n_items + 1]`` (index 0 = padding, always 0).
    """

    name = "pop"

    def __init__(self, config: POPConfig):
        super().__init__(config)

    def fit(self, dataset) -> POP:
        items, _, n_sessions = _train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        return self

    def forward(self, batch: GraphBatch) -> Tensor:
        self._check_fitted()
        return _rows_of(self.popularity[1:], batch.sequences.size(0))


@dataclass
class SPOPConfig:
    n_items: int


class SPOP(_CountRecommender):
    """Session popularity: how often each item was clicked in the current session, ties broken
    by global popularity.

    ``score(i) = count of i in the session + pop(i) / (max pop + 1)``; the second term is below 1,
    so items of the session always come first, ordered by their count, then by popularity.
    """

    name = "spop"

    def __init__(self, config: SPOPConfig):
        super().__init__(config)

    def fit(self, dataset) -> SPOP:
        items, _, n_sessions = _train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        return self

    def forward(self, batch: GraphBatch) -> Tensor:
        self._check_fitted()
        b, item, _, _ = _batch_clicks(batch)
        scores = _rows_of(self._popularity_tiebreak(), batch.sequences.size(0))
        _add_at(scores, b, item - 1, torch.ones(b.shape, dtype=scores.dtype, device=b.device))
        return scores


@dataclass
class MarkovConfig:
    n_items: int


class Markov(_CountRecommender):
    """First-order Markov chain: counts of ``a -> b`` over consecutive clicks of the training
    sessions; a session is scored by the row of its last clicked item.

    ``score(i) = count(last -> i) + pop(i) / (max pop + 1)``, so items never seen after the last
    item (and every item when the last item has no outgoing transition) rank by popularity.
    Repeated clicks (``a -> a``) count as transitions, as they occur in the data.

    Buffers: ``popularity`` and the transition matrix in CSR form: ``trans_indptr``
    ``[n_items + 2]``, ``trans_indices`` (target items), ``trans_counts``.
    """

    name = "markov"

    def __init__(self, config: MarkovConfig):
        super().__init__(config)
        self.register_buffer("trans_indptr", torch.zeros(self.n_items + 2, dtype=torch.long))
        self.register_buffer("trans_indices", torch.zeros(0, dtype=torch.long))
        self.register_buffer("trans_counts", torch.zeros(0))

    def fit(self, dataset) -> Markov:
        items, session, n_sessions = _train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        same = session[1:] == session[:-1]
        src, dst = items[:-1][same], items[1:][same]
        width = self.n_items + 1
        pairs, counts = torch.unique(src * width + dst, sorted=True, return_counts=True)
        rows = pairs // width
        self._set("trans_indptr", _exclusive_cumsum(torch.bincount(rows, minlength=width)))
        self._set("trans_indices", pairs % width)
        self._set("trans_counts", counts.to(torch.float))
        return self

    def forward(self, batch: GraphBatch) -> Tensor:
        self._check_fitted()
        seqs = batch.sequences.to(torch.long)
        lengths = batch.lengths.to(torch.long).to(seqs.device)
        last = seqs.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        indptr = self.trans_indptr
        owner, idx = _expand_ranges(_take(indptr, last), _take(indptr, last + 1))
        scores = _rows_of(self._popularity_tiebreak(), seqs.size(0))
        _add_at(scores, owner, _take(self.trans_indices, idx) - 1, _take(self.trans_counts, idx))
        return scores


# --------------------------------------------------------------------------------------------
# Session kNN
# --------------------------------------------------------------------------------------------

class _SessionKNN(_CountRecommender):
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
        items, session, n_sessions = _train_clicks(dataset, self.n_items)
        self._fit_popularity(items, n_sessions)
        width = self.n_items + 1
        keys = torch.unique(session * width + items, sorted=True)  # by session, then item
        s, i = keys // width, keys % width
        self._set("session_indptr", _exclusive_cumsum(torch.bincount(s, minlength=n_sessions)))
        self._set("session_items", i)
        order = torch.argsort(i * max(n_sessions, 1) + s)  # by item, then session (recency)
        self._set("item_indptr", _exclusive_cumsum(torch.bincount(i, minlength=width)))
        self._set("item_sessions", s[order])
        self._fit_extra(items, n_sessions)
        return self

    def _fit_extra(self, items: Tensor, n_sessions: int) -> None:
        pass

    # subclasses say how the current session is encoded and how neighbours score items
    def _query(self, batch: GraphBatch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Distinct (session, item) pairs of the batch: ``(b, item, weight, step)``, where
        ``step`` is 1 for the last clicked item, 2 for the one before, ... (last occurrence)."""
        b, item, pos, length = _batch_clicks(batch)
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
        start, end = _take(self.item_indptr, qi), _take(self.item_indptr, qi + 1)
        if m > 0:
            start = torch.maximum(start, end - m)
        owner, idx = _expand_ranges(start, end)
        cand = _take(self.item_sessions, idx)
        # 2. merge pairs; keys sort by batch session, then most recent candidate first
        keys, inverse = torch.unique(_take(qb, owner) * n_sessions + (n_sessions - 1 - cand),
                                     sorted=True, return_inverse=True)
        overlap = torch.zeros(keys.numel(), dtype=qw.dtype, device=dev)
        overlap.index_add_(0, inverse, _take(qw, owner))
        step = torch.full((keys.numel(),), torch.iinfo(torch.long).max, device=dev)
        step.scatter_reduce_(0, inverse, _take(qstep, owner), reduce="amin", include_self=True)
        pb = keys // n_sessions
        ps = n_sessions - 1 - keys % n_sessions
        if m > 0:
            keep = torch.nonzero(_segment_rank(pb) < m).squeeze(1)
            pb, ps, overlap, step = (_take(t, keep) for t in (pb, ps, overlap, step))
        query_size = torch.bincount(qb, minlength=B).to(overlap.dtype)
        cand_size = (_take(self.session_indptr, ps + 1) - _take(self.session_indptr, ps))
        key, sim = self._similarity(overlap, _take(query_len, pb), _take(query_size, pb),
                                    cand_size.to(overlap.dtype))
        # 3. top k by similarity within each batch session (stable: recency breaks ties)
        order = torch.argsort(-key, stable=True)
        order = _take(order, torch.argsort(_take(pb, order), stable=True))
        pb, ps, sim, step = (_take(t, order) for t in (pb, ps, sim, step))
        keep = torch.nonzero((_segment_rank(pb) < k) & (sim > 0)).squeeze(1)
        return tuple(_take(t, keep) for t in (pb, ps, sim, step))

    def forward(self, batch: GraphBatch) -> Tensor:
        nb, ns, sim, step = self.neighbors(batch)
        # 4. every neighbour votes for its items
        owner, idx = _expand_ranges(_take(self.session_indptr, ns),
                                    _take(self.session_indptr, ns + 1))
        item = _take(self.session_items, idx)
        votes = self._contribution(_take(sim, owner), _take(step, owner), item)
        scores = torch.zeros(batch.sequences.size(0), self.n_items, dtype=torch.float,
                             device=votes.device)
        _add_at(scores, _take(nb, owner), item - 1, votes)
        return scores


@dataclass
class SKNNConfig:
    n_items: int
    k: int = 100  # neighbours
    sample_size: int = 500  # most recent candidate sessions considered (0 = all)


class SKNN(_SessionKNN):
    """Session-based kNN (SKNN) of Ludewig & Jannach (2018).

    Sessions are binary item sets; ``sim(a, b) = |a ∩ b| / sqrt(|a| |b|)`` (cosine); the ``k``
    most similar among the ``sample_size`` most recent training sessions sharing an item are the
    neighbours; ``score(i) = sum of the similarities of the neighbours that contain i``.

    Differences from session-rec ``sknn.py``: its ``cosine`` computes
    ``li / sqrt(la) * sqrt(lb)`` (an operator-precedence slip); this class uses the true cosine of
    the paper. Defaults are the paper's (``k=100``, ``sample_size=500``, cosine; session-rec's
    code defaults to jaccard and 1000); no reminders or popularity boost (session-rec defaults
    ``remind=False``, ``pop_boost=0``). See :class:`_SessionKNN` for the rest.
    """

    name = "sknn"

    def __init__(self, config: SKNNConfig):
        super().__init__(config)

    def _similarity(self, overlap, query_len, query_size, cand_size):  # noqa: ARG002 (the template method's signature)
        product = query_size * cand_size
        return overlap * overlap / product, overlap / torch.sqrt(product)


_WEIGHTINGS = {
    # session-rec vsknn.py: weight of the click at 1-based position i of a session of length n,
    # as (numerator, denominator) so that the similarity's sums stay exact where they can
    "same": (lambda i, n: torch.ones_like(i), lambda n: torch.ones_like(n)),  # noqa: ARG005 (every weighting takes (i, n))
    "div": (lambda i, n: i, lambda n: n),  # noqa: ARG005 (every weighting takes (i, n))
    "quadratic": (lambda i, n: i * i, lambda n: n * n),  # noqa: ARG005 (every weighting takes (i, n))
    "log": (lambda i, n: 1.0 / torch.log10((n - i) + 1.7), lambda n: torch.ones_like(n)),
}
_SCORE_WEIGHTINGS = {
    # session-rec vsknn.py `*_score`: step 1 = the neighbour holds the last clicked item
    "same": lambda s: torch.ones_like(s),
    "div": lambda s: 1.0 / s,
    "quadratic": lambda s: 1.0 / (s * s),
    "log": lambda s: 1.0 / torch.log10(s + 1.7),
}


@dataclass
class VSKNNConfig:
    n_items: int
    k: int = 100  # neighbours
    sample_size: int = 500  # most recent candidate sessions considered (0 = all)
    weighting: str = "div"  # decay of the current session's clicks: same | div | quadratic | log
    weighting_score: str = "div"  # decay of a neighbour's votes: same | div | quadratic | log
    idf_weighting: float = 0.0  # 0 = off (session-rec default False); w > 0: vote * (1 + w idf)


class VSKNN(_SessionKNN):
    """Vector-multiplication session kNN (V-SKNN) of Ludewig & Jannach (2018), as in session-rec
    ``vsknn.py`` (``VMContextKNN``) with its defaults.

    The current session of ``n`` clicks is a real vector: the item clicked at 1-based position
    ``p`` weighs ``p / n`` (``weighting='div'``; the last click weighs 1, a repeated item keeps
    the weight of its last click). A training session is a binary vector, and

    .. math::
        \\mathrm{sim}(s, c) = \\frac{1}{|\\mathrm{set}(s)|} \\sum_{i \\in s \\cap c} w_s(i),

    the dot product divided by the number of distinct items of ``s`` (session-rec's ``vec``).
    Neighbours are found as in SKNN. A neighbour ``c`` votes for each of its items with
    ``sim(s, c) * decay(step)``, where ``step`` is 1 if ``c`` holds the last clicked item, 2 if
    the most recent item it shares is the one before, ... and ``decay(step) = 1 / step``
    (``weighting_score='div'``). With ``idf_weighting = w > 0`` a vote for item ``i`` becomes
    ``sim * (1 + w * idf(i)) * decay`` with ``idf(i) = ln(#training sessions / #clicks of i)``;
    session-rec's default is ``idf_weighting=False``, and so is this class's (``0``).
    Items already in the session are scored too (session-rec ``remind=True``).

    Not supported: session-rec's ``linear`` decays (their code clips at odd thresholds), dwell
    time, time decay, ``last_n_days``/``last_n_clicks``, ``extend``, reminder pushing, and
    ``normalize`` (a per-session positive factor; rankings are unchanged).
    Defaults ``k=100``, ``sample_size=500`` as documented in session-rec (its signature says 1000).
    """

    name = "vsknn"

    def __init__(self, config: VSKNNConfig):
        if config.weighting not in _WEIGHTINGS:
            raise ValueError(f"weighting must be one of {sorted(_WEIGHTINGS)}")
        if config.weighting_score not in _SCORE_WEIGHTINGS:
            raise ValueError(f"weighting_score must be one of {sorted(_SCORE_WEIGHTINGS)}")
        super().__init__(config)
        self.register_buffer("idf", torch.zeros(self.n_items + 1))

    def _fit_extra(self, items: Tensor, n_sessions: int) -> None:  # noqa: ARG002 (the template method's signature)
        clicks = self.popularity.to(torch.float64).cpu()
        idf = torch.where(clicks > 0, torch.log(n_sessions / clicks.clamp(min=1)),
                          torch.zeros_like(clicks))
        self._set("idf", idf)

    def _position_weight(self, position, length):
        numerator = _WEIGHTINGS[self.config.weighting][0]
        return numerator(position.to(torch.float64), length.to(torch.float64))

    def _similarity(self, overlap, query_len, query_size, cand_size):  # noqa: ARG002 (the template method's signature)
        denominator = _WEIGHTINGS[self.config.weighting][1]
        sim = overlap / (denominator(query_len) * query_size)
        return sim, sim

    def _contribution(self, sim, step, item):
        vote = sim * _SCORE_WEIGHTINGS[self.config.weighting_score](step.to(sim.dtype))
        w = float(self.config.idf_weighting)
        if w:
            vote = vote * (1.0 + w * _take(self.idf, item).to(vote.dtype))
        return vote


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

BASELINES: dict[str, type[SessionRecommender]] = {
    "pop": POP, "spop": SPOP, "markov": Markov, "sknn": SKNN, "vsknn": VSKNN,
}
_CONFIGS = {POP: POPConfig, SPOP: SPOPConfig, Markov: MarkovConfig, SKNN: SKNNConfig,
            VSKNN: VSKNNConfig}
for _cls, _cfg in _CONFIGS.items():
    _cls.config_class = _cfg


def build_baseline(name: str, n_items: int, **params) -> SessionRecommender:
    """Build an unfitted baseline by name (``pop``, ``spop``, ``markov``, ``sknn``, ``vsknn``)."""
    key = name.lower().replace("-", "").replace("_", "")
    if key not in BASELINES:
        raise ValueError(f"unknown baseline '{name}': choose one of {', '.join(BASELINES)}")
    cls = BASELINES[key]
    return cls(cls.config_class(n_items=n_items, **params))
