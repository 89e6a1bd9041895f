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
``vsknn.py``); where a model differs, its class docstring says so.

One model per file (``pop.py``, ``spop.py``, ``markov.py``, ``sknn.py``, ``vsknn.py``); the tensor
helpers and the base class they share are in ``counting.py``, the kNN search in ``session_knn.py``,
their configs in :mod:`fgnn.models.configs`, and :mod:`fgnn.models.registry` builds them by name.
"""
from __future__ import annotations

from fgnn.models.baselines.markov import Markov
from fgnn.models.baselines.pop import POP
from fgnn.models.baselines.sknn import SKNN
from fgnn.models.baselines.spop import SPOP
from fgnn.models.baselines.vsknn import VSKNN
from fgnn.models.configs import MarkovConfig, POPConfig, SKNNConfig, SPOPConfig, VSKNNConfig

__all__ = [
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
]
