"""Self-describing checkpoints: a plain dict from which the model rebuilds itself.

Loaded only with ``torch.load(..., weights_only=True)``: a checkpoint file can never run code.

A checkpoint names its dataset as a run config does, with a :class:`~fgnn.data.spec.DatasetSpec`:
its ``dataset`` field is the spec's :meth:`~fgnn.data.spec.DatasetSpec.to_dict` (``source``, the read
options, ``protocol``) plus the dataset's ``fingerprint`` (the content hash that says "the same
data"), its ``name`` and ``n_items`` (:func:`dataset_record`). Checkpoints written before hold
only ``{name, fingerprint, n_items}``; they still load, check and compare
(:func:`checkpoint_dataset_spec`, :func:`stored_fingerprint`).
"""
from __future__ import annotations

import dataclasses
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from fgnn.atomic import torch_save_atomic
from fgnn.data.dataset import PreparedDataset
from fgnn.data.ids import original_ids
from fgnn.data.spec import DatasetSpec
from fgnn.errors import CheckpointError, FGNNError
from fgnn.models import SessionRecommender, build_model, model_names
from fgnn.models.options import model_problems
from fgnn.models.registry import MODELS, model_spec, not_registered_message

FORMAT = "fgnn-studio-checkpoint"
VERSION = 1
REQUIRED = ("format", "version", "model_name", "model_config", "n_items", "dataset", "state_dict", "item_ids")


#: What :func:`dataset_record` adds to a dataset's spec (the whole record of a checkpoint written before).
RECORD_KEYS = ("name", "fingerprint", "n_items")


def dataset_record(dataset: PreparedDataset, spec: DatasetSpec | None = None) -> dict:
    """A checkpoint's ``dataset`` field: ``spec.to_dict()`` (which dataset and how it was prepared,
    as a run config names it) plus the dataset's ``fingerprint``, ``name`` and ``n_items`` (the
    name for messages and for older FGNN Studio versions, which require it). Without ``spec``
    (a dataset prepared by hand, not from a spec): the fingerprint, name and item count only."""
    return {**(spec.to_dict() if spec is not None else {}),
            "name": dataset.name, "fingerprint": dataset.fingerprint, "n_items": dataset.n_items}


def checkpoint_dataset_spec(ckpt: dict) -> DatasetSpec:
    """The dataset a checkpoint was trained on: the spec it stores (``source`` and options), or for a
    checkpoint written before it stored one, :meth:`DatasetSpec.of_checkpoint` (its training config's
    spec, else its dataset's name)."""
    record = ckpt.get("dataset") or {}
    if isinstance(record.get("source"), str):
        return DatasetSpec.from_dict({k: v for k, v in record.items() if k not in RECORD_KEYS})
    return DatasetSpec.of_checkpoint(ckpt)


def checkpoint_dict(model: SessionRecommender, dataset: PreparedDataset, *, epoch: int, metrics: dict,
                    global_step: int = 0, extra: dict | None = None, spec: DatasetSpec | None = None) -> dict:
    """The checkpoint of ``model`` trained on ``dataset``; ``spec``: the dataset's spec (a run's
    ``cfg.data``), stored in the ``dataset`` field (:func:`dataset_record`)."""
    ckpt = {
        "format": FORMAT,
        "version": VERSION,
        "model_name": model.name,
        "model_config": model.config_dict(),
        "n_items": model.n_items,
        "dataset": dataset_record(dataset, spec),
        "item_ids": dataset.item_ids.clone(),
        **({"item_tokens": list(dataset.item_tokens)} if dataset.item_tokens is not None else {}),
        "epoch": int(epoch),
        "global_step": int(global_step),
        "metrics": dict(metrics),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    spec = _registered_spec(model.name)
    if spec is not None and spec.plugin is not None:  # a plugin: where it came from, shown if it is missing later
        ckpt["plugin"] = {"name": spec.name, "class": spec.plugin["class"], "package": spec.plugin["package"],
                          "version": spec.plugin["version"]}
    if extra:
        ckpt.update(extra)
    return ckpt


def _registered_spec(name):
    return MODELS.get(name)


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
    def refuse(field: str, what: str):
        raise CheckpointError(f"checkpoint {path}: {field} {what}; the file was altered or is not from FGNN "
                              "Studio: retrain it or pick another checkpoint")

    _check_identity(ckpt, path, refuse)
    n_items = ckpt["n_items"]
    _check_model_config(ckpt, n_items, refuse)
    _check_dataset_record(ckpt, refuse)
    _check_weights(ckpt, n_items, refuse)
    train_config = ckpt.get("train_config")
    if train_config is not None and not (isinstance(train_config, dict)
                                         and isinstance(train_config.get("protocol") or {}, dict)):
        refuse("train_config", "is not a dict of run settings")
    for key, kind in (("metrics", dict), ("epoch", int), ("global_step", int)):
        if key in ckpt and not isinstance(ckpt[key], kind):
            refuse(key, f"is a {type(ckpt[key]).__name__}, not a {kind.__name__}")


def _check_identity(ckpt: dict, path, refuse) -> None:
    """The format version and a registered model name (the registry is the allowlist: nothing a
    checkpoint records is imported, docs/own-model.md)."""
    version = ckpt["version"]
    if not _is_int(version) or version < 1:
        refuse("version", f"is {str(version)[:40]!r}, not a format version")
    if version > VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version}, newer than this FGNN Studio ({VERSION}): upgrade FGNN Studio")
    if not isinstance(ckpt["model_name"], str):
        refuse("model_name", f"{str(ckpt['model_name'])[:40]!r} is not one of {', '.join(model_names())}")
    if ckpt["model_name"] not in model_names():
        raise CheckpointError(f"checkpoint {path}: {not_registered_message(ckpt['model_name'], ckpt.get('plugin'))}")


