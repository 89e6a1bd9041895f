"""``fgnn bench``: training / evaluation speed against the scoring floor (and the seed pipeline).

    python -m fgnn bench --dataset ../shared/data/diginetica-srgnn            # SR-GNN, batch 100
    python -m fgnn bench --dataset ../shared/data/diginetica-srgnn --seed-ref ../shared/reference/seed_pipeline.py

The floor is the part of a training batch no model can avoid on a CPU: the [B x d] x [d x N]
scoring product over all items, its cross-entropy and backward pass, and the optimizer step on
the N x d item table. Our batch time is measured in the same process, right after the floor,
so both see the same machine load.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from fgnn.commands.common import add_dataset_options, fail, load_dataset_from_args
from fgnn.data.sessions import GraphBatchLoader
from fgnn.errors import FGNNError
from fgnn.evaluation.evaluate import rank_targets
from fgnn.models import build_model
from fgnn.runs.folders import read_metrics
from fgnn.training.config import TrainConfig
from fgnn.training.device import resolve_device
from fgnn.training.loop import PREFETCH_DEPTH, adam, make_optimizer
from fgnn.training.prefetch import BatchPrefetcher

# Measured on this project's 2-core CPU machine for the seed pipeline (docs/performance.md).
SEED_REFERENCE = {"process_s": 155.0, "train_s_per_epoch": 845.0, "train_examples_per_s": 852.0,
                  "eval_s": 43.0, "eval_examples_per_s": 1416.0, "peak_rss_gb": 5.4}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("bench", help="measure training/evaluation speed against the scoring floor",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_dataset_options(p)
    p.add_argument("--model", default="srgnn", help="model to time (default srgnn, as the seed)")
    p.add_argument("--batch-size", type=int, default=None, help="default: as fgnn train")
    p.add_argument("--eval-batch-size", type=int, default=None, help="default: as fgnn train")
    p.add_argument("--batches", type=int, default=200, help="training batches to time (after 20 warm-up)")
    p.add_argument("--eval-pairs", type=int, default=20000, help="test pairs to time evaluation on")
    p.add_argument("--device", default=None, help="auto | cpu | cuda (default: as fgnn train, auto)")
    p.add_argument("--seed-ref", default=None, metavar="seed_pipeline.py",
                   help="also time the seed pipeline's training and evaluation batches on a subset, here")
    p.add_argument("--nproc", type=int, default=None,
                   help="instead: N data-parallel processes x 1 thread against 1 process x N threads, same "
                        "model and global batch, --batches training batches each (docs/distributed.md)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_floor(n_items: int, d: int, batch: int, steps: int, device) -> float:
    """Seconds per batch of score product + cross-entropy + backward + fused Adam on the table."""
    g = torch.Generator().manual_seed(0)
    table = torch.nn.Parameter((torch.rand(n_items, d, generator=g) - 0.5).to(device) * 0.1)
    session = (torch.rand(batch, d, generator=g) - 0.5).to(device).requires_grad_()
    target = torch.randint(0, n_items, (batch,), generator=g).to(device)
    opt = adam([table], TrainConfig.lr, TrainConfig.weight_decay)
    for i in range(steps + 10):
        if i == 10:
            _sync(device)
            t0 = time.perf_counter()
        loss = F.cross_entropy(session @ table.t(), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    _sync(device)
    return (time.perf_counter() - t0) / steps


def time_training(model, pairs, batch_size: int, steps: int, device) -> float:
    model.to(device).train()
    opt = make_optimizer(model, TrainConfig())
    loader = GraphBatchLoader(pairs, batch_size, shuffle=True, generator=torch.Generator().manual_seed(0),
                              device=device)
    with BatchPrefetcher(loader, PREFETCH_DEPTH, device) as batches:  # as fgnn train builds them
        for i in range(steps + 20):
            if i == 20:
                _sync(device)
                t0 = time.perf_counter()
            batch = next(batches)  # graph building is part of what we time (what of it the loop still waits for)
            loss = F.cross_entropy(model(batch), batch.targets - 1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        _sync(device)
        return (time.perf_counter() - t0) / steps


def time_evaluation(model, pairs, batch_size: int, device) -> float:
    rank_targets(model, pairs.subset(torch.arange(min(len(pairs), 1000))), batch_size, device)  # warm-up
    _sync(device)
    t0 = time.perf_counter()
    rank_targets(model, pairs, batch_size, device)
    _sync(device)
    return time.perf_counter() - t0


def time_graph_building(pairs, chunk: int = 10000) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(pairs), chunk):
        pairs.batch(torch.arange(i, min(i + chunk, len(pairs))))
    return time.perf_counter() - t0


def time_seed(seed_path: str, ds, batch_size: int, n_train: int, n_test: int, device) -> dict:
    """The seed pipeline's own graph building, training and evaluation code on a subset."""
    spec = importlib.util.spec_from_file_location("seed_pipeline", seed_path)
    seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
    from torch_geometric.loader import DataLoader  # noqa: PLC0415 (PyG's loader only for the loader comparison)

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        for name, pairs, n in (("train", ds.train, n_train), ("test", ds.test, n_test)):
            idx = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(0))[:n]
            seqs, lengths = pairs.prefixes(idx)
            prefixes = [s[:l].tolist() for s, l in zip(seqs, lengths.tolist(), strict=True)]
            with open(raw / f"{name}.txt", "wb") as fh:
                pickle.dump((prefixes, pairs.targets[idx].tolist()), fh)
        t0 = time.perf_counter()
        tr = seed.MultiSessionsGraph(tmp, "train")
        te = seed.MultiSessionsGraph(tmp, "test")
        out["process_s_per_1k_pairs"] = (time.perf_counter() - t0) / (n_train + n_test) * 1000
        torch.manual_seed(0)
        model = seed.GNNModel(100, ds.n_items).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=0.001, weight_decay=1e-5)
        trl = DataLoader(tr, batch_size=batch_size, shuffle=True)
        t0 = time.perf_counter()
        seed.run_epoch(model, trl, device, optimizer=opt)
        out["train_examples_per_s"] = len(tr) / (time.perf_counter() - t0)
        tel = DataLoader(te, batch_size=batch_size, shuffle=False)
        t0 = time.perf_counter()
        with torch.no_grad():
            seed.run_epoch(model, tel, device)
        out["eval_examples_per_s"] = len(te) / (time.perf_counter() - t0)
    return out


