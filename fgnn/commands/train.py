"""``fgnn train``: train FGNN / SR-GNN or fit a baseline into a run folder.

    python -m fgnn train --dataset diginetica-sample --model fgnn --epochs 10 --run-dir checkpoints/my-run
    python -m fgnn train --dataset ../shared/data/diginetica-srgnn --model srgnn --run-dir runs/srgnn --resume
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

from fgnn.commands.common import add_dataset_options, dataset_spec, fail
from fgnn.data.spec import DEFAULT_SOURCE
from fgnn.errors import DataError, FGNNError, RunFailed
from fgnn.models import is_neural
from fgnn.models.options import cli_hyperparameters
from fgnn.models.registry import model_names, preset_names, preset_params
from fgnn.runs.folders import checkpoints_root, read_json, unique_run_dir, write_json_atomic
from fgnn.runs.guard import open_run_folder
from fgnn.runs.launch import fail_queued_run
from fgnn.settings import PARSERS, add_arguments, argument
from fgnn.settings import given as given_settings
from fgnn.training import distributed
from fgnn.training.config import TrainConfig, validate_train_config
from fgnn.training.loop import train

# every model's hyperparameters, from their config dataclasses (fgnn.models.options): flag name -> parser;
# only the flags given are passed on as model_params, over the model's (or its preset's) defaults
MODEL_FLAGS = {name: PARSERS.get(hp.type, str) for name, (hp, _) in cli_hyperparameters().items()}
# TrainConfig's fields that have a flag (their words and ranges beside their defaults, fgnn.training.config);
# one left out keeps TrainConfig's default
RUN_FIELDS = ("model", "epochs", "device", "batch_size", "lr", "weight_decay", "lr_step", "lr_gamma", "seed",
              "ks", "eval_batch_size", "max_train_pairs", "max_test_pairs", "num_threads", "nproc", "amp", "log_every")


def add_model_options(p: argparse.ArgumentParser) -> None:
    """One flag per model hyperparameter, with the Train page's words and the value rule."""
    g = p.add_argument_group("model hyperparameters (defaults: the model's paper defaults; ranges: the model's "
                             "config, fgnn/models/configs.py)")
    for name, (hp, models) in cli_hyperparameters().items():
        args, kw = argument(hp.config_class, name, f"[{', '.join(models)}]")
        g.add_argument(*args, **kw)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train a model (or fit a baseline) and write a run folder",
        description="Train FGNN or SR-GNN (Adam, lr x0.1 every 3 epochs; both papers' defaults) or fit a "
                    "baseline, evaluating HR/MRR/NDCG@K on the test pairs after every epoch. The run folder "
                    "gets config.json, status.json, metrics.jsonl, best.pt, last.pt and TensorBoard events. "
                    "SIGTERM or a STOP file in the run folder cancels cleanly; --resume continues.")
    add_dataset_options(p)
    p.add_argument("--preset", default=None,
                   help="a named configuration that is not the paper's model ("
                        + "; ".join(f"{m}: {', '.join(preset_names(m))}" for m in model_names() if preset_names(m))
                        + "; docs/fgnn-study.md); hyperparameter flags given beside it win")
    p.add_argument("--run-dir", default=None, help="run folder (default: checkpoints/<model>-<dataset>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last.pt")
    p.add_argument("--config", default=None, help="read the whole run config from this JSON file (the app uses it)")
    # the run's settings left out take TrainConfig's defaults (config_from_args)
    add_arguments(p, TrainConfig, only=RUN_FIELDS, extra_help={"model": " | ".join(model_names())})
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--launch-token", default=None, help=argparse.SUPPRESS)  # set by fgnn.runs.folders.launch_run
    add_model_options(p)
    p.set_defaults(func=run)
    return p


