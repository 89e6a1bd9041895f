"""A dataset cache on a full disk (docs/data-formats.md): loading works without the cache,
with one warning line naming the cache folder, and no temporary file left behind."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from full_disk import fill, small_tmpfs

from fgnn.cli import main as cli
from fgnn.data import registry
from fgnn.data.registry import load_dataset

REPO = Path(__file__).resolve().parents[2]


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "warning" in line.lower()]


def test_a_full_cache_disk_loads_without_the_cache_and_warns_once(tmp_path, monkeypatch, capfd):
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "64k"):
        cache = disk / "cache"
        cache.mkdir()
        fill(disk)
        monkeypatch.setenv("FGNN_CACHE_DIR", str(cache))
        ds = load_dataset("diginetica-sample")
        again = load_dataset("diginetica-sample")
        assert ds.n_items == again.n_items == 309 and len(ds.train) == 1205
        warned = _warnings(capfd.readouterr().err)
        assert len(warned) == 1 and str(cache) in warned[0] and "No space left on device" in warned[0]
        assert "without a cache" in warned[0]
        assert list(cache.iterdir()) == []  # no half entry, no temporary file


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EIO])
def test_any_os_error_writing_the_cache_is_one_warning_and_no_temporary_file(cache_dir, monkeypatch, capfd, code):
    def full(obj, f, *a, **kw):
        f.write(b"half an entry")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(torch, "save", full)
    assert cli(["prepare", "diginetica-sample"]) == 0
    err = capfd.readouterr().err
    warned = _warnings(err)
    assert len(warned) == 1 and str(cache_dir) in warned[0] and os.strerror(code) in warned[0]
    assert "Traceback" not in err and "warnings.warn" not in err
    assert [p.name for p in cache_dir.iterdir()] == []


def test_prepare_on_a_full_cache_disk_has_no_traceback(tmp_path):
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "64k"):
        fill(disk)
        env = dict(os.environ, PYTHONPATH=str(REPO), FGNN_CACHE_DIR=str(disk / "cache"))
        r = subprocess.run([sys.executable, "-m", "fgnn", "prepare", "diginetica-sample"], capture_output=True,
                           text=True, cwd=REPO, env=env, timeout=300, check=False)
        assert r.returncode == 0 and "309 items" in r.stdout
        assert "Traceback" not in r.stderr and len(_warnings(r.stderr)) == 1 and "UserWarning" not in r.stderr
        assert not any(p.name != "filler" for p in disk.rglob("*") if p.is_file())


def test_the_warning_is_not_repeated_for_the_same_folder(cache_dir, monkeypatch, capfd):
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    load_dataset("diginetica-sample", min_item_support=4)
    load_dataset("diginetica-sample", min_item_support=6)
    assert len(_warnings(capfd.readouterr().err)) == 1
    assert registry.cache_dir() == cache_dir