def compare_ddp(args) -> dict:
    """Two real `fgnn train` runs of ``--batches`` batches: 1 process x N threads, then N processes x
    1 thread (DDP); training examples/s as each run's rank 0 measured its training loop."""

    n = args.nproc
    common = ["train", "--dataset", args.dataset or "diginetica-sample", "--model", args.model, "--epochs", "1",
              "--batch-size", str(args.batch_size), "--max-train-pairs", str(args.batches * args.batch_size),
              "--max-test-pairs", "1000", "--device", "cpu", "--quiet"]
    out = {"dataset": args.dataset or "diginetica-sample", "model": args.model, "batch_size": args.batch_size,
           "batches": args.batches, "nproc": n}
    with tempfile.TemporaryDirectory(prefix="fgnn-bench-ddp-") as tmp:
        for key, extra, threads in (("one_process", ["--threads", str(n)], n),
                                    ("ddp", ["--threads", "1", "--nproc", str(n)], 1)):
            run_dir = Path(tmp) / key
            env = dict(os.environ, OMP_NUM_THREADS=str(threads))
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "fgnn", *common, *extra, "--run-dir", str(run_dir)],
                                  env=env, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise RuntimeError(f"`fgnn {' '.join(common + extra)}` failed:\n{proc.stderr[-3000:]}")
            row = [r for r in read_metrics(run_dir) if r.get("kind") == "eval"][-1]
            out[key] = {"train_examples_per_s": row["train_examples_per_s"], "train_s": row["train_s"],
                        "wall_s": time.perf_counter() - t0, "threads_per_process": threads}
    out["ddp_over_one_process"] = out["ddp"]["train_examples_per_s"] / out["one_process"]["train_examples_per_s"]
    return out


def run_defaults(args) -> None:
    """Options left out take the value a training run would use (:class:`fgnn.training.loop.TrainConfig`)."""
    for name in ("batch_size", "eval_batch_size", "device"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(TrainConfig, name))


def _print_ddp(r: dict) -> None:
    n = r["nproc"]
    print(f"dataset {r['dataset']}, model {r['model']}, global batch {r['batch_size']}, {r['batches']} batches, cpu")
    print(f"  1 process x {n} threads   {r['one_process']['train_examples_per_s']:8.0f} examples/s "
          f"({r['one_process']['train_s']:.1f} s training)")
    print(f"  {n} processes x 1 thread  {r['ddp']['train_examples_per_s']:8.0f} examples/s "
          f"({r['ddp']['train_s']:.1f} s training, DDP over gloo)")
    print(f"  ratio (DDP / one process) {r['ddp_over_one_process']:.2f}x")


