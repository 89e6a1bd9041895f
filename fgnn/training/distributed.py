"""Data-parallel training with ``torch.distributed`` under ``torchrun`` (docs/distributed.md).

``torchrun --nproc-per-node N -m fgnn train ...`` starts N processes that each run
:func:`fgnn.training.loop.train`; ``fgnn train --nproc N`` starts the same through torchrun's own API
(:func:`launch`). Each process reads its place from the environment torchrun sets (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``) and :func:`init` joins the process group: NCCL with one GPU per
process, gloo on CPUs. A :class:`Context` is what training asks:

* every epoch's shuffled order is the single-process permutation; each global batch of
  ``batch_size`` pairs is split into ``world`` disjoint, contiguous shards (sizes differ by at most
  one, :func:`shard_index`), and each process's loss is weighted by ``world * local / global``
  (:meth:`Context.loss_scale`) so that DDP's gradient average is exactly the gradient of the mean
  loss over the global batch, whether or not the batch divides by ``world``;
* stop requests (STOP file on rank 0, SIGTERM to any process) are all-reduced every
  :data:`STOP_EVERY` batches on a gloo group of CPU tensors (no GPU sync), so every process
  stops after the same batch;
* evaluation runs each process on every ``world``-th evaluation batch (the same batches a single
  process would build, so every rank is computed identically) and the per-pair ranks are gathered
  (8 bytes a test pair), so the metrics are bit-identical to single-process evaluation;
* only rank 0 writes the run folder.

With ``WORLD_SIZE`` unset or 1 the context is a no-op and training is exactly the single-process
code path.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel

from fgnn.errors import DataError
from fgnn.evaluation.evaluate import rank_targets
from fgnn.runs.folders import lost_processes, read_json, write_json_atomic
from fgnn.training.device import device_description, resolve_device

# Several processes agree on a stop request once every STOP_EVERY batches: one 4-byte gloo
# all-reduce (measured 0.6 ms on the loaded 2-core machine, tens of microseconds on a quiet one),
# small against a CPU batch but up to a tenth of a 5 ms GPU batch if done every batch.
STOP_EVERY = 10
# Seconds any collective (or the process-group start) may wait before it fails: a process that
# hangs instead of dying cannot block the others for ever. FGNN_DIST_TIMEOUT_S overrides it.
DEFAULT_TIMEOUT_S = 600


def env_world() -> tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` from the environment torchrun sets; ``(0, 1, 0)`` outside it."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    rank = int(os.environ.get("RANK", "0") or 0)
    local = int(os.environ.get("LOCAL_RANK", str(rank)) or 0)
    return rank, world, local


def is_worker() -> bool:
    """True inside a process that torchrun (or :func:`launch`) started as one of several."""
    return env_world()[1] > 1


@dataclass
class Context:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: str | None = None
    control: Any = None  # gloo group for CPU collectives (the default group when that is gloo)
    processes: list = field(default_factory=list)  # [{"rank", "pid", "host"}] of every process

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # ---- training -------------------------------------------------------------------------
    def loss_scale(self, batch_no: int, n_pairs: int, batch_size: int) -> float:
        """Factor on this process's mean loss of global batch ``batch_no`` (see the module doc)."""
        global_n = min(batch_size, n_pairs - batch_no * batch_size)
        local = shard_sizes(global_n, self.world)[self.rank]
        return self.world * local / global_n if local else 0.0

    def any_stop(self, flag: bool) -> bool:
        """True when any process asks to stop; every process gets the same answer."""
        if not self.active:
            return bool(flag)
        t = torch.tensor([1 if flag else 0], dtype=torch.int32)
        dist.all_reduce(t, op=dist.ReduceOp.MAX, group=self.control)
        return bool(t.item())

    def mean_over_ranks(self, value: Tensor) -> Tensor:
        """Sum over processes divided by ``world`` (a copy; ``value`` may live on the GPU)."""
        if not self.active:
            return value
        out = value.detach().clone()
        dist.all_reduce(out)
        return out / self.world

    def gather_objects(self, obj) -> list:
        if not self.active:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj, group=self.control)
        return out

    def broadcast_object(self, obj):
        """Rank 0's ``obj`` on every process (resume: only rank 0 reads the run folder)."""
        if not self.active:
            return obj
        box = [obj if self.is_main else None]
        dist.broadcast_object_list(box, src=0, group=self.control)
        return box[0]

    def barrier(self) -> None:
        if self.active:
            dist.barrier(group=self.control)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """``DistributedDataParallel(model)``; the bare model when alone. Its node lookup then
        takes its gradient through autograd: DDP exchanges a parameter's gradient as soon as
        autograd has accumulated it, so nothing may be added to it afterwards (fgnn.models.neural)."""
        if not self.active:
            return model
        model.lookup_grad_in_place = False
        return DistributedDataParallel(model)  # batches are already on this process's device

    # ---- evaluation -----------------------------------------------------------------------
    def rank_targets(self, model, pairs, batch_size: int, device) -> Tensor:
        """:func:`fgnn.evaluation.evaluate.rank_targets` over all processes: same ranks, same order."""
        if not self.active:
            return rank_targets(model, pairs, batch_size=batch_size, device=device)
        n = len(pairs)
        mine = eval_index(n, batch_size, self.rank, self.world)
        local = rank_targets(model, pairs.subset(mine), batch_size=batch_size, device=device)
        width = max(eval_index(n, batch_size, r, self.world).numel() for r in range(self.world))
        padded = torch.full((width,), -1, dtype=torch.long)
        padded[:local.numel()] = local
        parts = [torch.empty(width, dtype=torch.long) for _ in range(self.world)]
        dist.all_gather(parts, padded, group=self.control)
        out = torch.empty(n, dtype=torch.long)
        for r, part in enumerate(parts):
            index = eval_index(n, batch_size, r, self.world)
            out[index] = part[:index.numel()]
        return out

    # ---- faults ---------------------------------------------------------------------------
    def lost_processes(self) -> list[dict]:
        """Processes of this run on this host that are gone (a peer that died)."""
        return lost_processes({"processes": self.processes})

    def describe(self, device: torch.device) -> str:
        return f"{self.world} x {device_description(device)}, {self.backend}" if self.active else device_description(device)


