"""GPU check: one script a person with a GPU runs in one go (rerunnable; not a test).

    python -m fgnn.benchmarks.gpu --dataset ../shared/data/diginetica-srgnn --json --out bench-out
    python -m fgnn.benchmarks.gpu --dataset diginetica-sample --device cpu --max-batches 30 --max-eval-pairs 2000

Parts, each printed as soon as it is measured and written at once to ``OUT/gpu-check.json``
(a part that fails prints its traceback, is recorded with its error, and the script goes on):

1. the device: torch / CUDA versions, GPU names and memory, CPU cores;
2. one training epoch of SR-GNN and one of FGNN on ``--dataset`` (the paper's batch 100, the
   training step of ``fgnn train``: bfloat16 autocast on CUDA, pinned asynchronous copies, fused
   Adam, batches built ahead by a background thread, :mod:`fgnn.training.prefetch`): examples/s, seconds
   per epoch, peak GPU memory, ``loader_wait_ms`` (the mean time the loop waited for its next
   batch; the thread starts during the warm-up, so it has a head start) and the batch time split
   into graph building / host-to-device copy / forward / backward / optimizer. The split is
   measured on a sample of batches (one in ``--sample-every``) with ``torch.cuda.synchronize``
   between the phases; graph building and the copy, which the thread does for the loop, are timed
   on the main thread by building that batch once more (what the host work costs, hidden or not).
   All other batches run unsynchronised, as in training, and give the epoch's rate. An epoch longer
   than ``--epoch-cap-s`` stops there: the rate measured so far and the full-epoch time extrapolated
   from it are reported and labelled ``extrapolated``. ``--prefetch-depth 0`` builds every batch in
   the loop instead (the way training ran before the thread), for a before / after on one machine;
3. evaluation examples/s of each trained model over all test pairs (60,858 on DIGINETICA);
4. a round trip through the real CLI verbs on the device: ``fgnn train`` (1 epoch on the bundled
   sample), ``fgnn evaluate`` of its best.pt (must reproduce the last eval line of metrics.jsonl)
   and ``fgnn predict``;
5. ``fgnn train --nproc 2`` (DistributedDataParallel, one GPU per process) when two GPUs are
   present; otherwise recorded as skipped with the reason.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch
import torch.nn.functional as F
import torch_geometric

from fgnn.data.registry import load_dataset
from fgnn.data.sessions import GraphBatchLoader
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import summarize
from fgnn.models import build_model
from fgnn.models.checkpoint import load_checkpoint
from fgnn.runs.folders import read_metrics
from fgnn.training.config import TrainConfig
from fgnn.training.device import resolve_device
from fgnn.training.loop import PREFETCH_DEPTH, make_optimizer
from fgnn.training.prefetch import BatchPrefetcher

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATASET = REPO.parent / "shared" / "data" / "diginetica-srgnn"
PHASES = ("graph", "h2d", "forward", "backward", "optimizer")


class Report:
    """Results by part, rewritten to ``path`` after every part (a crash keeps what was measured)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.data: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "parts": {}}

    def put(self, part: str, value) -> None:
        self.data["parts"][part] = value
        self.flush()

    def flush(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, default=str))
        os.replace(tmp, self.path)


