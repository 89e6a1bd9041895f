"""Training: Adam with step decay, evaluation after every epoch, run folder, resume, cancel.

``train(config, run_dir)`` is what ``fgnn train`` and the app's Train page run (the app in a
separate process). Everything a run produces lands in ``run_dir`` (docs/run-folders.md).
"""
from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from fgnn.atomic import tensor_bytes
from fgnn.data.dataset import PreparedDataset
from fgnn.data.sessions import GraphBatchLoader
from fgnn.errors import DataError, FGNNError, RunFailed
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import summarize
from fgnn.models import build_model
from fgnn.models.checkpoint import check_dataset, checkpoint_dict, load_checkpoint, save_checkpoint
from fgnn.runs import folders
from fgnn.runs.folders import MetricsWriter, RunStatus, process_start_time, read_json, write_json_atomic
from fgnn.runs.guard import (
    FiniteLossGuard,
    RunLock,
    best_from_checkpoint,
    check_finite_state,
    folder_error,
    open_run_folder,
)
from fgnn.training import distributed
from fgnn.training.config import TrainConfig, validate_train_config
from fgnn.training.prefetch import BatchPrefetcher


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
        (``agree``: every data-parallel process decides together, fgnn.training.distributed)."""
        if agree(self.signalled or self.stop_file.exists()):  # (not bool(self): that counts batch checks)
            raise KeyboardInterrupt("cancelled (STOP file)")

    def __bool__(self) -> bool:
        return self.signalled or self.stop_file.exists()

    def forget_earlier_cancel(self, finished) -> None:
        """Remove a STOP file left by an earlier cancel of this folder (written before the run last
        ``finished``). A STOP written while the run was queued is honoured: it stops after its first
        batch, cancelled and resumable."""
        if self.stop_file.exists() and self.stop_file.stat().st_mtime <= float(finished or 0):
            self.stop_file.unlink()



def load_training_data(cfg: TrainConfig) -> PreparedDataset:
    return cfg.data.load()


def _tail_pairs(pairs, n: int | None):
    if not n or n >= len(pairs):  # None or 0: all (the CLI and the Train page agree)
        return pairs
    return pairs.subset(torch.arange(len(pairs) - n, len(pairs)))


def adam(params: list, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam with the fused kernel (~3x faster on the 4.3M-row item table), or the plain one where
    torch has no fused kernel for the parameters' device or dtype (it raises RuntimeError)."""
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except RuntimeError:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.Adam:
    return adam([p for p in model.parameters() if p.requires_grad], cfg.lr, cfg.weight_decay)


class _Tensorboard:
    def __init__(self, run_dir: Path | None):
        self.writer = None
        if run_dir is None:  # a process other than rank 0 writes no events
            return
        try:
            from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415 (tensorboard is optional and slow to import: only with --tensorboard)

            self.writer = SummaryWriter(str(run_dir))
        except (ImportError, OSError):  # tensorboard is optional; a folder it cannot write is not fatal
            self.writer = None

    def scalars(self, row: dict, step: int):
        """Write ``row``'s numbers; an :class:`OSError` (a full disk) names the TensorBoard events."""
        if self.writer is None:
            return
        try:
            for k, v in row.items():
                if isinstance(v, (int, float)) and k not in ("epoch", "step", "time"):
                    self.writer.add_scalar(f"{row.get('kind', 'train')}/{k}", v, step)
            self.writer.flush()
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, "TensorBoard events") from None

    def close(self):
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError:  # a full disk: reported by the write that failed
                pass


