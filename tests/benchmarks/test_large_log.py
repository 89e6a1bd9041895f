"""fgnn.benchmarks.large_log runs as a module: it writes a log, prepares it in a child process with
``python -m fgnn prepare`` and reports rows, rows/s and that child's peak memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from fgnn.benchmarks.large_log import write_log


def test_large_log_benchmark_reports_rows_speed_and_peak(repo_root):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    done = subprocess.run([sys.executable, "-m", "fgnn.benchmarks.large_log", "--mb", "0.5", "--json"],
                          check=False, cwd=repo_root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rows"] == int(0.5e6 / 27) and result["format"] == "csv"
    assert result["rows_per_s"] > 0 and 50 < result["peak_mb"] < 4000
    assert result["items"] > 100 and result["train_pairs"] > 1000 and result["test_pairs"] > 0


def test_the_generated_log_is_seeded_and_alike_in_both_formats(tmp_path):
    write_log(tmp_path / "a.csv", 5000, "csv", seed=2)
    write_log(tmp_path / "b.csv", 5000, "csv", seed=2)
    write_log(tmp_path / "c.parquet", 5000, "parquet", seed=2)
    a = pd.read_csv(tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "c.parquet"))
    assert list(a.columns) == ["session_id", "item_id", "timestamp"] and len(a) == 5000
    assert a.groupby("session_id")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()