def say(text: str) -> None:
    print(text, flush=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_info(device: torch.device) -> dict:
    info = {"torch": torch.__version__, "python": platform.python_version(), "device": str(device),
            "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda_available": torch.cuda.is_available()}
    try:
        info["torch_geometric"] = torch_geometric.__version__
    except ImportError:
        info["torch_geometric"] = None
    if torch.cuda.is_available():
        info["cuda"] = torch.version.cuda
        info["gpus"] = []
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            info["gpus"].append({"index": i, "name": p.name, "memory_gb": round(p.total_memory / 1024 ** 3, 1),
                                 "capability": f"{p.major}.{p.minor}", "multiprocessors": p.multi_processor_count})
        info["bf16_supported"] = torch.cuda.is_bf16_supported()
    return info


def _host_batch(pairs, idx, device: torch.device, timed: bool):
    """Build the batch of ``idx`` and send it to ``device`` as the loader does (pinned, asynchronous
    on CUDA); with ``timed`` it synchronises after the copy. The batch and ``[graph s, h2d s]``."""
    pin = device.type == "cuda"
    marks = [time.perf_counter()]
    batch = pairs.batch(idx)
    marks.append(time.perf_counter())
    if pin:
        batch = batch.pin_memory()
    batch = batch.to(device, non_blocking=pin)
    if timed:
        sync(device)
    marks.append(time.perf_counter())
    return batch, [b - a for a, b in itertools.pairwise(marks)]


def _training_step(model, opt, device: torch.device, use_amp: bool):
    """The training step of :mod:`fgnn.training.loop` on one batch on ``device``; with ``timed`` it
    synchronises after each phase and returns the phases' seconds (forward, backward, optimizer)."""

    def step(batch, timed: bool):
        if timed:
            sync(device)  # the batches queued before this one are not counted in its forward pass
        marks = [time.perf_counter()]
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_amp):
            scores = model(batch)
        loss = F.cross_entropy(scores.float(), batch.targets - 1)
        if timed:
            sync(device)
        marks.append(time.perf_counter())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if timed:
            sync(device)
        marks.append(time.perf_counter())
        opt.step()
        if timed:
            sync(device)
        marks.append(time.perf_counter())
        return loss.detach(), [b - a for a, b in itertools.pairwise(marks)]

    return step


def _epoch_report(n, n_batches, done, examples, batch_size, warmup_s, elapsed, capped, loss_sum, split, n_sampled,
                  device: torch.device, waits: list[float], prefetch_depth: int) -> dict:
    """The figures of one (possibly capped) epoch; a capped epoch's time is extrapolated, and says so."""
    rate = examples / max(elapsed, 1e-9)
    full = done == n_batches
    out = {"pairs": n, "batches_in_epoch": n_batches, "batches_run": done, "examples_run": examples,
           "batch_size": batch_size, "warmup_s": warmup_s, "elapsed_s": elapsed, "examples_per_s": rate,
           "s_per_epoch": elapsed if full else n / rate, "s_per_epoch_is": "measured" if full else "extrapolated",
           "stopped_by": None if full else ("epoch cap" if capped else "max batches"),
           "mean_loss": float(loss_sum) / max(done, 1), "sampled_batches": n_sampled,
           "batch_ms_unsynchronised_mean": 1000 * elapsed / max(done, 1), **_loader_waits(waits, prefetch_depth)}
    out["loader_wait_share"] = out["loader_wait_ms"] / max(out["batch_ms_unsynchronised_mean"], 1e-9)
    if n_sampled:
        ms = split / n_sampled * 1000
        out["batch_split_ms"] = {name: float(v) for name, v in zip(PHASES, ms, strict=True)}
        out["batch_split_ms"]["total_synchronised"] = float(ms.sum())
    if device.type == "cuda":
        out["peak_gpu_memory_gb"] = torch.cuda.max_memory_allocated(device) / 1024 ** 3
        out["peak_gpu_reserved_gb"] = torch.cuda.max_memory_reserved(device) / 1024 ** 3
    return out


class _InlineBatches:
    """The loader's batches built in the loop itself (``--prefetch-depth 0``, as training ran before
    :mod:`fgnn.training.prefetch`): the loop's wait for a batch is the whole of its building and copy."""

    def __init__(self, loader):
        self._batches = iter(loader)
        self.waits: list[float] = []

    def start(self):
        return self

    def __next__(self):
        t0 = time.perf_counter()
        batch = next(self._batches)
        self.waits.append(time.perf_counter() - t0)
        return batch

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _loader_waits(waits: list[float], depth: int) -> dict:
    """``loader_wait_ms``: the mean time the loop waited in ``next()`` for a batch, over every batch
    timed; the first batch's wait and the mean of the others apart (the first may still be building)."""
    ms = [1000 * w for w in waits]
    return {"prefetch_depth": depth, "loader_wait_ms": sum(ms) / max(len(ms), 1),
            "loader_wait_ms_first": ms[0] if ms else None,
            "loader_wait_ms_after_first": sum(ms[1:]) / len(ms[1:]) if len(ms) > 1 else None,
            "loader_wait_ms_max": max(ms, default=None)}


