"""What the app loads once per server, and which of it is loaded already (docs/performance.md,
"The first visit").

A first visit needs the heavy imports (torch, torch-geometric, plotly, the app's modules), the
dataset, the model and the item map. ``app.py`` starts :func:`start_in_background` when the server
imports it, and its ``st.App`` lifespan waits for it (:func:`wait_for`, at most
:func:`ready_wait_s`) before the server listens, so these are loaded before the health check
answers and the first visitor arrives. A visitor who arrives during a preload that outlasted the
wait waits on the same cached loaders (Streamlit computes a cached value once, whoever asks) and is
shown each :class:`Stage`'s message while it waits (``pages/_shared.py``).

This module only keeps the books: which stage keys are loaded (:func:`is_done`) or failed, and
runs stages once (:func:`run_once`). What a stage loads is the caller's (the Streamlit loaders of
``pages/_shared.py``); nothing here imports Streamlit or anything heavy.
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

#: how long the server's startup waits for its preload before it serves anyway (seconds; 0: no wait)
READY_WAIT_ENV = "FGNN_APP_READY_WAIT_S"
READY_WAIT_S = 30.0


class Stage(NamedTuple):
    """One thing a first visit waits for: ``key`` names it (with what it depends on, e.g. a
    checkpoint's file version), ``message`` is what the visitor is shown while it loads, ``load``
    loads it (idempotent: a cached loader)."""

    key: Hashable
    message: str
    load: Callable[[], Any]


_lock = threading.Lock()
_done: set = set()
_failed: dict = {}
_timings: dict = {}  # stage key -> seconds, of the stages this process ran


def is_done(key: Hashable) -> bool:
    """Whether the stage ``key`` has been loaded in this process."""
    with _lock:
        return key in _done


def has_failed(key: Hashable) -> bool:
    """Whether loading the stage ``key`` raised (the page that needs it shows the error)."""
    with _lock:
        return key in _failed


def pending(stages: Iterable[Stage]) -> list[Stage]:
    """The stages neither loaded nor failed yet, in order."""
    with _lock:
        return [s for s in stages if s.key not in _done and s.key not in _failed]


def run_once(stage: Stage):
    """Load ``stage`` and mark it done (or failed, re-raising). Not locked around the load: two
    threads may both call it, and the loader's own cache makes the second wait for the first."""
    t0 = time.perf_counter()
    try:
        value = stage.load()
    except BaseException as exc:
        with _lock:
            _failed[stage.key] = exc
        raise
    with _lock:
        _done.add(stage.key)
        _timings.setdefault(stage.key, time.perf_counter() - t0)
    return value


def timings() -> dict:
    """Seconds each stage took when this process loaded it (the first time)."""
    with _lock:
        return dict(_timings)


def forget() -> None:
    """Forget every stage (tests)."""
    with _lock:
        _done.clear()
        _failed.clear()
        _timings.clear()


def preload(stages: Iterable[Stage] | Callable[[], Iterable[Stage]], log=None) -> dict:
    """Run ``stages`` in order (a callable is called first; as a generator it may import what the
    next stages need between them), each once; a failed stage is reported and the next one still tried. Returns ``{key: seconds or
    the error's text}``. ``log`` (default: stderr) gets one line per stage."""
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    report: dict = {}
    t_all = time.perf_counter()
    stages = iter(stages() if callable(stages) else stages)  # (a generator may import between stages)
    while True:
        try:
            stage = next(stages)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 (the page that needs it imports it again and shows the error)
            log(f"fgnn preload: could not list the next stage: {exc!r}")
            break
        t0 = time.perf_counter()
        try:
            run_once(stage)
            report[stage.key] = round(time.perf_counter() - t0, 3)
        except Exception as exc:  # noqa: BLE001 (a visitor's page shows it, with its own message)
            report[stage.key] = f"failed: {exc}"
        log(f"fgnn preload: {stage.message.rstrip('…. ')}: {report[stage.key]} (at {time.time():.2f})")
    log(f"fgnn preload: done in {time.perf_counter() - t_all:.2f} s (at {time.time():.2f})")
    return report


def start_in_background(stages: Iterable[Stage] | Callable[[], Iterable[Stage]], log=None) -> threading.Thread:
    """:func:`preload` in a daemon thread (the server answers at once meanwhile); returns it."""
    thread = threading.Thread(target=preload, args=(stages, log), name="fgnn-preload", daemon=True)
    thread.start()
    return thread


def ready_wait_s(environ=None) -> float:
    """``$FGNN_APP_READY_WAIT_S`` (default :data:`READY_WAIT_S`; 0: serve at once, the preload going
    on behind, as a visitor's status box shows)."""
    text = (os.environ if environ is None else environ).get(READY_WAIT_ENV) or ""
    try:
        seconds = float(text) if text.strip() else READY_WAIT_S
    except ValueError:
        seconds = float("nan")
    if not seconds >= 0 or seconds == float("inf"):  # text, a negative number, nan, inf
        print(f"fgnn: {READY_WAIT_ENV}={text[:40]!r} is not a number of seconds >= 0: waiting at most "
              f"{READY_WAIT_S:g} s; set it to e.g. 0 (serve at once) or 60", file=sys.stderr, flush=True)
        return READY_WAIT_S
    return seconds


async def wait_for(thread: threading.Thread, timeout: float, log=None) -> bool:
    """Wait until the preload ``thread`` has ended, at most ``timeout`` seconds, without blocking
    the event loop (the server's startup: it listens, and answers its health check, only after).
    Returns whether it ended; if not, ``log`` (default: stderr) says that the server serves anyway
    (unless ``timeout`` is 0: no wait asked)."""
    if timeout <= 0:
        return not thread.is_alive()
    if thread.is_alive():
        await asyncio.to_thread(thread.join, timeout)
    if thread.is_alive():
        log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        log(f"fgnn preload: still loading after {timeout:g} s ({READY_WAIT_ENV}): serving now; "
            "a visitor sees what is loading")
        return False
    return True
