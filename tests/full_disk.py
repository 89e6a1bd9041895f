"""A real full disk for tests: a small tmpfs (needs root and mount; a test skips where it cannot)."""
from __future__ import annotations

import contextlib
import errno
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str):
    """Mount a tmpfs of ``size`` (``"64k"``) on ``folder`` for the block; skip the test where mounting
    is not possible (not root, no mount, a container without the capability)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                           capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30, check=False)


def grow(folder: Path, size: str) -> None:
    """Give a mounted tmpfs more room (``mount -o remount,size=...``)."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True, capture_output=True, timeout=30)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte with one file; returns that file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while fh.write(b"\0" * 4096):
                pass
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler
