"""V-SKNN: vector-multiplication session kNN (Ludewig & Jannach, UMUAI 2018)."""
from __future__ import annotations

import torch
from torch import Tensor

from fgnn.models.baselines.counting import take
from fgnn.models.baselines.session_knn import SessionKNN
from fgnn.models.configs import VSKNNConfig

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


class VSKNN(SessionKNN):
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
            vote = vote * (1.0 + w * take(self.idf, item).to(vote.dtype))
        return vote