SINGLE = Context()


def shard_sizes(n: int, world: int) -> list[int]:
    """Sizes of ``torch.tensor_split(range(n), world)``: the first ``n % world`` shards one larger."""
    return [n // world + (1 if r < n % world else 0) for r in range(world)]



def eval_index(n: int, batch_size: int, rank: int, world: int) -> Tensor:
    """Pair indices of evaluation batches ``rank, rank + world, ...`` of ``n`` pairs."""
    if rank * batch_size >= n:
        return torch.zeros(0, dtype=torch.long)
    starts = torch.arange(rank * batch_size, n, world * batch_size)
    index = (starts.unsqueeze(1) + torch.arange(batch_size)).flatten()
    return index[index < n]


def timeout_s() -> float:
    return float(os.environ.get("FGNN_DIST_TIMEOUT_S", DEFAULT_TIMEOUT_S))


def init(device_name: str) -> tuple[Context, torch.device]:
    """Join the process group torchrun set up; the device of this process. Alone: no-op."""
    rank, world, local = env_world()
    if world <= 1:
        return SINGLE, resolve_device(device_name)
    want_cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if want_cuda:
        if not torch.cuda.is_available():
            raise DataError("device 'cuda' was asked for but no CUDA GPU is available here: use --device cpu "
                            "for processes on the CPU (gloo)")
        n_gpus = torch.cuda.device_count()
        if local >= n_gpus:
            raise DataError(f"process {local} on this machine has no GPU of its own: {n_gpus} GPU(s) here, one per "
                            f"process is needed; use --nproc {n_gpus} (--nproc-per-node {n_gpus}) or --device cpu")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
    timeout = timedelta(seconds=timeout_s())
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=timeout)
    control = dist.new_group(backend="gloo", timeout=timeout) if backend == "nccl" else None
    ctx = Context(rank=rank, world=world, local_rank=local, backend=backend, control=control)
    ctx.processes = ctx.gather_objects({"rank": rank, "pid": os.getpid(), "host": socket.gethostname()})
    return ctx, device


