"""Running ``python -m fgnn`` in a subprocess, for the plugin tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SESSION = ["9617", "41377", "3717", "9617"]
ITEM = "41377"


def cli_env(**extra) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FGNN_MODELS", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def fgnn(*args, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fgnn", *map(str, args)], capture_output=True, text=True,
                          env=env or cli_env(), cwd=REPO, timeout=timeout, check=False)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def train_evaluate_predict_explain(model: str, run_dir: Path, env=None, *extra) -> dict:
    """One epoch on the bundled sample, then evaluate, predict --json and explain --method ig."""
    ok(fgnn("train", "--model", model, "--dataset", "diginetica-sample", "--epochs", 1, "--max-train-pairs", 300,
            "--batch-size", 50, "--run-dir", run_dir, "--quiet", *extra, env=env))
    ckpt = run_dir / "best.pt"
    assert ckpt.is_file()
    evaluated = ok(fgnn("evaluate", "--checkpoint", ckpt, env=env))
    assert "HR@20" in evaluated and model in evaluated
    top = json.loads(ok(fgnn("predict", "--checkpoint", ckpt, "--session", *SESSION, "--top-k", 5, "--json",
                             env=env)))
    explained = json.loads(ok(fgnn("explain", "--checkpoint", ckpt, "--session", *SESSION, "--item", ITEM,
                                   "--method", "ig", "--ig-steps", 8, "--json", env=env)))
    return {"checkpoint": ckpt, "predict": top, "explain": explained}
