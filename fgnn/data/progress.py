"""Stage messages of a long prepare (reading N rows..., sessions..., pairs...).

The data layer reports; whoever listens shows them: ``fgnn prepare`` prints them to stderr, the
Dataset page draws them in a status box. A listener is set for a block of code, so no signature
between the command (or the page) and the readers has to carry it::

    with reporting(lambda message, fraction: print(message, file=sys.stderr)):
        load_dataset(path)

``fraction`` is how far the current stage has come (0..1) where that is known, else ``None``.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable

Listener = Callable[[str, "float | None"], None]

_LISTENER: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("fgnn_progress", default=None)


@contextlib.contextmanager
def reporting(listener: Listener | None):
    """Within this block, :func:`report` calls ``listener(message, fraction)``."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def report(message: str, fraction: float | None = None) -> None:
    """Tell the listener of the current block (if any) where a long prepare stands."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(message, None if fraction is None else min(max(float(fraction), 0.0), 1.0))


def listening() -> bool:
    """Whether anyone listens (so that a reader can skip counting work nobody will see)."""
    return _LISTENER.get() is not None