def shutdown(ctx: Context) -> None:
    if ctx.active and dist.is_initialized():
        dist.destroy_process_group()



def launch(argv: list[str], nproc: int, run_dir: Path) -> int:
    """``fgnn train --nproc N``: start ``python -m fgnn train ARGV`` N times through torchrun's API
    (the elastic agent, rendezvous on localhost). Returns an exit code; when a process fails, the
    run's status names the rank that failed first (a killed one before those it took down)."""
    # (here: the elastic launcher's modules are only needed by the process that starts torchrun workers)
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError  # noqa: PLC0415
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch  # noqa: PLC0415

    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"fgnn-{uuid.uuid4().hex[:12]}",
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0,
                          monitor_interval=0.5, start_method="spawn", shutdown_timeout=30)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        elastic_launch(config, sys.executable)("-m", "fgnn", "train", *argv)
        return 0
    except ChildFailedError as exc:
        rank, failure = root_failure(exc.failures)
        status_path = Path(run_dir) / "status.json"
        status = read_json(status_path, default={}) or {}
        if status.get("state") not in ("finished", "cancelled"):
            previous = status.get("error") if status.get("state") == "failed" else None
            if failure.exitcode < 0:
                error = (f"process rank {rank} (pid {failure.pid}) was killed by {failure.signal_name()}; every "
                         "process is needed, so the run stopped. Resume it with --resume or start a new run.")
            else:
                error = previous or (f"process rank {rank} (pid {failure.pid}) exited with code {failure.exitcode}; "
                                     "its output above (stdout.log in the app) says why")
            status.update(state="failed", error=error, lost_rank=rank, updated=time.time())
            status["finished"] = status.get("finished") or time.time()
            Path(run_dir).mkdir(parents=True, exist_ok=True)
            write_json_atomic(status_path, status)
        print(f"error: {status.get('error')}", file=sys.stderr)
        return 1


def root_failure(failures: dict):
    """``(rank, ProcessFailure)`` that ended a run: a process killed by a signal other than the
    agent's SIGTERM (which takes the others down) first, else one that exited with an error, the
    earliest of them."""
    killed = {r: f for r, f in failures.items() if f.exitcode < 0 and f.exitcode != -signal.SIGTERM}
    errored = {r: f for r, f in failures.items() if f.exitcode > 0}
    return min((killed or errored or failures).items(), key=lambda kv: kv[1].timestamp)

class NoWriter:
    """``metrics.jsonl`` of a process other than rank 0: nothing is written."""

    def write(self, row: dict) -> None:
        pass

    def close(self) -> None:
        pass


def rank_seed(seed: int, rank: int) -> int:
    """Seed of the dropout stream of process ``rank`` > 0 (rank 0 keeps the single-process stream)."""
    return seed * 1_000_003 + 7_919 * rank


def rank_rng_state(ckpt: dict, ctx: Context):
    """The RNG state this process resumes with: its own when last.pt was written by as many
    processes, rank 0's single-process stream on rank 0, else a fresh per-rank seed."""
    states = ckpt.get("rng_states")
    if isinstance(states, list) and len(states) == ctx.world:
        return states[ctx.rank]
    if ctx.rank == 0:
        return ckpt.get("rng_state")
    cfg = ckpt.get("train_config") or {}
    return torch.Generator().manual_seed(rank_seed(int(cfg.get("seed", 0)) + int(ckpt.get("global_step", 0)), ctx.rank)).get_state()


def process_choices(device: str, gpu_names: list[str], cpu_cores: int | None) -> tuple[int, str]:
    """The most data-parallel processes the Train page offers for ``device`` and the sentence
    saying why: one per GPU (NCCL) when the run goes to the GPUs, else CPU processes (gloo)."""
    if device != "cpu" and gpu_names:
        return len(gpu_names), (f"{len(gpu_names)} GPU(s): {', '.join(gpu_names)}; one process per GPU (NCCL)")
    cores = max(1, cpu_cores or 1)
    why = "device cpu" if gpu_names else "no CUDA GPU here"
    return cores, (f"{why}: CPU processes (gloo), {cores} core(s) on this machine, one thread per process; "
                   "the global batch is split between them")
