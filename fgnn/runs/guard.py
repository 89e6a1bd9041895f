"""A run folder that defends itself (docs/run-folders.md).

- one writer at a time: :class:`RunLock`, an OS file lock (``flock``) on ``run.lock`` held for the
  run's whole life; the lock file names its holder (pid, host, start time) for the refusal message;
- a folder that holds a run is rewritten only by ``--resume`` of the same configuration
  (:func:`open_run_folder`, :data:`RESUME_MAY_CHANGE`), and that is decided before anything is written;
- nothing non-finite reaches a checkpoint: :class:`FiniteLossGuard` notes the first non-finite loss on
  the device (no host sync per batch) and :func:`check_finite_state` looks at the weights before a save.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path

import torch

from fgnn.atomic import is_full, remove_orphans
from fgnn.errors import CheckpointError, RunFailed, RunFolderError
from fgnn.models.checkpoint import load_checkpoint
from fgnn.runs.folders import pid_alive, process_start_time, read_json, read_status

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no OS lock, the other guards still hold
    fcntl = None

LOCK_FILE = "run.lock"
# What a --resume may change; every other field of the run config must equal the stored one.
RESUME_MAY_CHANGE = ("epochs", "num_threads", "device", "amp", "eval_batch_size", "log_every", "name", "nproc")
RUN_FILES = ("config.json", "status.json", "metrics.jsonl", "best.pt", "last.pt")
CHECKPOINTS = ("best.pt", "last.pt")


class TrainingDiverged(RunFailed):
    """The loss or the weights became NaN or infinite: the run stops as failed."""


class RunFolderFailed(RunFolderError, RunFailed):
    """The run folder stopped taking writes while the run ran (full, quota, removed)."""


def folder_error(run_dir: Path, exc: OSError, doing: str = "write to", needed: int | None = None,
                 during_run: bool = False) -> RunFolderError:
    """One line for an OS error on a run folder (not writable, a file, full): the folder, the file,
    the cause, for a full disk the space needed (``needed`` bytes, where known) and what is free,
    and how to go on (:func:`restart_hint`). ``during_run``: the run had started (exit code 1)."""
    run_dir = Path(run_dir)
    what = exc.strerror or type(exc).__name__
    name = Path(exc.filename).name if getattr(exc, "filename", None) else None
    if is_full(exc):
        space = f"about {_kb(needed)} needed, " if needed else ""
        try:
            space += f"{_kb(shutil.disk_usage(run_dir).free)} free"
        except OSError:
            space = space.rstrip(", ")
        what += f" ({space})" if space else ""
        hint = f"free some space, then {restart_hint(run_dir)}"
    else:
        hint = "check the folder and its permissions, or choose another --run-dir"
    kind = RunFolderFailed if during_run else RunFolderError
    return kind(f"cannot {doing} run folder {run_dir}{f' ({name})' if name else ''}: {what}; {hint}")


def _kb(n: int) -> str:
    return f"{n / 1000:.1f} kB" if n < 10**6 else f"{n / 10**6:.1f} MB"


def restart_hint(run_dir: Path) -> str:
    """How the run in ``run_dir`` goes on after it failed: ``--resume`` from its ``last.pt``, the same
    command again without ``--resume`` when it saved no checkpoint, another folder when it has only
    a ``best.pt`` (which a new run here would replace)."""
    if (Path(run_dir) / "last.pt").is_file():
        return "--resume (it goes on from last.pt)"
    if (Path(run_dir) / "best.pt").is_file():
        return "start a new run in another --run-dir (this one has best.pt but no last.pt to resume from)"
    return "run the same command again without --resume (the run saved no checkpoint: it starts again)"


class RunLock:
    """``flock`` on ``run_dir/run.lock``: held until :meth:`release` (or the process ends, even by
    SIGKILL: the OS drops the lock with the process, so a stale lock never blocks a later run)."""

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_FILE
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise folder_error(self.run_dir, exc) from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                raise RunFolderError(
                    f"run folder {self.run_dir} is in use by {describe_holder(holder)}: wait for that run to "
                    "end or cancel it; two writers would leave status.json and best.pt out of step") from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                                     "pid_start": process_start_time(os.getpid())}).encode())
        except OSError:  # a full disk: the lock holds without its description
            pass
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 4096).decode() or "{}")
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


def describe_holder(holder: dict) -> str:
    if not holder:
        return "another process"
    when = holder.get("started")
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if isinstance(when, (int, float)) else "?"
    return f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} (since {since})"


def lock_holder(run_dir) -> dict | None:
    """Who holds ``run_dir``'s lock now (``{}`` if unknown), or ``None`` when nobody does."""
    path = Path(run_dir) / LOCK_FILE
    if fcntl is None or not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        holder = _read_holder(fd)
        os.close(fd)
        return holder
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    return None


