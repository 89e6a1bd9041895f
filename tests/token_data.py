"""A small click log whose item ids are tokens (text), and a tiny FGNN run trained on it: for the
tests of token ids in the app (docs/data-formats.md, "Ids")."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Tokens that a whole-number reading would confuse or refuse: "7" and "007" are two items.
TOKENS = ["7", "007", "商品-1", "🍎", "85123A", "x-1"] + [f"SKU-{i:02d}" for i in range(1, 15)]


def token_log(path, sessions: int = 400, days: int = 10, seed: int = 0) -> Path:
    """``session_id,item_id,time`` (unix seconds) over ``days`` days, every item a token of
    :data:`TOKENS`, the first five the most popular; sessions of 2-6 clicks."""
    rng = np.random.default_rng(seed)
    weights = np.array([8.0] * 5 + [1.0] * (len(TOKENS) - 5))
    weights /= weights.sum()
    rows = []
    start = 1_600_000_000
    for s in range(sessions):
        t = start + int(s * days * 86_400 / sessions)
        for j in range(int(rng.integers(2, 7))):
            rows.append((f"u{s}", TOKENS[int(rng.choice(len(TOKENS), p=weights))], t + 60 * j))
    pd.DataFrame(rows, columns=["session_id", "item_id", "time"]).to_csv(path, index=False)
    return Path(path)


def train_token_run(log: Path, run_dir: Path) -> Path:
    """A one-epoch FGNN of hidden size 16 on ``log`` (the last day for testing); its ``best.pt``."""
    from fgnn.training.config import TrainConfig
    from fgnn.training.loop import train

    cfg = TrainConfig.from_dict({
        "dataset": str(log), "protocol": {"test_days": 1.0}, "model": "fgnn",
        "model_params": {"hidden_size": 16, "heads": 2}, "epochs": 1, "batch_size": 50,
        "max_train_pairs": 300, "max_test_pairs": 100, "device": "cpu", "amp": False, "log_every": 50,
    })
    status = train(cfg, run_dir, progress=False)
    assert status["state"] == "finished", status
    return Path(run_dir) / "best.pt"