def _measure(args, ds, device, r: dict) -> None:
    """Graph building, one training batch against the floor, evaluation and peak memory, into ``r``."""
    r["graph_build_s_all_train_pairs"] = time_graph_building(ds.train)
    torch.manual_seed(0)
    model = build_model(args.model, ds.n_items)
    d = model.config.hidden_size
    floor = time_floor(ds.n_items, d, args.batch_size, min(args.batches, 100), device)
    ours = time_training(model, ds.train, args.batch_size, args.batches, device)
    floor_after = time_floor(ds.n_items, d, args.batch_size, min(args.batches, 100), device)
    r["floor_ms_per_batch"] = 1000 * min(floor, floor_after)
    r["train_ms_per_batch"] = 1000 * ours
    r["train_over_floor"] = ours / min(floor, floor_after)
    r["train_examples_per_s"] = args.batch_size / ours
    r["train_s_per_epoch_est"] = len(ds.train) / r["train_examples_per_s"]
    eval_pairs = ds.test.subset(torch.arange(min(args.eval_pairs, len(ds.test))))
    eval_s = time_evaluation(model, eval_pairs, args.eval_batch_size, device)
    r["eval_examples_per_s"] = len(eval_pairs) / eval_s
    r["eval_s_all_test_est"] = len(ds.test) / r["eval_examples_per_s"]
    r["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    if device.type == "cuda":
        r["peak_cuda_gb"] = torch.cuda.max_memory_allocated() / 1024 ** 3
    del model
    gc.collect()


def _against_seed(args, ds, device, r: dict) -> dict:
    """The speedups over the seed implementation (measured here with --seed-ref, else the reference)."""
    if args.seed_ref:
        r["seed_measured_here"] = time_seed(args.seed_ref, ds, args.batch_size, 20000, 5000, device)
    seed = r.get("seed_measured_here", {})
    ref_train = seed.get("train_examples_per_s", SEED_REFERENCE["train_examples_per_s"])
    ref_eval = seed.get("eval_examples_per_s", SEED_REFERENCE["eval_examples_per_s"])
    r["speedup_train_vs_seed"] = r["train_examples_per_s"] / ref_train
    r["speedup_eval_vs_seed"] = r["eval_examples_per_s"] / ref_eval
    r["graph_build_speedup_vs_seed_process_s"] = SEED_REFERENCE["process_s"] / r["graph_build_s_all_train_pairs"]
    r["memory_vs_seed"] = r["peak_rss_gb"] / SEED_REFERENCE["peak_rss_gb"]
    return seed


def _print_measures(args, ds, device, r: dict, seed: dict) -> None:
    src = "measured here on a subset" if seed else "reference measurement (README)"
    print(f"dataset {ds.name}: {ds.n_items} items, {len(ds.train)} train / {len(ds.test)} test pairs; "
          f"model {args.model}, batch {args.batch_size}, {device} ({r['threads']} threads)")
    print(f"  dataset load (cached)          {r['load_s']:8.2f} s")
    print(f"  graphs for all train pairs     {r['graph_build_s_all_train_pairs']:8.2f} s   "
          f"({r['graph_build_speedup_vs_seed_process_s']:.0f}x faster than the seed's 155 s process_s)")
    print(f"  floor (score+CE+bwd+Adam)      {r['floor_ms_per_batch']:8.1f} ms/batch")
    print(f"  training batch (ours)          {r['train_ms_per_batch']:8.1f} ms/batch = {r['train_over_floor']:.2f}x floor"
          f"   -> {r['train_examples_per_s']:.0f} examples/s, {r['train_s_per_epoch_est']:.0f} s/epoch")
    print(f"  evaluation                     {r['eval_examples_per_s']:8.0f} examples/s -> {r['eval_s_all_test_est']:.1f} s for all test pairs")
    print(f"  peak memory (RSS)              {r['peak_rss_gb']:8.2f} GB")
    print(f"  vs seed ({src}): training {r['speedup_train_vs_seed']:.2f}x, evaluation {r['speedup_eval_vs_seed']:.2f}x, "
          f"memory {r['memory_vs_seed']:.2f}x")
    if seed:
        print("  seed measured here: " + ", ".join(f"{k} {v:.1f}" for k, v in seed.items()))


def run(args) -> int:
    run_defaults(args)
    if args.nproc:
        r = compare_ddp(args)
        if args.json:
            print(json.dumps(r, indent=2))
        else:
            _print_ddp(r)
        return 0
    try:
        device = resolve_device(args.device)
        t0 = time.perf_counter()
        ds = load_dataset_from_args(args, default="diginetica-sample")
        load_s = time.perf_counter() - t0
    except FGNNError as exc:
        return fail(exc)
    r: dict = {"dataset": ds.name, "n_items": ds.n_items, "model": args.model, "batch_size": args.batch_size,
               "device": str(device), "threads": torch.get_num_threads(), "load_s": load_s}
    _measure(args, ds, device, r)
    seed = _against_seed(args, ds, device, r)
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        _print_measures(args, ds, device, r, seed)
    return 0