def _check_model_config(ckpt: dict, n_items, refuse) -> None:
    """The item count and the model's hyperparameters, each within its rule (fgnn/settings.py)."""
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


def _check_weights(ckpt: dict, n_items, refuse) -> None:
    """The vocabulary (``n_items + 1`` int64 ids, padding first) and a dict of tensors."""
    ids = ckpt["item_ids"]
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1 or ids.dtype != torch.int64 or len(ids) != n_items + 1:
        shape = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__
        refuse("item_ids", f"is {shape}, not the {n_items + 1} int64 ids of its {n_items} items (and padding)")
    tokens = ckpt.get("item_tokens")
    if tokens is not None and not (isinstance(tokens, list) and len(tokens) == n_items + 1
                                   and all(isinstance(t, str) for t in tokens)):
        refuse("item_tokens", f"is not the {n_items + 1} texts of its {n_items} item ids (and padding)")
    state = ckpt["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        refuse("state_dict", "is not a dict of tensors")


def _check_dataset_record(ckpt: dict, refuse) -> None:
    """The ``dataset`` field: a dict with the dataset's name and fingerprint and, in checkpoints that
    store it, a dataset spec (:func:`dataset_record`)."""
    dataset = ckpt["dataset"]
    if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str):
        refuse("dataset", "is not a dict with the dataset's name")
    if not isinstance(dataset.get("fingerprint", ""), str):
        refuse("dataset", "has a fingerprint that is not a string")
    if "source" in dataset:  # the dataset's spec (checkpoints written before hold none)
        try:
            checkpoint_dataset_spec(ckpt)
        except FGNNError as exc:
            refuse("dataset", f"is not a dataset specification ({str(exc)[:200]})")


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
    except (FGNNError, ValueError, RuntimeError, KeyError, TypeError, NotImplementedError) as exc:
        raise CheckpointError(f"checkpoint {path} does not fit its model '{ckpt['model_name']}': {str(exc).splitlines()[0][:300]}") from None
    model.eval()
    return model


def checkpoint_ids(ckpt: dict) -> np.ndarray:
    """The original item id of each index of a checkpoint's vocabulary (whole numbers, or the text
    of token ids: :func:`fgnn.data.ids.original_ids`)."""
    return original_ids(ckpt["item_ids"], ckpt.get("item_tokens"))


def check_dataset(ckpt: dict, dataset: PreparedDataset, path="checkpoint") -> list[str]:
    """Refuse a checkpoint made for another item vocabulary; return warnings for softer mismatches."""
    if (ckpt.get("item_tokens") is None) != (dataset.item_tokens is None):
        kinds = ("whole numbers", "tokens (text)")
        raise CheckpointError(
            f"checkpoint {path} has item ids that are {kinds[ckpt.get('item_tokens') is not None]}, dataset "
            f"'{dataset.name}' {kinds[dataset.item_tokens is not None]}: choose a checkpoint trained on this dataset")
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


_fingerprints: dict = {}  # (resolved path, mtime_ns, size) -> the fingerprint stored in that file version


def stored_fingerprint(path) -> str | None:
    """The fingerprint of the dataset the checkpoint at ``path`` was trained on (both layouts), or
    ``None`` when the file is missing, unreadable, not a FGNN Studio checkpoint or records none.
    Cheap: the file's tensors are mapped, not read, and each file version is read once."""
    path = Path(path)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return None
    if key not in _fingerprints:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except Exception:  # noqa: BLE001 - any file that cannot be read records no fingerprint
            ckpt = None
        record = ckpt.get("dataset") if isinstance(ckpt, dict) and ckpt.get("format") == FORMAT else None
        fingerprint = record.get("fingerprint") if isinstance(record, dict) else None
        _fingerprints[key] = fingerprint if isinstance(fingerprint, str) and fingerprint else None
    return _fingerprints[key]