def train_epoch(model, pairs, batch_size: int, device: torch.device, *, amp: bool, seed: int = 0,
                sample_every: int = 25, warmup: int = 5, cap_s: float = 75.0, max_batches: int | None = None,
                prefetch_depth: int | None = None) -> dict:
    """One shuffled epoch with the training step of :mod:`fgnn.training.loop`; see the module docstring.
    ``prefetch_depth``: batches built ahead by the loader thread (default: as training); 0 builds
    each batch in the loop."""
    depth = PREFETCH_DEPTH if prefetch_depth is None else prefetch_depth
    model.to(device).train()
    opt = make_optimizer(model, TrainConfig())
    use_amp = amp and device.type == "cuda"
    n = len(pairs)
    n_batches = -(-n // batch_size)
    # the loader draws the same permutation from the same seed; `order` is kept for the timed rebuilds
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    loader = GraphBatchLoader(pairs, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed),
                              device=device)
    step = _training_step(model, opt, device, use_amp)
    limit = n_batches if max_batches is None else min(n_batches, max_batches)
    split = torch.zeros(len(PHASES), dtype=torch.double)
    n_sampled = 0
    loss_sum = torch.zeros((), device=device)
    done = examples = 0
    capped = False
    with BatchPrefetcher(loader, depth, device) if depth else _InlineBatches(loader) as batches:
        batches.start()  # a head start: the thread fills its queue during the warm-up
        t0 = time.perf_counter()  # warm-up on other batches (kernel selection, allocator), not counted
        warm_order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 1))
        for i in range(min(warmup, n_batches)):
            step(_host_batch(pairs, warm_order[i * batch_size:(i + 1) * batch_size], device, timed=False)[0],
                 timed=False)
        sync(device)
        warmup_s = time.perf_counter() - t0
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        t0 = time.perf_counter()
        for i in range(limit):
            batch = next(batches)
            timed = sample_every > 0 and i % sample_every == sample_every // 2
            if timed:  # what building and sending this batch costs the host, timed on its own
                _, host = _host_batch(pairs, order[i * batch_size:(i + 1) * batch_size], device, timed=True)
            loss, phases = step(batch, timed)
            loss_sum += loss
            done += 1
            examples += min(batch_size, n - i * batch_size)
            if timed:
                split += torch.tensor(host + phases, dtype=torch.double)
                n_sampled += 1
            if time.perf_counter() - t0 > cap_s and done < limit:
                capped = True
                break
        sync(device)
        elapsed = time.perf_counter() - t0
    return _epoch_report(n, n_batches, done, examples, batch_size, warmup_s, elapsed, capped, loss_sum,
                         split, n_sampled, device, batches.waits[:done], depth)


def evaluate_speed(model, pairs, device: torch.device, batch_size: int = 500) -> dict:
    rank_targets(model, pairs.subset(torch.arange(min(len(pairs), 1000))), batch_size, device)  # warm-up
    sync(device)
    t0 = time.perf_counter()
    ranks = rank_targets(model, pairs, batch_size, device)
    sync(device)
    s = time.perf_counter() - t0
    m = summarize(ranks, [20])
    out = {"pairs": len(pairs), "seconds": s, "examples_per_s": len(pairs) / max(s, 1e-9),
           "hit@20": m["hit@20"], "mrr@20": m["mrr@20"]}
    if device.type == "cuda":
        out["peak_gpu_memory_gb_train_and_eval"] = torch.cuda.max_memory_allocated(device) / 1024 ** 3
    return out


