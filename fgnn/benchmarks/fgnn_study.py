"""The FGNN ablation study on one GPU (docs/fgnn-study.md). Rerunnable; not a test.

    python -m fgnn.benchmarks.fgnn_study --dataset .gpudata/diginetica-srgnn --out OUT --budget-s 330 --device cuda
    python -m fgnn.benchmarks.fgnn_study --report OUT [--doc docs/fgnn-study.md]

Every variant (one change from the paper's FGNN, plus SR-GNN as the reference row) is an ordinary
``fgnn train`` process (``--threads 1``, all sharing the one device) on the dataset with a validation
split (``--valid-fraction`` for SR-GNN pickles, or ``--valid-days``), the paper schedule (batch 100,
lr 1e-3, x0.1 every 3 epochs) and the best epoch chosen on validation. Plan, within ``--budget-s``
wall-clock seconds from the start of this command, test evaluation included:

1. prepare the dataset once into a shared cache (the runs then load it in a fraction of a second);
2. launch every variant on the most recent ``P`` training pairs (``--max-train-pairs``), ``P`` planned
   from ``--guess-ms-per-batch`` so that ``--target-epochs`` (4: the first epoch at lr 1e-4, where
   both networks peak on full DIGINETICA) fit in the time left;
3. calibrate: read the runs' own step counters (``metrics.jsonl``) for a few seconds; if the measured
   speed of the slowest run would not reach the target epochs (or would leave more than half of the
   time unused), stop them all and relaunch once with the ``P`` that fits;
4. at ``budget - eval reserve`` put a ``STOP`` file in every run still going (they save and mark
   themselves cancelled, best.pt keeps their best validation epoch);
5. evaluate the finalists on the test set once, with ``fgnn evaluate --json``: the best
   ``--finalists`` FGNN variants by validation HR@20, plus the paper's FGNN and SR-GNN;
6. write ``OUT/summary.json`` (every run: exact command, epochs, seconds per epoch, validation metrics
   per epoch and at the best epoch, test metrics of finalists), ``OUT/runs.tar.gz`` (each run's
   config.json, status.json, metrics.jsonl and log; no checkpoints) and ``OUT/study.log``.

Run folders and checkpoints stay in ``--work`` (default: a folder under the system's temp dir), so
``OUT`` holds three small files. ``--report OUT`` renders ``summary.json`` as the markdown table of
docs/fgnn-study.md and, with ``--doc``, writes it between the page's ``fgnn-study:gpu`` markers.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fgnn.cli import build_parser
from fgnn.commands.train import config_from_args
from fgnn.data.registry import load_dataset
from fgnn.models import build_model
from fgnn.runs.folders import read_json, read_metrics, write_json_atomic

REPO = Path(__file__).resolve().parents[2]

# name -> (model, fgnn train flags, what the row tests). One change from the paper's FGNN each.
VARIANTS: dict[str, tuple[str, dict, str]] = {
    "fgnn-paper": ("fgnn", {}, "the paper's FGNN: 2 WGAT layers (8 heads concatenated, then 1), 3 readout steps"),
    "attn-senders": ("fgnn", {"attention_norm": "src"}, "attention normalised over senders (the authors' code)"),
    "layers-1": ("fgnn", {"num_layers": 1}, "1 WGAT layer"),
    "layers-3": ("fgnn", {"num_layers": 3}, "3 WGAT layers"),
    "heads-mean": ("fgnn", {"concat_heads": "no"}, "8 heads averaged instead of concatenated"),
    "readout-1": ("fgnn", {"readout_steps": 1}, "1 readout step"),
    "readout-6": ("fgnn", {"readout_steps": 6}, "6 readout steps"),
    "last-click": ("fgnn", {"last_click": "yes"}, "the last click's node mapped into the session embedding"),
    "last-act": ("fgnn", {"last_activation": "yes"}, "ReLU after the last WGAT layer"),
    "wd-1e-4": ("fgnn", {"weight_decay": 1e-4}, "weight decay 1e-4 (paper 1e-5) against overfitting"),
    "last-click-senders": ("fgnn", {"last_click": "yes", "attention_norm": "src"},
                           "last click and attention over senders (the two best on rsc15-100k)"),
    "srgnn": ("srgnn", {}, "SR-GNN, the reference"),
    # not in the default set (12 processes on 16 cores): run them with --variants
    "heads-4": ("fgnn", {"heads": 4}, "4 heads on the first layer"),
    "heads-1": ("fgnn", {"heads": 1}, "1 head on the first layer"),
    "dropout-0.2": ("fgnn", {"dropout": 0.2}, "dropout 0.2 on the attention weights"),
}
DEFAULT_VARIANTS = list(VARIANTS)[:12]
REFERENCE = ("fgnn-paper", "srgnn")  # always evaluated on test
PAPER_SCHEDULE = ["--batch-size", "100", "--lr", "1e-3", "--lr-step", "3", "--lr-gamma", "0.1"]
KEY = "hit@20"
DOC_BEGIN, DOC_END = "<!-- fgnn-study:gpu:begin -->", "<!-- fgnn-study:gpu:end -->"


@dataclass
class Run:
    name: str
    model: str
    flags: dict
    what: str
    run_dir: Path = None
    cmd: list = field(default_factory=list)
    proc: subprocess.Popen | None = None
    started: float = 0.0
    log: object | None = None


class Study:
    def __init__(self, args):
        self.args = args
        self.t0 = time.time()
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(args.work or tempfile.mkdtemp(prefix="fgnn-study-"))
        self.work.mkdir(parents=True, exist_ok=True)
        self.logfile = open(self.out / "study.log", "a")  # noqa: SIM115 (open for the study's life, closed at its end)
        self.env = dict(os.environ, FGNN_CACHE_DIR=str(self.work / "cache"), OMP_NUM_THREADS="1",
                        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        self.summary: dict = {"argv": sys.argv, "budget_s": args.budget_s, "device": args.device,
                              "started": time.strftime("%Y-%m-%d %H:%M:%S"), "plan": {}, "runs": {}}

    # ------------------------------------------------------------------ helpers
    def elapsed(self) -> float:
        return time.time() - self.t0

    def say(self, msg: str) -> None:
        line = f"[{self.elapsed():6.1f}s] {msg}"
        print(line, flush=True)
        self.logfile.write(line + "\n")
        self.logfile.flush()

    def split_flags(self) -> list[str]:
        a = self.args
        if a.valid_days is not None:
            return ["--valid-days", f"{a.valid_days:g}"]
        return ["--valid-fraction", f"{a.valid_fraction:g}"]

    def evaluate_args(self, checkpoint: Path) -> list[str]:
        return ["evaluate", "--checkpoint", str(checkpoint), "--top-k", "20", "--device", self.args.device, "--json"]

    def command(self, run: Run, max_pairs: int, run_dir: Path) -> list[str]:
        cmd = [sys.executable, "-m", "fgnn", "train", "--dataset", str(self.args.dataset), *self.split_flags(),
               "--model", run.model, "--epochs", str(self.args.epochs), *PAPER_SCHEDULE,
               "--max-train-pairs", str(max_pairs), "--threads", "1", "--device", self.args.device,
               "--seed", str(self.args.seed), "--quiet", "--run-dir", str(run_dir)]
        for k, v in run.flags.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        return cmd

    # ------------------------------------------------------------------ phases
    def prepare(self):
        os.environ["FGNN_CACHE_DIR"] = self.env["FGNN_CACHE_DIR"]
        split = {"valid_days": self.args.valid_days} if self.args.valid_days is not None else \
            {"valid_fraction": self.args.valid_fraction}
        ds = load_dataset(self.args.dataset, **split)
        if ds.valid is None:
            raise SystemExit("error: the dataset has no validation split; give --valid-fraction or --valid-days")
        self.n_train, self.n_valid = len(ds.train), len(ds.valid)
        self.summary["dataset"] = {**ds.summary(), "split": split}
        self.say(f"dataset {ds.name}: {ds.n_items} items, {self.n_train} train / {self.n_valid} valid / "
                 f"{len(ds.test)} test pairs (split {split})")

    def plan_pairs(self, batches_per_s: float, seconds: float) -> int:
        """Training pairs P such that target_epochs epochs (with a validation pass each) fit in ``seconds``."""
        a = self.args
        eval_batches = 2.0 * self.n_valid / 500  # a validation batch of 500 ~ two training batches
        batches = batches_per_s * max(seconds, 1.0) * a.safety / a.target_epochs - eval_batches
        return int(min(self.n_train, max(a.min_train_pairs, batches * 100)))

    def preflight(self, runs: list[Run]) -> None:
        """Parse every command with the real CLI and build every model before anything starts: a bad
        flag or hyperparameter must not cost the budget (the device time cannot be had twice)."""
        parser = build_parser()
        for run in runs:
            args = parser.parse_args(self.command(run, 1000, self.work / "preflight")[3:])
            cfg = config_from_args(args)
            build_model(cfg.model, 10, **cfg.model_params)
        parser.parse_args(self.evaluate_args(Path("best.pt")))
        self.say(f"preflight: {len(runs)} train commands and the evaluate command parse, every model builds")

    def launch(self, runs: list[Run], max_pairs: int, attempt: int) -> None:
        for run in runs:
            run.run_dir = self.work / f"try{attempt}" / run.name
            run.cmd = self.command(run, max_pairs, run.run_dir)
            shutil.rmtree(run.run_dir, ignore_errors=True)  # a fresh folder: `fgnn train` refuses a used one
            run.run_dir.parent.mkdir(parents=True, exist_ok=True)
            log_path = self.work / f"try{attempt}" / f"{run.name}.log"
            run.log = open(log_path, "w")  # noqa: SIM115 (the child's log, closed when the run ends)
            run.proc = subprocess.Popen(run.cmd, cwd=os.getcwd(), env=self.env, stdout=run.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            run.started = time.time()
        self.say(f"try {attempt}: launched {len(runs)} runs on the most recent {max_pairs} training pairs")

    def points(self, run: Run) -> list[tuple[int, float]]:
        return [(int(r["step"]), float(r["time"])) for r in read_metrics(run.run_dir)
                if r.get("step") is not None and r.get("time") is not None and r.get("kind") in ("train", "eval")]

    def calibrate(self, runs: list[Run], timeout: float) -> tuple[float | None, float]:
        """Batches per second of the slowest run, measured once every run is going (the first runs to
        start are faster while the others still import), and the seconds from launch to a run's first
        logged point (start-up: imports, CUDA, dataset)."""
        deadline = time.time() + timeout
        sync = None
        while time.time() < deadline:
            live = [r for r in runs if r.proc.poll() is None]
            if not live:
                break
            pts = {r.name: self.points(r) for r in live}
            if sync is None and all(pts.values()):
                sync = max(p[0][1] for p in pts.values())  # from here on every run is training
            if sync is not None and all(sum(t >= sync for _, t in p) >= self.args.calibrate_points
                                        for p in pts.values()):
                break
            time.sleep(1.0)
        rates, startups = {}, []
        for r in runs:
            p = self.points(r)
            if p:
                startups.append(p[0][1] - r.started)
            p = [x for x in p if sync is None or x[1] >= sync]
            if len(p) >= 2 and p[-1][1] > p[0][1]:
                rates[r.name] = (p[-1][0] - p[0][0]) / (p[-1][1] - p[0][1])
        startup = max(startups, default=self.args.startup_guess_s)
        self.summary["plan"].setdefault("calibration", []).append(
            {"batches_per_s": rates, "startup_s": startups, "at_s": round(self.elapsed(), 1)})
        if not rates:
            self.say("calibration: no run logged two points in time; keeping the planned size")
            return None, startup
        slow = min(rates.values())
        self.say("calibration (batches/s): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(rates.items()))
                 + f"; slowest {slow:.2f}; start-up {startup:.1f} s")
        return slow, startup

    def stop(self, runs: list[Run], grace: float) -> None:
        for r in runs:
            if r.proc is None or r.proc.poll() is not None:
                continue
            if not (r.run_dir / "status.json").is_file():  # still starting: nothing to save yet
                r.proc.terminate()
                continue
            try:
                (r.run_dir / "STOP").touch()
            except OSError:
                r.proc.terminate()  # SIGTERM takes the same clean path as the STOP file
        deadline = time.time() + grace
        while time.time() < deadline and any(r.proc is not None and r.proc.poll() is None for r in runs):
            time.sleep(0.5)
        runs = [r for r in runs if r.proc is not None]
        for r in runs:
            if r.proc.poll() is None:  # did not answer the STOP file: SIGTERM (same clean path), then kill
                self.say(f"{r.name}: still running after STOP; SIGTERM")
                r.proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        while time.time() < deadline and any(r.proc.poll() is None for r in runs):
            time.sleep(0.5)
        for r in runs:
            if r.proc.poll() is None:
                self.say(f"{r.name}: killed")
                r.proc.kill()
                r.proc.wait()
            if r.log:
                r.log.close()
                r.log = None

    def train_all(self) -> list[Run]:
        a = self.args
        names = a.variants
        runs = self.runs = [Run(n, *VARIANTS[n]) for n in names]
        self.preflight(runs)
        budget_end = self.t0 + a.budget_s - a.eval_reserve_s
        window = budget_end - time.time() - a.startup_guess_s
        if a.max_train_pairs:
            pairs = min(a.max_train_pairs, self.n_train)
        else:
            pairs = self.plan_pairs(1000.0 / a.guess_ms_per_batch, window)
        self.summary["plan"].update(first_pairs=pairs, first_window_s=window)
        self.launch(runs, pairs, 1)
        attempt = 1
        if not a.max_train_pairs:
            rate, startup = self.calibrate(runs, min(a.calibrate_s, max(budget_end - time.time(), 0)))
            if rate:
                left = budget_end - time.time()
                done = min((max((p[0] for p in self.points(r)), default=0) for r in runs
                            if r.model == "fgnn" or len(runs) == 1), default=0)
                need = (a.target_epochs * -(-pairs // 100) - done + 2.0 * a.target_epochs * self.n_valid / 500) / rate
                self.say(f"planned {pairs} pairs: {need:.0f} s still needed for {a.target_epochs} epochs, "
                         f"{left:.0f} s left")
                window_again = left - startup - a.stop_guess_s
                if (need > left or (need < 0.5 * left and pairs < self.n_train)) and window_again > 0.3 * window:
                    new = self.plan_pairs(rate, window_again)
                    if new != pairs:
                        self.say(f"relaunching on {new} pairs (the measured speed)")
                        self.stop(runs, grace=15)
                        shutil.rmtree(self.work / "try1", ignore_errors=True)
                        pairs, attempt = new, 2
                        self.launch(runs, pairs, attempt)
        self.summary["plan"].update(train_pairs=pairs, attempt=attempt,
                                    subset=pairs < self.n_train, all_train_pairs=self.n_train)
        while time.time() < budget_end and any(r.proc.poll() is None for r in runs):
            time.sleep(1.0)
        self.say("budget reached: STOP to every run still going" if time.time() >= budget_end else "all runs ended")
        self.stop(runs, grace=a.stop_grace_s)
        return runs

    def collect(self, runs: list[Run]) -> None:
        for r in runs:
            status = read_json(r.run_dir / "status.json", default={}) or {}
            evals = [x for x in read_metrics(r.run_dir) if x.get("kind") == "eval"]
            train_s = [x["train_s"] for x in evals if "train_s" in x]
            cmd = [("python" if c == sys.executable else c) for c in r.cmd]
            self.summary["runs"][r.name] = {
                "model": r.model, "flags": r.flags, "what": r.what, "command": shlex.join(cmd),
                "state": status.get("state") or "not started", "error": status.get("error"),
                "exit_code": r.proc.returncode,
                "epochs_done": len(evals), "steps": status.get("step"),
                "s_per_epoch": round(sum(train_s) / len(train_s), 1) if train_s else None,
                "best_valid": status.get("best"), "selected_on": status.get("selected_on"),
                "valid_per_epoch": [{k: x.get(k) for k in ("epoch", "hit@20", "mrr@20", "train_loss", "train_s")}
                                    for x in evals],
                "has_best_pt": (r.run_dir / "best.pt").is_file(),
            }

    def finalists(self) -> list[str]:
        runs = self.summary["runs"]
        scored = sorted((n for n, r in runs.items() if r["model"] == "fgnn" and r["best_valid"]
                         and n not in REFERENCE), key=lambda n: -runs[n]["best_valid"][KEY])
        chosen = scored[: self.args.finalists] + [n for n in REFERENCE if n in runs]
        return [n for n in chosen if runs[n]["has_best_pt"]]

    def evaluate(self, runs: list[Run]) -> None:
        names = self.finalists()
        by_name = {r.name: r for r in runs}
        threads = max(1, (os.cpu_count() or 2) // max(len(names), 1))
        env = dict(self.env, OMP_NUM_THREADS=str(threads))
        procs = {}
        for n in names:
            cmd = [sys.executable, "-m", "fgnn", *self.evaluate_args(by_name[n].run_dir / "best.pt")]
            procs[n] = (cmd, subprocess.Popen(cmd, cwd=os.getcwd(), env=env, stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, text=True))
        self.say(f"test evaluation of the finalists {names} ({threads} CPU threads each)")
        deadline = self.t0 + self.args.budget_s + self.args.eval_grace_s
        for n, (cmd, p) in procs.items():
            try:
                out, err = p.communicate(timeout=max(deadline - time.time(), 1))
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                err = "stopped at the budget (+ --eval-grace-s)\n" + (err or "")
            entry = self.summary["runs"][n]
            entry["test_command"] = shlex.join(["python" if c == sys.executable else c for c in cmd])
            try:
                entry["test"] = json.loads(out.strip().splitlines()[-1])
            except (ValueError, IndexError):
                entry["test"] = None
                entry["test_error"] = (err or "").strip()[-500:]
            self.say(f"{n}: test {entry['test'] or entry['test_error']}")
            self.write(runs)  # a result at a time: a hard stop of this command keeps what is done

    def write(self, runs: list[Run]) -> None:
        self.summary["elapsed_s"] = round(self.elapsed(), 1)
        self.summary["finalists"] = [n for n, r in self.summary["runs"].items() if "test" in r]
        write_json_atomic(self.out / "summary.json", self.summary)
        tmp = self.out / "runs.tar.gz.tmp"
        with tarfile.open(tmp, "w:gz") as tar:
            for r in runs:
                for fname in ("config.json", "status.json", "metrics.jsonl"):
                    f = r.run_dir / fname
                    if f.is_file():
                        tar.add(f, arcname=f"{r.name}/{fname}")
                log = r.run_dir.parent / f"{r.name}.log"
                if log.is_file():
                    tar.add(log, arcname=f"{r.name}/train.log")
        os.replace(tmp, self.out / "runs.tar.gz")
        self.say(f"wrote {self.out / 'summary.json'} and {self.out / 'runs.tar.gz'} "
                 f"({self.summary['elapsed_s']} s of {self.args.budget_s})")

    def main(self) -> int:
        self.prepare()
        self.runs: list[Run] = []
        try:
            self.train_all()
            self.collect(self.runs)
            self.write(self.runs)  # validation results are safe before the test evaluation starts
            self.evaluate(self.runs)
        finally:  # also on an error or Ctrl-C: no run left behind, and whatever was measured is written
            launched = [r for r in self.runs if r.proc is not None]
            self.stop(launched, grace=5)
            if launched and not self.summary["runs"]:
                self.collect(launched)
            self.write(launched)
            self.logfile.close()
        return 0


# ---------------------------------------------------------------------- report
def _fmt(v, digits=2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def report_markdown(summary: dict) -> str:
    """The study's table for docs/fgnn-study.md, from ``summary.json``."""
    runs = summary.get("runs", {})
    plan = summary.get("plan", {})
    ds = summary.get("dataset", {})
    split = ", ".join(f"{k} {v:g}" for k, v in (ds.get("split") or {}).items())
    lines = [
        (f"Dataset `{ds.get('name')}`: {ds.get('train_pairs', 0):,} training pairs after the validation split "
        f"({split}: {ds.get('valid_pairs', 0):,} validation pairs), {ds.get('test_pairs', 0):,} test pairs. "
        f"Every run trained on the most recent {plan.get('train_pairs', 0):,} training pairs"
        f"{' (a subset: the budget did not fit full epochs)' if plan.get('subset') else ' (all of them)'}, "
        f"device {summary.get('device')}, budget {summary.get('budget_s')} s, took {summary.get('elapsed_s')} s."),
        _plan_line(plan),
        "",
        ("| variant | what changes | valid HR@20 | valid MRR@20 | best epoch | epochs | s/epoch | test HR@20 | "
        "test MRR@20 | state |"),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = sorted(runs, key=lambda n: -((runs[n].get("best_valid") or {}).get(KEY) or -1))
    for n in order:
        r = runs[n]
        b = r.get("best_valid") or {}
        t = r.get("test") or {}
        lines.append(f"| {n} | {r.get('what', '')} | {_fmt(b.get('hit@20'))} | {_fmt(b.get('mrr@20'))} | "
                     f"{b.get('epoch', '-')} | {r.get('epochs_done', 0)} | {_fmt(r.get('s_per_epoch'), 1)} | "
                     f"{_fmt(t.get('hit@20'))} | {_fmt(t.get('mrr@20'))} | {r.get('state')} |")
    lines += ["", "Validation HR@20 after each epoch:", ""]
    for n in order:
        per = ", ".join(_fmt(e.get("hit@20")) for e in runs[n].get("valid_per_epoch", []))
        lines.append(f"- {n}: {per or '-'}")
    check = subset_ranking_check(runs)
    if check:
        lines += ["", check]
    lines += ["", "Commands (each row; the study ran them side by side, `--threads 1` each):", "", "```"]
    for n in order:
        lines.append(runs[n].get("command", ""))
        if runs[n].get("test_command"):
            lines.append(runs[n]["test_command"])
    lines.append("```")
    return "\n".join(lines) + "\n"


def _plan_line(plan: dict) -> str:
    cal = (plan.get("calibration") or [{}])[0]
    rates = cal.get("batches_per_s") or {}
    speed = (f"measured speed {min(rates.values()):.1f} batches/s for the slowest run ("
             + ", ".join(f"{k} {v:.1f}" for k, v in sorted(rates.items())) + ")") if rates else "speed not measured"
    first = plan.get("first_pairs")
    again = (f"relaunched once from {first:,} to {plan.get('train_pairs', 0):,} pairs" if plan.get("attempt") == 2
             else f"kept the first plan of {first:,} pairs" if first else "fixed size")
    return f"Plan: {speed}; {again}."


# best test HR@20 of full 10-epoch runs on all 719,470 training pairs (docs/evaluation.md)
FULL_DATA_HR20 = {"fgnn-paper": 47.07, "last-click": 49.22, "srgnn": 50.69}


def subset_ranking_check(runs: dict) -> str:
    """Does the study's validation ranking of the variants also trained on the full data agree with it?"""
    have = [n for n in FULL_DATA_HR20 if (runs.get(n) or {}).get("best_valid")]
    if len(have) < 2:
        return ""
    valid = {n: runs[n]["best_valid"][KEY] for n in have}
    study = sorted(have, key=lambda n: -valid[n])
    full = sorted(have, key=lambda n: -FULL_DATA_HR20[n])
    verdict = "the same order" if study == full else "a DIFFERENT order"
    return (f"Subset check: on the full training data (docs/evaluation.md, test HR@20 at the best of 10 epochs) "
            f"the order is "
            f"{' > '.join(f'{n} {FULL_DATA_HR20[n]:.2f}' for n in full)}; this study's validation order is "
            f"{' > '.join(f'{n} {valid[n]:.2f}' for n in study)}: {verdict}.")


def write_report(out: Path, doc: Path | None) -> str:
    summary = json.loads((Path(out) / "summary.json").read_text())
    text = report_markdown(summary)
    if doc is not None:
        page = Path(doc).read_text()
        if DOC_BEGIN not in page or DOC_END not in page:
            raise SystemExit(f"error: {doc} has no {DOC_BEGIN} ... {DOC_END} block to fill")
        head, rest = page.split(DOC_BEGIN, 1)
        _, tail = rest.split(DOC_END, 1)
        Path(doc).write_text(f"{head}{DOC_BEGIN}\n{text}{DOC_END}{tail}")
    return text


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m fgnn.benchmarks.fgnn_study", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", help="dataset (SR-GNN pickle folder, click log or registry name)")
    p.add_argument("--out", help="results folder: summary.json, runs.tar.gz, study.log (no checkpoints)")
    p.add_argument("--work", default=None, help="run folders and the dataset cache (default: a new temp folder)")
    p.add_argument("--budget-s", type=float, default=330, help="wall-clock seconds for everything (default 330)")
    p.add_argument("--device", default="cuda", help="device of every run (default cuda)")
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                   help=f"comma-separated, of: {', '.join(VARIANTS)} (default: the first 12)")
    p.add_argument("--max-parallel", type=int, default=12, help="refuse more variants than this (default 12)")
    p.add_argument("--valid-fraction", type=float, default=0.05,
                   help="validation = the most recent fraction of training sessions (default 0.05, about the "
                        "last 7 of DIGINETICA's ~145 training days)")
    p.add_argument("--valid-days", type=float, default=None, help="validation = the last N days (click logs)")
    p.add_argument("--epochs", type=int, default=10, help="epochs of each run, cut by the budget (default 10)")
    p.add_argument("--target-epochs", type=int, default=4,
                   help="plan the training subset so that this many epochs fit (default 4)")
    p.add_argument("--max-train-pairs", type=int, default=None, help="fix the subset size (no calibration)")
    p.add_argument("--min-train-pairs", type=int, default=2000)
    p.add_argument("--guess-ms-per-batch", type=float, default=30.0,
                   help="first guess of one run's time per batch with all runs side by side (default 30)")
    p.add_argument("--safety", type=float, default=0.85, help="fraction of the planned time to fill (default 0.85)")
    p.add_argument("--calibrate-s", type=float, default=45.0, help="at most this long to measure speed")
    p.add_argument("--calibrate-points", type=int, default=4, help="logged points per run to measure speed")
    p.add_argument("--startup-guess-s", type=float, default=15.0)
    p.add_argument("--eval-reserve-s", type=float, default=50.0,
                   help="seconds kept at the end for stopping the runs and the test evaluation (default 50)")
    p.add_argument("--stop-grace-s", type=float, default=20.0, help="wait this long for STOPped runs to save")
    p.add_argument("--stop-guess-s", type=float, default=4.0, help="planned time for a relaunch's stop")
    p.add_argument("--eval-grace-s", type=float, default=30.0,
                   help="test evaluations may run this long past the budget before they are killed (default 30)")
    p.add_argument("--finalists", type=int, default=3, help="best FGNN variants evaluated on test (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", metavar="OUT", default=None, help="print the markdown table of a finished study")
    p.add_argument("--doc", default=None, help="with --report: also write it into this page's marker block")
    args = p.parse_args(argv)
    if args.report:
        return args
    if not args.dataset or not args.out:
        p.error("--dataset and --out are needed (or --report OUT)")
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    if len(args.variants) > args.max_parallel:
        p.error(f"{len(args.variants)} variants but --max-parallel {args.max_parallel}: give fewer --variants")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        print(write_report(Path(args.report), Path(args.doc) if args.doc else None), end="")
        return 0
    return Study(args).main()


if __name__ == "__main__":
    sys.exit(main())
