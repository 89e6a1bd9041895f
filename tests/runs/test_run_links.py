"""Symbolic links in the checkpoints root (docs/run-folders.md "Links"): listing, deleting
and Inspect's rank cache never follow a link out of a run folder; a run name ending in a space can
be confirmed and deleted."""
from __future__ import annotations

import shutil

import pytest

from fgnn.errors import DataError
from fgnn.evaluation import rank_cache
from fgnn.runs import launch
from fgnn.runs.folders import list_runs
from fgnn.runs.launch import delete_run


def _run(folder, best=b"weights"):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model": "pop"}')
    (folder / "status.json").write_text('{"state": "finished"}')
    (folder / "best.pt").write_bytes(best)
    return folder


def test_a_link_to_another_run_is_not_listed_and_deleting_it_keeps_the_target(tmp_path):
    root = tmp_path / "checkpoints"
    target = _run(root / "a")
    (root / "b").symlink_to(target, target_is_directory=True)
    assert [r["name"] for r in list_runs(root)] == ["a"]  # once, under its own name
    delete_run(root / "b", root=root)
    assert not (root / "b").exists() and not (root / "b").is_symlink()
    assert (target / "best.pt").read_bytes() == b"weights"  # the target and its checkpoint stay


def test_a_link_to_a_folder_outside_the_root_is_not_listed_and_only_the_link_is_deleted(tmp_path):
    root = tmp_path / "checkpoints"
    root.mkdir()
    outside = _run(tmp_path / "elsewhere" / "run")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    assert list_runs(root) == []
    delete_run(root / "linked", root=root)
    assert not (root / "linked").is_symlink() and (outside / "best.pt").is_file()


def test_a_link_into_the_root_from_a_linked_parent_is_refused(tmp_path):
    root = tmp_path / "checkpoints"
    root.mkdir()
    outside = tmp_path / "elsewhere"
    _run(outside / "run")
    (root / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DataError, match="not inside"):  # root/sub/run is the folder outside
        delete_run(root / "sub" / "run", root=root)
    assert (outside / "run" / "best.pt").is_file()


def test_a_run_name_ending_in_a_space_is_confirmed_and_deleted(tmp_path):
    root = tmp_path / "checkpoints"
    _run(root / "mine ")
    _run(root / "mine")
    names = sorted(r["name"] for r in list_runs(root))
    assert names == ["mine", "mine "]
    assert launch.deletion_confirmed("mine ", "mine ")  # typed exactly as the folder is named
    assert launch.deletion_confirmed("mine  ", "mine") and launch.deletion_confirmed(" mine", "mine")  # stray spaces
    assert not launch.deletion_confirmed("mine", "mine ")  # another run's name does not confirm this one
    assert not launch.deletion_confirmed("", "") and not launch.deletion_confirmed("   ", "  ")
    delete_run(root / "mine ", root=root)
    assert [r["name"] for r in list_runs(root)] == ["mine"]


def test_rank_cache_is_never_written_through_a_link(root, ds, tmp_path, monkeypatch):
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    rank_cache._in_memory.clear()
    outside = tmp_path / "outside"
    shutil.copytree(root / "fgnn-sample", outside / "run", ignore=shutil.ignore_patterns("inspect-cache"))
    (root / "linked").symlink_to(outside / "run", target_is_directory=True)
    # a run folder that is a link: its ranks are kept in the cache folder, not beside the target
    ranks, cached = rank_cache.target_ranks_cached(root / "linked" / "best.pt", ds)
    assert not cached and len(ranks) == len(ds.test)
    assert not (outside / "run" / "inspect-cache").exists()
    kept = rank_cache.cache_file(root / "linked" / "best.pt", ds)
    assert kept.is_file() and (tmp_path / "cache") in kept.parents
    # an inspect-cache folder that is a link out of a real run folder is not followed either
    spill = tmp_path / "spill"
    spill.mkdir()
    (root / "fgnn-sample" / "inspect-cache").symlink_to(spill, target_is_directory=True)
    rank_cache._in_memory.clear()
    rank_cache.target_ranks_cached(root / "fgnn-sample" / "best.pt", ds)
    assert list(spill.iterdir()) == []
    assert rank_cache.load_cached_ranks(root / "fgnn-sample" / "best.pt", ds) is not None
