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
from fgnn.data.dataset import DataError
from fgnn.models.hyperparams import cli_hyperparameters
from fgnn.models.registry import model_names, preset_names, preset_params
from fgnn.runs.folders import checkpoints_root, unique_run_dir
from fgnn.runs.launch import fail_queued_run


def yes_no(text: str) -> bool:
    """A boolean flag's value: yes/no, true/false, 1/0."""
    value = text.strip().lower()
    if value in ("yes", "true", "1", "on"):
        return True
    if value in ("no", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


# every model's hyperparameters, from their config dataclasses (fgnn.models.hyperparams): flag name -> parser;
# only the flags given are passed on as model_params, over the model's (or its preset's) defaults
PARSERS = {bool: yes_no, int: int, float: float, str: str}
MODEL_FLAGS = {name: PARSERS[hp.type] for name, (hp, _) in cli_hyperparameters().items()}


def add_model_options(p: argparse.ArgumentParser) -> None:
    """One flag per model hyperparameter, with the Train page's words and the value rule."""
    g = p.add_argument_group("model hyperparameters (defaults: the model's paper defaults; ranges: fgnn/models/validation.py)")
    for name, (hp, models) in cli_hyperparameters().items():
        words = [hp.help or "", f"Must be {hp.rule.describe()}." if hp.rule else "", f"[{', '.join(models)}]"]
        choices = hp.rule.choices if hp.rule else ()
        metavar = "yes|no" if hp.type is bool else "{" + ",".join(choices) + "}" if choices else None
        g.add_argument(hp.flag, dest=name, type=MODEL_FLAGS[name], default=None, metavar=metavar,
                       help=" ".join(w for w in words if w).replace("%", "%%"))


# options that set the TrainConfig field of the same name; one left out keeps TrainConfig's default
CONFIG_OPTIONS = ("epochs", "batch_size", "lr", "weight_decay", "lr_step", "lr_gamma", "seed", "eval_batch_size",
                  "device")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train a model (or fit a baseline) and write a run folder",
        description="Train FGNN or SR-GNN (Adam, lr x0.1 every 3 epochs; both papers' defaults) or fit a "
                    "baseline, evaluating HR/MRR/NDCG@K on the test pairs after every epoch. The run folder "
                    "gets config.json, status.json, metrics.jsonl, best.pt, last.pt and TensorBoard events. "
                    "SIGTERM or a STOP file in the run folder cancels cleanly; --resume continues.")
    add_dataset_options(p)
    p.add_argument("--model", default="fgnn", help=" | ".join(model_names()) + " (default fgnn)")
    p.add_argument("--preset", default=None,
                   help="a named configuration that is not the paper's model ("
                        + "; ".join(f"{m}: {', '.join(preset_names(m))}" for m in model_names() if preset_names(m))
                        + "; docs/fgnn-study.md); hyperparameter flags given beside it win")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--run-dir", default=None, help="run folder (default: checkpoints/<model>-<dataset>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last.pt")
    p.add_argument("--config", default=None, help="read the whole run config from this JSON file (the app uses it)")
    # the run's settings left out take TrainConfig's defaults (config_from_args)
    p.add_argument("--device", default=None, help="auto | cpu | cuda (default auto: CUDA when present)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--weight-decay", type=float, default=None)
    p.add_argument("--lr-step", type=int, default=None, help="decay the learning rate every N epochs")
    p.add_argument("--lr-gamma", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--top-k", type=int, nargs="+", default=None, help="K values to evaluate")
    p.add_argument("--eval-batch-size", type=int, default=None)
    p.add_argument("--max-train-pairs", type=int, default=None,
                   help="train on the most recent N pairs only (0 or absent: all)")
    p.add_argument("--max-test-pairs", type=int, default=None,
                   help="evaluate on the first N test pairs only (0 or absent: all)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    p.add_argument("--nproc", type=int, default=None,
                   help="data-parallel processes on this machine, started through torchrun's API: one per GPU "
                        "(NCCL), or CPU processes (gloo); same as `torchrun --nproc-per-node N -m fgnn train ...`. "
                        "Neural models only (docs/distributed.md)")
    p.add_argument("--no-amp", action="store_true", help="no bfloat16 autocast on CUDA")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--launch-token", default=None, help=argparse.SUPPRESS)  # set by fgnn.runs.folders.launch_run
    add_model_options(p)
    p.set_defaults(func=run)
    return p


def config_from_args(args):
    """The run config from the options (or ``--config``), range-checked: a bad value raises a
    :class:`~fgnn.models.validation.ConfigError` naming the option (or the file's key)."""
    from fgnn.data.spec import DEFAULT_SOURCE
    from fgnn.models.validation import validate_train_config
    from fgnn.training.config import TrainConfig

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
    try:
        preset = preset_params(args.model, getattr(args, "preset", None))
    except ValueError as exc:
        raise DataError(str(exc)) from None
    params = {**preset, **{k: getattr(args, k) for k in MODEL_FLAGS if getattr(args, k, None) is not None}}
    given = {k: getattr(args, k) for k in CONFIG_OPTIONS if getattr(args, k, None) is not None}
    if getattr(args, "top_k", None) is not None:
        given["ks"] = sorted(set(args.top_k))
    cfg = TrainConfig(
        data=dataset_spec(args, default=DEFAULT_SOURCE), model=args.model, model_params=params, **given,
        amp=not args.no_amp, max_train_pairs=args.max_train_pairs or None, max_test_pairs=args.max_test_pairs or None,
        num_threads=args.threads, nproc=args.nproc or 1,
    )
    if args.max_train_pairs is not None and args.max_train_pairs < 0:
        cfg.max_train_pairs = args.max_train_pairs  # kept so that the check below names it
    if args.max_test_pairs is not None and args.max_test_pairs < 0:
        cfg.max_test_pairs = args.max_test_pairs
    validate_train_config(cfg)
    return cfg


def run(args) -> int:
    from fgnn.runs.guard import RunFailed
    from fgnn.training import distributed
    from fgnn.training.loop import train

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
    except DataError as exc:
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
    from fgnn.models import is_neural
    from fgnn.runs.folders import read_json, write_json_atomic
    from fgnn.runs.guard import open_run_folder
    from fgnn.training import distributed
    from fgnn.training.config import TrainConfig

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
