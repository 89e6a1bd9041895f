"""Atomic file writes, the one way every file of a run folder and of the caches is written
(docs/run-folders.md): a temporary file beside the target, then ``os.replace``.

- The temporary file is ``<name>.tmp<pid>`` (:func:`temporary_path`: the writer's pid, so the next writer of a folder knows an
  orphan of a killed process from a write still in progress: :func:`remove_orphans`) and is removed
  whatever ends the write: a full disk (``ENOSPC``), a quota (``EDQUOT``), an interrupt.
- It is created with ``O_EXCL | O_NOFOLLOW``: a link planted under its name is never followed.
- :func:`torch.save` gets an open file, not a path: with a path, PyTorch reports a full disk as a
  ``RuntimeError`` ("unexpected pos") and keeps the file open until the error is collected.
"""
from __future__ import annotations

import errno
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

FULL = (errno.ENOSPC, errno.EDQUOT)
_TMP = re.compile(r"\.tmp(\d+)(-\d+)?$")


def is_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in FULL


def temporary_path(path: Path) -> Path:
    """``<name>.tmp<pid>`` (``-<thread>`` from a thread other than the main one: the app's threads
    may write one cache entry at once)."""
    thread = "" if threading.current_thread() is threading.main_thread() else f"-{threading.get_ident()}"
    return path.with_name(f"{path.name}.tmp{os.getpid()}{thread}")


def write_atomic(path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` with ``write(file)`` through a temporary file, then rename it into place; on any
    error the temporary file is closed and removed and the error goes to the caller (an
    :class:`OSError` names ``path``)."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        tmp.unlink(missing_ok=True)  # ours (this pid): a leftover of an earlier process with the same pid
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        if exc.filename is None:  # name the file the disk refused
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        _discard(tmp)
        raise
    return path


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def torch_save_atomic(obj, path) -> Path:
    """:func:`torch.save` of ``obj`` to ``path``, atomically (:func:`write_atomic`)."""
    import torch  # noqa: PLC0415 (here, not at the top: fgnn.runs.folders writes JSON with this module and stays light)

    return write_atomic(path, lambda fh: torch.save(obj, fh))


def tensor_bytes(obj) -> int:
    """The bytes of the tensors in ``obj`` (dicts, lists, tuples): about what :func:`torch.save` writes."""
    import torch  # noqa: PLC0415 (see torch_save_atomic)

    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(tensor_bytes(v) for v in obj)
    return 0


def remove_orphans(folder, names, alive: Callable[[int], bool]) -> list[str]:
    """Remove ``<name>.tmp<pid>`` files in ``folder`` (for each of ``names``) whose writer is gone
    (``alive(pid)`` is false): what a killed write leaves behind. Call it only while holding the
    folder (its run lock)."""
    removed = []
    for name in names:
        for tmp in Path(folder).glob(f"{name}.tmp*"):
            match = _TMP.search(tmp.name)
            if match and tmp.name == f"{name}{match.group(0)}" and not alive(int(match.group(1))):
                _discard(tmp)
                removed.append(tmp.name)
    return removed