@dataclass
class RunRecords:
    """Where a run writes (docs/run-folders.md): ``status.json``, one row at a time to ``metrics.jsonl``
    and TensorBoard, checkpoints. In a data-parallel run only rank 0 writes (``status.writes``)."""

    run_dir: Path
    status: RunStatus
    metrics_log: MetricsWriter | distributed.NoWriter
    tb: _Tensorboard

    def log(self, row: dict, step: int) -> None:
        self.metrics_log.write(row)
        self.tb.scalars(row, step)

    def save(self, ckpt: dict, name: str) -> None:
        if self.status.writes:
            try:
                save_checkpoint(ckpt, self.run_dir / name)
            except OSError as exc:  # a full disk: say how much a checkpoint needs
                raise folder_error(self.run_dir, exc, needed=tensor_bytes(ckpt), during_run=True) from None


@dataclass
class _Held:
    """What :func:`train` releases whatever happens: the process group and the TensorBoard writer."""

    ctx: distributed.Context = field(default_factory=lambda: distributed.SINGLE)
    tb: _Tensorboard | None = None


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
    status = RunStatus(run_dir, _previous_status(run_dir) if resume and main else {}, writes=main)
    stop = _StopFlag(run_dir)
    if main and resume:
        stop.forget_earlier_cancel(status.get("finished"))
    # the handler before "running" is written: a cancel that reads "running" must not kill the process
    previous = signal.signal(signal.SIGTERM, stop.handler) if _main_thread() else None
    status.update(state="running", pid=os.getpid(), pid_start=process_start_time(os.getpid()),
                  started=status.get("started", time.time()), updated=time.time(), error=None, finished=None,
                  epochs=cfg.epochs, world_size=world)
    status.fields.pop("launch_token", None)
    try:
        if main:
            write_json_atomic(run_dir / "config.json", cfg.to_dict())
        status.write()
    except OSError as exc:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        lock.release()
        raise folder_error(run_dir, exc) from None
    held = _Held()
    try:
        return _run(cfg, status, stop, held, dataset, resume, progress)
    except BaseException as exc:
        recorded = _record_failure(exc, status, stop, held.ctx)
        if recorded is not exc:  # the OS error as one line naming the folder (docs/run-folders.md)
            raise recorded from None
        raise
    finally:
        if held.tb is not None:
            held.tb.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        distributed.shutdown(held.ctx)
        lock.release()


def _previous_status(run_dir: Path) -> dict:
    """The status.json a resumed run goes on from; a corrupt one is not fatal."""
    status = read_json(run_dir / "status.json", default={})
    return dict(status) if isinstance(status, dict) else {}


def _run(cfg: TrainConfig, status: RunStatus, stop: _StopFlag, held: _Held, dataset, resume: bool,
         progress: bool) -> dict:
    """The body of :func:`train` once the folder is its own: device, data, model, then fit or train."""
    main, run_dir = status.writes, status.path.parent
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    held.ctx, device = distributed.init(cfg.device)
    ctx = held.ctx
    status.update(device=ctx.describe(device), device_type=device.type)
    if ctx.active:
        status.update(processes=ctx.processes)
    status.write()
    ds = dataset if dataset is not None else load_training_data(cfg)
    stop.check(ctx.any_stop)  # a STOP file written while the data loaded
    train_pairs, test_pairs = _run_pairs(ds, cfg, status)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, ds.n_items, **cfg.model_params)  # validate_train_config checked the names
    if ctx.active and not model.trainable:
        raise DataError(f"baseline '{cfg.model}' fits in seconds on one process and is not data-parallel: "
                        "train it without --nproc / torchrun")
    held.tb = _Tensorboard(run_dir) if main else _Tensorboard(None)
    records = RunRecords(run_dir, status, MetricsWriter(run_dir) if main else distributed.NoWriter(), held.tb)
    try:
        if not model.trainable:
            _fit_baseline(model, ds, test_pairs, cfg, records)
        else:
            NeuralRun(model, ds, train_pairs, test_pairs, cfg, device, records, stop, ctx).run(resume, progress and main)
    finally:
        records.metrics_log.close()
    if status.get("state") == "cancelled" and main:  # the cancel is done: a later --resume must not stop again
        stop.stop_file.unlink(missing_ok=True)
    ctx.barrier()  # the final status is written before any process ends (docs/distributed.md)
    return status.fields