def _plain(value):
    return json.loads(json.dumps(value, default=str))


def config_differences(stored: dict, new: dict, defaults: dict) -> list[str]:
    """Fields (other than :data:`RESUME_MAY_CHANGE`) where ``new`` differs from ``stored``; a field
    missing from one side counts as its default, and ``max_*_pairs`` 0 equals None (both: all)."""
    def norm(d, key):
        value = _plain(d.get(key, defaults.get(key)))
        if key in ("max_train_pairs", "max_test_pairs") and not value:
            return None
        if key == "ks" and isinstance(value, list):
            return sorted(value, key=str)
        return value

    out = []
    for key in sorted(set(stored) | set(new) | set(defaults)):
        if key in RESUME_MAY_CHANGE:
            continue
        a, b = norm(stored, key), norm(new, key)
        if a != b:
            out.append(f"{key} {_short(a)} there, {_short(b)} now")
    return out


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _holds_run(run_dir: Path) -> bool:
    return any((run_dir / name).exists() for name in RUN_FILES)


def _has_checkpoint(run_dir: Path) -> bool:
    return any((run_dir / name).exists() for name in CHECKPOINTS)


def _saved_nothing_and_ended(run_dir: Path) -> str | None:
    """The state (failed / cancelled) of the run in ``run_dir`` when it is over and saved no
    checkpoint, so that starting it again loses nothing; None otherwise (a run queued or running,
    or one with a checkpoint)."""
    if _has_checkpoint(run_dir):
        return None
    state = read_status(run_dir).get("state")  # a run whose process is gone reads as failed
    return state if state in ("failed", "cancelled") else None


def open_run_folder(run_dir, config: dict, defaults: dict, resume: bool,
                    launch_token: str | None = None) -> RunLock:
    """Create ``run_dir`` if needed, take its lock and check that this run may write there; raise
    :class:`RunFolderError` (having written nothing but the lock file) when it may not:

    - a fresh run needs a folder that holds no run, except the one ``launch_run`` queued for it
      (``status.json`` "queued" with the same ``launch_token``) and one whose run ended (failed,
      cancelled, killed) without saving a checkpoint: that run starts again, its old rows removed;
    - ``resume`` needs a ``last.pt`` whose run config equals ``config`` but for :data:`RESUME_MAY_CHANGE`
      (or a run cancelled before its first batch, which has none and starts from the beginning).

    Once the folder is ours, temporary files that a killed write left behind are removed.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"run folder {run_dir} exists and is a file, not a folder: choose another --run-dir")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_error(run_dir, exc, "create") from None
    lock = RunLock(run_dir).acquire()
    try:
        if resume:
            _check_resumable(run_dir, config, defaults)
        else:
            _check_fresh(run_dir, launch_token)
        _tidy(run_dir)
        return lock
    except BaseException:
        lock.release()
        raise


def _check_fresh(run_dir: Path, launch_token: str | None) -> None:
    """A fresh run may write here: the folder holds no run, the one queued for it, or one that ended
    without a checkpoint (that run starts again, its old rows removed)."""
    status = read_json(run_dir / "status.json", default=None)
    queued_for_us = (launch_token is not None and isinstance(status, dict)
                     and status.get("state") == "queued" and status.get("launch_token") == launch_token)
    ended = None if queued_for_us or not _holds_run(run_dir) else _saved_nothing_and_ended(run_dir)
    if _holds_run(run_dir) and not queued_for_us and not ended:
        state = status.get("state") if isinstance(status, dict) else None
        raise RunFolderError(
            f"run folder {run_dir} already holds a run{f' ({state})' if state else ''}: pass --resume to "
            "continue it with the same configuration, or choose another --run-dir")
    if ended:
        print(f"run folder {run_dir} holds a run that {ended} before it saved a checkpoint: "
              "it starts again from the beginning", file=sys.stderr, flush=True)
        _forget_run(run_dir)


def _no_last_checkpoint(run_dir: Path) -> RunFolderError:
    """Why ``--resume`` cannot go on in a folder without ``last.pt``."""
    if not _holds_run(run_dir):
        why = " (it holds no run): drop --resume to start a new run in an empty folder"
    elif (run_dir / "best.pt").exists():
        why = (": it has best.pt but no last.pt, so the run cannot go on; start a new run in another "
               "--run-dir (best.pt stays)")
    else:
        why = ": its run saved no checkpoint, so there is nothing to go on from; start it again without --resume"
    return RunFolderError(f"run folder {run_dir} has no last.pt to resume from{why}"
                          + (" (or choose another --run-dir)" if not _holds_run(run_dir) else ""))


def _check_resumable(run_dir: Path, config: dict, defaults: dict) -> None:
    """``--resume`` may go on here: a ``last.pt`` (or a run cancelled before its first batch) of the
    same configuration but for :data:`RESUME_MAY_CHANGE`."""
    last = run_dir / "last.pt"
    status = read_json(run_dir / "status.json", default=None)
    # cancelled while its data loaded (and maybe queued again by the app's Resume): nothing to lose
    never_trained = (isinstance(status, dict) and status.get("state") in ("cancelled", "queued")
                     and not status.get("step") and not (run_dir / "best.pt").exists())
    if not last.is_file() and not never_trained:
        raise _no_last_checkpoint(run_dir)
    if not last.is_file():
        print(f"run folder {run_dir} was cancelled before its first batch: it starts from the beginning",
              file=sys.stderr, flush=True)
    stored = load_checkpoint(last).get("train_config") if last.is_file() else None
    if not isinstance(stored, dict):
        stored = read_json(run_dir / "config.json", default=None)
    if not isinstance(stored, dict):
        raise RunFolderError(f"run folder {run_dir}: neither last.pt nor config.json says how the run was "
                             "configured, so --resume cannot check it is the same run; start a new run")
    diffs = config_differences(stored, config, defaults)
    if diffs:
        raise RunFolderError(
            f"run folder {run_dir} holds a run with another configuration ({'; '.join(diffs)}): --resume "
            f"continues the same run (only {', '.join(RESUME_MAY_CHANGE)} may change); start a new run "
            "in another --run-dir")


def _forget_run(run_dir: Path) -> None:
    """Remove the rows and events of a run that ended without a checkpoint, before it starts again
    (config.json and status.json are rewritten by the new run)."""
    for path in [run_dir / "metrics.jsonl", *run_dir.glob("events.out.tfevents.*")]:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _tidy(run_dir: Path) -> None:
    """Temporary files of writes a killed process never finished (docs/run-folders.md)."""
    remove_orphans(run_dir, RUN_FILES, pid_alive)


def best_from_checkpoint(path) -> dict:
    """The best figures a run has reached, read from its ``best.pt`` (``{}`` when there is none)."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as exc:
        print(f"warning: {exc}; the next better epoch replaces it", file=sys.stderr, flush=True)
        return {}
    metrics = ckpt.get("metrics")
    return {**metrics, "epoch": int(ckpt.get("epoch", 0))} if isinstance(metrics, dict) else {}