def config_from_args(args):
    """The run config from the options (or ``--config``), range-checked: a bad value raises a
    :class:`~fgnn.errors.ConfigError` naming the option (or the file's key)."""
    if args.config:
        try:
            raw = json.loads(Path(args.config).read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"run config {args.config} cannot be read: {exc}") from None
        if not isinstance(raw, dict):
            raise DataError(f"run config {args.config} must hold one JSON object of run settings")
        try:
            cfg = TrainConfig.from_dict(raw)
        except TypeError as exc:
            raise DataError(f"run config {args.config}: {exc}") from None
        validate_train_config(cfg, where=f"run config {args.config}: ", by_key=True)
        return cfg
    model = args.model or TrainConfig.model
    preset = preset_params(model, getattr(args, "preset", None))  # an unknown preset: a ConfigError
    params = {**preset, **{k: getattr(args, k) for k in MODEL_FLAGS if getattr(args, k, None) is not None}}
    given = given_settings(args, TrainConfig, RUN_FIELDS)
    given.pop("model", None)
    if "ks" in given:
        given["ks"] = sorted(set(given["ks"]))
    for key in ("max_train_pairs", "max_test_pairs", "nproc"):  # 0: all pairs / one process
        if given.get(key) == 0:
            del given[key]
    cfg = TrainConfig(data=dataset_spec(args, default=DEFAULT_SOURCE), model=model, model_params=params, **given)
    validate_train_config(cfg)
    return cfg


def run(args) -> int:
    rank = distributed.env_world()[0]
    try:
        cfg = config_from_args(args)
        if args.nproc is not None and args.config:
            cfg.nproc = args.nproc
        if args.run_dir:
            run_dir = Path(args.run_dir)
        elif distributed.is_worker():
            raise DataError("several processes need one run folder: pass --run-dir")
        else:
            preset = f"-{args.preset}" if getattr(args, "preset", None) else ""
            run_dir = unique_run_dir(checkpoints_root(), f"{cfg.model}{preset}-{Path(cfg.data.source).name}")
        if cfg.nproc > 1 and not distributed.is_worker():
            return _launch(args, cfg, run_dir)
        # train() refuses a folder that holds a run (unless --resume of the same configuration)
        status = train(cfg, run_dir, resume=args.resume, progress=not args.quiet, launch_token=args.launch_token)
    except RunFailed as exc:  # the run ran and failed (diverged, its folder full): status.json says so
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except FGNNError as exc:
        if args.launch_token and args.run_dir:  # started by the app: its queued status.json shows why
            fail_queued_run(args.run_dir, args.launch_token, str(exc))
        return fail(exc)
    except KeyboardInterrupt:
        return 130
    if rank != 0:
        return 0
    best = status.get("best") or {}
    print(f"run {run_dir}: {status['state']}; best " + ", ".join(f"{k} {v:.2f}" for k, v in best.items()
                                                              if k not in ("n", "epoch")))
    return 0 if status["state"] in ("finished", "cancelled") else 1


def _launch(args, cfg, run_dir: Path) -> int:
    """``--nproc N``: ``fgnn train --config run_dir/config.json`` N times under torchrun's elastic
    agent (fgnn.training.distributed.launch), as the app starts a run."""
    if not is_neural(cfg.model):
        raise DataError(f"'{cfg.model}' is a baseline: it fits in seconds on one process and is not data-parallel; "
                        "drop --nproc")
    if cfg.nproc > cfg.batch_size:
        raise DataError(f"--nproc {cfg.nproc} is more processes than the global batch has sessions "
                        f"(--batch-size {cfg.batch_size}): use fewer processes or a larger batch")
    # the folder is checked before anything is written (as train() does; docs/run-folders.md), and
    # rank 0 takes it over by the launch token, as a run the app queued
    lock = open_run_folder(run_dir, cfg.to_dict(), TrainConfig().to_dict(), args.resume, args.launch_token)
    token = args.launch_token or uuid.uuid4().hex
    try:
        write_json_atomic(run_dir / "config.json", cfg.to_dict())
        if not args.resume:
            write_json_atomic(run_dir / "status.json", {"state": "queued", "created": time.time(), "launch_token": token})
    finally:
        lock.release()
    argv = ["--config", str(run_dir / "config.json"), "--run-dir", str(run_dir), "--launch-token", token]
    argv += ["--resume"] if args.resume else []
    argv += ["--quiet"] if args.quiet else []
    code = distributed.launch(argv, cfg.nproc, run_dir)  # rank 0 prints the run's summary
    state = (read_json(run_dir / "status.json", default={}) or {}).get("state")
    return code if code else (0 if state in ("finished", "cancelled") else 1)
