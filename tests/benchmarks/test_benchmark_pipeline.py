"""fgnn.benchmarks.pipeline runs as ``python -m fgnn.benchmarks.pipeline`` without editing
``sys.path``: on SR-GNN pickles written from the bundled sample, it builds every graph."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from fgnn.cli import main
from fgnn.data.registry import load_dataset


def test_pipeline_benchmark_runs_as_a_module(tmp_path, repo_root, capsys):
    folder = tmp_path / "digi"
    assert main(["prepare", "diginetica-sample", "--out", str(folder)]) == 0
    capsys.readouterr()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, "-m", "fgnn.benchmarks.pipeline", str(folder), "--batch-size", "500"],
                          check=False, cwd=repo_root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ds = load_dataset("diginetica-sample")
    graphs = re.search(r"\(a\) graph building: ([\d,]+) train graphs .*; ([\d,]+) test graphs", done.stdout)
    assert graphs, done.stdout
    assert [int(g.replace(",", "")) for g in graphs.groups()] == [len(ds.train), len(ds.test)]
    assert "(b) whole pipeline pickles -> ready batches" in done.stdout
