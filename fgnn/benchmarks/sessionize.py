"""How long cutting a user log into sessions takes (fgnn.data.sessionize.sessionize).

    python -m fgnn.benchmarks.sessionize [--events 10000000] [--users 1000000] [--repeats 3] [--json]

Synthetic log: ``--events`` events of ``--users`` users over 180 days in visits of about 5
events, times in whole seconds, in random order (the worst case: nothing is sorted yet). Users
are drawn with a skew (a few heavy users, many light ones), as in real logs. The timed part is :func:`sessionize` on the
arrays (the sort, the gap test, the numbering); generating the log is not timed. Prints the
best and the median of ``--repeats`` runs, the machine's load average and its CPU count.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from fgnn.data.sessionize import DEFAULT_SESSION_GAP_MINUTES, sessionize


def synthetic_log(n_events: int, n_users: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(user, time)`` of a random log, unsorted: visits (a user and a start, uniform over 180
    days from 2015-05-03) of about 5 events each within 20 minutes; users skewed (Zipf-like).
    Times in unix seconds (int64)."""
    rng = np.random.default_rng(seed)
    n_visits = max(1, n_events // 5)
    visit_user = (rng.pareto(1.2, n_visits) * n_users / 20).astype(np.int64) % n_users
    visit_start = 1_430_611_200 + rng.integers(0, 180 * 86400, n_visits, dtype=np.int64)
    visit = rng.integers(0, n_visits, n_events)
    return visit_user[visit], visit_start[visit] + rng.integers(0, 1200, n_events)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--gap", type=float, default=DEFAULT_SESSION_GAP_MINUTES, help="minutes (default 30)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    user, time_s = synthetic_log(args.events, args.users)
    times = []
    for _ in range(max(1, args.repeats)):
        start = time.perf_counter()
        session = sessionize(user, time_s, args.gap * 60.0)
        times.append(time.perf_counter() - start)
    result = {
        "events": args.events, "users": int(np.unique(user).size), "sessions": int(session.max()) + 1,
        "gap_minutes": args.gap, "best_s": round(min(times), 3), "median_s": round(float(np.median(times)), 3),
        "repeats": len(times), "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"sessionize: {result['events']:,} events of {result['users']:,} users -> {result['sessions']:,} "
              f"sessions (gap {args.gap:g} min)")
        print(f"  best {result['best_s']:.2f} s, median {result['median_s']:.2f} s of {len(times)} runs "
              f"({args.events / min(times) / 1e6:.1f} M events/s)")
        print(f"  machine: {result['cpus']} CPUs, load average {result['load_average_1min']} (1 min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