class FiniteLossGuard:
    """The first training step whose loss was NaN or infinite, kept on the device: :meth:`watch` adds
    no host sync; :meth:`check` reads it back (call it where the loop syncs anyway, and before a save)."""

    def __init__(self, device):
        self.first_bad = torch.zeros((), dtype=torch.long, device=device)

    def watch(self, loss: torch.Tensor, step: int) -> None:
        self.first_bad.masked_fill_(self.first_bad.eq(0) & ~torch.isfinite(loss.detach()), step)

    def check(self, epoch: int, lr: float, agree=bool) -> None:
        """Raise :class:`TrainingDiverged` when a loss so far was not finite. ``agree`` turns the local
        answer into every process's (``Context.any_stop`` in a data-parallel run: all stop together)."""
        bad = int(self.first_bad)
        if agree(bool(bad)):
            where = f"at step {bad}" if bad else "in another process"
            raise TrainingDiverged(
                f"training diverged: the loss became non-finite {where} (epoch {epoch}); the run stopped "
                f"and wrote no checkpoint after it; lower --lr (it was {lr:g}) and start a new run")


def check_finite_state(model, optimizer, epoch: int, step: int, lr: float, agree=bool) -> None:
    """Refuse to save weights (or optimizer moments) holding NaN or infinity: one host sync
    (``agree`` as in :meth:`FiniteLossGuard.check`)."""
    tensors = [t for t in model.state_dict().values() if t.is_floating_point()]
    for state in optimizer.state.values():
        tensors += [t for t in state.values() if isinstance(t, torch.Tensor) and t.is_floating_point()]
    by_device: dict = {}
    for t in tensors:
        by_device.setdefault(t.device, []).append(torch.isfinite(t).all())
    if agree(not all(bool(torch.stack(flags).all()) for flags in by_device.values())):
        raise TrainingDiverged(
            f"training diverged: the weights became non-finite by step {step} (epoch {epoch}); the run stopped "
            f"and wrote no checkpoint after it; lower --lr (it was {lr:g}) and start a new run")