def cli(args: list[str], timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m fgnn ARGS`` from the repository root; raises with its output when it fails."""
    proc = subprocess.run([sys.executable, "-m", "fgnn", *args], cwd=str(REPO), capture_output=True, text=True,
                          check=False, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"`fgnn {' '.join(args)}` exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc


def last_eval_row(run_dir: Path) -> dict:
    rows = [r for r in read_metrics(run_dir) if r.get("kind") == "eval"]
    if not rows:
        raise RuntimeError(f"{run_dir}/metrics.jsonl has no eval line")
    return rows[-1]


def round_trip(device: torch.device, work: Path, max_train_pairs: int | None, timeout: float) -> dict:
    """train -> evaluate -> predict through the real CLI verbs, on ``device``."""
    run_dir = work / "roundtrip-srgnn"
    train_args = ["train", "--dataset", "diginetica-sample", "--model", "srgnn", "--epochs", "1",
                  "--device", device.type, "--run-dir", str(run_dir), "--quiet"]
    if max_train_pairs:
        train_args += ["--max-train-pairs", str(max_train_pairs)]
    out: dict = {}
    t0 = time.perf_counter()
    cli(train_args, timeout)
    out["train_s"] = time.perf_counter() - t0
    status = json.loads((run_dir / "status.json").read_text())
    out["train_state"] = status.get("state")
    out["train_device"] = status.get("device")
    row = last_eval_row(run_dir)
    t0 = time.perf_counter()
    ev = json.loads(cli(["evaluate", "--checkpoint", str(run_dir / "best.pt"), "--top-k", "20", "--json",
                         "--device", device.type], timeout).stdout.strip().splitlines()[-1])
    out["evaluate_s"] = time.perf_counter() - t0
    out["metrics_jsonl"] = {k: row[k] for k in ("hit@20", "mrr@20", "ndcg@20")}
    out["evaluate"] = {k: ev[k] for k in ("hit@20", "mrr@20", "ndcg@20")}
    out["evaluate_reproduces_metrics_jsonl"] = all(abs(ev[k] - row[k]) < 1e-9 for k in out["evaluate"])
    ids = load_checkpoint(run_dir / "best.pt")["item_ids"]
    session = [int(ids[1]), int(ids[2]), int(ids[1])]
    t0 = time.perf_counter()
    pred = json.loads(cli(["predict", "--checkpoint", str(run_dir / "best.pt"), "--session", *map(str, session),
                           "--top-k", "5", "--json"], timeout).stdout.strip().splitlines()[-1])
    out["predict_s"] = time.perf_counter() - t0
    out["predict_session"] = session
    out["predict_top5"] = [r["item"] for r in pred["topk"]]
    out["ok"] = out["train_state"] == "finished" and out["evaluate_reproduces_metrics_jsonl"] and len(out["predict_top5"]) == 5
    return out


def ddp_run(dataset: str, work: Path, timeout: float, max_train_pairs: int) -> dict:
    """``fgnn train --nproc 2`` on two GPUs: SR-GNN, one epoch on the most recent pairs."""
    if not torch.cuda.is_available() or torch.cuda.device_count() < 2:
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return {"skipped": f"needs two GPUs, {n} present"}
    run_dir = work / "ddp-srgnn"
    t0 = time.perf_counter()
    cli(["train", "--nproc", "2", "--dataset", dataset, "--model", "srgnn", "--epochs", "1", "--device", "cuda",
         "--max-train-pairs", str(max_train_pairs), "--run-dir", str(run_dir), "--quiet"], timeout)
    out = {"wall_s": time.perf_counter() - t0}
    status = json.loads((run_dir / "status.json").read_text())
    row = last_eval_row(run_dir)
    out.update(state=status.get("state"), device=status.get("device"), world_size=status.get("world_size"),
               train_examples_per_s=row.get("train_examples_per_s"), train_s=row.get("train_s"),
               hit20=row.get("hit@20"), mrr20=row.get("mrr@20"))
    return out


def fmt_epoch(name: str, r: dict) -> str:
    lines = [f"  {name}: {r['examples_per_s']:.0f} examples/s, {r['s_per_epoch']:.1f} s/epoch "
             f"({r['s_per_epoch_is']}: {r['batches_run']} of {r['batches_in_epoch']} batches in {r['elapsed_s']:.1f} s"
             + (f", stopped by {r['stopped_by']}" if r["stopped_by"] else "") + f"; warm-up {r['warmup_s']:.1f} s)"]
    if "peak_gpu_memory_gb" in r:
        lines.append(f"    peak GPU memory {r['peak_gpu_memory_gb']:.2f} GB allocated, "
                     f"{r['peak_gpu_reserved_gb']:.2f} GB reserved")
    if r.get("loader_wait_ms") is not None:
        lines.append(f"    loader wait {r['loader_wait_ms']:.3f} ms per batch = {100 * r['loader_wait_share']:.2f} % of "
                     f"the {r['batch_ms_unsynchronised_mean']:.2f} ms batch (first batch {r['loader_wait_ms_first']:.3f} ms, "
                     f"max {r['loader_wait_ms_max']:.3f} ms; prefetch depth {r['prefetch_depth']})")
    if "batch_split_ms" in r:
        s = r["batch_split_ms"]
        lines.append(f"    batch split over {r['sampled_batches']} synchronised batches (ms): " + ", ".join(
            f"{p} {s[p]:.2f}" for p in PHASES) + f"; total {s['total_synchronised']:.2f} "
            f"(unsynchronised mean {r['batch_ms_unsynchronised_mean']:.2f})")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fgnn.benchmarks.gpu", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default=str(DEFAULT_DATASET),
                   help="full DIGINETICA (SR-GNN pickle folder) or any dataset source (default ../shared/data/diginetica-srgnn)")
    p.add_argument("--device", default="auto", help="auto | cuda | cpu (default auto)")
    p.add_argument("--models", nargs="+", default=["srgnn", "fgnn"])
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--eval-batch-size", type=int, default=500)
    p.add_argument("--epoch-cap-s", type=float, default=60.0,
                   help="stop an epoch after this many seconds and extrapolate (default 60)")
    p.add_argument("--max-batches", type=int, default=None, help="at most this many training batches per epoch")
    p.add_argument("--max-eval-pairs", type=int, default=None, help="evaluate on the first N test pairs only")
    p.add_argument("--sample-every", type=int, default=25, help="time the batch split on one batch in N")
    p.add_argument("--prefetch-depth", type=int, default=None,
                   help="batches the loader thread builds ahead (default: as fgnn train, 2); 0: build each batch in "
                        "the loop, as training did before the thread")
    p.add_argument("--roundtrip-pairs", type=int, default=None,
                   help="train the round trip on the most recent N sample pairs (default all 1,205)")
    p.add_argument("--ddp-pairs", type=int, default=100000, help="training pairs of the 2-GPU DDP run")
    p.add_argument("--skip", nargs="+", default=[], choices=["round_trip", "ddp"], help="parts not to run")
    p.add_argument("--no-amp", action="store_true")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (graph building)")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON at the end")
    p.add_argument("--out", default=str(REPO / "bench-out"), help="folder of gpu-check.json (default bench-out/)")
    return p


class _Parts:
    """Runs the check's parts one by one: each result goes into the report at once, and a part
    that fails prints its traceback, is recorded as failed and does not stop the others."""

    def __init__(self, report: Report):
        self.report = report
        self.failures: list[str] = []

    def __call__(self, name: str, fn) -> dict:
        t0 = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 (keep going: record, print, next part)
            traceback.print_exc()
            value = {"error": f"{type(exc).__name__}: {exc}"}
            self.failures.append(name)
            say(f"[{name}] FAILED: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        if isinstance(value, dict):
            value.setdefault("part_s", time.perf_counter() - t0)
        self.report.put(name, value)
        return value


def _device_part(part: _Parts, device: torch.device) -> None:
    info = part("device", lambda: device_info(device))
    say(f"[device] {device} | torch {info.get('torch')} (CUDA {info.get('cuda')}), PyG {info.get('torch_geometric')}, "
        f"Python {info.get('python')}, {info.get('cpu_cores')} CPU cores, {info.get('torch_threads')} torch threads")
    for g in info.get("gpus", []):
        say(f"  GPU {g['index']}: {g['name']}, {g['memory_gb']} GB, compute capability {g['capability']}, "
            f"{g['multiprocessors']} SMs")


def _dataset_part(part: _Parts, source: str):
    """The dataset, or ``None`` when it could not be loaded (recorded as a failed part)."""
    loaded = {}

    def load():
        t0 = time.perf_counter()
        loaded["ds"] = ds = load_dataset(source)
        return {"name": ds.name, "items": ds.n_items, "train_pairs": len(ds.train), "test_pairs": len(ds.test),
                "load_s": time.perf_counter() - t0}

    d = part("dataset", load)
    if "ds" in loaded:
        say(f"[dataset] {d['name']}: {d['items']} items, {d['train_pairs']} train / {d['test_pairs']} test pairs "
            f"(loaded in {d['load_s']:.1f} s)")
    return loaded.get("ds")


def _model_parts(part: _Parts, name: str, ds, device: torch.device, args) -> None:
    """One training epoch of ``name`` on ``ds``, then the evaluation speed of the model it left."""
    torch.manual_seed(0)
    holder = {}

    def epoch():
        holder["model"] = model = build_model(name, ds.n_items)
        return train_epoch(model, ds.train, args.batch_size, device, amp=not args.no_amp,
                           sample_every=args.sample_every, cap_s=args.epoch_cap_s, max_batches=args.max_batches,
                           prefetch_depth=args.prefetch_depth)

    r = part(f"train_epoch_{name}", epoch)
    if "error" not in r:
        amp = "" if args.no_amp or device.type != "cuda" else ", bf16 autocast"
        say(f"[train epoch] {name}, batch {args.batch_size}, {device}{amp}")
        say(fmt_epoch(name, r))
    if "model" not in holder:
        return
    test = ds.test if args.max_eval_pairs is None else ds.test.subset(torch.arange(min(args.max_eval_pairs, len(ds.test))))
    e = part(f"evaluate_{name}", lambda: evaluate_speed(holder["model"], test, device, args.eval_batch_size))
    if "error" not in e:
        say(f"[evaluate] {name}: {e['pairs']} test pairs in {e['seconds']:.2f} s = {e['examples_per_s']:.0f} examples/s "
            f"(HR@20 {e['hit@20']:.2f}, MRR@20 {e['mrr@20']:.2f} after the epoch above)")
    holder.clear()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _cli_parts(part: _Parts, device: torch.device, args) -> None:
    """The train / evaluate / predict round trip through the CLI, and the 2-GPU DDP run."""
    with tempfile.TemporaryDirectory(prefix="fgnn-gpu-check-") as tmp:
        work = Path(tmp)
        rt = {"skipped": "--skip"} if "round_trip" in args.skip else \
            part("round_trip", lambda: round_trip(device, work, args.roundtrip_pairs, timeout=120))
        if "error" not in rt and "skipped" not in rt:
            say(f"[round trip on {device.type}] train {rt['train_s']:.1f} s ({rt['train_state']}, {rt['train_device']}), "
                f"evaluate {rt['evaluate_s']:.1f} s (reproduces metrics.jsonl: {rt['evaluate_reproduces_metrics_jsonl']}; "
                f"HR@20 {rt['evaluate']['hit@20']:.2f}), predict {rt['predict_s']:.1f} s (top 5 {rt['predict_top5']})")
        dd = {"skipped": "--skip"} if "ddp" in args.skip else \
            part("ddp_2_gpus", lambda: ddp_run(args.dataset, work, 180, args.ddp_pairs))
        if "error" not in dd:
            say("[DDP 2 GPUs] " + (f"skipped: {dd['skipped']}" if "skipped" in dd else
                                   f"{dd['state']} in {dd['wall_s']:.1f} s, {dd['train_examples_per_s']:.0f} examples/s, "
                                   f"world size {dd['world_size']}, {dd['device']}"))


def main(argv=None) -> int:
    args = _parser().parse_args(argv)

    start = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    report = Report(Path(args.out) / "gpu-check.json")
    report.data["command"] = " ".join([Path(sys.executable).name, "-m", "fgnn.benchmarks.gpu", *(argv or sys.argv[1:])])
    part = _Parts(report)
    device = resolve_device(args.device)
    _device_part(part, device)
    ds = _dataset_part(part, args.dataset)
    for name in args.models if ds is not None else []:
        _model_parts(part, name, ds, device, args)
    _cli_parts(part, device, args)
    report.data["total_s"] = time.perf_counter() - start
    report.data["failed_parts"] = part.failures
    report.flush()
    say(f"done in {report.data['total_s']:.0f} s; "
        + (f"FAILED parts: {', '.join(part.failures)}" if part.failures else "all parts ran")
        + (f"; results in {report.path}" if report.path else ""))
    if args.json:
        print(json.dumps(report.data, indent=2, default=str))
    return 1 if part.failures else 0


if __name__ == "__main__":
    sys.exit(main())
