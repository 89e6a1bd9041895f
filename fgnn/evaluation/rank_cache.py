"""Target ranks of a checkpoint on its dataset's test pairs, computed once and kept beside the run.

Ranking every item for every test pair of full DIGINETICA (60,858 pairs x 43,097 items) takes
tens of seconds on a CPU; Inspect needs those ranks on every visit. :func:`target_ranks_cached`
computes them once per checkpoint and dataset (with a progress callback) and keeps them in
``<run folder>/inspect-cache/<checkpoint stem>-<dataset fingerprint>.pt``, so that a second visit,
even after the app restarts, reads 60,858 integers instead of running the model
(docs/research-scale.md).

* The file holds the SHA-256 of the checkpoint's bytes it was computed from: a checkpoint that
  changes (a run still training rewrites ``best.pt``) no longer matches and its ranks are
  recomputed and the file overwritten. One file per checkpoint file and dataset, so the cache
  never grows beyond the run's checkpoints.
* It is written atomically (a temporary file, then ``os.replace``) and read with
  ``torch.load(weights_only=True)``; a file that cannot be read, is not ours or does not fit the
  dataset is ignored and rewritten, never trusted.
* Where the run folder cannot be written (a read-only install), or writing beside it would follow
  a symbolic link (a run folder or its ``inspect-cache`` that is a link, a path that leads out of
  the checkpoints root), the file goes under ``$FGNN_CACHE_DIR/inspect-cache/`` instead; a full
  disk only means the ranks are not kept.
* The ranks are exactly :func:`fgnn.evaluation.evaluate.rank_targets`'s (``fgnn evaluate``'s).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from fgnn.atomic import torch_save_atomic
from fgnn.data.dataset import PreparedDataset
from fgnn.data.registry import cache_dir
from fgnn.evaluation.evaluate import rank_targets
from fgnn.models.checkpoint import load_model
from fgnn.runs.folders import checkpoints_root

FORMAT = "fgnn-inspect-ranks"
VERSION = 1
CACHE_DIR = "inspect-cache"

Progress = Callable[[int, int], None]
"""``progress(done, total)``: test pairs ranked so far, out of all of them."""

_sha_memo: dict[tuple[str, int, int], str] = {}
_in_memory: dict[tuple[str, str], Tensor] = {}  # (checkpoint sha256, dataset fingerprint) -> ranks
_IN_MEMORY_MAX = 8


def checkpoint_sha256(path) -> str:
    """SHA-256 of a checkpoint's bytes, remembered per (path, mtime, size) within the process."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _sha_memo:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _sha_memo[key] = h.hexdigest()
    return _sha_memo[key]


def cache_folder(checkpoint) -> Path:
    """Where the ranks of ``checkpoint`` are kept: ``inspect-cache/`` in its run folder, or under
    ``$FGNN_CACHE_DIR`` when the run folder cannot be written."""
    run = Path(os.path.abspath(checkpoint)).parent  # as given: a link on the way must stay visible
    beside = run / CACHE_DIR
    if not _through_a_link(run) and os.access(beside if beside.is_dir() else run, os.W_OK):
        return beside
    return cache_dir() / CACHE_DIR / hashlib.sha256(str(run.resolve()).encode()).hexdigest()[:16]


def _through_a_link(run: Path) -> bool:
    """Whether writing ``run/inspect-cache`` would follow a symbolic link: the run folder or its
    inspect-cache is a link, or a run under the checkpoints root leads out of it (docs/run-folders.md)."""
    if run.is_symlink() or (run / CACHE_DIR).is_symlink():
        return True
    root = Path(os.path.abspath(checkpoints_root()))
    if run == root or root in run.parents:
        real_root = root.resolve()
        return real_root != run.resolve() and real_root not in run.resolve().parents
    return False


def cache_file(checkpoint, dataset: PreparedDataset) -> Path:
    """The file that keeps the ranks of ``checkpoint`` on ``dataset``."""
    return cache_folder(checkpoint) / f"{Path(checkpoint).stem}-{str(dataset.fingerprint)[:16]}.pt"