def _run_pairs(ds: PreparedDataset, cfg: TrainConfig, status: RunStatus):
    """The training pairs and the pairs every epoch is judged on: the validation split when there
    is one (the test set is left for `fgnn evaluate`; docs/fgnn-study.md), else the test pairs."""
    train_pairs = _tail_pairs(ds.train, cfg.max_train_pairs)
    test_pairs = ds.test if not cfg.max_test_pairs else ds.test.subset(torch.arange(min(cfg.max_test_pairs, len(ds.test))))
    if ds.valid is not None:
        test_pairs = ds.valid
        status.update(selected_on="valid")
    return train_pairs, test_pairs


def _record_failure(exc: BaseException, status: RunStatus, stop: _StopFlag, ctx: distributed.Context) -> BaseException:
    """Record how a run ended early in ``status.json`` (failed, or cancelled); the exception to raise."""
    run_dir = status.path.parent
    stop.immediate = False  # a second SIGTERM must not interrupt writing the final status
    if _interrupted(exc) and not isinstance(exc, KeyboardInterrupt):  # a cancel that some code wrapped
        exc = KeyboardInterrupt("cancelled (SIGTERM)")
    if isinstance(exc, OSError) and not isinstance(exc, FGNNError):  # a full or read-only run folder
        exc = folder_error(run_dir, exc, during_run=True)
    status.update(state="failed", finished=time.time(), updated=time.time(),
                  error=str(exc) if isinstance(exc, FGNNError) else f"{type(exc).__name__}: {exc}")
    if isinstance(exc, KeyboardInterrupt):
        status.update(state="cancelled", error=None)
        if status.writes:
            stop.stop_file.unlink(missing_ok=True)  # the cancel is done
    lost = ctx.lost_processes() if ctx.active and not isinstance(exc, FGNNError) else []
    if lost:  # a peer died: name it rather than the broken connection it left behind
        status.update(error=folders.lost_message(lost), lost_rank=lost[0]["rank"])
    try:
        status.write()
    except OSError as write_exc:  # the folder cannot take even status.json: the one message says so
        also = f"status.json could not record this either ({write_exc.strerror})"
        if isinstance(exc, RunFailed):
            exc = type(exc)(f"{exc}; {also}")
        else:
            print(f"error: {folder_error(run_dir, write_exc)}", file=sys.stderr)
    if not isinstance(exc, (FGNNError, KeyboardInterrupt)) and not lost:
        traceback.print_exc()
    return exc


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is a cancel: the :class:`KeyboardInterrupt` of a stop, or an error that it
    caused. SIGTERM before the training loop raises it wherever the process is, and some code
    wraps it (raised during a class definition, Python reports a ``RuntimeError`` "Error calling
    __set_name__" caused by it): such a run was cancelled, not failed."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _fit_baseline(model, ds, test_pairs, cfg: TrainConfig, records: RunRecords) -> None:
    t0 = time.time()
    model.fit(ds)
    fit_s = time.time() - t0
    t0 = time.time()
    ranks = rank_targets(model, test_pairs, batch_size=cfg.eval_batch_size)
    metrics = summarize(ranks, cfg.ks)
    row = {"kind": "eval", "epoch": 1, "step": 0, "split": records.status.get("selected_on", "test"), **metrics,
           "fit_s": fit_s, "eval_s": time.time() - t0, "time": time.time()}
    records.log(row, 1)
    ckpt = checkpoint_dict(model, ds, epoch=1, metrics=metrics, extra={"train_config": cfg.to_dict()}, spec=cfg.data)
    records.save(ckpt, "best.pt")
    records.save(ckpt, "last.pt")
    records.status.end("finished", epoch=1, best={**metrics, "epoch": 1}, last=metrics)


PREFETCH_DEPTH = 2  # batches built ahead of the training step (fgnn.training.prefetch)


@dataclass
class EpochDone:
    """Where an epoch's batch loop stopped: batches ``first`` .. ``done`` of ``total`` ran."""

    first: int
    done: int
    total: int
    loss_sum: float  # the sum of the global batches' mean losses, over the whole epoch so far
    seconds: float
    loader_wait_s: float = 0.0  # of ``seconds``, the time the loop waited for its next batch


class NeuralRun:
    """The epochs of one neural run: :meth:`restore` from ``last.pt``, then per epoch :meth:`run_epoch`
    and :meth:`evaluate_and_save`; a cancel mid-epoch saves ``last.pt`` with the batch position
    (docs/run-folders.md). No host sync per batch: the loss is checked on the device
    (:class:`~fgnn.runs.guard.FiniteLossGuard`) and read back at log points and epoch ends."""

    def __init__(self, model, ds: PreparedDataset, train_pairs, test_pairs, cfg: TrainConfig,
                 device: torch.device, records: RunRecords, stop: _StopFlag,
                 ctx: distributed.Context = distributed.SINGLE):
        stop.immediate = False  # from here a stop is taken at a batch boundary, with last.pt saved
        self.model, self.ds, self.cfg, self.device = model.to(device), ds, cfg, device
        self.train_pairs, self.test_pairs = train_pairs, test_pairs
        self.records, self.status, self.stop, self.ctx = records, records.status, stop, ctx
        self.opt = make_optimizer(model, cfg)
        self.sched = torch.optim.lr_scheduler.StepLR(self.opt, step_size=cfg.lr_step, gamma=cfg.lr_gamma)
        self.guard = FiniteLossGuard(device)
        self.net = model  # DistributedDataParallel(model) once restored, when there are several processes
        self.global_step = 0
        self.best: dict = {}
        self.last_metrics: dict = {}
        self.key = f"hit@{max(cfg.ks)}"  # the best epoch is the one with the highest HR@max(K)

    def run(self, resume: bool, progress: bool) -> None:
        start_epoch, start_batch, start_loss = self.restore(resume)
        self.net = self.ctx.wrap(self.model)
        steps_per_epoch = -(-len(self.train_pairs) // self.cfg.batch_size)
        self.status.write(steps_per_epoch=steps_per_epoch, epoch=start_epoch)
        self.last_metrics = self.status.get("last") or {}
        for epoch in range(start_epoch, self.cfg.epochs):
            first = start_batch if epoch == start_epoch else 0
            done = self.run_epoch(epoch, first, start_loss if first else 0.0, progress)
            if self.stop.signalled and done.done < done.total:
                self.save_cancelled(epoch, done)
                return
            self.evaluate_and_save(epoch, done)
            if self.ctx.any_stop(bool(self.stop)):
                self.status.end("cancelled")
                return
        self.status.end("finished")

    def restore(self, resume: bool) -> tuple[int, int, float]:
        """Best figures from ``best.pt`` and everything else from ``last.pt`` (only rank 0 reads the
        folder); ``(epoch, batch, loss so far)`` to go on from: a run cancelled mid-epoch resumes at
        its next batch."""
        ctx, run_dir = self.ctx, self.records.run_dir
        main = ctx.is_main
        self.best = best_from_checkpoint(run_dir / "best.pt") if resume and main else {}  # not status.json: may be corrupt
        self.status.update(best=self.best or None)
        ckpt = None
        if resume and main and (run_dir / "last.pt").exists():
            ckpt = load_checkpoint(run_dir / "last.pt")
            check_dataset(ckpt, self.ds, run_dir / "last.pt")
        ckpt = ctx.broadcast_object(ckpt)
        if ckpt is None:
            if ctx.rank > 0:  # each process draws its own dropout masks
                torch.manual_seed(distributed.rank_seed(self.cfg.seed, ctx.rank))
            return 0, 0, 0.0
        self.model.load_state_dict(ckpt["state_dict"])
        if "optimizer" in ckpt:
            self.opt.load_state_dict(ckpt["optimizer"])
        if "scheduler" in ckpt:
            self.sched.load_state_dict(ckpt["scheduler"])
        epoch, self.global_step = int(ckpt["epoch"]), int(ckpt.get("global_step", 0))
        rng = distributed.rank_rng_state(ckpt, ctx)
        if isinstance(rng, torch.Tensor):  # dropout draws go on as in a straight run
            torch.set_rng_state(rng)
        if ckpt.get("partial_epoch") and "epoch_batches_done" in ckpt:
            return epoch, int(ckpt["epoch_batches_done"]), float(ckpt.get("epoch_loss_sum", 0.0))
        if ckpt.get("partial_epoch"):  # written before batch positions were saved
            print(f"last.pt was saved during epoch {epoch + 1} without its batch position: "
                  "that epoch restarts from its weights", file=sys.stderr)
        return epoch, 0, 0.0

    def run_epoch(self, epoch: int, first: int, loss_so_far: float, progress: bool) -> EpochDone:
        """Train epoch ``epoch`` (0-based) from batch ``first`` of its order until its end or a stop."""
        cfg, ctx, device = self.cfg, self.ctx, self.device
        self.model.train()
        gen = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
        loader = GraphBatchLoader(self.train_pairs, cfg.batch_size, shuffle=True, generator=gen, device=device,
                                  start=first, shard=(ctx.rank, ctx.world))
        batches_done = first
        loss_sum = torch.full((), loss_so_far, device=device)
        window = torch.zeros((), device=device)
        window_n = 0
        t0 = time.time()
        # batch n+1 is built (and pinned and sent) while batch n trains, in the loader's order; the
        # thread stops when the loop ends, breaks (a cancel) or raises (fgnn.training.prefetch)
        with BatchPrefetcher(loader, depth=PREFETCH_DEPTH, device=device) as batches:
            bar = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress, initial=first,
                       total=len(loader), mininterval=1.0 if sys.stderr.isatty() else 10.0, file=sys.stderr)
            for batch in bar:
                loss = self.train_step(batch, batches_done)
                loss_sum += loss
                window += loss
                window_n += 1
                self.global_step += 1
                batches_done += 1
                if self.global_step % cfg.log_every == 0:  # the only host sync: once every log_every batches
                    self.log_loss(epoch, window, window_n)
                    window.zero_()
                    window_n = 0
                if (not ctx.active or batches_done % distributed.STOP_EVERY == 0) and ctx.any_stop(bool(self.stop)):
                    self.stop.signalled = True  # every process stops after the same batch
                    break
            bar.close()
        self.guard.check(epoch + 1, cfg.lr, ctx.any_stop)  # nothing non-finite is ever saved (docs/run-folders.md)
        check_finite_state(self.model, self.opt, epoch + 1, self.global_step, cfg.lr, ctx.any_stop)
        epoch_loss = float(ctx.mean_over_ranks(loss_sum))  # the sum of the global batches' mean losses
        return EpochDone(first, batches_done, len(loader), epoch_loss, time.time() - t0, batches.wait_s)

    def train_step(self, batch, batch_no: int) -> torch.Tensor:
        """One optimizer step on ``batch`` (global batch ``batch_no`` of the epoch); its loss, detached."""
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=self.cfg.amp and self.device.type == "cuda"):
            scores = self.net(batch)
        loss = F.cross_entropy(scores.float(), batch.targets - 1)
        if self.ctx.active:  # DDP's average of these is the global batch's gradient (fgnn.training.distributed)
            loss = loss * self.ctx.loss_scale(batch_no, len(self.train_pairs), self.cfg.batch_size)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.guard.watch(loss, self.global_step + 1)  # no host sync: read back at the log point and before a save
        return loss.detach()

    def log_loss(self, epoch: int, window: torch.Tensor, window_n: int) -> None:
        """A ``train`` row: the mean loss of the last ``window_n`` batches (a host sync)."""
        self.guard.check(epoch + 1, self.cfg.lr, self.ctx.any_stop)
        row = {"kind": "train", "epoch": epoch + 1, "step": self.global_step,
               "loss": float(self.ctx.mean_over_ranks(window)) / window_n,
               "lr": self.opt.param_groups[0]["lr"], "time": time.time()}
        self.records.log(row, self.global_step)
        self.status.write(step=self.global_step, updated=time.time())

    def save_last(self, epoch_done: int, metrics: dict, partial: bool, batches_done: int = 0,
                  loss_sum: float = 0.0) -> None:
        rng_states = self.ctx.gather_objects(torch.get_rng_state())  # every process's dropout stream
        extra = {"optimizer": self.opt.state_dict(), "scheduler": self.sched.state_dict(),
                 "train_config": self.cfg.to_dict(), "partial_epoch": partial, "rng_state": rng_states[0]}
        if self.ctx.active:
            extra["rng_states"] = rng_states
        if partial:  # where in the epoch's batch order to go on, and the loss so far
            extra.update(epoch_batches_done=batches_done, epoch_loss_sum=loss_sum)
        self.records.save(checkpoint_dict(self.model, self.ds, epoch=epoch_done, metrics=metrics,
                                          global_step=self.global_step, extra=extra, spec=self.cfg.data), "last.pt")

    def save_cancelled(self, epoch: int, done: EpochDone) -> None:
        """A stop mid-epoch: ``last.pt`` with the batch position, the run marked cancelled."""
        self.save_last(epoch, self.last_metrics, partial=True, batches_done=done.done, loss_sum=done.loss_sum)
        self.status.end("cancelled", step=self.global_step)
        if self.ctx.is_main:
            print(f"cancelled during epoch {epoch + 1} after batch {done.done} of {done.total}; "
                  "last.pt holds the weights, --resume goes on from the next batch", file=sys.stderr)

    def evaluate_and_save(self, epoch: int, done: EpochDone) -> None:
        """After epoch ``epoch``: step the schedule, evaluate, log the ``eval`` row, save ``best.pt``
        when HR@max(K) improved and ``last.pt`` always, then status.json."""
        cfg = self.cfg
        n_batches = max(done.total, 1)
        self.sched.step()
        t0 = time.time()
        ranks = self.ctx.rank_targets(self.model, self.test_pairs, batch_size=cfg.eval_batch_size, device=self.device)
        eval_s = time.time() - t0
        metrics = summarize(ranks, cfg.ks)
        row = {"kind": "eval", "epoch": epoch + 1, "step": self.global_step,
               "split": self.status.get("selected_on", "test"), "train_loss": done.loss_sum / n_batches,
               **metrics, "train_s": done.seconds, "eval_s": eval_s, "loader_wait_s": done.loader_wait_s,
               "train_examples_per_s": len(self.train_pairs) * (n_batches - done.first) / n_batches
               / max(done.seconds, 1e-9),
               "time": time.time()}
        self.records.log(row, epoch + 1)
        self.last_metrics = metrics
        if not self.best or metrics[self.key] > self.best.get(self.key, -1):
            self.best = {**metrics, "epoch": epoch + 1}
            self.records.save(checkpoint_dict(self.model, self.ds, epoch=epoch + 1, metrics=metrics,
                                              global_step=self.global_step, extra={"train_config": cfg.to_dict()},
                                              spec=cfg.data),
                              "best.pt")
        self.save_last(epoch + 1, metrics, partial=False)
        self.status.write(epoch=epoch + 1, step=self.global_step, best=self.best, last=metrics, updated=time.time())
        if self.ctx.is_main:
            print(f"epoch {epoch + 1}: train loss {row['train_loss']:.4f} " + " ".join(
                f"{k} {v:.2f}" for k, v in metrics.items() if k != "n")
                + f" ({done.seconds:.0f}s train, {eval_s:.0f}s eval)", file=sys.stderr, flush=True)
