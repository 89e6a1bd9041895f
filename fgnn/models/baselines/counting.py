"""Shared parts of the count-based baselines: batched tensor helpers and their base class."""
from __future__ import annotations

import torch
from torch import Tensor

from fgnn.data.graph import GraphBatch
from fgnn.models.base import SessionRecommender


def take(values: Tensor, index: Tensor) -> Tensor:
    """``values[index]`` for 1-D tensors. ``index_select`` avoids the thread-pool overhead that
    advanced indexing (``aten::index``) pays on small tensors: milliseconds per call on a busy
    CPU."""
    return values.index_select(0, index)


def exclusive_cumsum(counts: Tensor) -> Tensor:
    out = torch.zeros(counts.numel() + 1, dtype=torch.long, device=counts.device)
    out[1:] = torch.cumsum(counts, 0)
    return out


def expand_ranges(starts: Tensor, ends: Tensor) -> tuple[Tensor, Tensor]:
    """Concatenate the index ranges ``starts[r]:ends[r]``.

    Returns ``(owner, index)``: for every produced position, the range it came from and the index.
    """
    counts = (ends - starts).clamp(min=0)
    owner = torch.repeat_interleave(torch.arange(counts.numel(), device=counts.device), counts)
    first = exclusive_cumsum(counts)[:-1]
    index = (take(starts, owner) + torch.arange(owner.numel(), device=counts.device)
             - take(first, owner))
    return owner, index


def rows_of(row: Tensor, n: int) -> Tensor:
    """A fresh ``[n, len(row)]`` tensor whose every row is ``row``."""
    out = torch.empty(n, row.numel(), dtype=row.dtype, device=row.device)
    out.copy_(row.unsqueeze(0).expand(n, -1))
    return out


def add_at(scores: Tensor, rows: Tensor, cols: Tensor, values: Tensor) -> None:
    """``scores[rows, cols] += values``, repeated positions accumulating."""
    scores.view(-1).index_add_(0, rows * scores.size(1) + cols, values.to(scores.dtype))


def segment_rank(group: Tensor) -> Tensor:
    """Position of each element inside its run of equal, sorted ``group`` values (0, 1, ...)."""
    n = group.numel()
    if n == 0:
        return group.clone()
    pos = torch.arange(n, device=group.device)
    is_start = torch.ones(n, dtype=torch.bool, device=group.device)
    is_start[1:] = group[1:] != group[:-1]
    start = torch.cummax(torch.where(is_start, pos, torch.zeros_like(pos)), 0).values
    return pos - start


def train_clicks(dataset, n_items: int) -> tuple[Tensor, Tensor, int]:
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


def batch_clicks(batch: GraphBatch) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Every real click of the batch: ``(session_in_batch, item, position_1based, length)``."""
    seqs = batch.sequences.to(torch.long)
    lengths = batch.lengths.to(torch.long).to(seqs.device)
    _B, L = seqs.shape
    pos = torch.arange(1, L + 1, device=seqs.device)
    valid = pos.unsqueeze(0) <= lengths.unsqueeze(1)
    flat = torch.nonzero(valid.reshape(-1)).squeeze(1)
    b = flat // L
    return b, take(seqs.reshape(-1), flat), flat % L + 1, take(lengths, b)


class CountRecommender(SessionRecommender):
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
