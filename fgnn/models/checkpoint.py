"""Self-describing checkpoints: a plain dict from which the model rebuilds itself.

Loaded only with ``torch.load(..., weights_only=True)``: a checkpoint file can never run code.
"""
from __future__ import annotations

import dataclasses
import pickle
import zipfile
from pathlib import Path

import torch

from fgnn.atomic import torch_save_atomic
from fgnn.data.dataset import DataError, PreparedDataset
from fgnn.models import SessionRecommender, build_model

FORMAT = "fgnn-studio-checkpoint"
VERSION = 1
REQUIRED = ("format", "version", "model_name", "model_config", "n_items", "dataset", "state_dict", "item_ids")


class CheckpointError(DataError):
    """A checkpoint cannot be used: unreadable, not ours, or made for another dataset."""


def checkpoint_dict(model: SessionRecommender, dataset: PreparedDataset, *, epoch: int, metrics: dict,
                    global_step: int = 0, extra: dict | None = None) -> dict:
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
    return torch_save_atomic(ckpt, path)  # a full disk leaves no half-written temporary file behind


def load_checkpoint(path, map_location="cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist: pick a .pt file inside a run folder of checkpoints/")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        text = str(exc).strip()
        if "Unsupported global" in text or "unsupported GLOBAL" in text:  # never repeat PyTorch's advice to load it with weights_only=False
            raise CheckpointError(
                f"checkpoint {path} holds objects other than tensors and plain values, and a checkpoint may "
                "never run code: refused; pick a best.pt or last.pt written by `fgnn train`") from None
        if "WeightsUnpickler error:" in text:
            text = text.split("WeightsUnpickler error:", 1)[1].strip()
        lines = [line for line in text.splitlines() if line.strip() and "weights_only" not in line]
        first = lines[0] if lines else type(exc).__name__
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({first[:200]}): the file is corrupted, truncated or "
            "not a FGNN Studio checkpoint; retrain or pick another checkpoint"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a FGNN Studio checkpoint (no '{FORMAT}' marker): pick a best.pt or last.pt written by `fgnn train`")
    missing = [k for k in REQUIRED if k not in ckpt]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(missing)}: it is incomplete; retrain it")
    _check_fields(ckpt, path)
    return ckpt


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_fields(ckpt: dict, path) -> None:
    """Every field a loader uses has the type and size ``checkpoint_dict`` gives it, so that a crafted
    or altered file is refused with a message instead of failing somewhere later."""
    from fgnn.models import model_names
    from fgnn.models.validation import model_problems

    def refuse(field: str, what: str):
        raise CheckpointError(f"checkpoint {path}: {field} {what}; the file was altered or is not from FGNN "
                              "Studio: retrain it or pick another checkpoint")

    version = ckpt["version"]
    if not _is_int(version) or version < 1:
        refuse("version", f"is {str(version)[:40]!r}, not a format version")
    if version > VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version}, newer than this FGNN Studio ({VERSION}): upgrade FGNN Studio")
    if not isinstance(ckpt["model_name"], str) or ckpt["model_name"] not in model_names():
        refuse("model_name", f"{str(ckpt['model_name'])[:40]!r} is not one of {', '.join(model_names())}")
    n_items = ckpt["n_items"]
    if not _is_int(n_items) or n_items < 1:
        refuse("n_items", f"is {str(n_items)[:40]!r}, not a positive item count")
    cfg = ckpt["model_config"]
    if not isinstance(cfg, dict):
        refuse("model_config", "is not a dict of hyperparameters")
    if cfg.get("n_items", n_items) != n_items:
        refuse("model_config", f"says n_items {str(cfg.get('n_items'))[:40]}, the checkpoint {n_items}")
    found = model_problems(ckpt["model_name"], {k: v for k, v in cfg.items() if k != "n_items"})
    if found:
        refuse("model_config", f"is wrong ({found[0].text(by_key=True)})")
    dataset = ckpt["dataset"]
    if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str):
        refuse("dataset", "is not a dict with the dataset's name")
    ids = ckpt["item_ids"]
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1 or ids.dtype != torch.int64 or len(ids) != n_items + 1:
        shape = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__
        refuse("item_ids", f"is {shape}, not the {n_items + 1} int64 ids of its {n_items} items (and padding)")
    state = ckpt["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        refuse("state_dict", "is not a dict of tensors")
    train_config = ckpt.get("train_config")
    if train_config is not None and not (isinstance(train_config, dict)
                                         and isinstance(train_config.get("protocol") or {}, dict)):
        refuse("train_config", "is not a dict of run settings")
    for key, kind in (("metrics", dict), ("epoch", int), ("global_step", int)):
        if key in ckpt and not isinstance(ckpt[key], kind):
            refuse(key, f"is a {type(ckpt[key]).__name__}, not a {kind.__name__}")


def model_from_checkpoint(ckpt: dict, path="checkpoint") -> SessionRecommender:
    cfg = dict(ckpt["model_config"])
    n_items = int(cfg.pop("n_items", ckpt["n_items"]))
    try:
        with torch.device("meta"):  # shapes first, allocating nothing: a crafted config cannot ask for gigabytes
            shapes = {k: tuple(p.shape) for k, p in build_model(ckpt["model_name"], n_items, **cfg).named_parameters()}
        wrong = [k for k, shape in shapes.items()
                 if k in ckpt["state_dict"] and tuple(ckpt["state_dict"][k].shape) != shape]
        if wrong:
            raise ValueError(f"{wrong[0]} has shape {tuple(ckpt['state_dict'][wrong[0]].shape)}, "
                             f"its model_config makes it {shapes[wrong[0]]}")
        model = build_model(ckpt["model_name"], n_items, **cfg)
        model.load_state_dict(ckpt["state_dict"])
    except (ValueError, RuntimeError, KeyError, TypeError, NotImplementedError) as exc:
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


def missing_config_fields(ckpt: dict, path="checkpoint") -> list[str]:
    """A warning (at most one) naming the fields of the model's config that the checkpoint's
    ``model_config`` lacks (it was saved before they existed): the model is built with their defaults."""
    from fgnn.models.registry import model_spec

    stored = ckpt["model_config"]
    missing = [f"{f.name}={f.default if f.default is not dataclasses.MISSING else f.default_factory()!r}"
               for f in model_spec(ckpt["model_name"]).hyperparameters() if f.name not in stored]
    if not missing:
        return []
    return [(f"checkpoint {path} was saved before the model setting(s) {', '.join(m.split('=')[0] for m in missing)} "
            f"existed: built with the default(s) {', '.join(missing)}; retrain it if it was trained otherwise")]


def load_model(path, dataset: PreparedDataset | None = None, map_location="cpu"):
    """Load a checkpoint and its model (checked against ``dataset`` when given)."""
    ckpt = load_checkpoint(path, map_location=map_location)
    if dataset is not None:
        check_dataset(ckpt, dataset, path)
    return model_from_checkpoint(ckpt, path), ckpt
