"""Synthetic logs in the shape of real ones, for the tests of user logs without session ids."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def retailrocket_like(path, visits: int = 600, users: int = 120, items: int = 60, days: int = 14,
                      seed: int = 0) -> Path:
    """A RetailRocket-style ``events.csv`` (``timestamp,visitorid,event,itemid,transactionid``,
    unix milliseconds, no session ids): visits of 2-7 events a few minutes apart, several visits
    per user over ``days`` days, views mostly, some carts and purchases."""
    rng = np.random.default_rng(seed)
    rows = []
    start = 1_433_116_800_000  # 2015-06-01 00:00 UTC, in milliseconds
    popular = rng.zipf(1.5, 10 * visits) % items
    k = 0
    for _ in range(visits):
        user = int(rng.integers(0, users))
        t = start + int(rng.integers(0, days * 86_400_000))
        for _ in range(int(rng.integers(2, 8))):
            event = rng.choice(["view", "view", "view", "view", "addtocart", "transaction"])
            rows.append((t, 1000 + user, event, 500 + int(popular[k]), ""))
            k += 1
            t += int(rng.integers(20, 400)) * 1000
    table = pd.DataFrame(rows, columns=["timestamp", "visitorid", "event", "itemid", "transactionid"])
    table = table.sample(frac=1.0, random_state=seed)  # a log is not sorted by user
    table.to_csv(path, index=False)
    return Path(path)


def items_file(path, item_ids, delimiter: str = ",") -> Path:
    """``item,name,category`` rows for ``item_ids``: names ``"product <id>"``, two categories."""
    lines = [delimiter.join(("item", "name", "category"))]
    lines += [delimiter.join((str(i), f"product {i}", "shoes" if i % 2 else "hats")) for i in item_ids]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)
