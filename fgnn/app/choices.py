"""What the shared sidebar and the kept widgets of the pages decide, without Streamlit: a kept
range clipped into a new one, the kept choices that are still options, K within its bounds, the
version and the label of a checkpoint file, the checkpoints of the run folders (``pages/_shared.py``
draws them)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

DEFAULT_TOP_K = 20
MAX_TOP_K = 100
CHECKPOINT_NAMES = ("best.pt", "last.pt")


def clipped_range(kept, lo: int, hi: int) -> tuple[int, int]:
    """``kept`` (a ``(low, high)`` choice) clipped into ``lo..hi``; all of it when there is none."""
    if not (isinstance(kept, (tuple, list)) and len(kept) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in kept)):
        return (lo, hi)
    a, b = (max(lo, min(int(v), hi)) for v in kept)
    return (a, b) if a <= b else (lo, hi)


def kept_choices(kept, options: Sequence) -> list:
    """The values of ``kept`` (a multiselect's earlier choice) that are still ``options``; none
    when ``kept`` is not a list."""
    return [v for v in kept if v in options] if isinstance(kept, list) else []


def kept_or_first(kept, choices: Sequence):
    """``kept`` while it is one of ``choices``, else the first choice (the default)."""
    return kept if kept in choices else choices[0]


def with_current(choices: Sequence, current) -> list:
    """``choices`` with ``current`` added at the end when it is not one of them (a value a page
    set that the list does not offer stays selectable)."""
    choices = list(choices)
    return choices if current in choices else choices + [current]


def clamped_top_k(value, default: int = DEFAULT_TOP_K, most: int = MAX_TOP_K) -> int:
    """K as the sidebar keeps it: ``value`` as an int within ``1..most``, ``default`` when it is
    not a number."""
    try:
        return max(1, min(most, int(value)))
    except (TypeError, ValueError):
        return default


def page_k(value, default: int = DEFAULT_TOP_K) -> int:
    """The K a page scores at: the sidebar's ``top_k``, or ``default`` when none is set."""
    return int(value or default)


def file_version(path) -> tuple[str, int, int]:
    """``(path, mtime_ns, size)``, ``(path, 0, 0)`` for a file that cannot be read: the key of a
    cache that reloads a rewritten file (a checkpoint of a run still training)."""
    p = Path(path)
    try:
        stat = p.stat()
        return str(p), stat.st_mtime_ns, stat.st_size
    except OSError:
        return str(p), 0, 0


def checkpoint_label(path, root) -> str:
    """``run/best.pt`` for a file under the checkpoints ``root``, the full path otherwise."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path(root).resolve()))
    except (ValueError, OSError):
        return str(p)


def run_checkpoints(runs: Sequence[dict]) -> list[str]:
    """Paths of the ``best.pt`` / ``last.pt`` files of ``runs`` (run folders as
    :func:`fgnn.runs.folders.list_runs` lists them, in that order) that exist."""
    out = []
    for run in runs:
        for name in CHECKPOINT_NAMES:
            p = Path(run["path"]) / name
            if p.is_file():
                out.append(str(p))
    return out
