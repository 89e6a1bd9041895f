"""Training: Adam with step decay, evaluation after every epoch, run folder, resume, cancel.

``train(config, run_dir)`` is what ``fgnn train`` and the app's Train page run (the app in a
separate process). Everything a run produces lands in ``run_dir`` (docs/run-folders.md).
"""
from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from . import checkpoint, distributed, runs
from .checkpoint import check_dataset, checkpoint_dict, load_checkpoint, save_checkpoint
from .data.dataset import DataError, PreparedDataset
from .data.sessions import GraphBatchLoader
from .data.spec import CONFIG_KEYS, DatasetSpec
from .evaluate import rank_targets
from .metrics import summarize
from .models import build_model
from .run_guard import (
    FiniteLossGuard,
    RunFolderError,
    RunLock,
    best_from_checkpoint,
    check_finite_state,
    folder_error,
    open_run_folder,
)
from .runs import MetricsWriter, process_start_time, read_json, write_json_atomic
from .validation import validate_train_config


@dataclass
class TrainConfig:
    """Everything that defines a run; saved as ``config.json``. Defaults: both papers.

    ``data`` (which dataset and how to prepare it, :class:`fgnn.data.spec.DatasetSpec`) is stored
    flat, as run configs have always been: ``dataset``, the read options and ``protocol``."""

    data: DatasetSpec = field(default_factory=DatasetSpec)
    model: str = "fgnn"
    model_params: dict = field(default_factory=dict)  # hidden_size, heads, steps, k, ...
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3
    weight_decay: float = 1e-5
    lr_step: int = 3
    lr_gamma: float = 0.1
    device: str = "auto"  # auto | cpu | cuda
    amp: bool = True  # bfloat16 autocast on CUDA
    seed: int = 0
    ks: list = field(default_factory=lambda: [10, 20])
    eval_batch_size: int = 500
    log_every: int = 50
    max_train_pairs: int | None = None  # the most recent N training pairs, for quick tries
    max_test_pairs: int | None = None
    num_threads: int | None = None
    nproc: int = 1  # data-parallel processes (docs/distributed.md); the world size a run had
    name: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """A run config as ``config.json`` / a checkpoint's ``train_config`` hold it (older layouts too)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"data"}
        unknown = set(d) - names - set(CONFIG_KEYS)
        if unknown:
            raise DataError(f"run config has unknown keys {sorted(unknown)}: valid keys are "
                            f"{sorted(names | set(CONFIG_KEYS))}")
        data = DatasetSpec.from_config({k: d[k] for k in CONFIG_KEYS if k in d})
        return cls(data=data, **{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        del out["data"]
        return {**self.data.config_dict(), **out}


class _StopFlag:
    """SIGTERM or a STOP file. Until the training loop takes over (``immediate = False``, where it
    saves ``last.pt`` and stops at a batch boundary), SIGTERM interrupts at once: loading a dataset
    and fitting or evaluating a baseline have nothing to save, and may take minutes."""

    def __init__(self, run_dir: Path):
        self.stop_file = run_dir / "STOP"
        self.signalled = False
        self.immediate = True

    def handler(self, signum, frame):  # noqa: ARG002
        self.signalled = True
        if self.immediate:
            raise KeyboardInterrupt("cancelled (SIGTERM)")  # train() marks the run cancelled

    def check(self, agree=bool) -> None:
        """Raise :class:`KeyboardInterrupt` (the run is marked cancelled) when a stop was asked for
        (``agree``: every data-parallel process decides together, fgnn.distributed)."""
        if agree(self.signalled or self.stop_file.exists()):  # (not bool(self): that counts batch checks)
            raise KeyboardInterrupt("cancelled (STOP file)")

    def __bool__(self) -> bool:
        return self.signalled or self.stop_file.exists()


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DataError("device 'cuda' was asked for but no CUDA GPU is available here: use --device auto or cpu")
    return torch.device(name)


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def load_training_data(cfg: TrainConfig) -> PreparedDataset:
    return cfg.data.load()


def _tail_pairs(pairs, n: int | None):
    if not n or n >= len(pairs):  # None or 0: all (the CLI and the Train page agree)
        return pairs
    return pairs.subset(torch.arange(len(pairs) - n, len(pairs)))


def make_optimizer(model, cfg: TrainConfig):
    params = [p for p in model.parameters() if p.requires_grad]
    try:  # the fused kernel is ~3x faster on the 4.3M-row item table
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


class _Tensorboard:
    def __init__(self, run_dir: Path | None):
        self.writer = None
        if run_dir is None:  # a process other than rank 0 writes no events
            return
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(run_dir))
        except (ImportError, OSError):  # tensorboard is optional; a folder it cannot write is not fatal
            self.writer = None

    def scalars(self, row: dict, step: int):
        if self.writer is None:
            return
        for k, v in row.items():
            if isinstance(v, (int, float)) and k not in ("epoch", "step", "time"):
                self.writer.add_scalar(f"{row.get('kind', 'train')}/{k}", v, step)
        self.writer.flush()

    def close(self):
        if self.writer is not None:
            self.writer.close()


def train(config, run_dir, resume: bool = False, progress: bool = True,
          dataset: PreparedDataset | None = None, launch_token: str | None = None) -> dict:
    """Train (or fit) a model and write its run folder. Returns the final status dict.

    Raises :class:`DataError` for bad input after recording it in ``status.json``. Before anything
    is written: the config is range-checked, the folder's lock taken and the folder checked (a run
    there is continued only by ``resume`` of the same configuration; docs/run-folders.md).
    """
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    validate_train_config(cfg)
    run_dir = Path(run_dir)
    rank, world, _ = distributed.env_world()
    main = rank == 0  # under torchrun only rank 0 writes the run folder (docs/distributed.md)
    if world > 1:
        cfg = dataclasses.replace(cfg, nproc=world)
    # the writer takes the folder's lock and checks the folder before writing anything (docs/run-folders.md)
    lock = open_run_folder(run_dir, cfg.to_dict(), TrainConfig().to_dict(), resume, launch_token) if main \
        else RunLock(run_dir)  # (not acquired: other ranks never write the folder)
    status = read_json(run_dir / "status.json", default={}) if resume and main else {}
    status = dict(status) if isinstance(status, dict) else {}  # a corrupt status.json is not fatal
    stop = _StopFlag(run_dir)
    # A STOP written while the run was queued is honoured (the run stops after its first batch,
    # cancelled and resumable); one left by an earlier cancel of this folder is not.
    if main and resume and stop.stop_file.exists() and stop.stop_file.stat().st_mtime <= float(status.get("finished") or 0):
        stop.stop_file.unlink()
    # the handler before "running" is written: a cancel that reads "running" must not kill the process
    previous = signal.signal(signal.SIGTERM, stop.handler) if _main_thread() else None
    status.update(state="running", pid=os.getpid(), pid_start=process_start_time(os.getpid()),
                  started=status.get("started", time.time()), updated=time.time(), error=None, finished=None,
                  epochs=cfg.epochs, world_size=world)
    status.pop("launch_token", None)
    put_status = (lambda: write_json_atomic(run_dir / "status.json", status)) if main else (lambda: None)
    try:
        if main:
            write_json_atomic(run_dir / "config.json", cfg.to_dict())
        put_status()
    except OSError as exc:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        lock.release()
        raise folder_error(run_dir, exc) from None
    tb = None
    ctx = distributed.SINGLE
    try:
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        ctx, device = distributed.init(cfg.device)
        status.update(device=ctx.describe(device), device_type=device.type)
        if ctx.active:
            status.update(processes=ctx.processes)
        put_status()
        ds = dataset if dataset is not None else load_training_data(cfg)
        stop.check(ctx.any_stop)  # a STOP file written while the data loaded
        train_pairs = _tail_pairs(ds.train, cfg.max_train_pairs)
        test_pairs = ds.test if not cfg.max_test_pairs else ds.test.subset(torch.arange(min(cfg.max_test_pairs, len(ds.test))))
        if ds.valid is not None:  # a validation split: every epoch and the best one are judged on it
            test_pairs = ds.valid  # (the test set is left for `fgnn evaluate`; docs/fgnn-study.md)
            status.update(selected_on="valid")
        torch.manual_seed(cfg.seed)
        try:
            model = build_model(cfg.model, ds.n_items, **cfg.model_params)
        except ValueError as exc:
            raise DataError(str(exc)) from None
        if ctx.active and not model.trainable:
            raise DataError(f"baseline '{cfg.model}' fits in seconds on one process and is not data-parallel: "
                            "train it without --nproc / torchrun")
        tb = _Tensorboard(run_dir) if main else _Tensorboard(None)
        metrics_log = MetricsWriter(run_dir) if main else distributed.NoWriter()
        try:
            if not model.trainable:
                status = _fit_baseline(model, ds, test_pairs, cfg, run_dir, status, metrics_log, tb)
            else:
                status = _train_neural(model, ds, train_pairs, test_pairs, cfg, device, run_dir, status,
                                       metrics_log, tb, stop, resume, progress and main, ctx=ctx)
        finally:
            metrics_log.close()
        if status.get("state") == "cancelled" and main:  # the cancel is done: a later --resume must not stop again
            stop.stop_file.unlink(missing_ok=True)
        ctx.barrier()  # the final status is written before any process ends (docs/distributed.md)
        return status
    except BaseException as exc:
        stop.immediate = False  # a second SIGTERM must not interrupt writing the final status
        if isinstance(exc, OSError) and not isinstance(exc, DataError):  # a full or read-only run folder
            exc = folder_error(run_dir, exc)
        status.update(state="failed", finished=time.time(), updated=time.time(),
                      error=str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}")
        if isinstance(exc, KeyboardInterrupt):
            status.update(state="cancelled", error=None)
            if main:
                stop.stop_file.unlink(missing_ok=True)  # the cancel is done
        lost = ctx.lost_processes() if ctx.active and not isinstance(exc, DataError) else []
        if lost:  # a peer died: name it rather than the broken connection it left behind
            status.update(error=distributed.lost_message(lost), lost_rank=lost[0]["rank"])
        try:
            put_status()
        except OSError as write_exc:  # the folder cannot take even status.json: say so on stderr
            print(f"error: {folder_error(run_dir, write_exc)}", file=sys.stderr)
        if not isinstance(exc, (DataError, KeyboardInterrupt)) and not lost:
            traceback.print_exc()
        if isinstance(exc, RunFolderError):
            raise exc from None
        raise
    finally:
        if tb is not None:
            tb.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        distributed.shutdown(ctx)
        lock.release()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _fit_baseline(model, ds, test_pairs, cfg, run_dir, status, metrics_log, tb) -> dict:
    t0 = time.time()
    model.fit(ds)
    fit_s = time.time() - t0
    t0 = time.time()
    ranks = rank_targets(model, test_pairs, batch_size=cfg.eval_batch_size)
    metrics = summarize(ranks, cfg.ks)
    row = {"kind": "eval", "epoch": 1, "step": 0, "split": status.get("selected_on", "test"), **metrics, "fit_s": fit_s, "eval_s": time.time() - t0, "time": time.time()}
    metrics_log.write(row)
    tb.scalars(row, 1)
    ckpt = checkpoint_dict(model, ds, epoch=1, metrics=metrics, extra={"train_config": cfg.to_dict()})
    save_checkpoint(ckpt, run_dir / "best.pt")
    save_checkpoint(ckpt, run_dir / "last.pt")
    status.update(state="finished", epoch=1, finished=time.time(), updated=time.time(),
                  best={**metrics, "epoch": 1}, last=metrics)
    write_json_atomic(run_dir / "status.json", status)
    return status


def _train_neural(model, ds, train_pairs, test_pairs, cfg, device, run_dir, status, metrics_log, tb, stop,
                  resume, progress, ctx: distributed.Context = distributed.SINGLE) -> dict:
    from tqdm import tqdm

    stop.immediate = False  # from here a stop is taken at a batch boundary, with last.pt saved
    main = ctx.is_main

    def write_json_atomic(path, obj):  # only rank 0 writes the run folder
        if main:
            runs.write_json_atomic(path, obj)

    def save_checkpoint(ckpt, path):
        if main:
            checkpoint.save_checkpoint(ckpt, path)

    model.to(device)
    opt = make_optimizer(model, cfg)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step, gamma=cfg.lr_gamma)
    start_epoch, global_step = 0, 0
    start_batch, start_loss = 0, 0.0  # a run cancelled mid-epoch resumes at its next batch
    best = best_from_checkpoint(run_dir / "best.pt") if resume and main else {}  # not status.json: may be corrupt
    status.update(best=best or None)
    key = f"hit@{max(cfg.ks)}"
    guard = FiniteLossGuard(device)
    ckpt = None
    if resume and main and (run_dir / "last.pt").exists():
        ckpt = load_checkpoint(run_dir / "last.pt")
        check_dataset(ckpt, ds, run_dir / "last.pt")
    ckpt = ctx.broadcast_object(ckpt)  # only rank 0 reads the run folder
    if ckpt is not None:
        model.load_state_dict(ckpt["state_dict"])
        if "optimizer" in ckpt:
            opt.load_state_dict(ckpt["optimizer"])
        if "scheduler" in ckpt:
            sched.load_state_dict(ckpt["scheduler"])
        start_epoch, global_step = int(ckpt["epoch"]), int(ckpt.get("global_step", 0))
        rng = distributed.rank_rng_state(ckpt, ctx)
        if isinstance(rng, torch.Tensor):  # dropout draws go on as in a straight run
            torch.set_rng_state(rng)
        if ckpt.get("partial_epoch") and "epoch_batches_done" in ckpt:
            start_batch, start_loss = int(ckpt["epoch_batches_done"]), float(ckpt.get("epoch_loss_sum", 0.0))
        elif ckpt.get("partial_epoch"):  # written before batch positions were saved
            print(f"last.pt was saved during epoch {start_epoch + 1} without its batch position: "
                  "that epoch restarts from its weights", file=sys.stderr)
    elif ctx.rank > 0:  # each process draws its own dropout masks
        torch.manual_seed(distributed.rank_seed(cfg.seed, ctx.rank))
    net = ctx.wrap(model)  # DistributedDataParallel when there are several processes
    use_amp = cfg.amp and device.type == "cuda"
    steps_per_epoch = -(-len(train_pairs) // cfg.batch_size)
    status.update(steps_per_epoch=steps_per_epoch, epoch=start_epoch)
    write_json_atomic(run_dir / "status.json", status)

    def save_last(epoch_done: int, metrics: dict, partial: bool, batches_done: int = 0, loss_sum: float = 0.0):
        rng_states = ctx.gather_objects(torch.get_rng_state())  # every process's dropout stream
        extra = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "train_config": cfg.to_dict(),
                 "partial_epoch": partial, "rng_state": rng_states[0]}
        if ctx.active:
            extra["rng_states"] = rng_states
        if partial:  # where in the epoch's batch order to go on, and the loss so far
            extra.update(epoch_batches_done=batches_done, epoch_loss_sum=loss_sum)
        save_checkpoint(checkpoint_dict(model, ds, epoch=epoch_done, metrics=metrics, global_step=global_step,
                                        extra=extra), run_dir / "last.pt")

    last_metrics = status.get("last") or {}
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        gen = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
        first = start_batch if epoch == start_epoch else 0
        loader = GraphBatchLoader(train_pairs, cfg.batch_size, shuffle=True, generator=gen, device=device,
                                  start=first, shard=(ctx.rank, ctx.world))
        batches_done = first
        loss_sum = torch.full((), start_loss if first else 0.0, device=device)
        window = torch.zeros((), device=device)
        window_n = 0
        t0 = time.time()
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress, initial=first,
                   mininterval=1.0 if sys.stderr.isatty() else 10.0, file=sys.stderr)
        for batch in bar:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_amp):
                scores = net(batch)
            loss = F.cross_entropy(scores.float(), batch.targets - 1)
            if ctx.active:  # DDP's average of these is the global batch's gradient (fgnn.distributed)
                loss = loss * ctx.loss_scale(batches_done, len(train_pairs), cfg.batch_size)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            guard.watch(loss, global_step + 1)  # no host sync: read back at the log point and before a save
            loss_sum += loss.detach()
            window += loss.detach()
            window_n += 1
            global_step += 1
            batches_done += 1
            if global_step % cfg.log_every == 0:  # the only host sync: once every log_every batches
                guard.check(epoch + 1, cfg.lr, ctx.any_stop)
                row = {"kind": "train", "epoch": epoch + 1, "step": global_step,
                       "loss": float(ctx.mean_over_ranks(window)) / window_n,
                       "lr": opt.param_groups[0]["lr"], "time": time.time()}
                metrics_log.write(row)
                tb.scalars(row, global_step)
                window.zero_()
                window_n = 0
                status.update(step=global_step, updated=time.time())
                write_json_atomic(run_dir / "status.json", status)
            if (not ctx.active or batches_done % distributed.STOP_EVERY == 0) and ctx.any_stop(bool(stop)):
                stop.signalled = True  # every process stops after the same batch
                break
        bar.close()
        guard.check(epoch + 1, cfg.lr, ctx.any_stop)  # nothing non-finite is ever saved (docs/run-folders.md)
        check_finite_state(model, opt, epoch + 1, global_step, cfg.lr, ctx.any_stop)
        epoch_loss = float(ctx.mean_over_ranks(loss_sum))  # the sum of the global batches' mean losses
        if stop.signalled and batches_done < len(loader):
            save_last(epoch, last_metrics, partial=True, batches_done=batches_done, loss_sum=epoch_loss)
            status.update(state="cancelled", finished=time.time(), updated=time.time(), step=global_step)
            write_json_atomic(run_dir / "status.json", status)
            if main:
                print(f"cancelled during epoch {epoch + 1} after batch {batches_done} of {len(loader)}; "
                      "last.pt holds the weights, --resume goes on from the next batch", file=sys.stderr)
            return status
        train_s = time.time() - t0
        n_batches = max(len(loader), 1)
        sched.step()
        t0 = time.time()
        ranks = ctx.rank_targets(model, test_pairs, batch_size=cfg.eval_batch_size, device=device)
        eval_s = time.time() - t0
        metrics = summarize(ranks, cfg.ks)
        row = {"kind": "eval", "epoch": epoch + 1, "step": global_step, "split": status.get("selected_on", "test"),
               "train_loss": epoch_loss / n_batches,
               **metrics, "train_s": train_s, "eval_s": eval_s,
               "train_examples_per_s": len(train_pairs) * (n_batches - first) / n_batches / max(train_s, 1e-9),
               "time": time.time()}
        metrics_log.write(row)
        tb.scalars(row, epoch + 1)
        last_metrics = metrics
        if not best or metrics[key] > best.get(key, -1):
            best = {**metrics, "epoch": epoch + 1}
            save_checkpoint(checkpoint_dict(model, ds, epoch=epoch + 1, metrics=metrics, global_step=global_step,
                                            extra={"train_config": cfg.to_dict()}), run_dir / "best.pt")
        save_last(epoch + 1, metrics, partial=False)
        status.update(epoch=epoch + 1, step=global_step, best=best, last=metrics, updated=time.time())
        write_json_atomic(run_dir / "status.json", status)
        if main:
            print(f"epoch {epoch + 1}: train loss {row['train_loss']:.4f} " + " ".join(
                f"{k} {v:.2f}" for k, v in metrics.items() if k != "n") + f" ({train_s:.0f}s train, {eval_s:.0f}s eval)",
                file=sys.stderr, flush=True)
        if ctx.any_stop(bool(stop)):
            status.update(state="cancelled", finished=time.time())
            write_json_atomic(run_dir / "status.json", status)
            return status
    status.update(state="finished", finished=time.time(), updated=time.time())
    write_json_atomic(run_dir / "status.json", status)
    return status