def forget(checkpoint) -> int:
    """Drop every kept rank file of ``checkpoint`` (any dataset; in this process too), so the next
    Inspect visit ranks again: what the browser benchmark does before timing a first visit.
    Returns how many files were removed."""
    _in_memory.clear()
    folder = cache_folder(checkpoint)
    removed = 0
    for f in folder.glob(f"{Path(checkpoint).stem}-*.pt") if folder.is_dir() else ():
        f.unlink(missing_ok=True)
        removed += 1
    return removed


def load_cached_ranks(checkpoint, dataset: PreparedDataset) -> Tensor | None:
    """The kept ranks of ``checkpoint`` on ``dataset`` (int64, one per test pair), or None when
    there are none for the checkpoint's current bytes."""
    memo = (checkpoint_sha256(checkpoint), str(dataset.fingerprint))
    if memo in _in_memory:
        return _in_memory[memo]
    path = cache_file(checkpoint, dataset)
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError):
        return None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT or saved.get("version") != VERSION:
        return None
    ranks = saved.get("ranks")
    if (saved.get("checkpoint_sha256") != checkpoint_sha256(checkpoint)
            or saved.get("dataset_fingerprint") != dataset.fingerprint
            or not isinstance(ranks, Tensor) or ranks.dim() != 1 or ranks.numel() != len(dataset.test)):
        return None
    return _remember(memo, ranks.long())


def _remember(memo: tuple[str, str], ranks: Tensor) -> Tensor:
    """Keep ranks in this process too (the newest few), so that a run folder that cannot be
    written still ranks each checkpoint only once."""
    _in_memory.pop(memo, None)
    _in_memory[memo] = ranks
    while len(_in_memory) > _IN_MEMORY_MAX:
        _in_memory.pop(next(iter(_in_memory)))
    return ranks


def save_ranks(checkpoint, dataset: PreparedDataset, ranks: Tensor, sha256: str) -> Path | None:
    """Keep ``ranks`` for the checkpoint whose bytes hash to ``sha256``; atomic. Returns the file,
    or None when no folder could be written (the ranks are then simply not kept)."""
    path = cache_file(checkpoint, dataset)
    saved = {"format": FORMAT, "version": VERSION, "checkpoint_sha256": sha256,
             "dataset_fingerprint": dataset.fingerprint, "n_pairs": len(dataset.test),
             "ranks": torch.as_tensor(ranks).to(torch.int32).cpu()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return torch_save_atomic(saved, path)  # (a full disk: nothing kept, no temporary file left)
    except OSError:
        return None


def target_ranks_cached(checkpoint, dataset: PreparedDataset, *, batch_size: int = 500,
                        progress: Progress | None = None) -> tuple[Tensor, bool]:
    """``(ranks, from_cache)``: the rank of the true next item for every test pair of ``dataset``
    under ``checkpoint``, read from the run's cache when it holds them for the checkpoint's
    current bytes, else computed (the model is loaded only then) and kept.

    Raises :class:`fgnn.models.checkpoint.CheckpointError` for a checkpoint that cannot be used.
    """
    ranks = load_cached_ranks(checkpoint, dataset)
    if ranks is not None:
        return ranks, True
    sha = checkpoint_sha256(checkpoint)
    model, _ = load_model(checkpoint, dataset)
    total = len(dataset.test)
    done = [0]

    def step(_batch: int) -> None:
        done[0] = min(total, done[0] + batch_size)
        progress(done[0], total)

    if progress is not None:
        progress(0, total)
    ranks = rank_targets(model, dataset.test, batch_size=batch_size, progress=None if progress is None else step)
    # the file read afterwards must still be the one ranked, or the ranks are not kept under its hash
    if checkpoint_sha256(checkpoint) == sha:
        save_ranks(checkpoint, dataset, ranks, sha)
        _remember((sha, str(dataset.fingerprint)), ranks)
    return ranks, False
