"""Self-describing checkpoints: a plain dict from which the model rebuilds itself.

Loaded only with ``torch.load(..., weights_only=True)``: a checkpoint file can never run code.
"""
from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Optional

import torch

from .data.dataset import DataError, PreparedDataset
from .models import SessionRecommender, build_model

FORMAT = "fgnn-studio-checkpoint"
VERSION = 1
REQUIRED = ("format", "version", "model_name", "model_config", "n_items", "dataset", "state_dict", "item_ids")


class CheckpointError(DataError):
    """A checkpoint cannot be used: unreadable, not ours, or made for another dataset."""


def checkpoint_dict(model: SessionRecommender, dataset: PreparedDataset, *, epoch: int, metrics: dict,
                    global_step: int = 0, extra: Optional[dict] = None) -> dict:
    ckpt = {
        "format": FORMAT,
        "version": VERSION,
        "model_name": model.name,
        "model_config": model.config_dict(),
        "n_items": model.n_items,
        "dataset": {"name": dataset.name, "fingerprint": dataset.fingerprint, "n_items": dataset.n_items},
        "item_ids": dataset.item_ids.clone(),
        "epoch": int(epoch),
        "global_step": int(global_step),
        "metrics": dict(metrics),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    if extra:
        ckpt.update(extra)
    return ckpt


def save_checkpoint(ckpt: dict, path) -> Path:
    """Write atomically: a crash mid-write never leaves a half checkpoint under ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(ckpt, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist: pick a .pt file inside a run folder of checkpoints/")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({first[:200]}): the file is corrupted, truncated or "
            "not a FGNN Studio checkpoint; retrain or pick another checkpoint"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a FGNN Studio checkpoint (no '{FORMAT}' marker): pick a best.pt or last.pt written by `fgnn train`")
    missing = [k for k in REQUIRED if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(missing)}: it is incomplete; retrain it")
    if int(ckpt["version"]) > VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {ckpt['version']}, newer than this FGNN Studio ({VERSION}): upgrade FGNN Studio")
    return ckpt


def model_from_checkpoint(ckpt: dict, path="checkpoint") -> SessionRecommender:
    cfg = dict(ckpt["model_config"])
    n_items = int(cfg.pop("n_items", ckpt["n_items"]))
    try:
        model = build_model(ckpt["model_name"], n_items, **cfg)
        model.load_state_dict(ckpt["state_dict"])
    except (ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {path} does not fit its model '{ckpt['model_name']}': {str(exc).splitlines()[0][:300]}") from None
    model.eval()
    return model


def check_dataset(ckpt: dict, dataset: PreparedDataset, path="checkpoint") -> list[str]:
    """Refuse a checkpoint made for another item vocabulary; return warnings for softer mismatches."""
    if int(ckpt["n_items"]) != dataset.n_items:
        raise CheckpointError(
            f"checkpoint {path} was trained on '{ckpt['dataset'].get('name')}' with {ckpt['n_items']} items, "
            f"but dataset '{dataset.name}' has {dataset.n_items} items: choose a checkpoint trained on this "
            "dataset, or the dataset it was trained on"
        )
    warnings = []
    if ckpt["dataset"].get("fingerprint") != dataset.fingerprint:
        warnings.append(
            f"checkpoint {path} was trained on '{ckpt['dataset'].get('name')}' (fingerprint "
            f"{str(ckpt['dataset'].get('fingerprint'))[:12]}), not exactly this dataset; the item count matches"
        )
    return warnings


def load_model(path, dataset: Optional[PreparedDataset] = None, map_location="cpu"):
    """Load a checkpoint and its model (checked against ``dataset`` when given)."""
    ckpt = load_checkpoint(path, map_location=map_location)
    if dataset is not None:
        check_dataset(ckpt, dataset, path)
    return model_from_checkpoint(ckpt, path), ckpt
