"""2-D maps of item embeddings for the session builder's item map.

:func:`item_map_coordinates` projects the rows of an embedding table onto its first two
principal components with :func:`torch.pca_lowrank`. That routine draws a random test
matrix; we seed it inside :func:`torch.random.fork_rng` so the map is identical between calls
without touching the caller's random state, and fix the sign of each component so the map
never mirrors itself between checkpoints or library versions.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

_METHODS = ("pca",)


def item_map_coordinates(embedding: Tensor, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Project item embeddings to 2-D.

    Args:
        embedding: ``[n, d]`` item embeddings (a tensor or an array), one row per item.
        method: only ``"pca"`` (principal components via :func:`torch.pca_lowrank`).
        seed: seed of the randomised SVD; the global random state is left untouched.

    Returns:
        ``[n, 2]`` float64 coordinates. Sign convention: in each column the coordinate with the
        largest absolute value is positive. With ``d == 1`` (or a rank-1 table) the second column
        is zero; a single item sits at the origin.
    """
    if method not in _METHODS:
        raise ValueError(f"unknown projection method {method!r}; choose one of {_METHODS}")
    emb = torch.as_tensor(embedding).detach().to("cpu", torch.float64)
    if emb.dim() != 2:
        raise ValueError(f"embedding must be 2-D [n, d], got shape {tuple(emb.shape)}")
    n, d = emb.shape
    out = np.zeros((n, 2), dtype=np.float64)
    if n < 2 or d == 0:
        return out
    if not torch.isfinite(emb).all():
        raise ValueError("embedding contains NaN or infinite values")
    # q = d makes the randomised SVD exact (the test matrix spans every column); item
    # embeddings are ~100 wide, so cap q only for unusually wide tables.
    q = min(n, d, 128)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        # With q == d the first pass is already exact; power iterations only cost time.
        _, s, v = torch.pca_lowrank(emb, q=q, center=True, niter=0 if q == d else 4)
    k = min(2, v.size(1))
    centred = emb - emb.mean(dim=0, keepdim=True)
    coords = (centred @ v[:, :k]).numpy()
    # Drop components with (numerically) no variance so they do not amplify noise.
    scale = float(s[0]) if s.numel() else 0.0
    for j in range(k):
        if scale == 0.0 or float(s[j]) <= 1e-9 * scale:
            coords[:, j] = 0.0
            continue
        col = coords[:, j]
        if col[np.argmax(np.abs(col))] < 0:
            coords[:, j] = -col
    out[:, :k] = coords
    return out
