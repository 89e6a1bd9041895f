"""Batches built ahead of the training step, in a background thread (docs/performance.md, "Batches
prepared ahead").

On a GPU the host builds a batch's graphs (about 1.3 ms for 100 sessions) and pins and copies it
(about 0.4 ms) while the GPU waits. :class:`BatchPrefetcher` runs the batch iterator (a
:class:`~fgnn.data.sessions.GraphBatchLoader`, which builds, pins and starts the asynchronous copy)
in a thread, so batch n+1 is ready when step n ends. A thread is enough: graph building is torch
ops, which release the GIL. The batches come out in the iterator's own order, so a run's batches,
losses and metrics are those of the same loop without the thread; the thread draws no random
numbers (the loader's order comes from its own generator).

The time the training loop spends waiting in ``next()`` is recorded per batch (``waits``): that
is the host time a step still waits for its batch, ``loader_wait_ms`` in the GPU check.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator

import torch

_BATCH, _END, _ERROR = "batch", "end", "error"
_POLL_S = 0.05  # how often a blocked thread looks at the stop flag (only while the queue is full or empty)
_JOIN_S = 30.0  # close() waits this long for the thread to finish the batch it is building


class BatchPrefetcher(Iterator):
    """Iterates over ``batches`` while a background thread keeps up to ``depth`` of them ready.

    Single use: the thread starts at :meth:`start` (or the first ``next()``) and ends at the end of
    ``batches``, at :meth:`close` (a cancel, an exception in the loop: use it as a context manager),
    or when ``batches`` raises; that exception is raised again by ``next()`` in the loop's thread.

    Args:
        batches: any iterable; its items are yielded in its order.
        depth: batches kept ready (at least 1). Two leave a step's worth of slack when one batch
            happens to take longer to build.
        device: the device the batches go to; on CUDA the thread makes it its current device, so
            pinned buffers and copies are set up for that GPU (and its default stream, the one the
            training step runs on: a batch's copy is ordered before the step that uses it).
    """

    def __init__(self, batches: Iterable, depth: int = 2, device: torch.device | str | None = None):
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self.batches = batches
        self.depth = depth
        self.device = torch.device(device) if device is not None else None
        # the GPU the thread works for: a new thread's current device is GPU 0, whatever the loop's is
        self._cuda_index = None
        if self.device is not None and self.device.type == "cuda":
            self._cuda_index = self.device.index if self.device.index is not None else torch.cuda.current_device()
        self.waits: list[float] = []  # seconds next() waited, one per batch handed out
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._finished = False

    def __len__(self) -> int:
        return len(self.batches)

    @property
    def wait_s(self) -> float:
        """Total seconds the loop waited for its batches so far."""
        return sum(self.waits)

    def start(self) -> BatchPrefetcher:
        """Start building batches now (a head start before the loop asks for the first)."""
        if self._thread is None and not self._finished:
            self._thread = threading.Thread(target=self._produce, name="fgnn-batch-prefetch", daemon=True)
            self._thread.start()
        return self

    def _produce(self) -> None:
        try:
            if self._cuda_index is not None:
                torch.cuda.set_device(self._cuda_index)
            for batch in self.batches:
                if not self._put((_BATCH, batch)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # noqa: BLE001 (handed to the loop's thread, raised there)
            self._put((_ERROR, exc))

    def _put(self, item) -> bool:
        """Queue ``item``, waiting for room; False when the loop closed the prefetcher meanwhile."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> BatchPrefetcher:
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        self.start()
        t0 = time.perf_counter()
        while True:
            try:
                kind, value = self._queue.get(timeout=_POLL_S)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():  # never expected: _produce always ends with an item
                    self.close()
                    raise RuntimeError("the batch prefetch thread ended without a batch or an error") from None
        if kind == _BATCH:
            self.waits.append(time.perf_counter() - t0)
            return value
        self.close()
        if kind == _ERROR:
            raise value
        raise StopIteration

    def close(self) -> None:
        """Stop the thread and wait for it: it finishes the batch it is building, if any, and
        builds no more. Batches built ahead and not taken are dropped. Idempotent."""
        self._finished = True
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        deadline = time.perf_counter() + _JOIN_S
        while thread.is_alive() and time.perf_counter() < deadline:  # (a daemon thread: never blocks the exit)
            self._drain()  # a batch it is putting right now must not wait for room
            thread.join(timeout=_POLL_S)
        self._drain()

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def __enter__(self):  # (no annotation: typing.Self needs Python 3.11, and the project runs on 3.10)
        return self

    def __exit__(self, *exc) -> None:
        self.close()
